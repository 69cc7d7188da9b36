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

// operator signs in an operator of the card office and returns a request
// function that carries its token.
func (w *world) operator() func(method, path string, body any) reply {
	w.t.Helper()
	token := w.admin(ledger.RoleOperator)
	return func(method, path string, body any) reply { return w.adminDo(token, method, path, body) }
}

func (w *world) refusedEverywhere(number, password, payCode, idCode, tag string) {
	w.t.Helper()
	raw, _ := json.Marshal(map[string]string{"school": "demo", "number": number, "password": password})
	w.expect(w.send("POST", "/api/v1/auth/login", raw, nil), 403, "ACCOUNT_CLOSED")
	w.expect(w.pay("pos-1", tag+"-pay", payCode, 100), 403, "ACCOUNT_CLOSED")
	gate := w.signed("gate-library", "POST", "/tgw/v1/access", map[string]any{"request_id": tag + "-gate", "code": idCode})
	if gate.str("decision") != "deny" || gate.str("reason") != "ACCOUNT_CLOSED" {
		w.t.Fatalf("gate after %s: %s", tag, gate.body)
	}
}

// TestClosedHolderRefusedEverywhere: closing pays the wallet out in cash with
// a receipt, returns the subsidy to the fund, and from then on the holder's
// login, pay code and identity code are refused; closing again answers the
// first closing; the history stays.
func TestClosedHolderRefusedEverywhere(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		office := w.operator()
		r := office("POST", "/admin/api/v1/subsidies", map[string]any{"school": "demo", "name": "餐补",
			"lines": []map[string]any{{"number": "2024001", "amount": 800, "expires_at": "2099-01-01"}}})
		if r.status != 400 || r.code() != "INVALID_REQUEST" {
			// The Idempotency-Key header is required.
			t.Fatalf("batch without a key: %s", r.body)
		}
		if _, err := w.ledger.TopUp(ctx, ledger.TopUp{Key: "to-card", SchoolID: w.school.ID, HolderID: w.zhang.ID, Channel: ledger.Cash, AmountFen: 300, ToCard: true}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.ledger.IssueSubsidies(ctx, ledger.NewSubsidyBatch{SchoolID: w.school.ID, Name: "餐补", Key: "sept-1",
			Lines: []ledger.SubsidyRequest{{Number: "2024001", AmountFen: 800, ExpiresAt: "2099-01-01"}}}); err != nil {
			t.Fatal(err)
		}
		tok := w.login("2024001", "123456")
		payCode := w.payCode(tok)
		idCode := w.code(tok, "identity").str("code")
		// Spending before closing: subsidy first.
		if r := w.pay("pos-1", "before", w.payCode(tok), 500); r.status != 200 {
			t.Fatalf("pay: %s", r.body)
		}
		raw, _ := json.Marshal(map[string]string{"school": "demo", "number": "2024001", "password": "123456"})
		session := w.send("POST", "/api/v1/auth/login", raw, nil)
		first := office("POST", fmt.Sprintf("/admin/api/v1/holders/%d/close", w.zhang.ID), map[string]string{"method": "cash"})
		refresh, _ := json.Marshal(map[string]string{"refresh_token": session.str("refresh_token")})
		if r := w.send("POST", "/api/v1/auth/refresh", refresh, nil); r.status != 401 {
			t.Fatalf("a closed account's session still refreshes: %d %s", r.status, r.body)
		}
		if first.status != 200 || first.num("wallet_refund_fen") != 10000 || first.num("pending_refund_fen") != 300 ||
			first.num("subsidy_returned_fen") != 300 || first.num("purse_refund_fen") != 0 || first.str("receipt") == "" {
			t.Fatalf("close: %s", first.body)
		}
		if holder, _ := first.json["holder"].(map[string]any); holder["state"] != "closed" || holder["wallet"] != float64(0) {
			t.Fatalf("closed holder: %v", holder)
		}
		w.verify()
		w.refusedEverywhere("2024001", "123456", payCode, idCode, "closed")
		again := office("POST", fmt.Sprintf("/admin/api/v1/holders/%d/close", w.zhang.ID), map[string]string{"method": "bank"})
		if again.status != 200 || again.str("receipt") != first.str("receipt") || again.str("method") != "cash" ||
			again.num("wallet_refund_fen") != 10000 {
			t.Fatalf("closing twice answers the first: %s", again.body)
		}
		cash, err := w.ledger.HolderBalances(ctx, w.zhang.ID)
		if err != nil || cash != (ledger.Balances{}) {
			t.Fatalf("closed accounts hold nothing: %+v %v", cash, err)
		}
		items, err := w.ledger.History(ctx, w.zhang.ID, ledger.HistoryFilter{Limit: 10})
		if err != nil || len(items) != 6 || items[1].AmountFen != -10300 || items[0].Channel != ledger.ChannelSubsidyReturn {
			t.Fatalf("history stays readable: %+v %v", items, err)
		}
		w.expect(office("POST", "/admin/api/v1/holders/999999/close", map[string]string{"method": "cash"}), 404, "NOT_FOUND")
		w.expect(office("POST", fmt.Sprintf("/admin/api/v1/holders/%d/close", w.li.ID), map[string]string{"method": "gold"}), 400, "INVALID_REQUEST")
		w.verify()
	})
}

