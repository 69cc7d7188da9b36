package ledger

import (
	"context"
	"time"
)

// Sign-in lockout counts failures per (source address, account), for known
// and unknown accounts alike: ten wrong passwords from one address lock that
// address out of that account for the lockout time (PCI DSS 8.3.4: at most
// ten tries per source and account), while the owner signing in from
// elsewhere is not stopped, and an unknown number locks exactly like a known
// one, so neither the answers nor their timing tell which numbers exist.
const (
	scopeHolder = "holder"
	scopeAdmin  = "admin"
)

type throttleRow struct {
	Failures    int
	LockedUntil *time.Time
}

// throttle is one (scope, account, source) counter.
type throttle struct {
	l                      *Ledger
	scope, account, source string
	maxFailures            int
	lockout                time.Duration
	existed                bool
}

func (l *Ledger) throttleFor(scope, account, source string, maxFailures int, lockout time.Duration) *throttle {
	return &throttle{l: l, scope: scope, account: account, source: source, maxFailures: maxFailures, lockout: lockout}
}

// check refuses a locked (source, account).
func (t *throttle) check(ctx context.Context) error {
	var rows []throttleRow
	if err := t.l.db.WithContext(ctx).Raw(`SELECT failures, locked_until FROM login_throttle WHERE scope = ? AND account = ? AND source = ?`,
		t.scope, t.account, t.source).Scan(&rows).Error; err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	t.existed = true
	if u := rows[0].LockedUntil; u != nil && t.l.now().Before(*u) {
		return refuse(CodeAccountLocked, "too many wrong passwords: locked until %s", u.UTC().Format(time.RFC3339))
	}
	return nil
}

// failed counts a failure; the one reaching the maximum locks and starts a
// fresh count for after the lock.
func (t *throttle) failed(ctx context.Context, wrong error) error {
	now := t.l.now()
	db := t.l.db.WithContext(ctx)
	var failures []int
	if err := db.Raw(`INSERT INTO login_throttle (scope, account, source, failures, updated_at) VALUES (?, ?, ?, 1, ?)
ON CONFLICT (scope, account, source) DO UPDATE SET failures = login_throttle.failures + 1, updated_at = ?
RETURNING failures`, t.scope, t.account, t.source, now, now).Scan(&failures).Error; err != nil {
		return err
	}
	if len(failures) != 1 || failures[0] < t.maxFailures {
		return wrong
	}
	until := now.Add(t.lockout)
	if err := db.Exec(`UPDATE login_throttle SET failures = 0, locked_until = ? WHERE scope = ? AND account = ? AND source = ?`,
		until, t.scope, t.account, t.source).Error; err != nil {
		return err
	}
	return refuse(CodeAccountLocked, "too many wrong passwords: locked until %s", until.UTC().Format(time.RFC3339))
}

// succeeded forgets the counter, when there was one.
func (t *throttle) succeeded(ctx context.Context) error {
	if !t.existed {
		return nil
	}
	return t.l.db.WithContext(ctx).Exec(`DELETE FROM login_throttle WHERE scope = ? AND account = ? AND source = ?`,
		t.scope, t.account, t.source).Error
}

// LoginFrom is Login for a request from source (the client's address): the
// lockout is per (source, school and number).
func (l *Ledger) LoginFrom(ctx context.Context, source, schoolCode, number, password string) (Holder, error) {
	wrong := refuse(CodeInvalidCredentials, "wrong number or password")
	if len(password) > 128 || len(number) > 32 || len(schoolCode) > 32 || len(source) > 64 {
		return Holder{}, wrong
	}
	policy := DefaultPolicies()
	school, serr := l.School(ctx, schoolCode)
	if serr == nil {
		policy.LoginMaxFailures, policy.LoginLockoutSeconds = school.LoginMaxFailures, school.LoginLockoutSeconds
	}
	t := l.throttleFor(scopeHolder, schoolCode+":"+number, source, policy.LoginMaxFailures,
		time.Duration(policy.LoginLockoutSeconds)*time.Second)
	if err := t.check(ctx); err != nil {
		return Holder{}, err
	}
	var h Holder
	hash := l.dummyHash
	if serr == nil {
		var err error
		if h, err = l.Holder(ctx, school.ID, number); err == nil {
			hash = h.PasswordHash
			password = typedInitial(school, h.MustChangePassword, password)
		} else if ErrorCode(err) != CodeNotFound {
			return Holder{}, err
		}
	}
	// An unknown account costs the same argon2id verify as a known one.
	if !matches(password, hash) || h.ID == 0 {
		return Holder{}, t.failed(ctx, wrong)
	}
	if err := t.succeeded(ctx); err != nil {
		return Holder{}, err
	}
	return h, h.CanSignIn(l.now())
}

// AdminLoginFrom is AdminLogin with the lockout per (source, username).
func (l *Ledger) AdminLoginFrom(ctx context.Context, source, username, password string) (Admin, error) {
	wrong := refuse(CodeInvalidCredentials, "wrong username or password")
	if len(username) > 64 || len(password) > 128 || len(source) > 64 {
		return Admin{}, wrong
	}
	t := l.throttleFor(scopeAdmin, username, source, adminMaxFailures, adminLockout)
	if err := t.check(ctx); err != nil {
		return Admin{}, err
	}
	var a Admin
	hash := l.dummyHash
	if err := first(l.db.WithContext(ctx), &a, "admin", "username = ?", username); err == nil {
		hash = a.PasswordHash
	} else if ErrorCode(err) != CodeNotFound {
		return Admin{}, err
	}
	if !matches(password, hash) || a.ID == 0 {
		return Admin{}, t.failed(ctx, wrong)
	}
	return a, t.succeeded(ctx)
}

// ClearLoginThrottle forgets every counter of a holder's account (after the
// card office resets its password).
func (l *Ledger) ClearLoginThrottle(ctx context.Context, schoolCode, number string) error {
	return l.db.WithContext(ctx).Exec(`DELETE FROM login_throttle WHERE scope = ? AND account = ?`,
		scopeHolder, schoolCode+":"+number).Error
}
