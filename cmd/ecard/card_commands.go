package main

import (
	"github.com/spf13/cobra"

	"github.com/ecard/ecard/bff"
	"github.com/ecard/ecard/jobs"
	"github.com/ecard/ecard/ledger"
)

// cardCommands are the physical-card commands.
func (c *cli) cardCommands() []*cobra.Command { return nil }

// addCardJobs registers the card jobs: replacement moves.
func addCardJobs(r *jobs.Runner, l *ledger.Ledger, srv *bff.Server) {}
