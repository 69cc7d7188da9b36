package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ecard/ecard/ledger"
)

func (c *cli) migrateCommand() *cobra.Command {
	return &cobra.Command{
		Use: "migrate", Short: "bring the database schema up to date", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			db, where, err := openDatabase(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer closeDatabase(db)
			return c.print(map[string]string{"database": where, "status": "up to date"}, "%s: schema up to date", where)
		},
	}
}

func (c *cli) ledgerCommand() *cobra.Command {
	var school string
	verify := &cobra.Command{
		Use: "verify", Short: "recompute every balance from the transfers and check every invariant", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return c.withLedger(ctx, func(l *ledger.Ledger) error {
				var id int64
				if school != "" {
					var err error
					if id, err = schoolID(ctx, l, school); err != nil {
						return err
					}
				}
				report, err := l.Verify(ctx, id)
				if err != nil {
					return err
				}
				if c.json {
					if err := c.print(report, ""); err != nil {
						return err
					}
				} else {
					for _, check := range report.Checks {
						mark := "ok  "
						if !check.OK {
							mark = "FAIL"
						}
						fmt.Fprintf(c.stdout, "%s %s\n", mark, check.Name)
						for _, p := range check.Problems {
							fmt.Fprintf(c.stdout, "       %s\n", p)
						}
					}
				}
				if !report.OK {
					return errors.New("ledger verify: invariants broken")
				}
				return nil
			})
		},
	}
	verify.Flags().StringVar(&school, "school", "", "check one school only")
	return group("ledger", "the ledger", verify)
}
