package ledger

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Login checks a holder's number and login password. A wrong password or an
// unknown number both answer INVALID_CREDENTIALS; after the school's maximum
// failures the holder is locked (ACCOUNT_LOCKED) for the school's lockout time.
func (l *Ledger) Login(ctx context.Context, schoolCode, number, password string) (Holder, error) {
	if len(password) > 128 || len(number) > 32 || len(schoolCode) > 32 {
		return Holder{}, refuse(CodeInvalidCredentials, "wrong number or password")
	}
	school, err := l.School(ctx, schoolCode)
	if err != nil {
		matches(password, l.dummyHash)
		return Holder{}, refuse(CodeInvalidCredentials, "wrong number or password")
	}
	h, err := l.Holder(ctx, school.ID, number)
	if err != nil {
		matches(password, l.dummyHash)
		return Holder{}, refuse(CodeInvalidCredentials, "wrong number or password")
	}
	if err := l.checkPassword(ctx, school, h, password); err != nil {
		return h, err
	}
	return h, h.CanSignIn(l.now())
}

// CheckPassword verifies a holder's login password with the same lockout as
// Login, for actions that ask for it again (loss report, binding).
func (l *Ledger) CheckPassword(ctx context.Context, holderID int64, password string) (Holder, error) {
	h, err := l.HolderByID(ctx, holderID)
	if err != nil {
		return Holder{}, err
	}
	school, err := l.SchoolByID(ctx, h.SchoolID)
	if err != nil {
		return Holder{}, err
	}
	return h, l.checkPassword(ctx, school, h, password)
}

func (l *Ledger) checkPassword(ctx context.Context, school School, h Holder, password string) error {
	password = typedInitial(school, h.MustChangePassword, password)
	now := l.now()
	if h.LockedUntil != nil && now.Before(*h.LockedUntil) {
		return refuse(CodeAccountLocked, "locked until %s", h.LockedUntil.Format(time.RFC3339))
	}
	db := l.db.WithContext(ctx)
	if len(password) <= 128 && matches(password, h.PasswordHash) {
		if h.LoginFailures > 0 || h.LockedUntil != nil {
			return db.Model(&Holder{}).Where("id = ?", h.ID).Updates(map[string]any{"login_failures": 0, "locked_until": nil}).Error
		}
		return nil
	}
	// Count the failure; the one that reaches the maximum locks the holder
	// and starts a fresh count for after the lock.
	var failures []int
	if err := db.Raw(`UPDATE holders SET login_failures = login_failures + 1 WHERE id = ? RETURNING login_failures`, h.ID).
		Scan(&failures).Error; err != nil {
		return err
	}
	if len(failures) == 1 && failures[0] >= school.LoginMaxFailures {
		until := now.Add(time.Duration(school.LoginLockoutSeconds) * time.Second)
		if err := db.Model(&Holder{}).Where("id = ?", h.ID).Updates(map[string]any{"login_failures": 0, "locked_until": until}).Error; err != nil {
			return err
		}
		return refuse(CodeAccountLocked, "too many wrong passwords: locked until %s", until.Format(time.RFC3339))
	}
	return refuse(CodeInvalidCredentials, "wrong number or password")
}

// trivialPIN refuses all-equal digits and straight runs up or down.
func trivialPIN(pin string) bool {
	same, up, down := true, true, true
	for i := 1; i < len(pin); i++ {
		d := int(pin[i]) - int(pin[i-1])
		same = same && d == 0
		up = up && d == 1
		down = down && d == -1
	}
	return same || up || down
}

// validPassword asks for 8-64 characters with at least one letter and one digit.
func validPassword(pw string) bool {
	if !utf8.ValidString(pw) || utf8.RuneCountInString(pw) < 8 || utf8.RuneCountInString(pw) > 64 {
		return false
	}
	return strings.IndexFunc(pw, unicode.IsLetter) >= 0 && strings.IndexFunc(pw, unicode.IsDigit) >= 0
}

// ChangePassword replaces the login password after checking the old one.
func (l *Ledger) ChangePassword(ctx context.Context, holderID int64, oldPassword, newPassword string) error {
	h, err := l.CheckPassword(ctx, holderID, oldPassword)
	if err != nil {
		return err
	}
	if !validPassword(newPassword) {
		return refuse(CodeInvalidRequest, "the new password needs 8-64 characters with letters and digits")
	}
	if matches(newPassword, h.PasswordHash) {
		return refuse(CodeInvalidRequest, "the new password must differ from the current one")
	}
	hash, err := l.argon2.hash(newPassword)
	if err != nil {
		return err
	}
	return l.updateHolder(ctx, holderID, map[string]any{"password_hash": hash, "must_change_password": false})
}

