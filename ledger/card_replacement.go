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
	var due []struct {
		Card
		WaitDays int
	}
	if err := l.db.WithContext(ctx).Raw(`SELECT c.*, s.replacement_wait_days AS wait_days FROM cards c JOIN schools s ON s.id = c.school_id
		WHERE c.status = 'replaced' AND NOT c.purse_moved ORDER BY c.replaced_at, c.id`).Scan(&due).Error; err != nil {
		return 0, err
	}
	now, done := l.now(), 0
	for _, d := range due {
		if done >= limit {
			break
		}
		if now.Before(d.ReplacedAt.Add(time.Duration(d.WaitDays) * 24 * time.Hour)) {
			continue
		}
		if err := l.moveReplacedPurse(ctx, d.Card); err != nil {
			return done, fmt.Errorf("card %s: %w", d.UID, err)
		}
		done++
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
