package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ecard/ecard/bff"
	"github.com/ecard/ecard/jobs"
	"github.com/ecard/ecard/ledger"
)

// replacementBatch bounds how many replaced cards one run settles.
const replacementBatch = 1000

// cardCommands are the physical-card commands.
func (c *cli) cardCommands() []*cobra.Command {
	var school, number, uid string
	issue := &cobra.Command{
		Use: "issue", Short: "issue a card to a holder (replaces the active one)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return c.withLedger(ctx, func(l *ledger.Ledger) error {
				id, h, err := schoolHolder(ctx, l, school, number)
				if err != nil {
					return err
				}
				if _, err := l.IssueCard(ctx, id, h.ID, uid); err != nil {
					return err
				}
				view, _, err := l.ActiveCard(ctx, h.ID)
				if err != nil {
					return err
				}
				return c.print(view, "card %s issued to %s %s", view.UID, h.Number, h.Name)
			})
		},
	}
	issue.Flags().StringVar(&school, "school", "", "school code")
	issue.Flags().StringVar(&number, "number", "", "holder number")
	issue.Flags().StringVar(&uid, "uid", "", "the card chip's UID (4-32 letters or digits)")
	requireFlags(issue, "school", "number", "uid")
	return []*cobra.Command{group("card", "physical cards", issue)}
}

// addCardJobs registers the card jobs: replacement moves.
func addCardJobs(r *jobs.Runner, l *ledger.Ledger, _ *bff.Server) {
	r.Add(jobs.Job{Name: "replacement", Every: time.Hour, Run: func(ctx context.Context) (string, error) {
		n, err := l.MoveReplacedPurses(ctx, replacementBatch)
		return fmt.Sprintf("moved the purse of %d replaced cards", n), err
	}})
}
