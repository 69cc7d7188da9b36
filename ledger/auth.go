package ledger

import (
	"context"
	"regexp"
)

var pinPattern = regexp.MustCompile(`^[0-9]{6}$`)

// CheckPIN verifies a holder's payment PIN. Failures are counted with a
// conditional update; at the school's maximum the PIN locks until the card
// office or the holder resets it.
func (l *Ledger) CheckPIN(ctx context.Context, holderID int64, pin string) error {
	h, err := l.HolderByID(ctx, holderID)
	if err != nil {
		return err
	}
	school, err := l.SchoolByID(ctx, h.SchoolID)
	if err != nil {
		return err
	}
	if pin = typedInitial(school, h.MustChangePIN, pin); !pinPattern.MatchString(pin) {
		return refuse(CodeInvalidRequest, "PIN must be 6 digits")
	}
	maxFailures := school.PINMaxFailures
	if h.PINFailures >= maxFailures {
		return refuse(CodePINLocked, "PIN locked after %d wrong attempts", maxFailures)
	}
	db := l.db.WithContext(ctx)
	if matches(pin, h.PINHash) {
		if h.PINFailures > 0 {
			return db.Model(&Holder{}).Where("id = ?", holderID).Update("pin_failures", 0).Error
		}
		return nil
	}
	var failures []int
	if err := db.Raw(`UPDATE holders SET pin_failures = pin_failures + 1 WHERE id = ? AND pin_failures < ? RETURNING pin_failures`,
		holderID, maxFailures).Scan(&failures).Error; err != nil {
		return err
	}
	if len(failures) == 0 || failures[0] >= maxFailures {
		return refuse(CodePINLocked, "PIN locked after %d wrong attempts", maxFailures)
	}
	return refuse(CodeWrongPIN, "wrong PIN, %d attempts left", maxFailures-failures[0])
}

// SetPIN replaces a holder's PIN and unlocks it.
func (l *Ledger) SetPIN(ctx context.Context, holderID int64, pin string) error {
	if !pinPattern.MatchString(pin) {
		return refuse(CodeInvalidRequest, "PIN must be 6 digits")
	}
	hash, err := l.argon2.hash(pin)
	if err != nil {
		return err
	}
	return l.updateHolder(ctx, holderID, map[string]any{"pin_hash": hash, "pin_failures": 0, "must_change_pin": false})
}

func (l *Ledger) updateHolder(ctx context.Context, holderID int64, set map[string]any) error {
	set["updated_at"] = l.now()
	res := l.db.WithContext(ctx).Model(&Holder{}).Where("id = ?", holderID).Updates(set)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return refuse(CodeNotFound, "holder not found")
	}
	return nil
}
