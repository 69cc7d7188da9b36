package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/ecard/ecard/bff"
	"github.com/ecard/ecard/jobs"
	"github.com/ecard/ecard/ledger"
)

// holdBatch bounds how many expired holds one run voids.
const holdBatch = 1000

// newJobs registers every scheduled job.
func newJobs(l *ledger.Ledger, srv *bff.Server, log *slog.Logger) *jobs.Runner {
	r := jobs.New(l, log)
	r.Add(jobs.Job{Name: "orders", Every: 30 * time.Second, Run: srv.SettleOrders})
	r.Add(jobs.Job{Name: "holds", Every: 30 * time.Second, Run: func(ctx context.Context) (string, error) {
		n, err := l.VoidExpiredHolds(ctx, holdBatch)
		return fmt.Sprintf("voided %d expired holds", n), err
	}})
	addOfficeJobs(r, l, srv)
	addCardJobs(r, l, srv)
	return r
}

func (c *cli) jobsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "jobs", Short: "scheduled jobs"}
	run := &cobra.Command{
		Use:   "run NAME",
		Short: "run one scheduled job now (orders, holds, ...)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withServer(cmd.Context(), func(l *ledger.Ledger, srv *bff.Server, log *slog.Logger) error {
				out, err := newJobs(l, srv, log).RunOnce(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return c.print(map[string]string{"job": args[0], "result": out}, "%s: %s", args[0], out)
			})
		},
	}
	cmd.AddCommand(run)
	return cmd
}
