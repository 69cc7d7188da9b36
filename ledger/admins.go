package ledger

import (
	"context"
	"time"
)

// Admin lockout: the seed practice for holders applies to the office too.
const (
	adminMaxFailures = 10
	adminLockout     = 30 * time.Minute
)

// AdminLogin checks an admin's username and password. Unknown users and wrong
// passwords answer alike (INVALID_CREDENTIALS); ten failures in a row lock the
// account for thirty minutes (ACCOUNT_LOCKED).
func (l *Ledger) AdminLogin(ctx context.Context, username, password string) (Admin, error) {
	var a Admin
	if len(username) > 64 || len(password) > 128 ||
		first(l.db.WithContext(ctx), &a, "admin", "username = ?", username) != nil {
		matches(password, l.dummyHash)
		return Admin{}, refuse(CodeInvalidCredentials, "wrong username or password")
	}
	now := l.now()
	if a.LockedUntil != nil && now.Before(*a.LockedUntil) {
		return Admin{}, refuse(CodeAccountLocked, "locked until %s", a.LockedUntil.Format(time.RFC3339))
	}
	db := l.db.WithContext(ctx)
	if matches(password, a.PasswordHash) {
		if a.LoginFailures > 0 || a.LockedUntil != nil {
			if err := db.Model(&Admin{}).Where("id = ?", a.ID).
				Updates(map[string]any{"login_failures": 0, "locked_until": nil}).Error; err != nil {
				return Admin{}, err
			}
		}
		return a, nil
	}
	var failures []int
	if err := db.Raw(`UPDATE admins SET login_failures = login_failures + 1 WHERE id = ? RETURNING login_failures`, a.ID).
		Scan(&failures).Error; err != nil {
		return Admin{}, err
	}
	if len(failures) == 1 && failures[0] >= adminMaxFailures {
		until := now.Add(adminLockout)
		if err := db.Model(&Admin{}).Where("id = ?", a.ID).
			Updates(map[string]any{"login_failures": 0, "locked_until": until}).Error; err != nil {
			return Admin{}, err
		}
		return Admin{}, refuse(CodeAccountLocked, "too many wrong passwords: locked until %s", until.Format(time.RFC3339))
	}
	return Admin{}, refuse(CodeInvalidCredentials, "wrong username or password")
}

// AdminByID finds an admin, for checking a token's subject still exists.
func (l *Ledger) AdminByID(ctx context.Context, id int64) (Admin, error) {
	var a Admin
	err := first(l.db.WithContext(ctx), &a, "admin", "id = ?", id)
	return a, err
}

// AuditEntry is one admin action. The log is append-only (database triggers).
type AuditEntry struct {
	ID        int64     `json:"id"`
	AdminID   *int64    `json:"admin_id,omitempty"`
	Username  string    `json:"username"`
	Role      string    `json:"role"`
	Action    string    `json:"action"`
	Target    string    `json:"target"`
	Detail    string    `json:"detail"`
	IP        string    `json:"ip" gorm:"column:ip"`
	Outcome   string    `json:"outcome"`
	CreatedAt time.Time `json:"created_at"`
}

// TableName is the audit log table.
func (AuditEntry) TableName() string { return "audit_log" }

// Audit appends an entry, stamped now.
func (l *Ledger) Audit(ctx context.Context, a AuditEntry) (AuditEntry, error) {
	a.ID = 0
	a.CreatedAt = l.now()
	a.Detail = truncate(a.Detail, 4000)
	a.Target = truncate(a.Target, 200)
	err := l.db.WithContext(ctx).Create(&a).Error
	return a, err
}

// AuditFilter narrows the audit log.
type AuditFilter struct {
	Username string
	Action   string
	BeforeID int64
	Limit    int
}

// AuditLog lists entries newest first.
func (l *Ledger) AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 || f.Limit > MaxHistoryPage {
		return nil, refuse(CodeInvalidRequest, "limit must be 1 to %d", MaxHistoryPage)
	}
	q := l.db.WithContext(ctx).Model(&AuditEntry{})
	if f.Username != "" {
		q = q.Where("username = ?", f.Username)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.BeforeID > 0 {
		q = q.Where("id < ?", f.BeforeID)
	}
	var out []AuditEntry
	err := q.Order("id DESC").Limit(f.Limit).Find(&out).Error
	return out, err
}
