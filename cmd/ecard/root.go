package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// cli carries what every command shares: where output goes, the environment,
// and the global flags.
type cli struct {
	getenv     func(string) string
	stdout     io.Writer
	stderr     io.Writer
	configFile string
	json       bool
}

func newRootCommand(getenv func(string) string, stdout, stderr io.Writer) *cobra.Command {
	c := &cli{getenv: getenv, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "ecard",
		Short:         "ecard campus card system (校园一卡通)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&c.configFile, "config", "", "configuration file (default: embedded configs/ecard.yaml)")
	root.PersistentFlags().BoolVar(&c.json, "json", false, "print JSON")
	root.AddCommand(
		c.serveCommand(),
		c.migrateCommand(),
		c.schoolCommand(),
		c.holderCommand(),
		c.merchantCommand(),
		c.terminalCommand(),
		c.adminCommand(),
		c.ledgerCommand(),
		c.posCommand(),
		c.keysCommand(),
		c.jobsCommand(),
		c.topupCommand(),
		c.reconcileCommand(),
		c.backupCommand(),
	)
	root.AddCommand(c.officeCommands()...)
	root.AddCommand(c.cardCommands()...)
	return root
}

// print writes v as JSON with --json, else the human line.
func (c *cli) print(v any, human string, args ...any) error {
	if c.json {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(v)
	}
	_, err := fmt.Fprintf(c.stdout, human+"\n", args...)
	return err
}

// requireFlags refuses a command whose required flags are missing, before it
// touches anything.
func requireFlags(cmd *cobra.Command, names ...string) {
	for _, n := range names {
		_ = cmd.MarkFlagRequired(n)
	}
}
