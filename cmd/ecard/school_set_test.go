package main

import (
	"strings"
	"testing"

	"github.com/ecard/ecard/ledger"
)

// TestSchoolSetCommand: `ecard school set` changes only the flags given,
// refuses bad values naming them and changes nothing then, and writes every
// call to the audit log.
func TestSchoolSetCommand(t *testing.T) {
	eachEnv(t, func(t *testing.T, e env) {
		mustEcard(t, e, "migrate")
		mustEcard(t, e, "school", "add", "--code", "pku", "--name", "北京大学")

		out := mustEcard(t, e, "school", "set", "--school", "pku", "--per-payment-limit-fen", "2000",
			"--code-lifetime-seconds", "45", "--timezone", "Asia/Urumqi", "--frozen-may-pass-gates", "true")
		if !strings.Contains(out, "per_payment_limit_fen 3000→2000") || !strings.Contains(out, "timezone Asia/Shanghai→Asia/Urumqi") {
			t.Fatalf("set: %s", out)
		}
		for _, bad := range [][]string{
			{"--per-payment-limit-fen", "-1"},
			{"--per-payment-limit-fen", "lots"},
			{"--topup-min-fen", "500", "--topup-max-fen", "100"},
			{"--initial-password-rule", "secret"},
			{},
		} {
			out, err := ecard(t, e, append([]string{"school", "set", "--school", "pku"}, bad...)...)
			if err == nil || !strings.Contains(err.Error(), ledger.CodeInvalidRequest) {
				t.Fatalf("%v: want INVALID_REQUEST, got %v %s", bad, err, out)
			}
		}
		if _, err := ecard(t, e, "school", "set", "--school", "nowhere", "--per-day-limit-fen", "100"); err == nil {
			t.Fatal("unknown school accepted")
		}

		db := envDB(t, e)
		var s ledger.School
		if err := db.Where("code = ?", "pku").Take(&s).Error; err != nil {
			t.Fatal(err)
		}
		want := ledger.DefaultPolicies()
		want.PerPaymentLimitFen, want.CodeLifetimeSeconds, want.Timezone, want.FrozenMayPassGates = 2000, 45, "Asia/Urumqi", true
		if s.Policies != want {
			t.Fatalf("policies: %+v", s.Policies)
		}
		var log []ledger.AuditEntry
		if err := db.Order("id").Find(&log).Error; err != nil {
			t.Fatal(err)
		}
		if len(log) != 7 || log[0].Username != "cli" || log[0].Outcome != "ok" || log[1].Outcome != ledger.CodeInvalidRequest ||
			!strings.Contains(log[2].Detail, "per_payment_limit_fen=lots") || log[6].Outcome != ledger.CodeNotFound {
			t.Fatalf("audit log: %+v", log)
		}
	})
}