// ChangePIN replaces the payment PIN after checking the old one. Trivial PINs
// and the current (initial) value are refused.
func (l *Ledger) ChangePIN(ctx context.Context, holderID int64, oldPIN, newPIN string) error {
	if err := l.CheckPIN(ctx, holderID, oldPIN); err != nil {
		return err
	}
	// The old PIN as typed, an initial one's X read as 0.
	if !pinPattern.MatchString(newPIN) || trivialPIN(newPIN) || newPIN == InitialSecret("id_last6", oldPIN) {
		return refuse(CodeInvalidRequest, "the new PIN must be 6 digits, not trivial and not the current one")
	}
	return l.SetPIN(ctx, holderID, newPIN)
}

// SetLimits lowers (or restores up to the school's) a holder's own limits; the
// PIN confirms it.
func (l *Ledger) SetLimits(ctx context.Context, holderID int64, perPaymentFen, perDayFen int64, pin string) error {
	if err := l.CheckPIN(ctx, holderID, pin); err != nil {
		return err
	}
	h, err := l.HolderByID(ctx, holderID)
	if err != nil {
		return err
	}
	school, err := l.SchoolByID(ctx, h.SchoolID)
	if err != nil {
		return err
	}
	if perPaymentFen <= 0 || perDayFen <= 0 || perPaymentFen > school.PerPaymentLimitFen || perDayFen > school.PerDayLimitFen {
		return refuse(CodeInvalidRequest, "limits must be positive and at most the school's (%d per payment, %d per day)",
			school.PerPaymentLimitFen, school.PerDayLimitFen)
	}
	return l.updateHolder(ctx, holderID, map[string]any{"per_payment_limit_fen": perPaymentFen, "per_day_limit_fen": perDayFen})
}

// SetLost reports a loss (lost=true) or cancels it, after the login password.
// A lost holder's codes and cards are refused everywhere at once: every check
// reads this flag from the database.
func (l *Ledger) SetLost(ctx context.Context, holderID int64, password string, lost bool) (Holder, error) {
	h, err := l.CheckPassword(ctx, holderID, password)
	if err != nil {
		return Holder{}, err
	}
	return l.setLost(ctx, h, lost)
}

// SetLostChecked is SetLost for a caller that has authenticated the holder
// another way: a kiosk, by the card and its PIN.
func (l *Ledger) SetLostChecked(ctx context.Context, holderID int64, lost bool) (Holder, error) {
	h, err := l.HolderByID(ctx, holderID)
	if err != nil {
		return Holder{}, err
	}
	return l.setLost(ctx, h, lost)
}

func (l *Ledger) setLost(ctx context.Context, h Holder, lost bool) (Holder, error) {
	holderID := h.ID
	if h.Status == StatusClosed {
		return Holder{}, refuse(CodeAccountClosed, "account %s is closed", h.Number)
	}
	if h.Lost == lost {
		return h, nil
	}
	action := map[bool]string{true: "add", false: "remove"}[lost]
	now := l.now()
	err := l.inTx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Holder{}).Where("id = ? AND lost = ?", holderID, !lost).Updates(map[string]any{"lost": lost, "updated_at": now})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error // already in that state: nothing to record
		}
		return tx.Exec(`INSERT INTO denylist_events (school_id, holder_id, action, created_at) VALUES (?, ?, ?, ?)`,
			h.SchoolID, holderID, action, now).Error
	})
	if err != nil {
		return Holder{}, err
	}
	h.Lost = lost
	return h, nil
}

// BindWeChat ties a WeChat openid to a holder; an openid names one holder, and
// binding it again moves it.
func (l *Ledger) BindWeChat(ctx context.Context, holderID int64, openID string) error {
	if openID == "" || len(openID) > 128 {
		return refuse(CodeInvalidRequest, "bad openid")
	}
	return l.inTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&Holder{}).Where("wechat_openid = ? AND id <> ?", openID, holderID).
			Update("wechat_openid", nil).Error; err != nil {
			return err
		}
		return tx.Model(&Holder{}).Where("id = ?", holderID).
			Updates(map[string]any{"wechat_openid": openID, "updated_at": l.now()}).Error
	})
}

// HolderByOpenID finds the holder bound to a WeChat openid.
func (l *Ledger) HolderByOpenID(ctx context.Context, openID string) (Holder, error) {
	var h Holder
	return h, first(l.db.WithContext(ctx), &h, "holder", "wechat_openid = ?", openID)
}
