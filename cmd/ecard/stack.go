package main

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ecard/ecard/bff"
	"github.com/ecard/ecard/bff/wechat"
	"github.com/ecard/ecard/config"
	"github.com/ecard/ecard/internal/redisconn"
	"github.com/ecard/ecard/ledger"
	"github.com/ecard/ecard/terminalgw"
)

// stack is everything `ecard serve` runs, built from the configuration; the
// CLI's jobs and refunds use the same one so they act exactly as the server.
type stack struct {
	ledger *ledger.Ledger
	redis  *redisconn.Conn
	server *bff.Server
	close  func()
}

func openStack(ctx context.Context, cfg config.Config, log *slog.Logger, reg *prometheus.Registry) (*stack, error) {
	l, closeLedger, where, err := openLedger(ctx, cfg, reg)
	if err != nil {
		return nil, err
	}
	log.Info("database ready", "database", where)
	rc, err := openRedis(ctx, cfg, log)
	if err != nil {
		closeLedger()
		return nil, err
	}
	fail := func(err error) (*stack, error) {
		rc.Close()
		closeLedger()
		return nil, err
	}
	var proxies []string
	if cfg.HTTP.TrustedProxies != "" {
		proxies = strings.Split(cfg.HTTP.TrustedProxies, ",")
	}
	var wx bff.WeChat
	if cfg.WeChat.AppID != "" {
		client, err := wechat.New(wechat.Config{AppID: cfg.WeChat.AppID, AppSecret: cfg.WeChat.AppSecret,
			Redis: rc.Client, KeyPrefix: cfg.Redis.KeyPrefix + "wechat:"})
		if err != nil {
			return fail(err)
		}
		wx = client
	} else if cfg.Sandbox {
		// The demo's mini-program signs in without WeChat (see wechat.Sandbox).
		wx = wechat.Sandbox{Log: log}
	}
	codeService, err := newCodes(cfg, l, rc.Client)
	if err != nil {
		return fail(err)
	}
	payments, err := newPayments(cfg)
	if err != nil {
		return fail(err)
	}
	gateway := terminalgw.New(terminalgw.Deps{Ledger: l, Redis: rc.Client, Codes: codeService, Log: log, Now: time.Now,
		KeyPrefix: cfg.Redis.KeyPrefix})
	srv := bff.New(bff.Deps{Ledger: l, Redis: rc.Client, Metrics: reg, Log: log, Now: time.Now,
		KeyPrefix: cfg.Redis.KeyPrefix, JWTKey: []byte(cfg.Secrets.JWTKey), WeChat: wx, Codes: codeService,
		Payments:       payments,
		Mount:          []func(fiber.Router){gateway.Register},
		BodyLimitBytes: cfg.HTTP.BodyLimitBytes, ReadTimeout: cfg.HTTP.ReadTimeout, WriteTimeout: cfg.HTTP.WriteTimeout,
		TrustedProxies: proxies, MetricsToken: cfg.Metrics.Token})
	return &stack{ledger: l, redis: rc, server: srv, close: func() { rc.Close(); closeLedger() }}, nil
}

// withServer runs fn over the configured stack, for CLI commands that act as
// the server would (jobs, refunds through a provider).
func (c *cli) withServer(ctx context.Context, fn func(l *ledger.Ledger, srv *bff.Server, log *slog.Logger) error) error {
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	log := newLogger(cfg, c.stderr)
	st, err := openStack(ctx, cfg, log, newRegistry())
	if err != nil {
		return err
	}
	defer st.close()
	return fn(st.ledger, st.server, log)
}
