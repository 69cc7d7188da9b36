package terminalgw_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
)

// admin signs a card office user in through the admin API.
func (w *world) admin(role string) string {
	w.t.Helper()
	if _, err := w.ledger.CreateAdmin(context.Background(), role+"-user", role+"-password", role); err != nil {
		w.t.Fatal(err)
	}
	raw, _ := json.Marshal(map[string]string{"username": role + "-user", "password": role + "-password"})
	r := w.send("POST", "/admin/api/v1/auth/login", raw, nil)
	if r.status != 200 {
		w.t.Fatalf("admin login: %s", r.body)
	}
	return r.str("access_token")
}

// adminDo sends an admin API request.
func (w *world) adminDo(token, method, path string, body any) reply {
	w.t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	return w.send(method, path, raw, map[string]string{"Authorization": "Bearer " + token})
}

// toSchoolNoon moves the clock to the next noon in the school's zone, so a
// test's payments all fall on one school day.
func (w *world) toSchoolNoon() string {
	loc, _ := time.LoadLocation(w.school.Timezone)
	now := w.clock.Now().In(loc)
	noon := time.Date(now.Year(), now.Month(), now.Day(), 12, 0, 0, 0, loc)
	if !noon.After(now) {
		noon = noon.AddDate(0, 0, 1)
	}
	w.clock.Advance(noon.Sub(now))
	return noon.Format("2006-01-02")
}

func TestOfficeFreezesAndUnfreezesAHolder(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		office := w.admin(ledger.RoleOperator)
		holder := fmt.Sprintf("/admin/api/v1/holders/%d", w.zhang.ID)
		tok := w.login("2024001", "123456")
		code := w.payCode(tok)

		r := w.adminDo(office, "POST", holder+"/freeze", nil)
		if r.status != 200 || r.str("state") != "frozen" {
			t.Fatalf("freeze: %d %s", r.status, r.body)
		}
		w.expect(w.pay("pos-1", "frozen-1", code, 500), 403, "ACCOUNT_FROZEN")
		if got := w.balance(w.zhang); got != 10000 {
			t.Fatalf("a frozen holder paid: balance %d", got)
		}
		if r := w.adminDo(office, "POST", holder+"/unfreeze", nil); r.status != 200 || r.str("state") != "active" {
			t.Fatalf("unfreeze: %d %s", r.status, r.body)
		}
		if r := w.pay("pos-1", "thawed-1", w.payCode(tok), 500); r.status != 200 {
			t.Fatalf("an unfrozen holder can't pay: %s", r.body)
		}
		if got := w.balance(w.zhang); got != 9500 {
			t.Fatalf("balance %d, want 9500", got)
		}
		w.verify()
	})
}

func TestDisabledTerminalIsRefusedWithinTheCacheTime(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		office := w.admin(ledger.RoleOperator)
		heartbeat := func() reply { return w.signed("gate-library", "POST", "/tgw/v1/heartbeat", map[string]any{}) }
		if r := heartbeat(); r.status != 200 {
			t.Fatalf("heartbeat: %s", r.body)
		}
		if r := w.adminDo(office, "POST", "/admin/api/v1/terminals/gate-library/disable", nil); r.status != 200 || r.str("status") != "disabled" {
			t.Fatalf("disable: %d %s", r.status, r.body)
		}
		// The gateway's cache of a terminal lives 30 seconds at most.
		w.clock.Advance(31 * time.Second)
		w.expect(heartbeat(), 401, "TERMINAL_AUTH")
		if r := w.adminDo(office, "POST", "/admin/api/v1/terminals/gate-library/enable", nil); r.status != 200 || r.str("status") != "active" {
			t.Fatalf("enable: %d %s", r.status, r.body)
		}
		w.clock.Advance(31 * time.Second)
		if r := heartbeat(); r.status != 200 {
			t.Fatalf("enabled terminal refused: %s", r.body)
		}
		// The list shows when each terminal was last heard from.
		list := w.adminDo(office, "GET", "/admin/api/v1/terminals?school=demo", nil)
		seen := map[string]bool{}
		for _, it := range list.json["items"].([]any) {
			m := it.(map[string]any)
			seen[m["id"].(string)] = m["last_seen_at"] != nil
		}
		if !seen["gate-library"] || seen["gate-dorm1"] {
			t.Fatalf("last seen: %v", seen)
		}
		w.expect(w.adminDo(office, "POST", "/admin/api/v1/terminals/no-such/disable", nil), 404, "NOT_FOUND")
	})
}

func TestSettlementReportMatchesThePayments(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		date := w.toSchoolNoon()
		auditor := w.admin(ledger.RoleAuditor)
		tok := w.login("2024001", "123456")
		var canteen []int64
		for i, amount := range []int64{1200, 800, 650} {
			r := w.pay([]string{"pos-1", "pos-2", "pos-1"}[i], fmt.Sprint("canteen-", i), w.payCode(tok), amount)
			if r.status != 200 {
				t.Fatalf("pay: %s", r.body)
			}
			canteen = append(canteen, r.num("transaction_id"))
		}
		if r := w.pay("shop-1", "shop-0", w.payCode(tok), 300); r.status != 200 {
			t.Fatalf("pay: %s", r.body)
		}
		if r := w.signed("pos-1", "POST", "/tgw/v1/refunds", map[string]any{"request_id": "refund-0",
			"transaction_id": canteen[1], "amount": 200}); r.status != 200 {
			t.Fatalf("refund: %s", r.body)
		}
		r := w.adminDo(auditor, "GET", "/admin/api/v1/reports/settlement?school=demo&date="+date, nil)
		if r.status != 200 {
			t.Fatalf("report: %s", r.body)
		}
		want := "[map[merchant:canteen1 name:第一食堂 net_fen:2450 payment_fen:2650 payments:3 refund_fen:200 refunds:1] " +
			"map[merchant:shop name:小卖部 net_fen:300 payment_fen:300 payments:1 refund_fen:0 refunds:0]]"
		if got := fmt.Sprint(r.json["items"]); got != want {
			t.Fatalf("items %s\nwant %s", got, want)
		}
		if got := fmt.Sprint(r.json["total"]); got != "map[merchant: name: net_fen:2750 payment_fen:2950 payments:4 refund_fen:200 refunds:1]" {
			t.Fatalf("total %s", got)
		}
		// The next day is empty; a bad date changes nothing and says why.
		next, _ := time.Parse("2006-01-02", date)
		if r := w.adminDo(auditor, "GET", "/admin/api/v1/reports/settlement?school=demo&date="+next.AddDate(0, 0, 1).Format("2006-01-02"), nil); fmt.Sprint(r.json["items"]) != "[]" {
			t.Fatalf("next day: %s", r.body)
		}
		w.expect(w.adminDo(auditor, "GET", "/admin/api/v1/reports/settlement?school=demo&date=2026-13-01", nil), 400, "INVALID_REQUEST")
		w.expect(w.adminDo(auditor, "GET", "/admin/api/v1/reports/settlement?school=nope&date="+date, nil), 404, "NOT_FOUND")
		w.verify()
	})
}
