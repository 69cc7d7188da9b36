package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/ecard/ecard/bff"
	"github.com/ecard/ecard/jobs"
	"github.com/ecard/ecard/ledger"
)

// officeCommands are the card office's commands: subsidies, closing, visitors.
func (c *cli) officeCommands() []*cobra.Command { return []*cobra.Command{c.subsidyCommand()} }

// Batches of the office's jobs: each run does at most this much.
const (
	freezeBatch        = 1000
	subsidyExpiryBatch = 1000
)

// addOfficeJobs registers the office's scheduled jobs: freezes, subsidy expiry.
func addOfficeJobs(r *jobs.Runner, l *ledger.Ledger, _ *bff.Server) {
	r.Add(jobs.Job{Name: "freeze", Every: time.Hour, Run: func(ctx context.Context) (string, error) {
		n, err := l.FreezeInactive(ctx, freezeBatch)
		return fmt.Sprintf("froze %d inactive holders", n), err
	}})
	r.Add(jobs.Job{Name: "subsidy-expiry", Every: 10 * time.Minute, Run: func(ctx context.Context) (string, error) {
		n, fen, err := l.ExpireSubsidies(ctx, subsidyExpiryBatch)
		return fmt.Sprintf("returned %d fen of %d expired subsidy lines to the fund", fen, n), err
	}})
}

func (c *cli) subsidyCommand() *cobra.Command {
	var school, file, name, key string
	issue := &cobra.Command{
		Use:   "issue",
		Short: "issue a subsidy batch from CSV (number,amount,expires_at; amount in fen), all lines or none",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			raw, err := os.ReadFile(file)
			if err != nil {
				return err
			}
			lines, err := ledger.ParseSubsidyCSV(bytes.NewReader(raw))
			if err != nil {
				return c.lineErrors(err)
			}
			if key == "" {
				// The same file for the same school and name is the same batch.
				sum := sha256.Sum256(append([]byte(school+"\x1f"+name+"\x1f"), raw...))
				key = "cli:" + hex.EncodeToString(sum[:16])
			}
			return c.withLedger(ctx, func(l *ledger.Ledger) error {
				id, err := schoolID(ctx, l, school)
				if err != nil {
					return err
				}
				b, created, err := l.IssueSubsidies(ctx, ledger.NewSubsidyBatch{SchoolID: id, Name: name, Key: key,
					CreatedBy: "cli", Lines: lines})
				if err != nil {
					return c.lineErrors(err)
				}
				what := "issued"
				if !created {
					what = "already issued"
				}
				return c.print(b, "batch %d %q %s: %d lines, %d fen", b.ID, b.Name, what, b.LineCount, b.IssuedFen)
			})
		},
	}
	issue.Flags().StringVar(&school, "school", "", "school code")
	issue.Flags().StringVar(&file, "file", "", "CSV file with the header number,amount,expires_at")
	issue.Flags().StringVar(&name, "name", "", "batch name (default: 补助 and today's date)")
	issue.Flags().StringVar(&key, "key", "", "idempotency key (default: derived from school, name and file)")
	requireFlags(issue, "school", "file")

	var batchID int64
	report := &cobra.Command{
		Use: "report", Short: "a batch's issued, spent, expired and remaining amounts", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withLedger(cmd.Context(), func(l *ledger.Ledger) error {
				b, err := l.SubsidyBatch(cmd.Context(), batchID)
				if err != nil {
					return err
				}
				return c.print(b, "batch %d %q: issued %d, spent %d, expired %d, returned %d, remaining %d fen",
					b.ID, b.Name, b.IssuedFen, b.SpentFen, b.ExpiredFen, b.ReturnedFen, b.RemainingFen)
			})
		},
	}
	report.Flags().Int64Var(&batchID, "id", 0, "batch id")
	requireFlags(report, "id")
	cmd := group("subsidy", "subsidy batches", issue)
	cmd.AddCommand(report)
	return cmd
}

// lineErrors prints every bad line of a refused batch before failing.
func (c *cli) lineErrors(err error) error {
	var be *ledger.BatchError
	if !errors.As(err, &be) {
		return err
	}
	for _, ln := range be.Lines {
		fmt.Fprintf(c.stderr, "line %d: %s\n", ln.Line, ln.Message)
	}
	return fmt.Errorf("subsidy batch refused, nothing issued: %d bad lines", len(be.Lines))
}

// holderCloseCommand is `ecard holder close`: graduation at the counter.
func (c *cli) holderCloseCommand() *cobra.Command {
	var school, number, method, reference string
	cmd := &cobra.Command{
		Use:   "close",
		Short: "close an account: pay out wallet, pending and purse (cash or bank), return subsidy to the fund",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return c.withLedger(ctx, func(l *ledger.Ledger) error {
				_, h, err := schoolHolder(ctx, l, school, number)
				if err != nil {
					return err
				}
				cl, err := l.CloseHolder(ctx, ledger.CloseAccount{HolderID: h.ID, Method: method, Reference: reference, By: "cli"})
				if err != nil {
					return err
				}
				return c.print(cl, "holder %s closed, receipt %s: paid out %d fen (wallet %d, pending %d, purse %d) by %s; %d fen subsidy back to the fund",
					h.Number, cl.Receipt, cl.WalletRefundFen+cl.PendingRefundFen+cl.PurseRefundFen, cl.WalletRefundFen,
					cl.PendingRefundFen, cl.PurseRefundFen, cl.Method, cl.SubsidyReturnedFen)
			})
		},
	}
	cmd.Flags().StringVar(&school, "school", "", "school code")
	cmd.Flags().StringVar(&number, "number", "", "holder number")
	cmd.Flags().StringVar(&method, "method", "", "cash or bank")
	cmd.Flags().StringVar(&reference, "reference", "", "bank transfer reference or other note")
	requireFlags(cmd, "school", "number", "method")
	return cmd
}
