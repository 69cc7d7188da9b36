// Package bff is the HTTP face of ecard for people: the holder API used by the
// mini-program, the H5 app and the native app, the public recharge API, the
// payment providers' callbacks, the admin API, and the embedded web front-ends.
package bff

import (
	"context"
	"log/slog"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/gofiber/fiber/v3"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/ecard/ecard/bff/wechat"
	"github.com/ecard/ecard/ledger"
)

// WeChat is the mini-program sign-in and message API (bff/wechat). Nil when
// the deployment has no mini-program configured.
type WeChat interface {
	Code2Session(ctx context.Context, code string) (wechat.Session, error)
	SendSubscribe(ctx context.Context, msg wechat.Subscribe) error
}

// Deps are what the server needs; every field is required unless it says so.
type Deps struct {
	Ledger  *ledger.Ledger
	Redis   redis.UniversalClient
	Metrics *prometheus.Registry
	Log     *slog.Logger
	Now     func() time.Time

	// KeyPrefix starts every Redis key the server writes.
	KeyPrefix string
	// JWTKey signs holder access tokens (HS256).
	JWTKey []byte
	// WeChat may be nil: WeChat sign-in then answers NOT_FOUND.
	WeChat WeChat
	// Codes issues dynamic codes; nil answers NOT_FOUND for /me/codes.
	Codes Codes

	// Payments are the top-up providers and settings.
	Payments Payments

	// Mount adds routes of other packages (the terminal gateway) to the app.
	Mount []func(fiber.Router)

	BodyLimitBytes int
	ReadTimeout    time.Duration
	WriteTimeout   time.Duration
	// MetricsToken opens GET /metrics on this app to requests bearing it;
	// empty refuses it here (serve it on a separate address instead).
	MetricsToken string
	// TrustedProxies may set X-Forwarded-For; empty trusts none.
	TrustedProxies []string
}

// Server is the Fiber app with its dependencies.
type Server struct {
	app          *fiber.App
	ledger       *ledger.Ledger
	redis        redis.UniversalClient
	metrics      *prometheus.Registry
	log          *slog.Logger
	now          func() time.Time
	prefix       string
	wechat       WeChat
	codes        Codes
	limiter      *redis_rate.Limiter
	sessions     *sessions
	events       *events
	payments     Payments
	schools      schoolDirectory
	metricsToken string

	metricNotify *prometheus.CounterVec
}

// New builds the server and its routes.
func New(d Deps) *Server {
	s := &Server{ledger: d.Ledger, redis: d.Redis, metrics: d.Metrics, log: d.Log, now: d.Now,
		prefix: d.KeyPrefix, wechat: d.WeChat, codes: d.Codes, limiter: redis_rate.NewLimiter(d.Redis),
		sessions: &sessions{redis: d.Redis, prefix: d.KeyPrefix, key: d.JWTKey, now: d.Now},
		events:   newEvents(d.Redis, d.KeyPrefix), payments: d.Payments, metricsToken: d.MetricsToken,
		metricNotify: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ecard_payment_notifications_total", Help: "Provider notifications, by channel and outcome.",
		}, []string{"channel", "outcome"})}
	if d.Metrics != nil {
		d.Metrics.MustRegister(s.metricNotify)
	}
	cfg := fiber.Config{
		AppName:      "ecard",
		BodyLimit:    d.BodyLimitBytes,
		ReadTimeout:  d.ReadTimeout,
		WriteTimeout: d.WriteTimeout,
		ErrorHandler: s.errorHandler,
		// Strings from a request (headers, params) stay valid after it: a
		// terminal id kept as a cache key must not change under our feet
		// when the connection carries the next request.
		Immutable: true,
	}
	if len(d.TrustedProxies) > 0 {
		cfg.TrustProxy = true
		cfg.TrustProxyConfig = fiber.TrustProxyConfig{Proxies: d.TrustedProxies}
		cfg.ProxyHeader = fiber.HeaderXForwardedFor
	}
	s.app = fiber.New(cfg)
	s.app.Hooks().OnPreShutdown(s.events.close)
	s.routes(d.Mount)
	return s
}

// App is the Fiber app, for listening and for app.Test in tests.
func (s *Server) App() *fiber.App { return s.app }
