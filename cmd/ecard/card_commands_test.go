package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestCardIssueReplaceAndReplacementJob(t *testing.T) {
	eachEnv(t, func(t *testing.T, e env) {
		mustEcard(t, e, "migrate")
		mustEcard(t, e, "school", "add", "--code", "pku", "--name", "北京大学")
		mustEcard(t, e, "holder", "add", "--school", "pku", "--number", "2024001", "--name", "张三", "--kind", "student", "--id-last6", "123456")
		out := mustEcard(t, e, "--json", "card", "issue", "--school", "pku", "--number", "2024001", "--uid", "04a1b2c3")
		var card struct{ UID, Status, Number string }
		if err := json.Unmarshal([]byte(out), &card); err != nil || card.UID != "04A1B2C3" || card.Status != "active" || card.Number != "2024001" {
			t.Fatalf("card issue: %v %q", err, out)
		}
		// Issuing the same card again answers it again; a replacement refuses the old one.
		mustEcard(t, e, "card", "issue", "--school", "pku", "--number", "2024001", "--uid", "04A1B2C3")
		if out := mustEcard(t, e, "card", "issue", "--school", "pku", "--number", "2024001", "--uid", "05FFEE01"); !strings.Contains(out, "05FFEE01") {
			t.Fatalf("replace: %q", out)
		}
		for _, bad := range [][]string{
			{"card", "issue", "--school", "pku", "--number", "2024001", "--uid", "bad uid"},
			{"card", "issue", "--school", "pku", "--number", "9999999", "--uid", "06000000"},
			{"card", "issue", "--school", "nope", "--number", "2024001", "--uid", "06000000"},
			{"card", "issue", "--school", "pku", "--number", "2024001"},
			{"card", "issue", "--school", "pku", "--number", "2024001", "--uid", "04A1B2C3"},
		} {
			if out, err := ecard(t, e, bad...); err == nil {
				t.Fatalf("ecard %v succeeded: %s", bad, out)
			}
		}
		if e["ECARD_DATA_DIR"] != "" {
			// No waiting period at this school: the job moves the old card's purse now.
			db := openTestSQLite(t, filepath.Join(e["ECARD_DATA_DIR"], "ecard.db"))
			if err := db.Exec(`UPDATE schools SET replacement_wait_days = 0`).Error; err != nil {
				t.Fatal(err)
			}
		}
		want := "of 0 replaced"
		if e["ECARD_DATA_DIR"] != "" {
			want = "of 1 replaced"
		}
		if out := mustEcard(t, e, "jobs", "run", "replacement"); !strings.Contains(out, want) {
			t.Fatalf("job: %q", out)
		}
		if out := mustEcard(t, e, "jobs", "run", "replacement"); !strings.Contains(out, "of 0 replaced") {
			t.Fatalf("job again: %q", out)
		}
		mustEcard(t, e, "ledger", "verify")
	})
}
