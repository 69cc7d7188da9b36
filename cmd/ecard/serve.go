package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v3"
	"github.com/spf13/cobra"
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
			st, err := openStack(ctx, cfg, log, reg)
			if err != nil {
				return err
			}
			defer st.close()
			l, srv := st.ledger, st.server
			if cfg.Sandbox {
				log.Warn("sandbox payment provider enabled: top-ups are not real money")
			}
			if demo {
				if err := seedDemo(ctx, l, c.stdout); err != nil {
					return err
				}
			}
			sms, err := rechargeSMS(cfg.SMS.Tencent)
			if err != nil {
				return err
			}
			// The notice sender and the jobs outlive the signal: they stop only
			// after the last request has finished, and serve waits for them.
			notifyCtx, stopNotifier := context.WithCancel(context.WithoutCancel(ctx))
			var background sync.WaitGroup
			defer func() { stopNotifier(); background.Wait() }()
			notifier := srv.Notifier(map[string]string{"payment": cfg.WeChat.TemplatePayment, "topup": cfg.WeChat.TemplateTopup,
				"refund": cfg.WeChat.TemplateRefund, "subsidy": cfg.WeChat.TemplateSubsidy}).WithSMS(sms)
			background.Go(func() { notifier.Run(notifyCtx) })
			if cfg.Jobs.Enabled {
				background.Go(func() { newJobs(l, srv, log).Run(notifyCtx) })
			}
			ln, err := net.Listen("tcp", cfg.HTTP.Addr)
			if err != nil {
				return fmt.Errorf("listen: %w", err)
			}
			stopMetrics, err := serveMetrics(cfg, srv, c.stdout)
			if err != nil {
				_ = ln.Close()
				return err
			}
			defer stopMetrics()
			fmt.Fprintf(c.stdout, "ecard listening on http://%s\n", ln.Addr())
			fmt.Fprintf(c.stdout, "  holder app http://%[1]s/   parent recharge http://%[1]s/recharge/   card office http://%[1]s/admin/\n", ln.Addr())
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
			return errors.Join(shutdownErr, drainBackground(stopNotifier, &background, notifier, cfg.HTTP.ShutdownTimeout, log))
		},
	}
	cmd.Flags().BoolVar(&demo, "demo", false, "seed the demo school if empty and enable the sandbox payment provider")
	return cmd
}
