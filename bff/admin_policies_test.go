package bff_test

import (
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/ecard/ecard/bff"
	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
)

// TestAdminSetPolicies: a superadmin changes a school's policies through the
// console's API; the change acts on the next request on another node (the
// school row is the only copy: no node caches policies), bad input is refused
// with INVALID_REQUEST and changes nothing, only a superadmin may do it, and
// the audit log keeps old→new.
func TestAdminSetPolicies(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		ph := newPayHarness(t, db)
		h := ph.harness
		super, op := h.office(ledger.RoleSuperadmin), h.office(ledger.RoleOperator)
		holderToken, _ := h.login("2024001", "123456")
		path := "/admin/api/v1/schools/demo/policies"

		// Another node reads the default first, so a cache there would be warm.
		nodeA, nodeB := h.srv, h.server(func(d *bff.Deps) { d.Payments = ph.payments })
		h.srv = nodeB
		if me := h.do("GET", "/api/v1/me", holderToken, nil); me.status != 200 || fmt.Sprint(me.json["limits"]) != "map[per_day:5000 per_payment:3000]" {
			t.Fatalf("me before: %d %s", me.status, me.body)
		}
		h.srv = nodeA

		for _, bad := range []struct {
			body any
			want string
		}{
			{map[string]any{}, "name at least one policy"},
			{map[string]any{"per_payment_limit": 2000}, "unknown policy per_payment_limit"},
			{map[string]any{"per_payment_limit_fen": "2000"}, "policy per_payment_limit_fen"},
			{map[string]any{"per_payment_limit_fen": 0}, "limits must be positive"},
			{map[string]any{"topup_min_fen": 500, "topup_max_fen": 400}, "top-up bounds"},
			{map[string]any{"code_lifetime_seconds": 5}, "code lifetime"},
			{map[string]any{"timezone": "Mars/Olympus"}, "unknown timezone"},
			{"[1]", ""},
		} {
			r := h.do("PUT", path, super, bad.body, "Accept-Language", "en")
			h.expect(r, 400, "INVALID_REQUEST")
			if !strings.Contains(string(r.body), bad.want) {
				t.Fatalf("%v: %s", bad.body, r.body)
			}
		}
		h.expect(h.do("PUT", "/admin/api/v1/schools/nowhere/policies", super, map[string]any{"per_day_limit_fen": 100}), 404, "NOT_FOUND")
		h.expect(h.do("PUT", path, op, map[string]any{"per_payment_limit_fen": 2000}), 403, "FORBIDDEN")
		if s, _ := h.ledger.School(t.Context(), "demo"); s.Policies != ledger.DefaultPolicies() {
			t.Fatalf("refusals changed the policies: %+v", s.Policies)
		}

		r := h.do("PUT", path, super, map[string]any{"per_payment_limit_fen": 2000, "per_day_limit_fen": 4000,
			"offline_cap_per_payment_fen": 1000, "code_lifetime_seconds": 45, "replacement_fee_fen": 1500, "topup_min_fen": 1000})
		if r.status != 200 || len(r.json["changes"].([]any)) != 6 {
			t.Fatalf("set: %d %s", r.status, r.body)
		}
		if p := r.json["policies"].(map[string]any); p["per_payment_limit_fen"] != 2000.0 || p["inactivity_freeze_days"] != 90.0 {
			t.Fatalf("policies: %s", r.body)
		}

		// The other node acts on the new limits at once.
		h.srv = nodeB
		if me := h.do("GET", "/api/v1/me", holderToken, nil); fmt.Sprint(me.json["limits"]) != "map[per_day:4000 per_payment:2000]" {
			t.Fatalf("me after: %s", me.body)
		}
		h.expect(h.do("PUT", "/api/v1/me/limits", holderToken, map[string]any{"per_payment": 2500, "per_day": 4000, "pin": "123456"}), 400, "INVALID_REQUEST")
		topup := h.do("POST", "/api/v1/me/topups", holderToken, map[string]any{"amount": 500, "channel": "sandbox"}, "Accept-Language", "en")
		if h.expect(topup, 400, "INVALID_REQUEST"); !strings.Contains(string(topup.body), "1000") {
			t.Fatalf("top-up under the new minimum: %s", topup.body)
		}
		h.srv = nodeA

		// Setting a value to what it is changes nothing and says so.
		if r := h.do("PUT", path, super, map[string]any{"per_payment_limit_fen": 2000}); r.status != 200 || fmt.Sprint(r.json["changes"]) != "[]" {
			t.Fatalf("no-op: %s", r.body)
		}
		log := h.do("GET", "/admin/api/v1/audit?limit=100", super, nil)
		if !strings.Contains(string(log.body), "per_payment_limit_fen 3000→2000; per_day_limit_fen 5000→4000") ||
			!strings.Contains(string(log.body), `"outcome":"FORBIDDEN"`) {
			t.Fatalf("audit log: %s", log.body)
		}
	})
}
