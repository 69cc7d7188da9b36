package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ecard/ecard/ledger/sqlite"
)

// backupCommand writes a consistent copy of the SQLite database while the
// server keeps serving: VACUUM INTO reads one snapshot under WAL, so the copy
// is the database as of one committed transaction, never a half-written one.
// PostgreSQL has its own tools (README: Backups).
func (c *cli) backupCommand() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use: "backup", Short: "write a consistent copy of the SQLite database, safe while serving", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			if cfg.Database.URL != "" {
				return errors.New("backup copies the SQLite database; back up PostgreSQL with pg_dump or a base backup and WAL archiving (README: Backups)")
			}
			if _, err := os.Stat(out); err == nil {
				return fmt.Errorf("%s exists; backup never overwrites a file", out)
			}
			db, err := sqlite.Open(cmd.Context(), filepath.Join(cfg.DataDir, "ecard.db"))
			if err != nil {
				return err
			}
			defer closeDatabase(db)
			if err := db.WithContext(cmd.Context()).Exec("VACUUM INTO ?", out).Error; err != nil {
				return fmt.Errorf("backup: %w", err)
			}
			info, err := os.Stat(out)
			if err != nil {
				return err
			}
			return c.print(map[string]any{"out": out, "bytes": info.Size()}, "backup written to %s (%d bytes)", out, info.Size())
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "the file to write (must not exist)")
	requireFlags(cmd, "out")
	return cmd
}
