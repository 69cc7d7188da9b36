package ledger

import (
	"context"
	"fmt"
	"time"
)

// MoveReplacedPurses moves the purse balance of replaced cards whose waiting
// period (the school's replacement_wait_days) has passed onto the new card:
// into pending (待圈存), which the next tap or kiosk visit writes onto the new
// chip. The amount is what the old chip held at replacement less the offline
// spending of the old card uploaded since. Once per card: the move's key
// names the card. It returns how many cards it settled.
func (l *Ledger) MoveReplacedPurses(ctx context.Context, limit int) (int, error) {
	if limit <= 0 || limit > 10000 {
		return 0, fmt.Errorf("ledger: limit must be 1 to 10000")
	}
	schools, err := l.Schools(ctx)
	if err != nil {
		return 0, err
	}
	now, done := l.now(), 0
	for _, school := range schools {
		// Only cards past this school's waiting period, oldest first, and no
		// more than the run may still settle: the query is bounded.
		cutoff := now.Add(-time.Duration(school.ReplacementWaitDays) * 24 * time.Hour)
		var due []Card
		if err := l.db.WithContext(ctx).Where("school_id = ? AND status = ? AND NOT purse_moved AND replaced_at <= ?",
			school.ID, CardReplaced, cutoff).Order("replaced_at, id").Limit(limit - done).Find(&due).Error; err != nil {
			return done, err
		}
		for _, c := range due {
			if err := l.moveReplacedPurse(ctx, c); err != nil {
				return done, fmt.Errorf("card %s: %w", c.UID, err)
			}
			done++
		}
		if done >= limit {
			break
		}
	}
	return done, nil
}

func (l *Ledger) moveReplacedPurse(ctx context.Context, c Card) error {
	key := fmt.Sprintf("replacement:%d", c.ID)
	_, moved, err := l.entryByKey(ctx, key)
	if err != nil {
		return err
	}
	if !moved {
		var spentSince int64
		if err := l.db.WithContext(ctx).Raw(`SELECT COALESCE(SUM(amount_fen), 0) FROM offline_records WHERE card_id = ? AND created_at >= ?`,
			c.ID, *c.ReplacedAt).Scan(&spentSince).Error; err != nil {
			return err
		}
		b, err := l.HolderBalances(ctx, c.HolderID)
		if err != nil {
			return err
		}
		amount := min(c.PurseAtReplace-spentSince, b.PurseFen)
		if amount > 0 {
			_, err := l.Move(ctx, Move{Key: key, SchoolID: c.SchoolID, HolderID: c.HolderID, From: Purse, To: Pending,
				AmountFen: amount, Memo: "补卡 old card's purse to the new card"})
			if err != nil && ErrorCode(err) != CodeAccountClosed {
				return err
			}
		}
	}
	return l.db.WithContext(ctx).Model(&Card{}).Where("id = ?", c.ID).Update("purse_moved", true).Error
}
