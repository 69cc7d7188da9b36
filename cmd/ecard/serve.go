package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/spf13/cobra"

	"github.com/ecard/ecard/bff"
	"github.com/ecard/ecard/bff/wechat"
	"github.com/ecard/ecard/terminalgw"
)

func (c *cli) serveCommand() *cobra.Command {
	var demo bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "start the holder API, terminal gateway, admin API and web",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			if demo {
				cfg.Sandbox = true
			}
			if problems := cfg.ProductionProblems(demo); len(problems) > 0 {
				return errors.New("refusing to start in production:\n  - " + strings.Join(problems, "\n  - "))
			}
			log := newLogger(cfg, c.stderr)
			reg := newRegistry()
			l, closeLedger, where, err := openLedger(ctx, cfg, reg)
			if err != nil {
				return err
			}
			defer closeLedger()
			log.Info("database ready", "database", where)
			rc, err := openRedis(ctx, cfg, log)
			if err != nil {
				return err
			}
			defer rc.Close()
			if cfg.Sandbox {
				log.Warn("sandbox payment provider enabled: top-ups are not real money")
			}
			if demo {
				if err := seedDemo(ctx, l, c.stdout); err != nil {
					return err
				}
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
					return err
				}
				wx = client
			}
			codeService, err := newCodes(cfg, l, rc.Client)
			if err != nil {
				return err
			}
			gateway := terminalgw.New(terminalgw.Deps{Ledger: l, Redis: rc.Client, Codes: codeService, Log: log, Now: time.Now,
				KeyPrefix: cfg.Redis.KeyPrefix})
			srv := bff.New(bff.Deps{Ledger: l, Redis: rc.Client, Metrics: reg, Log: log, Now: time.Now,
				KeyPrefix: cfg.Redis.KeyPrefix, JWTKey: []byte(cfg.Secrets.JWTKey), WeChat: wx, Codes: codeService,
				Mount:          []func(fiber.Router){gateway.Register},
				BodyLimitBytes: cfg.HTTP.BodyLimitBytes, ReadTimeout: cfg.HTTP.ReadTimeout, WriteTimeout: cfg.HTTP.WriteTimeout,
				TrustedProxies: proxies})
			notifyCtx, stopNotifier := context.WithCancel(ctx)
			defer stopNotifier()
			go srv.Notifier(map[string]string{"payment": cfg.WeChat.TemplatePayment, "topup": cfg.WeChat.TemplateTopup,
				"refund": cfg.WeChat.TemplateRefund, "subsidy": cfg.WeChat.TemplateSubsidy}).Run(notifyCtx)
			ln, err := net.Listen("tcp", cfg.HTTP.Addr)
			if err != nil {
				return fmt.Errorf("listen: %w", err)
			}
			fmt.Fprintf(c.stdout, "ecard listening on http://%s\n", ln.Addr())
			done := make(chan error, 1)
			go func() {
				done <- srv.App().Listener(ln, fiber.ListenConfig{DisableStartupMessage: true})
			}()
			select {
			case err := <-done:
				return err
			case <-ctx.Done():
			}
			log.Info("shutting down")
			shutdownErr := srv.App().ShutdownWithTimeout(cfg.HTTP.ShutdownTimeout)
			// Closing the listener also stops a server whose Serve had not
			// begun when Shutdown ran.
			_ = ln.Close()
			if err := <-done; err != nil && !errors.Is(err, net.ErrClosed) {
				return err
			}
			return shutdownErr
		},
	}
	cmd.Flags().BoolVar(&demo, "demo", false, "seed the demo school if empty and enable the sandbox payment provider")
	return cmd
}
