package ledger

import (
	"context"
	"fmt"
	"strings"
)

// Check is one invariant and what broke it.
type Check struct {
	Name     string   `json:"name"`
	OK       bool     `json:"ok"`
	Problems []string `json:"problems,omitempty"`
}

// Report is the outcome of Verify.
type Report struct {
	OK     bool    `json:"ok"`
	Checks []Check `json:"checks"`
}

// maxProblems bounds what one check reports.
const maxProblems = 50

type invariant struct {
	name  string
	query string // each row it returns is one problem; {S} scopes to a school
}

// invariants are recomputed from transfers, holds and entries alone, never
// from the stored balances they check.
var invariants = []invariant{
	{"every school's accounts sum to zero", `
		SELECT 'school ' || CAST(a.school_id AS TEXT) || ' sums to ' || CAST(SUM(a.balance_fen) AS TEXT)
		FROM accounts a WHERE 1=1 {S:a} GROUP BY a.school_id HAVING SUM(a.balance_fen) <> 0`},
	{"no holder account below zero", `
		SELECT 'account ' || CAST(a.id AS TEXT) || ' (' || a.kind || ' of holder ' || CAST(a.holder_id AS TEXT) || ') balance '
			|| CAST(a.balance_fen AS TEXT) || ' held ' || CAST(a.held_fen AS TEXT)
		FROM accounts a JOIN schools s ON s.id = a.school_id
		WHERE a.holder_id IS NOT NULL AND (a.balance_fen < 0 OR a.held_fen < 0 OR a.balance_fen - a.held_fen < 0) {S:a}
		-- A card purse alone may be below zero: by settled offline spending
		-- that recorded the debt, and never beyond the school's offline cap.
		AND NOT (a.kind = 'purse' AND a.held_fen = 0 AND a.balance_fen >= -s.offline_cap_per_holder_fen
			AND EXISTS (SELECT 1 FROM offline_records o WHERE o.holder_id = a.holder_id AND o.debt_fen > 0))`},
	{"each balance equals its transfers", `
		SELECT 'account ' || CAST(a.id AS TEXT) || ' stores ' || CAST(a.balance_fen AS TEXT) || ', transfers give '
			|| CAST(COALESCE(i.s, 0) - COALESCE(o.s, 0) AS TEXT)
		FROM accounts a
		LEFT JOIN (SELECT to_account_id AS id, SUM(amount_fen) AS s FROM transfers t WHERE 1=1 {S:t} GROUP BY to_account_id) i ON i.id = a.id
		LEFT JOIN (SELECT from_account_id AS id, SUM(amount_fen) AS s FROM transfers t WHERE 1=1 {S:t} GROUP BY from_account_id) o ON o.id = a.id
		WHERE a.balance_fen <> COALESCE(i.s, 0) - COALESCE(o.s, 0) {S:a}`},
	{"each held amount equals its open holds", `
		SELECT 'account ' || CAST(a.id AS TEXT) || ' holds ' || CAST(a.held_fen AS TEXT) || ', open holds give ' || CAST(COALESCE(h.s, 0) AS TEXT)
		FROM accounts a
		LEFT JOIN (SELECT h.from_account_id AS id, SUM(h.amount_fen) AS s FROM holds h
			WHERE NOT EXISTS (SELECT 1 FROM entries r WHERE r.hold_of = h.entry_id) {S:h} GROUP BY h.from_account_id) h ON h.id = a.id
		WHERE a.held_fen <> COALESCE(h.s, 0) {S:a}`},
	{"no idempotency key posted twice", `
		SELECT 'key ' || e.idempotency_key || ' posted ' || CAST(COUNT(*) AS TEXT) || ' times'
		FROM entries e WHERE 1=1 {S:e} GROUP BY e.idempotency_key HAVING COUNT(*) > 1`},
	{"no hold resolved twice", `
		SELECT 'hold ' || CAST(e.hold_of AS TEXT) || ' resolved ' || CAST(COUNT(*) AS TEXT) || ' times'
		FROM entries e WHERE e.hold_of IS NOT NULL {S:e} GROUP BY e.hold_of HAVING COUNT(*) > 1`},
	{"refunds never exceed their payment", `
		SELECT 'payment ' || CAST(p.id AS TEXT) || ' of ' || CAST(p.amount_fen AS TEXT) || ' refunded '
			|| CAST(COALESCE(SUM(r.amount_fen), 0) AS TEXT) || ' (counter ' || CAST(p.refunded_fen AS TEXT) || ')'
		FROM entries p LEFT JOIN entries r ON r.refund_of = p.id
		WHERE p.kind = 'payment' {S:p}
		GROUP BY p.id, p.amount_fen, p.refunded_fen
		HAVING COALESCE(SUM(r.amount_fen), 0) > p.amount_fen OR COALESCE(SUM(r.amount_fen), 0) <> p.refunded_fen`},
	{"refunds point at payments", `
		SELECT 'refund ' || CAST(r.id AS TEXT) || ' points at ' || p.kind || ' ' || CAST(p.id AS TEXT)
		FROM entries r JOIN entries p ON p.id = r.refund_of
		WHERE p.kind <> 'payment' OR p.holder_id <> r.holder_id OR p.merchant_id <> r.merchant_id {S:r}`},
	{"each entry's transfers add up to its amount", `
		SELECT e.kind || ' ' || CAST(e.id AS TEXT) || ' of ' || CAST(e.amount_fen AS TEXT) || ' moved ' || CAST(COALESCE(t.s, 0) AS TEXT)
		FROM entries e
		LEFT JOIN (SELECT entry_id, SUM(amount_fen) AS s FROM transfers t WHERE 1=1 {S:t} GROUP BY entry_id) t ON t.entry_id = e.id
		WHERE COALESCE(t.s, 0) <> CASE WHEN e.kind IN ('reserve', 'void') THEN 0 ELSE e.amount_fen END {S:e}`},
	{"transfers stay inside one school", `
		SELECT 'transfer ' || CAST(t.id AS TEXT) || ' crosses schools'
		FROM transfers t JOIN accounts f ON f.id = t.from_account_id JOIN accounts d ON d.id = t.to_account_id
		WHERE (f.school_id <> t.school_id OR d.school_id <> t.school_id) {S:t}`},
}

// Verify recomputes every balance from the transfers and checks every
// invariant, for one school (schoolID > 0) or all (schoolID == 0).
func (l *Ledger) Verify(ctx context.Context, schoolID int64) (Report, error) {
	report := Report{OK: true}
	for _, inv := range invariants {
		query := scope(inv.query, schoolID)
		var problems []string
		if err := l.db.WithContext(ctx).Raw(query + fmt.Sprintf(" LIMIT %d", maxProblems)).Scan(&problems).Error; err != nil {
			return Report{}, fmt.Errorf("verify %q: %w", inv.name, err)
		}
		report.Checks = append(report.Checks, Check{Name: inv.name, OK: len(problems) == 0, Problems: problems})
		report.OK = report.OK && len(problems) == 0
	}
	return report, nil
}

// scope replaces each {S:alias} with a school filter on that alias, or nothing.
func scope(query string, schoolID int64) string {
	for {
		i := strings.Index(query, "{S:")
		if i < 0 {
			return query
		}
		j := strings.Index(query[i:], "}")
		alias := query[i+3 : i+j]
		cond := ""
		if schoolID > 0 {
			cond = fmt.Sprintf("AND %s.school_id = %d", alias, schoolID)
		}
		query = query[:i] + cond + query[i+j+1:]
	}
}
