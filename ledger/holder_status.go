package ledger

import (
	"context"

	"gorm.io/gorm"
)

// SetFrozen freezes or unfreezes a holder: by the card office, by the
// inactivity job, or at a kiosk after the password. A frozen holder can't pay
// (and, per school policy, can't pass gates); terminals learn it from the
// denylist. Closed holders stay closed. Freezing an already frozen holder (or
// unfreezing an active one) changes nothing and is not an error.
func (l *Ledger) SetFrozen(ctx context.Context, holderID int64, frozen bool) (Holder, error) {
	h, err := l.HolderByID(ctx, holderID)
	if err != nil {
		return Holder{}, err
	}
	if h.Status == StatusClosed {
		return Holder{}, refuse(CodeAccountClosed, "account %s is closed", h.Number)
	}
	from, to, action := StatusActive, StatusFrozen, "add"
	if !frozen {
		from, to, action = StatusFrozen, StatusActive, "remove"
	}
	if h.Status == to {
		return h, nil
	}
	now := l.now()
	err = l.inTx(ctx, func(tx *gorm.DB) error {
		set := map[string]any{"status": to, "updated_at": now}
		if !frozen {
			// An unfrozen holder starts a new inactivity period today.
			set["last_active_at"] = now
		}
		res := tx.Model(&Holder{}).Where("id = ? AND status = ?", holderID, from).Updates(set)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error // changed under us: nothing to record
		}
		if h.Lost {
			return nil // already refused offline for the loss report
		}
		return tx.Exec(`INSERT INTO denylist_events (school_id, holder_id, action, created_at) VALUES (?, ?, ?, ?)`,
			h.SchoolID, holderID, action, now).Error
	})
	if err != nil {
		return Holder{}, err
	}
	return l.HolderByID(ctx, holderID)
}
