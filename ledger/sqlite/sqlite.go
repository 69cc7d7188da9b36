// Package sqlite opens the ledger's embedded database: one SQLite file, pure Go,
// tuned so that concurrent writers queue instead of failing and a committed
// transfer survives a power cut.
package sqlite

import (
	"context"
	"embed"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/pressly/goose/v3"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ecard/ecard/internal/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DSN is the connection string for the database file at path:
//   - WAL, so readers never wait for the writer;
//   - busy_timeout, so a second writer waits for the lock instead of failing;
//   - _txlock=immediate, so every transaction takes the write lock at BEGIN and
//     two read-then-write transactions can never deadlock on lock upgrade;
//   - synchronous=FULL, so a commit is on disk before it is acknowledged;
//   - foreign_keys, so references hold.
func DSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// Open opens (creating if needed) the database file at path and applies the
// migrations.
func Open(ctx context.Context, path string) (*gorm.DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: data directory: %w", err)
	}
	db, err := gorm.Open(sqlite.Open(DSN(path)), &gorm.Config{
		Logger:                 logger.Discard,
		NowFunc:                func() time.Time { return time.Now().UTC() },
		SkipDefaultTransaction: true,
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	// SQLite has one writer; a small pool keeps readers concurrent under WAL
	// while writers queue on the busy timeout.
	sqlDB.SetMaxOpenConns(8)
	sqlDB.SetMaxIdleConns(8)
	if _, err := Migrate(ctx, db); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return db, nil
}

// Migrate brings the schema up to date and returns its version.
func Migrate(ctx context.Context, db *gorm.DB) (int64, error) {
	return migrate.Dir(ctx, db, goose.DialectSQLite3, migrations, "migrations")
}
