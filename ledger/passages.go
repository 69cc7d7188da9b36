package ledger

import (
	"context"
	"time"

	"gorm.io/gorm/clause"
)

// Passage is one decision at a gate, allowed or refused.
type Passage struct {
	ID         int64     `json:"id"`
	SchoolID   int64     `json:"school_id"`
	TerminalID string    `json:"terminal_id"`
	HolderID   *int64    `json:"holder_id,omitempty"`
	RequestID  string    `json:"request_id"`
	Decision   string    `json:"decision"`
	Reason     string    `json:"reason"`
	CreatedAt  time.Time `json:"created_at"`
}

// RecordPassage logs a gate decision once per (terminal, request id) and
// returns the first record on a retry. The holder hears of it as an access
// notice, and the passage counts as activity.
func (l *Ledger) RecordPassage(ctx context.Context, p Passage) (Passage, error) {
	if err := validKey(p.RequestID); err != nil {
		return Passage{}, err
	}
	p.CreatedAt = l.now()
	res := l.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&p)
	if res.Error != nil {
		return Passage{}, res.Error
	}
	if res.RowsAffected == 0 {
		var first Passage
		err := l.db.WithContext(ctx).Where("terminal_id = ? AND request_id = ?", p.TerminalID, p.RequestID).Take(&first).Error
		return first, err
	}
	if p.HolderID != nil {
		if p.Decision == "allow" {
			l.db.WithContext(ctx).Model(&Holder{}).Where("id = ?", *p.HolderID).Update("last_active_at", p.CreatedAt)
		}
		if err := l.AddNotice(ctx, p.SchoolID, *p.HolderID, "access", map[string]any{
			"terminal": p.TerminalID, "decision": p.Decision, "reason": p.Reason, "created_at": p.CreatedAt,
		}); err != nil {
			return p, err
		}
	}
	return p, nil
}

// DenylistChange is a holder added to or removed from the offline denylist.
type DenylistChange struct {
	Version  int64  `json:"version"`
	HolderID int64  `json:"holder_id"`
	Number   string `json:"number"`
	// CardUID names one replaced card; empty for the holder as a whole.
	CardUID string `json:"card_uid,omitempty"`
	Action  string `json:"action"`
}

// maxDenylistPage bounds one answer; a terminal asks again from the version it got.
const maxDenylistPage = 1000

// Denylist returns the changes after version since, oldest first, and the
// version to ask from next time.
func (l *Ledger) Denylist(ctx context.Context, schoolID, since int64) ([]DenylistChange, int64, error) {
	var rows []DenylistChange
	err := l.db.WithContext(ctx).Raw(`SELECT d.id AS version, d.holder_id, h.number, COALESCE(d.card_uid, '') AS card_uid, d.action FROM denylist_events d
		JOIN holders h ON h.id = d.holder_id WHERE d.school_id = ? AND d.id > ? ORDER BY d.id LIMIT ?`,
		schoolID, since, maxDenylistPage).Scan(&rows).Error
	if err != nil {
		return nil, 0, err
	}
	version := since
	if len(rows) > 0 {
		version = rows[len(rows)-1].Version
	}
	return rows, version, nil
}