// TestVisitorExpiresEverywhere: a visitor the office issues signs in, pays and
// passes gates until its expiry, and is refused everywhere after; what is
// left on it is paid out at the counter by closing.
func TestVisitorExpiresEverywhere(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		office := w.operator()
		expires := w.clock.Now().Add(30 * time.Second).UTC().Format(time.RFC3339)
		r := office("POST", "/admin/api/v1/visitors", map[string]any{"school": "demo", "name": "王访客", "expires_at": expires,
			"card_uid": "visit0001"})
		if r.status != 201 {
			t.Fatalf("create visitor: %s", r.body)
		}
		holder, _ := r.json["holder"].(map[string]any)
		number, password := holder["number"].(string), r.str("password")
		if len(number) < 2 || number[0] != 'V' || holder["kind"] != "visitor" || len(password) != 6 || holder["card_uid"] != "VISIT0001" {
			t.Fatalf("visitor: %s", r.body)
		}
		w.expect(office("POST", "/admin/api/v1/visitors", map[string]any{"school": "demo", "name": "李访客", "expires_at": expires,
			"card_uid": "VISIT0001"}), 409, "CONFLICT")
		if items, _ := office("GET", "/admin/api/v1/visitors?school=demo", nil).json["items"].([]any); len(items) != 1 {
			t.Fatal("a refused visitor is not created")
		}
		v, err := w.ledger.Holder(ctx, w.school.ID, number)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.ledger.TopUp(ctx, ledger.TopUp{Key: "visitor-cash", SchoolID: w.school.ID, HolderID: v.ID, Channel: ledger.Cash, AmountFen: 2000}); err != nil {
			t.Fatal(err)
		}
		tok := w.login(number, password)
		if r := w.pay("pos-1", "visitor-ok", w.payCode(tok), 500); r.status != 200 {
			t.Fatalf("a visitor pays before expiry: %s", r.body)
		}
		payCode, idCode := w.payCode(tok), w.code(tok, "identity").str("code")
		list := office("GET", "/admin/api/v1/visitors?school=demo&active=true", nil)
		if items, _ := list.json["items"].([]any); len(items) != 1 {
			t.Fatalf("active visitors: %s", list.body)
		}
		w.clock.Advance(31 * time.Second)
		w.refusedEverywhere(number, password, payCode, idCode, "expired")
		// Its card too.
		w.expect(w.signed("pos-1", "POST", "/tgw/v1/payments", map[string]any{"request_id": "card-pay", "amount": 100,
			"card_uid": "VISIT0001"}), 403, "ACCOUNT_CLOSED")
		if gate := w.signed("gate-library", "POST", "/tgw/v1/access", map[string]any{"request_id": "card-gate", "card_uid": "VISIT0001"}); gate.str("decision") != "deny" || gate.str("reason") != "ACCOUNT_CLOSED" {
			t.Fatalf("card at the gate: %s", gate.body)
		}
		if items, _ := office("GET", "/admin/api/v1/visitors?school=demo&active=true", nil).json["items"].([]any); len(items) != 0 {
			t.Fatal("an expired visitor is not active")
		}
		if items, _ := office("GET", "/admin/api/v1/visitors?school=demo", nil).json["items"].([]any); len(items) != 1 {
			t.Fatal("every visitor is listed without active=true")
		}
		out := office("POST", fmt.Sprintf("/admin/api/v1/holders/%d/close", v.ID), map[string]string{"method": "cash", "reference": "counter 2"})
		if out.status != 200 || out.num("wallet_refund_fen") != 1500 {
			t.Fatalf("the rest is paid out at the counter: %s", out.body)
		}
		w.expect(office("POST", "/admin/api/v1/visitors", map[string]any{"school": "demo", "name": "x", "expires_at": "2020-01-01"}), 400, "INVALID_REQUEST")
		w.expect(office("POST", "/admin/api/v1/visitors", map[string]any{"school": "demo", "name": "x", "expires_at": "soon"}), 400, "INVALID_REQUEST")
		w.expect(office("POST", "/admin/api/v1/visitors", map[string]any{"school": "nope", "name": "x", "expires_at": "2099-01-01"}), 404, "NOT_FOUND")
		w.verify()
	})
}
