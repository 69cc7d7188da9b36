package main

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"github.com/ecard/ecard/ledger/sqlite"
)

func openTestSQLite(t *testing.T, path string) *gorm.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeDatabase(db) })
	return db
}
