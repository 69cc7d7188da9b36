package main

import (
	"errors"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/ecard/ecard/bff"
	"github.com/ecard/ecard/ledger"
	"github.com/ecard/ecard/reconcile"
)

func (c *cli) topupCommand() *cobra.Command {
	var orderNo string
	refund := &cobra.Command{
		Use: "refund", Short: "refund a paid top-up through its provider, while its money is unspent", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withServer(cmd.Context(), func(_ *ledger.Ledger, srv *bff.Server, _ *slog.Logger) error {
				o, err := srv.RefundOrder(cmd.Context(), orderNo)
				if err != nil {
					return err
				}
				return c.print(o, "order %s: %s", o.OrderNo, o.Status)
			})
		},
	}
	refund.Flags().StringVar(&orderNo, "order", "", "order number")
	requireFlags(refund, "order")
	return group("topup", "top-up orders", refund)
}

func (c *cli) reconcileCommand() *cobra.Command {
	var provider, date, file string
	cmd := &cobra.Command{
		Use:   "reconcile",
		Short: "match a provider's daily bill line by line against the ledger; exit 1 when they differ",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := os.Open(file)
			if err != nil {
				return err
			}
			defer f.Close()
			return c.withLedger(cmd.Context(), func(l *ledger.Ledger) error {
				rep, err := reconcile.Run(cmd.Context(), l, provider, date, "cli", f)
				if err != nil {
					return err
				}
				if err := c.print(rep, "%s %s: %d bill lines, %d ledger records, %d matched, %d missing here, %d missing there, %d amount mismatches",
					provider, date, rep.BillLines, rep.LedgerRecords, rep.Matched, len(rep.MissingHere), len(rep.MissingThere), len(rep.Mismatches)); err != nil {
					return err
				}
				if !rep.OK() {
					return errors.New("reconcile: the bill and the ledger differ")
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&provider, "provider", "", "wechatpay or alipay")
	cmd.Flags().StringVar(&date, "date", "", "bill day, YYYY-MM-DD (China time)")
	cmd.Flags().StringVar(&file, "bill", "", "the provider's bill file (CSV as downloaded)")
	requireFlags(cmd, "provider", "date", "bill")
	return cmd
}
