// Package ledger is the system of record: schools, holders, merchants,
// terminals, accounts and the double-entry transfers between them.
//
// Every money operation is an Entry with a unique idempotency key; it posts
// transfers that move amount_fen from one account to another inside one
// database transaction. Balances change only by conditional relative updates
// (never read-then-write), holder accounts never go below zero, and a retried
// operation returns the first result.
package ledger

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"
)

// Options are the ledger's dependencies. Every field is required.
type Options struct {
	// Now is the clock; tests move it.
	Now func() time.Time
	// Argon2 is the cost of hashing passwords and PINs.
	Argon2 Argon2Params
	// Sealer encrypts terminal secrets at rest.
	Sealer Sealer
	// Registerer receives the ledger's metrics; nil registers none.
	Registerer prometheus.Registerer
}

// Sealer encrypts small secrets bound to their owner (aad).
type Sealer interface {
	Seal(plaintext, aad []byte) string
	Open(sealed string, aad []byte) ([]byte, error)
}

// Ledger is the Go API the HTTP layers, jobs and CLI call.
type Ledger struct {
	db       *gorm.DB
	postgres bool
	now      func() time.Time
	argon2   Argon2Params
	sealer   Sealer
	metrics  metrics
	// dummyHash is compared against when a holder does not exist, so an
	// unknown number costs as much as a wrong password.
	dummyHash string
}

// New returns a Ledger over db, whose schema must be migrated.
func New(db *gorm.DB, opts Options) (*Ledger, error) {
	if db == nil || opts.Now == nil || opts.Sealer == nil {
		return nil, errors.New("ledger: db, Now and Sealer are required")
	}
	if err := opts.Argon2.validate(); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	dummy, err := opts.Argon2.hash(randomSecret(8))
	if err != nil {
		return nil, err
	}
	return &Ledger{
		dummyHash: dummy,
		db:        db,
		postgres:  db.Dialector.Name() == "postgres",
		now:       func() time.Time { return opts.Now().UTC() },
		argon2:    opts.Argon2,
		sealer:    opts.Sealer,
		metrics:   newMetrics(opts.Registerer),
	}, nil
}

// DB is the underlying connection, for health checks and adapters.
func (l *Ledger) DB() *gorm.DB { return l.db }

// maxTxAttempts bounds retries of a transaction the database aborted for
// deadlock, serialization or a busy lock.
const maxTxAttempts = 5

// inTx runs fn in one database transaction, retrying only when the database
// itself aborted it for contention; fn must be safe to run again.
func (l *Ledger) inTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	var err error
	for attempt := 1; attempt <= maxTxAttempts; attempt++ {
		err = l.db.WithContext(ctx).Transaction(fn)
		if err == nil || !retryable(err) || ctx.Err() != nil {
			return err
		}
		time.Sleep(time.Duration(attempt*attempt) * time.Millisecond)
	}
	return err
}

func retryable(err error) bool {
	msg := err.Error()
	for _, s := range []string{"SQLSTATE 40001", "SQLSTATE 40P01", "database is locked", "SQLITE_BUSY"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// forUpdate locks selected rows on PostgreSQL; SQLite's immediate transactions
// already hold the only write lock.
func (l *Ledger) forUpdate() string {
	if l.postgres {
		return " FOR UPDATE"
	}
	return ""
}

type metrics struct {
	entries  *prometheus.CounterVec
	refusals *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) metrics {
	m := metrics{
		entries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ecard_ledger_entries_total", Help: "Entries posted, by kind.",
		}, []string{"kind"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ecard_ledger_refusals_total", Help: "Operations refused, by error code.",
		}, []string{"code"}),
	}
	if reg != nil {
		reg.MustRegister(m.entries, m.refusals)
	}
	return m
}

func (m metrics) observe(kind string, err error) {
	if err == nil {
		m.entries.WithLabelValues(kind).Inc()
		return
	}
	if code := ErrorCode(err); code != "" {
		m.refusals.WithLabelValues(code).Inc()
	}
}
