// Package migrate applies the versioned SQL migrations of one database dialect
// with goose, so `ecard migrate` and `ecard serve` bring any database to the
// same schema version.
package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

// Dir applies the migrations in the folder dir of fsys to the database behind
// a GORM handle.
func Dir(ctx context.Context, db interface{ DB() (*sql.DB, error) }, dialect goose.Dialect, fsys fs.FS, dir string, opts ...goose.ProviderOption) (int64, error) {
	sqlDB, err := db.DB()
	if err != nil {
		return 0, err
	}
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		return 0, err
	}
	return Up(ctx, sqlDB, dialect, sub, opts...)
}

// Up applies every migration in fsys that db has not seen yet and returns the
// resulting schema version.
func Up(ctx context.Context, db *sql.DB, dialect goose.Dialect, fsys fs.FS, opts ...goose.ProviderOption) (int64, error) {
	provider, err := goose.NewProvider(dialect, db, fsys, opts...)
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return 0, fmt.Errorf("migrate up: %w", err)
	}
	version, err := provider.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return version, nil
}
