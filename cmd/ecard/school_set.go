package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ecard/ecard/ledger"
)

// schoolSetCommand is `ecard school set --school C --per-payment-limit-fen 2000 ...`:
// one flag per policy, named after its key with "-" for "_". Only the flags
// given change; a refused value changes nothing. Every call is written to the
// admin audit log as done by "cli".
func (c *cli) schoolSetCommand() *cobra.Command {
	var school string
	keys := ledger.PolicyKeys()
	defaults := map[string]any{}
	raw, _ := json.Marshal(ledger.DefaultPolicies())
	_ = json.Unmarshal(raw, &defaults)
	values := make(map[string]*string, len(keys))
	cmd := &cobra.Command{
		Use:   "set",
		Short: "change a school's policies (limits, offline caps, code lifetime, freeze, replacement, top-up bounds, fee ...)",
		Long: "Change a school's policies. Amounts are in fen. Only the flags given change; the new values are\n" +
			"checked together and a refused change changes nothing. Every node reads the new values on its\n" +
			"next request. The change is written to the admin audit log.\n\n" +
			"Example: ecard school set --school bjtu-wh --per-payment-limit-fen 2000 --code-lifetime-seconds 45",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			patch := map[string]json.RawMessage{}
			for _, k := range keys {
				if !cmd.Flags().Changed(flagName(k)) {
					continue
				}
				v := *values[k]
				if _, isText := defaults[k].(string); isText {
					quoted, _ := json.Marshal(v)
					patch[k] = quoted
				} else {
					patch[k] = json.RawMessage(v)
				}
			}
			ctx := cmd.Context()
			return c.withLedger(ctx, func(l *ledger.Ledger) error {
				s, changes, err := l.SetPolicies(ctx, school, patch)
				entry := ledger.AuditEntry{Username: "cli", Role: "cli", Action: "ecard school set", Target: "school:" + school,
					Detail: ledger.DescribeChanges(changes), Outcome: "ok"}
				if err != nil {
					entry.Detail, entry.Outcome = describePatch(patch), ledger.ErrorCode(err)
					if entry.Outcome == "" {
						entry.Outcome = "error"
					}
				}
				if _, aerr := l.Audit(ctx, entry); aerr != nil && err == nil {
					return aerr
				}
				if err != nil {
					return err
				}
				out := struct {
					Code     string                `json:"code"`
					Policies ledger.Policies       `json:"policies"`
					Changes  []ledger.PolicyChange `json:"changes"`
				}{s.Code, s.Policies, changes}
				if out.Changes == nil {
					out.Changes = []ledger.PolicyChange{}
				}
				return c.print(out, "school %s: %s", s.Code, ledger.DescribeChanges(changes))
			})
		},
	}
	cmd.Flags().StringVar(&school, "school", "", "school code")
	for _, k := range keys {
		values[k] = new(string)
		cmd.Flags().StringVar(values[k], flagName(k), "", fmt.Sprintf("%s (default for a new school: %v)", k, defaults[k]))
	}
	requireFlags(cmd, "school")
	return cmd
}

func flagName(key string) string { return strings.ReplaceAll(key, "_", "-") }

// describePatch names what a refused call asked for, for the audit log.
func describePatch(patch map[string]json.RawMessage) string {
	parts := make([]string, 0, len(patch))
	for _, k := range ledger.PolicyKeys() {
		if v, ok := patch[k]; ok {
			parts = append(parts, k+"="+string(v))
		}
	}
	return "refused: " + strings.Join(parts, "; ")
}
