package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ecard/ecard/ledger"
)

// group is a command like "school" whose only job is to hold "add".
func group(use, short string, add *cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return fmt.Errorf("%s needs a subcommand: %s", use, add.Name())
		}}
	cmd.AddCommand(add)
	return cmd
}

func (c *cli) schoolCommand() *cobra.Command {
	var code, name, pinyin string
	add := &cobra.Command{
		Use: "add", Short: "open a school with the default policies", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withLedger(cmd.Context(), func(l *ledger.Ledger) error {
				s, err := l.CreateSchool(cmd.Context(), ledger.NewSchool{Code: code, Name: name, Pinyin: pinyin, Policies: ledger.DefaultPolicies()})
				if err != nil {
					return err
				}
				return c.print(s, "school %s (%s) added", s.Code, s.Name)
			})
		},
	}
	add.Flags().StringVar(&code, "code", "", "school code, e.g. pku")
	add.Flags().StringVar(&name, "name", "", "school name")
	add.Flags().StringVar(&pinyin, "pinyin", "", "pinyin initials for search, e.g. bjdx")
	requireFlags(add, "code", "name")
	cmd := group("school", "schools (tenants)", add)
	cmd.AddCommand(c.schoolSetCommand())
	return cmd
}

// schoolID resolves a school code, refusing an unknown one.
func schoolID(ctx context.Context, l *ledger.Ledger, code string) (int64, error) {
	s, err := l.School(ctx, code)
	if err != nil {
		return 0, fmt.Errorf("school %q: %w", code, err)
	}
	return s.ID, nil
}

// schoolHolder finds a holder by school code and number, naming whichever is
// unknown.
func schoolHolder(ctx context.Context, l *ledger.Ledger, school, number string) (int64, ledger.Holder, error) {
	id, err := schoolID(ctx, l, school)
	if err != nil {
		return 0, ledger.Holder{}, err
	}
	h, err := l.Holder(ctx, id, number)
	if err != nil {
		return 0, ledger.Holder{}, fmt.Errorf("holder %q: %w", number, err)
	}
	return id, h, nil
}

// parseTime reads RFC 3339 or a plain date (midnight UTC).
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not RFC 3339 or YYYY-MM-DD", s)
	}
	return t, nil
}

func (c *cli) holderCommand() *cobra.Command {
	var school, number, name, kind, idLast6, expires, dorm string
	add := &cobra.Command{
		Use: "add", Short: "add a holder; the initial password and PIN come from --id-last6", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			in := ledger.NewHolder{Number: number, Name: name, Kind: kind, IDLast6: idLast6, DormBuilding: dorm}
			if expires != "" {
				t, err := parseTime(expires)
				if err != nil {
					return fmt.Errorf("--expires: %w", err)
				}
				in.ExpiresAt = &t
			}
			return c.withLedger(ctx, func(l *ledger.Ledger) error {
				id, err := schoolID(ctx, l, school)
				if err != nil {
					return err
				}
				in.SchoolID = id
				h, err := l.CreateHolder(ctx, in)
				if err != nil {
					return err
				}
				return c.print(h, "holder %s %s (%s) added; initial password and PIN must be changed", h.Number, h.Name, h.Kind)
			})
		},
	}
	add.Flags().StringVar(&school, "school", "", "school code")
	add.Flags().StringVar(&number, "number", "", "student or staff number")
	add.Flags().StringVar(&name, "name", "", "full name")
	add.Flags().StringVar(&kind, "kind", "", "student, staff or visitor")
	add.Flags().StringVar(&idLast6, "id-last6", "", "last six characters of the national ID (X counts as 0)")
	add.Flags().StringVar(&expires, "expires", "", "expiry (RFC 3339 or YYYY-MM-DD); required for visitors")
	add.Flags().StringVar(&dorm, "dorm", "", "dorm building, for dorm gates")
	requireFlags(add, "school", "number", "name", "kind")
	cmd := group("holder", "card holders", add)
	cmd.AddCommand(c.holderCloseCommand())
	return cmd
}

func (c *cli) merchantCommand() *cobra.Command {
	var school, code, name string
	add := &cobra.Command{
		Use: "add", Short: "add a merchant (a canteen window, a shop)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return c.withLedger(ctx, func(l *ledger.Ledger) error {
				id, err := schoolID(ctx, l, school)
				if err != nil {
					return err
				}
				m, err := l.CreateMerchant(ctx, id, code, name)
				if err != nil {
					return err
				}
				return c.print(m, "merchant %s (%s) added", m.Code, m.Name)
			})
		},
	}
	add.Flags().StringVar(&school, "school", "", "school code")
	add.Flags().StringVar(&code, "code", "", "merchant code")
	add.Flags().StringVar(&name, "name", "", "merchant name")
	requireFlags(add, "school", "code", "name")
	return group("merchant", "merchants", add)
}

func (c *cli) terminalCommand() *cobra.Command {
	var school, id, kind, merchant, place string
	add := &cobra.Command{
		Use: "add", Short: "register a terminal; prints its secret once", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return c.withLedger(ctx, func(l *ledger.Ledger) error {
				sid, err := schoolID(ctx, l, school)
				if err != nil {
					return err
				}
				in := ledger.NewTerminal{SchoolID: sid, ID: id, Kind: kind, Place: place}
				if merchant != "" {
					m, err := l.Merchant(ctx, sid, merchant)
					if err != nil {
						return fmt.Errorf("merchant %q: %w", merchant, err)
					}
					in.MerchantID = &m.ID
				}
				t, secret, err := l.CreateTerminal(ctx, in)
				if err != nil {
					return err
				}
				// API.md: the secret is printed once, as JSON, whatever --json says.
				c.json = true
				return c.print(map[string]string{"id": t.ID, "secret": secret}, "")
			})
		},
	}
	add.Flags().StringVar(&school, "school", "", "school code")
	add.Flags().StringVar(&id, "id", "", "terminal id")
	add.Flags().StringVar(&kind, "kind", "", "pos, gate or kiosk")
	add.Flags().StringVar(&merchant, "merchant", "", "merchant code (required for pos)")
	add.Flags().StringVar(&place, "place", "", `where it stands, e.g. "dorm:3" or "library"`)
	requireFlags(add, "school", "id", "kind")
	return group("terminal", "terminals (tills, gates, kiosks)", add)
}

func (c *cli) adminCommand() *cobra.Command {
	var username, password, role string
	add := &cobra.Command{
		Use: "add", Short: "add a card office user", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withLedger(cmd.Context(), func(l *ledger.Ledger) error {
				a, err := l.CreateAdmin(cmd.Context(), username, password, role)
				if err != nil {
					return err
				}
				return c.print(a, "admin %s (%s) added", a.Username, a.Role)
			})
		},
	}
	add.Flags().StringVar(&username, "username", "", "login name")
	add.Flags().StringVar(&password, "password", "", "password (10-128 characters)")
	add.Flags().StringVar(&role, "role", "", "superadmin, operator or auditor")
	requireFlags(add, "username", "password", "role")
	return group("admin", "card office users", add)
}
