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

// TestPosTapsADemoCard is a till's card path through the command line: the
// demo card pays online, an unknown card is refused, a gate admits the card.
func TestPosTapsADemoCard(t *testing.T) {
	eachEnv(t, func(t *testing.T, e env) {
		base, _ := startServer(t, e)
		pos := []string{"pos", "--server", base, "--terminal", "demo-pos-1", "--secret", "demo-pos-1-secret-change-me"}
		out := mustEcard(t, e, append(pos, "pay", "--amount", "800", "--card", "de000001", "--request-id", "tap-1")...)
		var answer struct {
			Status       string `json:"status"`
			BalanceAfter int64  `json:"balance_after"`
		}
		if err := json.Unmarshal([]byte(out), &answer); err != nil || answer.Status != "approved" || answer.BalanceAfter != 22200 {
			t.Fatalf("card pay: %v %s", err, out)
		}
		if out, err := ecard(t, e, append(pos, "pay", "--amount", "100", "--card", "FFFFFFFF")...); err == nil || !strings.Contains(out, "CARD_INVALID") {
			t.Fatalf("unknown card: %v %s", err, out)
		}
		gate := []string{"pos", "--server", base, "--terminal", "demo-gate-dorm1", "--secret", "demo-gate-dorm1-secret-change-me"}
		if out := mustEcard(t, e, append(gate, "access", "--card", "DE000001")...); !strings.Contains(out, `"allow"`) {
			t.Fatalf("gate: %s", out)
		}
		if out := mustEcard(t, e, "ledger", "verify"); strings.Contains(out, "FAIL") {
			t.Fatal(out)
		}
	})
}
