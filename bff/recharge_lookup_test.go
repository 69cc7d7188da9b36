package bff_test

import (
	"net/url"
	"testing"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
)

// TestParentLooksOrderUpByPhone: a parent finds the order with its number and
// the phone left with it (typed with spaces or +86 too); a wrong phone reads
// exactly like an unknown order; guesses at one order are rate-limited.
func TestParentLooksOrderUpByPhone(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newPayHarness(t, db).harness
		r := h.do("POST", "/api/v1/recharge", "", map[string]any{"school": "demo", "number": "2024002", "name": "李四",
			"amount": 5000, "channel": "sandbox", "phone": "13800138000"})
		if r.status != 201 {
			t.Fatalf("recharge: %d %s", r.status, r.body)
		}
		no := r.str("order_no")
		if p := h.do("POST", "/sandbox/pay/"+no, "", nil); p.status != 200 {
			t.Fatalf("pay: %s", p.body)
		}
		for _, typed := range []string{"13800138000", "138 0013 8000", "+8613800138000"} {
			got := h.do("GET", "/api/v1/recharge/"+no+"?phone="+url.QueryEscape(typed), "", nil)
			if got.status != 200 || got.str("status") != "paid" || got.num("amount") != 5000 ||
				got.json["holder"].(map[string]any)["name_masked"] != "李*" {
				t.Fatalf("lookup with %q: %d %s", typed, got.status, got.body)
			}
		}
		wrong := h.do("GET", "/api/v1/recharge/"+no+"?phone=13900139000", "", nil)
		unknown := h.do("GET", "/api/v1/recharge/T20260901000000000000?phone=13800138000", "", nil)
		h.expect(wrong, 404, "NOT_FOUND")
		if string(wrong.body) != string(unknown.body) {
			t.Fatalf("a wrong phone reads unlike an unknown order: %s vs %s", wrong.body, unknown.body)
		}
		limited := false
		for range 12 {
			if r := h.do("GET", "/api/v1/recharge/"+no+"?phone=13700137000", "", nil); r.status == 429 {
				h.expect(r, 429, "RATE_LIMITED")
				limited = true
				break
			}
		}
		if !limited {
			t.Fatal("guesses at one order's phone were never limited")
		}
	})
}
