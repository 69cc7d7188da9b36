package main

import (
	"github.com/spf13/cobra"

	"github.com/ecard/ecard/bff"
	"github.com/ecard/ecard/jobs"
	"github.com/ecard/ecard/ledger"
)

// officeCommands are the card office's commands: subsidies, closing, visitors.
func (c *cli) officeCommands() []*cobra.Command { return nil }

// addOfficeJobs registers the office's scheduled jobs: freezes, subsidy expiry.
func addOfficeJobs(r *jobs.Runner, l *ledger.Ledger, srv *bff.Server) {}
