// Package postgres opens the ledger's production database.
package postgres

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ecard/ecard/internal/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options bound the connection pool.
type Options struct {
	MaxOpenConns int
	MaxIdleConns int
}

// Open connects to the database at url (postgres://...) and applies the migrations.
func Open(ctx context.Context, url string, opts Options) (*gorm.DB, error) {
	db, err := gorm.Open(postgres.Open(url), &gorm.Config{
		Logger:                 logger.Discard,
		NowFunc:                func() time.Time { return time.Now().UTC() },
		SkipDefaultTransaction: true,
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(opts.MaxOpenConns)
	sqlDB.SetMaxIdleConns(opts.MaxIdleConns)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	if err := sqlDB.PingContext(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("postgres: ping: %w", err)
	}
	if _, err := Migrate(ctx, db); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return db, nil
}

// Migrate brings the schema up to date and returns its version.
func Migrate(ctx context.Context, db *gorm.DB) (int64, error) {
	// An advisory lock lets several nodes start at once: one migrates, the
	// others wait and find the schema current.
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return 0, err
	}
	return migrate.Dir(ctx, db, goose.DialectPostgres, migrations, "migrations", goose.WithSessionLocker(locker))
}
