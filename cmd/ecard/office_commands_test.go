package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	ledgerpg "github.com/ecard/ecard/ledger/postgres"
)

// envDB opens the test environment's database, to move times back where the
// real clock of the command line cannot wait.
func envDB(t *testing.T, e env) *gorm.DB {
	t.Helper()
	if url := e["ECARD_DATABASE_URL"]; url != "" {
		db, err := ledgerpg.Open(context.Background(), url, ledgerpg.Options{MaxOpenConns: 2, MaxIdleConns: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { closeDatabase(db) })
		return db
	}
	return openTestSQLite(t, filepath.Join(e["ECARD_DATA_DIR"], "ecard.db"))
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

type batchJSON struct {
	ID         int64 `json:"id"`
	IssuedFen  int64 `json:"issued_fen"`
	ExpiredFen int64 `json:"expired_fen"`
	Remaining  int64 `json:"remaining_fen"`
}

func batchOut(t *testing.T, out string) batchJSON {
	t.Helper()
	var b batchJSON
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return b
}

// TestSubsidyFreezeAndCloseCommands is the card office's day at the command
// line: a subsidy batch from CSV (once, however often it is run; a bad file
// changes nothing), the expiry and freeze jobs (each doing its work once),
// and closing an account (twice answers the first closing).
func TestSubsidyFreezeAndCloseCommands(t *testing.T) {
	eachEnv(t, func(t *testing.T, e env) {
		mustEcard(t, e, "school", "add", "--code", "pku", "--name", "北京大学")
		for _, n := range []string{"2024001", "2024002"} {
			mustEcard(t, e, "holder", "add", "--school", "pku", "--number", n, "--name", "学生"+n, "--kind", "student", "--id-last6", "123456")
		}
		good := writeFile(t, "sept.csv", "number,amount,expires_at\n2024001,500,2099-12-31\n2024002,300,2099-12-31\n")
		first := batchOut(t, mustEcard(t, e, "--json", "subsidy", "issue", "--school", "pku", "--file", good, "--name", "九月餐补"))
		if first.IssuedFen != 800 {
			t.Fatalf("issued %+v", first)
		}
		if again := batchOut(t, mustEcard(t, e, "--json", "subsidy", "issue", "--school", "pku", "--file", good, "--name", "九月餐补")); again.ID != first.ID {
			t.Fatalf("the same file again is the same batch: %+v %+v", first, again)
		}
		if out := mustEcard(t, e, "subsidy", "issue", "--school", "pku", "--file", good, "--name", "九月餐补"); !strings.Contains(out, "already issued") {
			t.Fatalf("human output: %s", out)
		}
		before := mustEcard(t, e, "--json", "ledger", "verify")
		for _, bad := range []string{
			"number,amount,expires_at\n2024001,500,2099-12-31\nnobody,1,2099-12-31\n",
			"number,amount,expires_at\n2024001,5.5,2099-12-31\n",
			"number,amount\n2024001,5\n",
			"",
		} {
			out, err := ecard(t, e, "subsidy", "issue", "--school", "pku", "--file", writeFile(t, "bad.csv", bad), "--key", "bad")
			if err == nil || !strings.Contains(out, "line ") {
				t.Fatalf("bad CSV %q: %v %s", bad, err, out)
			}
		}
		if _, err := ecard(t, e, "subsidy", "issue", "--school", "nope", "--file", good); err == nil {
			t.Fatal("unknown school")
		}
		if after := mustEcard(t, e, "--json", "ledger", "verify"); after != before {
			t.Fatal("bad batches changed the ledger")
		}

		// 2024002's line (CSV line 3) expired an hour ago; 2024002 was last seen 100 days ago.
		db := envDB(t, e)
		if err := db.Exec(`UPDATE subsidy_lines SET expires_at = ? WHERE line_no = 3`, time.Now().Add(-time.Hour).UTC()).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Exec(`UPDATE holders SET created_at = ?, last_active_at = NULL WHERE number = '2024002'`, time.Now().AddDate(0, 0, -100).UTC()).Error; err != nil {
			t.Fatal(err)
		}
		for run, want := range []string{"returned 300 fen of 1 expired", "returned 0 fen of 0 expired"} {
			if out := mustEcard(t, e, "jobs", "run", "subsidy-expiry"); !strings.Contains(out, want) {
				t.Fatalf("expiry run %d: %s", run, out)
			}
		}
		if r := batchOut(t, mustEcard(t, e, "--json", "subsidy", "report", "--id", "1")); r.ExpiredFen != 300 || r.Remaining != 500 {
			t.Fatalf("report: %+v", r)
		}
		for run, want := range []string{"froze 1 inactive", "froze 0 inactive"} {
			if out := mustEcard(t, e, "jobs", "run", "freeze"); !strings.Contains(out, want) {
				t.Fatalf("freeze run %d: %s", run, out)
			}
		}

		var closed struct {
			Receipt            string `json:"receipt"`
			Method             string `json:"method"`
			SubsidyReturnedFen int64  `json:"subsidy_returned_fen"`
		}
		args := []string{"--json", "holder", "close", "--school", "pku", "--number", "2024001", "--method", "bank", "--reference", "TX-1"}
		if err := json.Unmarshal([]byte(mustEcard(t, e, args...)), &closed); err != nil || closed.SubsidyReturnedFen != 500 || closed.Receipt == "" {
			t.Fatalf("close: %v %+v", err, closed)
		}
		args[len(args)-3] = "cash"
		if out := mustEcard(t, e, args...); !strings.Contains(out, closed.Receipt) || !strings.Contains(out, `"bank"`) {
			t.Fatalf("closing twice answers the first: %s", out)
		}
		for _, bad := range [][]string{
			{"holder", "close", "--school", "pku", "--number", "2024002", "--method", "gold"},
			{"holder", "close", "--school", "pku", "--number", "nobody", "--method", "cash"},
			{"holder", "close", "--school", "pku", "--number", "2024002"},
		} {
			if _, err := ecard(t, e, bad...); err == nil {
				t.Errorf("ecard %v succeeded", bad)
			}
		}
		// A closed holder gets no new subsidy.
		out, err := ecard(t, e, "subsidy", "issue", "--school", "pku", "--file", writeFile(t, "late.csv", "number,amount,expires_at\n2024001,1,2099-12-31\n"))
		if err == nil || !strings.Contains(out, "closed") {
			t.Fatalf("subsidy for a closed holder: %v %s", err, out)
		}
		if out := mustEcard(t, e, "ledger", "verify"); strings.Contains(out, "FAIL") {
			t.Fatal(out)
		}
	})
}
