package ledger

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Admin sessions live in the database (table admin_sessions): admins are few,
// their tokens open the whole office, and "Redis holds no money, losing it
// costs sessions" would make a Redis flush the only way to end one. An admin
// token names its session; it is good only while the session is open.

// StartAdminSession opens a session for an admin, valid for ttl.
func (l *Ledger) StartAdminSession(ctx context.Context, adminID int64, ttl time.Duration) (string, error) {
	sid := randomSecret(16)
	now := l.now()
	err := l.db.WithContext(ctx).Exec(`INSERT INTO admin_sessions (id, admin_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		sid, adminID, now, now.Add(ttl)).Error
	return sid, err
}

// AdminSession is the admin of an open session, read now (so a role change
// acts at once); NOT_FOUND when the session is unknown, ended or expired.
func (l *Ledger) AdminSession(ctx context.Context, sid string, adminID int64) (Admin, error) {
	var a Admin
	err := l.db.WithContext(ctx).Raw(`SELECT admins.* FROM admins JOIN admin_sessions s ON s.admin_id = admins.id
WHERE s.id = ? AND s.admin_id = ? AND s.ended_at IS NULL AND s.expires_at > ?`, sid, adminID, l.now()).Scan(&a).Error
	if err == nil && a.ID == 0 {
		return a, refuse(CodeNotFound, "admin session not found")
	}
	return a, err
}

// EndAdminSession ends one session (logout).
func (l *Ledger) EndAdminSession(ctx context.Context, sid string) error {
	return l.db.WithContext(ctx).Exec(`UPDATE admin_sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL`, l.now(), sid).Error
}

func endAdminSessions(tx *gorm.DB, adminID int64, now time.Time) error {
	return tx.Exec(`UPDATE admin_sessions SET ended_at = ? WHERE admin_id = ? AND ended_at IS NULL`, now, adminID).Error
}

// SetAdminRole changes an admin's role and ends every session of theirs.
func (l *Ledger) SetAdminRole(ctx context.Context, username, role string) (Admin, error) {
	if role != RoleSuperadmin && role != RoleOperator && role != RoleAuditor {
		return Admin{}, refuse(CodeInvalidRequest, "role must be superadmin, operator or auditor")
	}
	return l.changeAdmin(ctx, username, map[string]any{"role": role})
}

// ResetAdminPassword sets a new password and ends every session of the admin.
func (l *Ledger) ResetAdminPassword(ctx context.Context, username, password string) (Admin, error) {
	if len(password) < 10 || len(password) > 128 {
		return Admin{}, refuse(CodeInvalidRequest, "admin password must be 10-128 characters")
	}
	hash, err := l.argon2.hash(password)
	if err != nil {
		return Admin{}, err
	}
	return l.changeAdmin(ctx, username, map[string]any{"password_hash": hash, "login_failures": 0, "locked_until": nil})
}

func (l *Ledger) changeAdmin(ctx context.Context, username string, set map[string]any) (Admin, error) {
	var a Admin
	err := l.inTx(ctx, func(tx *gorm.DB) error {
		if err := first(tx, &a, "admin", "username = ?", username); err != nil {
			return err
		}
		if err := tx.Model(&Admin{}).Where("id = ?", a.ID).Updates(set).Error; err != nil {
			return err
		}
		if err := endAdminSessions(tx, a.ID, l.now()); err != nil {
			return err
		}
		return first(tx, &a, "admin", "id = ?", a.ID)
	})
	return a, err
}
