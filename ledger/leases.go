package ledger

import (
	"context"
	"errors"
	"time"
)

// AcquireLease takes or renews the named lease for owner until now+ttl. It
// answers false while another owner holds an unexpired lease, so a job that
// runs under it runs on one node at a time.
func (l *Ledger) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	if name == "" || len(name) > 64 || owner == "" || ttl <= 0 {
		return false, errors.New("ledger: lease needs a name (1-64), an owner and a positive ttl")
	}
	now := l.now()
	var got []string
	err := l.db.WithContext(ctx).Raw(`INSERT INTO job_leases (name, owner, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
		WHERE job_leases.expires_at <= ? OR job_leases.owner = excluded.owner
		RETURNING owner`, name, owner, now.Add(ttl), now).Scan(&got).Error
	if err != nil {
		return false, err
	}
	return len(got) == 1, nil
}

// ReleaseLease gives the lease up early if owner holds it.
func (l *Ledger) ReleaseLease(ctx context.Context, name, owner string) error {
	return l.db.WithContext(ctx).Exec(`DELETE FROM job_leases WHERE name = ? AND owner = ?`, name, owner).Error
}
