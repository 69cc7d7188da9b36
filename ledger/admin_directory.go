package ledger

import (
	"context"
	"time"
)

// Merchants lists a school's merchants by code.
func (l *Ledger) Merchants(ctx context.Context, schoolID int64) ([]Merchant, error) {
	var out []Merchant
	return out, l.db.WithContext(ctx).Where("school_id = ?", schoolID).Order("code").Limit(10000).Find(&out).Error
}

// Terminals lists a school's terminals by id.
func (l *Ledger) Terminals(ctx context.Context, schoolID int64) ([]Terminal, error) {
	var out []Terminal
	return out, l.db.WithContext(ctx).Where("school_id = ?", schoolID).Order("id").Limit(10000).Find(&out).Error
}

// Terminal statuses.
const (
	TerminalActive   = "active"
	TerminalDisabled = "disabled"
)

// SetTerminalStatus enables or disables a terminal. The gateway refuses a
// disabled terminal (TERMINAL_AUTH) once its short cache of the terminal
// runs out.
func (l *Ledger) SetTerminalStatus(ctx context.Context, id string, enabled bool) (Terminal, error) {
	status := TerminalDisabled
	if enabled {
		status = TerminalActive
	}
	db := l.db.WithContext(ctx)
	var t Terminal
	if err := first(db, &t, "terminal", "id = ?", id); err != nil {
		return Terminal{}, err
	}
	if err := db.Model(&Terminal{}).Where("id = ?", id).Update("status", status).Error; err != nil {
		return Terminal{}, err
	}
	t.Status = status
	return t, nil
}

// touchEvery bounds how often a terminal's last_seen_at is written.
const touchEvery = time.Minute

// TouchTerminal records that a terminal was heard from; the conditional
// update writes at most once a minute per terminal.
func (l *Ledger) TouchTerminal(ctx context.Context, id string, at time.Time) error {
	return l.db.WithContext(ctx).Model(&Terminal{}).
		Where("id = ? AND (last_seen_at IS NULL OR last_seen_at < ?)", id, at.UTC().Add(-touchEvery)).
		Update("last_seen_at", at.UTC()).Error
}

// Admins lists the card office's users by name.
func (l *Ledger) Admins(ctx context.Context) ([]Admin, error) {
	var out []Admin
	return out, l.db.WithContext(ctx).Order("username").Limit(10000).Find(&out).Error
}

// SettlementLine is what one merchant took on one school day: payments and
// refunds, counted and summed, and the net owed to it.
type SettlementLine struct {
	Merchant   string `json:"merchant"`
	Name       string `json:"name"`
	Payments   int64  `json:"payments"`
	PaymentFen int64  `json:"payment_fen"`
	Refunds    int64  `json:"refunds"`
	RefundFen  int64  `json:"refund_fen"`
	NetFen     int64  `json:"net_fen"`
}

// Settlement sums each merchant's payment and refund entries created in
// [from, to), by merchant code. Refunds count on the day they were made.
func (l *Ledger) Settlement(ctx context.Context, schoolID int64, from, to time.Time) ([]SettlementLine, error) {
	var out []SettlementLine
	err := l.db.WithContext(ctx).Raw(`
		SELECT m.code AS merchant, m.name AS name,
		       SUM(CASE WHEN e.kind = 'payment' THEN 1 ELSE 0 END) AS payments,
		       SUM(CASE WHEN e.kind = 'payment' THEN e.amount_fen ELSE 0 END) AS payment_fen,
		       SUM(CASE WHEN e.kind = 'refund' THEN 1 ELSE 0 END) AS refunds,
		       SUM(CASE WHEN e.kind = 'refund' THEN e.amount_fen ELSE 0 END) AS refund_fen
		FROM entries e JOIN merchants m ON m.id = e.merchant_id
		WHERE e.school_id = ? AND e.kind IN ('payment', 'refund') AND e.created_at >= ? AND e.created_at < ?
		GROUP BY m.code, m.name ORDER BY m.code`, schoolID, from.UTC(), to.UTC()).Scan(&out).Error
	for i := range out {
		out[i].NetFen = out[i].PaymentFen - out[i].RefundFen
	}
	return out, err
}
