package ledger

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// activityGrain is how stale last_active_at may get before a payment or
// top-up writes it again: the freeze counts in days, so a busy holder's row
// is written at most once an hour, not on every payment.
const activityGrain = time.Hour

// markActive records a payment or top-up as the holder's activity inside the
// entry's own transaction: a separate transaction would cost a second commit
// (on SQLite a second fsync) on a holder's first payment of the hour. It runs
// before build locks any account, so the holder row comes first in the lock
// order, as in closing and subsidy issue.
func (l *Ledger) markActive(tx *gorm.DB, e *Entry) error {
	if e.HolderID == nil || (e.Kind != EntryPayment && e.Kind != EntryTopup) {
		return nil
	}
	now := l.now()
	return tx.Exec(`UPDATE holders SET last_active_at = ?
		WHERE id = ? AND (last_active_at IS NULL OR last_active_at < ?)`, now, *e.HolderID, now.Add(-activityGrain)).Error
}

// maxFreezeBatch bounds one run of the freeze job.
const maxFreezeBatch = 10000

// FreezeInactive freezes up to limit active holders whose last payment,
// top-up or passage (or, never active, their creation) is older than their
// school's inactivity period. Each goes through SetFrozen, so terminals hear
// of it on the denylist. Running it again freezes nobody twice.
func (l *Ledger) FreezeInactive(ctx context.Context, limit int) (int, error) {
	if limit <= 0 || limit > maxFreezeBatch {
		return 0, fmt.Errorf("ledger: limit must be 1 to %d", maxFreezeBatch)
	}
	schools, err := l.Schools(ctx)
	if err != nil {
		return 0, err
	}
	now := l.now()
	frozen := 0
	for _, s := range schools {
		if frozen >= limit {
			break
		}
		cutoff := now.AddDate(0, 0, -s.InactivityFreezeDays)
		var ids []int64
		if err := l.db.WithContext(ctx).Raw(`SELECT id FROM holders
			WHERE school_id = ? AND status = ? AND (expires_at IS NULL OR expires_at > ?)
			AND (last_active_at < ? OR (last_active_at IS NULL AND created_at < ?))
			ORDER BY id LIMIT ?`, s.ID, StatusActive, now, cutoff, cutoff, limit-frozen).Scan(&ids).Error; err != nil {
			return frozen, err
		}
		for _, id := range ids {
			switch _, err := l.SetFrozen(ctx, id, true); {
			case err == nil:
				frozen++
			case ErrorCode(err) != CodeAccountClosed: // closed meanwhile: nothing to freeze
				return frozen, err
			}
		}
	}
	return frozen, nil
}
