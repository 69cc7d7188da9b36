// Package terminalgw is the terminal gateway: tills, gates and kiosks sign
// every request (API.md "Terminal gateway"), present codes and cards, and get
// a decision in milliseconds. Money moves once per request id.
package terminalgw

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/gofiber/fiber/v3"
	"github.com/redis/go-redis/v9"

	"github.com/ecard/ecard/ledger"
)

// Code is a verified dynamic code.
type Code struct {
	Kind     string // "pay" or "identity"
	SchoolID int64
	HolderID int64
	Seq      int64
}

// Key is an issuer public key terminals use offline.
type Key struct {
	KeyID     int    `json:"kid"`
	Alg       string `json:"alg"`
	PublicKey string `json:"public_key"` // base64
}

// Codes is what the gateway needs of the code system (package qrcode).
// Errors are *ledger.Error with CODE_INVALID, CODE_EXPIRED or CODE_USED.
type Codes interface {
	// Verify checks signature and lifetime; a numeric twin is resolved first.
	Verify(ctx context.Context, code string) (Code, error)
	// Consume succeeds once per live pay code.
	Consume(ctx context.Context, c Code) error
	// Alive reports whether a verified code is still live (not revoked,
	// issued since Redis last lost its state); online gates ask it.
	Alive(ctx context.Context, c Code) (bool, error)
	// RevokeHolder kills every live code of a holder (loss report at a kiosk).
	RevokeHolder(ctx context.Context, schoolID, holderID int64) error
	PublicKeys(ctx context.Context, schoolID int64) ([]Key, error)
}

// Deps are the gateway's dependencies; all are required.
type Deps struct {
	Ledger *ledger.Ledger
	Redis  redis.UniversalClient
	Codes  Codes
	Log    *slog.Logger
	Now    func() time.Time
	// KeyPrefix starts every Redis key the gateway writes.
	KeyPrefix string
}

// Gateway serves /tgw/v1.
type Gateway struct {
	ledger  *ledger.Ledger
	redis   redis.UniversalClient
	codes   Codes
	log     *slog.Logger
	now     func() time.Time
	prefix  string
	limiter *redis_rate.Limiter

	mu        sync.Mutex
	terminals map[string]cachedTerminal
	lastSeen  map[string]time.Time // when this node last wrote a terminal's last_seen_at
}

// New builds the gateway.
func New(d Deps) *Gateway {
	return &Gateway{ledger: d.Ledger, redis: d.Redis, codes: d.Codes, log: d.Log, now: d.Now, prefix: d.KeyPrefix,
		limiter: redis_rate.NewLimiter(d.Redis), terminals: map[string]cachedTerminal{}, lastSeen: map[string]time.Time{}}
}

// Register mounts the routes: every one behind the signed-request check.
func (g *Gateway) Register(r fiber.Router) {
	v1 := r.Group("/tgw/v1", g.authenticate)
	v1.Post("/payments", g.handlePayment)
	v1.Post("/refunds", g.handleRefund)
	v1.Post("/access", g.handleAccess)
	v1.Get("/keys", g.handleKeys)
	v1.Get("/denylist", g.handleDenylist)
	v1.Post("/heartbeat", g.handleHeartbeat)
	g.cardRoutes(v1)
}
