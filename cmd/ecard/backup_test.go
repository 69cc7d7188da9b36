package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestBackupWhileServing copies the SQLite database while the server serves
// and the office keeps writing, then restores the copy into a fresh data
// directory: ledger verify passes there and the demo school is in it.
func TestBackupWhileServing(t *testing.T) {
	e := env{"ECARD_DATA_DIR": t.TempDir(), "ECARD_ARGON2_MEMORY_KIB": "64", "ECARD_ARGON2_PARALLELISM": "1"}
	startServer(t, e)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := ecard(t, e, "holder", "add", "--school", "demo", "--number", fmt.Sprintf("B%04d", i), "--name", "备份",
				"--kind", "student", "--id-last6", "123456"); err != nil {
				t.Errorf("writing beside the backup: %v", err)
				return
			}
		}
	}()
	out := filepath.Join(t.TempDir(), "copy.db")
	got := mustEcard(t, e, "backup", "--out", out)
	close(stop)
	wg.Wait()
	if !strings.Contains(got, "backup written to "+out) {
		t.Fatalf("backup: %s", got)
	}
	if _, err := ecard(t, e, "backup", "--out", out); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("backup over an existing file: %v", err)
	}

	restored := env{"ECARD_DATA_DIR": t.TempDir(), "ECARD_ARGON2_MEMORY_KIB": "64", "ECARD_ARGON2_PARALLELISM": "1"}
	copyFile(t, out, filepath.Join(restored["ECARD_DATA_DIR"], "ecard.db"))
	if v := mustEcard(t, restored, "ledger", "verify"); strings.Contains(v, "FAIL") {
		t.Fatalf("verify on the restored copy: %s", v)
	}
	if _, err := ecard(t, restored, "holder", "add", "--school", "demo", "--number", "2024001", "--name", "x",
		"--kind", "student", "--id-last6", "123456"); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("the restored copy lacks the demo holders: %v", err)
	}

	pg := env{"ECARD_DATABASE_URL": "postgres://127.0.0.1:1/none"}
	if _, err := ecard(t, pg, "backup", "--out", filepath.Join(t.TempDir(), "x")); err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Fatalf("backup on PostgreSQL must point at pg_dump: %v", err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	raw, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}
