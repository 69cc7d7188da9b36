package main

import (
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ecard/ecard/config"
	"github.com/ecard/ecard/internal/codes"
	"github.com/ecard/ecard/internal/seal"
	"github.com/ecard/ecard/ledger"
	"github.com/ecard/ecard/qrcode"
	qrredis "github.com/ecard/ecard/qrcode/redis"
	"github.com/ecard/ecard/qrcode/sqlkeys"
)

// newCodes wires the code system: issuer keys sealed in the database, live
// codes in Redis.
func newCodes(cfg config.Config, l *ledger.Ledger, rdb redis.UniversalClient) (*codes.Service, error) {
	key, err := seal.ParseKey(cfg.Secrets.EncryptionKey)
	if err != nil {
		return nil, err
	}
	sealer, err := seal.New(key)
	if err != nil {
		return nil, err
	}
	ring := sqlkeys.New(l.DB(), sealer, time.Now)
	issuer := qrcode.NewIssuer(ring, time.Now)
	return codes.New(issuer, ring, qrredis.New(rdb, cfg.Redis.KeyPrefix+"codes:"), l), nil
}
