// Package testdb gives each integration test its own migrated database: a
// SQLite file in t.TempDir(), and, when ECARD_TEST_DATABASE_URL is set, a
// fresh PostgreSQL schema that is dropped when the test ends.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	ledgerpg "github.com/ecard/ecard/ledger/postgres"
	"github.com/ecard/ecard/ledger/sqlite"
)

// EnvDatabaseURL names the PostgreSQL server the tests may use.
const EnvDatabaseURL = "ECARD_TEST_DATABASE_URL"

// Each runs fn once per available database: always SQLite, and PostgreSQL
// when EnvDatabaseURL is set.
func Each(t *testing.T, fn func(t *testing.T, db *gorm.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	if os.Getenv(EnvDatabaseURL) != "" {
		t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
	}
}

// SQLite opens a migrated database file in the test's temporary directory.
func SQLite(t testing.TB) *gorm.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ecard.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeDB(db) })
	return db
}

// Postgres opens a migrated, empty schema of its own; it skips the test when
// no server is configured.
func Postgres(t testing.TB) *gorm.DB {
	t.Helper()
	dsn, schema := SchemaURL(t)
	db, err := ledgerpg.Open(context.Background(), dsn, ledgerpg.Options{MaxOpenConns: 8, MaxIdleConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeDB(db) })
	_ = schema
	return db
}

// SchemaURL creates an empty schema on the test server and returns a URL whose
// search_path points at it. The schema is dropped when the test ends.
func SchemaURL(t testing.TB) (string, string) {
	t.Helper()
	base := os.Getenv(EnvDatabaseURL)
	if base == "" {
		t.Skip(EnvDatabaseURL + " is not set")
	}
	schema := "t_" + randomHex(6)
	admin, err := gorm.Open(postgres.Open(base), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		closeDB(admin)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema
}

func closeDB(db *gorm.DB) {
	if sqlDB, err := db.DB(); err == nil {
		_ = sqlDB.Close()
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
