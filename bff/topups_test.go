package bff_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	"gorm.io/gorm"

	"github.com/ecard/ecard/bff"
	"github.com/ecard/ecard/bff/payment"
	"github.com/ecard/ecard/bff/sandbox"
	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
)

// payHarness is a harness whose server offers the sandbox provider.
type payHarness struct {
	*harness
	sandbox  *sandbox.Provider
	payments bff.Payments // the server's, for another node
}

// newPayHarness builds the harness; extra makes more providers on the
// harness clock.
func newPayHarness(t testing.TB, db *gorm.DB, extra ...func(now func() time.Time) payment.Provider) *payHarness {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	var sb *sandbox.Provider
	var payments bff.Payments
	h := newHarness(t, db, func(d *bff.Deps) {
		var err error
		if sb, err = sandbox.New(key, d.Now); err != nil {
			t.Fatal(err)
		}
		d.Payments = bff.Payments{Providers: map[string]payment.Provider{payment.ChannelSandbox: sb},
			PublicURL: "https://card.example.edu", OrderTTL: 15 * time.Minute, SettleAfter: 3 * time.Minute}
		for _, mk := range extra {
			p := mk(d.Now)
			d.Payments.Providers[p.Channel()] = p
		}
		payments = d.Payments
	})
	return &payHarness{harness: h, sandbox: sb, payments: payments}
}

func (h *payHarness) wallet(holderID int64) int64 {
	h.t.Helper()
	b, err := h.ledger.HolderBalances(context.Background(), holderID)
	if err != nil {
		h.t.Fatal(err)
	}
	return b.WalletFen
}

func (h *payHarness) order(token string, amount int64) string {
	h.t.Helper()
	r := h.do("POST", "/api/v1/me/topups", token, map[string]any{"amount": amount, "channel": "sandbox"})
	if r.status != 201 {
		h.t.Fatalf("top-up order: %d %s", r.status, r.body)
	}
	return r.str("order_no")
}

// notify delivers a callback to the notify endpoint of srv.
func notify(t testing.TB, srv *bff.Server, channel string, cb payment.Callback) int {
	t.Helper()
	status, _ := deliver(t, srv, channel, cb)
	return status
}

// deliverCopies delivers n copies of a callback at once, alternating between
// nodes, and answers each copy's status and body.
func deliverCopies(t testing.TB, nodes []*bff.Server, channel string, cb payment.Callback, n int) ([]int, []string) {
	t.Helper()
	statuses, bodies := make([]int, n), make([]string, n)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			statuses[i], bodies[i] = deliver(t, nodes[i%len(nodes)], channel, cb)
		}(i)
	}
	wg.Wait()
	return statuses, bodies
}

// deliver delivers a callback and answers the status and the body.
func deliver(t testing.TB, srv *bff.Server, channel string, cb payment.Callback) (int, string) {
	t.Helper()
	req := httptest.NewRequest("POST", "/pay/notify/"+channel, bytes.NewReader(cb.Body))
	req.Header = cb.Header.Clone()
	res, err := srv.App().Test(req, fiber.TestConfig{Timeout: 0}) // no timeout: -race on SQLite is slow
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

func TestHolderTopUpThroughTheSandbox(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newPayHarness(t, db)
		tok, _ := h.login("2024001", "123456")
		before := h.wallet(h.holder.ID)
		for _, bad := range []map[string]any{
			{"amount": 99, "channel": "sandbox"},
			{"amount": 100001, "channel": "sandbox"},
			{"amount": 100000 + 1, "channel": "sandbox"},
			{"amount": 1000, "channel": "wechatpay"},
			{"amount": 1000, "channel": "cash"},
			{"amount": 1000, "channel": "sandbox", "scene": "tv"},
			{"amount": "10", "channel": "sandbox"},
		} {
			h.expect(h.do("POST", "/api/v1/me/topups", tok, bad), 400, "INVALID_REQUEST")
		}
		r := h.do("POST", "/api/v1/me/topups", tok, map[string]any{"amount": 5000, "channel": "sandbox"})
		if r.status != 201 || r.str("status") != "created" || len(r.str("order_no")) != 26 {
			t.Fatalf("order: %d %s", r.status, r.body)
		}
		no := r.str("order_no")
		if pay, _ := r.json["pay"].(map[string]any); pay["url"] != "/sandbox/pay/"+no {
			t.Fatalf("pay: %s", r.body)
		}
		for i := 0; i < 3; i++ { // paying again answers the paid order and credits nothing more
			if r := h.do("POST", "/sandbox/pay/"+no, "", nil); r.status != 200 || r.str("status") != "paid" {
				t.Fatalf("sandbox pay: %d %s", r.status, r.body)
			}
		}
		if got := h.wallet(h.holder.ID); got != before+5000 {
			t.Fatalf("wallet %d, want %d", got, before+5000)
		}
		if r := h.do("GET", "/api/v1/me/topups/"+no, tok, nil); r.str("status") != "paid" || r.num("amount") != 5000 {
			t.Fatalf("status: %s", r.body)
		}
		other, _ := h.login("2024002", "654320")
		h.expect(h.do("GET", "/api/v1/me/topups/"+no, other, nil), 404, "NOT_FOUND")
		h.expect(h.do("POST", "/sandbox/pay/EC000000", "", nil), 404, "NOT_FOUND")
		if r := h.do("GET", "/api/v1/topup-channels", "", nil); fmt.Sprint(r.json["items"]) != "[sandbox]" {
			t.Fatalf("channels: %s", r.body)
		}
		h.verify()
	})
}

func TestParentRecharge(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newPayHarness(t, db)
		if _, err := h.ledger.CreateHolder(context.Background(), ledger.NewHolder{SchoolID: h.school.ID, Number: "2024003",
			Name: "王小明", Kind: ledger.KindStudent, IDLast6: "246810"}); err != nil {
			t.Fatal(err)
		}
		req := func(number, name string, amount int64) response {
			return h.do("POST", "/api/v1/recharge", "", map[string]any{"school": "demo", "number": number, "name": name,
				"amount": amount, "channel": "sandbox", "phone": "13800138000"}, "Accept-Language", "en")
		}
		r := req("2024003", "王小明", 2000)
		if r.status != 201 {
			t.Fatalf("recharge: %d %s", r.status, r.body)
		}
		if holder, _ := r.json["holder"].(map[string]any); holder["name_masked"] != "王*明" {
			t.Fatalf("masked: %s", r.body)
		}
		no := r.str("order_no")
		// A wrong name answers exactly like an unknown number or school.
		wrongName, unknown, noSchool := req("2024003", "王大明", 2000), req("2099999", "王小明", 2000),
			h.do("POST", "/api/v1/recharge", "", map[string]any{"school": "nope", "number": "2024003", "name": "王小明",
				"amount": 2000, "channel": "sandbox"}, "Accept-Language", "en")
		if wrongName.status != 404 || !bytes.Equal(wrongName.body, unknown.body) || !bytes.Equal(unknown.body, noSchool.body) {
			t.Fatalf("wrong name %s, unknown %s, no school %s", wrongName.body, unknown.body, noSchool.body)
		}
		h.expect(req("2024003", "王小明", 50), 400, "INVALID_REQUEST")
		h.expect(h.do("POST", "/api/v1/recharge", "", map[string]any{"school": "demo", "number": "2024003", "name": "王小明",
			"amount": 2000, "channel": "sandbox", "phone": "call me"}), 400, "INVALID_REQUEST")
		follow := "/api/v1/recharge/" + no + "?token=" + r.str("status_token")
		if r := h.do("GET", follow, "", nil); r.str("status") != "created" {
			t.Fatalf("status: %s", r.body)
		}
		h.do("POST", "/sandbox/pay/"+no, "", nil)
		r = h.do("GET", follow, "", nil)
		if holder, _ := r.json["holder"].(map[string]any); r.str("status") != "paid" || holder["name_masked"] != "王*明" {
			t.Fatalf("status: %s", r.body)
		}
		// Per target holder: ten tries a minute, whoever asks.
		limited := false
		for i := 0; i < 12 && !limited; i++ {
			limited = req("2024001", "张三", 1000).status == 429
		}
		if !limited {
			t.Fatal("recharges of one holder are not rate limited")
		}
		h.verify()
	})
}

func TestSchoolSearch(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newPayHarness(t, db)
		if _, err := h.ledger.CreateSchool(context.Background(), ledger.NewSchool{Code: "pku", Name: "北京大学", Pinyin: "bjdx",
			Policies: ledger.DefaultPolicies()}); err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string]string{"北京": "[map[code:pku name:北京大学]]", "bj": "[map[code:pku name:北京大学]]",
			"BJDX": "[map[code:pku name:北京大学]]", "ys": "[map[code:demo name:演示大学]]", "zz": "[]"} {
			if r := h.do("GET", "/api/v1/schools?q="+url.QueryEscape(q), "", nil); fmt.Sprint(r.json["items"]) != want {
				t.Errorf("q=%s: %s", q, r.body)
			}
		}
	})
}

func TestForgedAndWrongNotificationsChangeNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newPayHarness(t, db)
		tok, _ := h.login("2024001", "123456")
		no := h.order(tok, 3000)
		before := h.wallet(h.holder.ID)
		good, err := h.sandbox.Sign(no, "T1", 3000, h.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		tampered := payment.Callback{Header: good.Header.Clone(), Body: bytes.Replace(good.Body, []byte("3000"), []byte("3001"), 1)}
		forged := payment.Callback{Header: good.Header.Clone(), Body: good.Body}
		forged.Header.Set(sandbox.HeaderSignature, "00"+good.Header.Get(sandbox.HeaderSignature)[2:])
		stale, _ := h.sandbox.Sign(no, "T1", 3000, h.clock.Now().Add(-6*time.Minute))
		future, _ := h.sandbox.Sign(no, "T1", 3000, h.clock.Now().Add(6*time.Minute))
		mismatch, _ := h.sandbox.Sign(no, "T1", 2999, h.clock.Now())
		unknown, _ := h.sandbox.Sign("EC20260101000000000000", "T1", 3000, h.clock.Now())
		garbage := payment.Callback{Header: good.Header.Clone(), Body: []byte("{")}
		for name, cb := range map[string]payment.Callback{"tampered": tampered, "forged": forged, "stale": stale,
			"future": future, "mismatch": mismatch, "unknown": unknown, "garbage": garbage} {
			if st := notify(t, h.srv, "sandbox", cb); st < 400 {
				t.Errorf("%s notification answered %d", name, st)
			}
		}
		if st := notify(t, h.srv, "wechatpay", good); st != 404 {
			t.Errorf("a channel without a provider answered %d", st)
		}
		if got := h.wallet(h.holder.ID); got != before {
			t.Fatalf("refused notifications moved money: %d -> %d", before, got)
		}
		if r := h.do("GET", "/api/v1/me/topups/"+no, tok, nil); r.str("status") != "created" {
			t.Fatalf("order changed: %s", r.body)
		}
		if st := notify(t, h.srv, "sandbox", good); st != 200 {
			t.Fatalf("good notification: %d", st)
		}
		if got := h.wallet(h.holder.ID); got != before+3000 {
			t.Fatalf("wallet %d", got)
		}
		h.verify()
	})
}

// Sixteen copies of one notification, at once, on two nodes: one credit.
func TestDuplicateNotificationsOnTwoNodesCreditOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newPayHarness(t, db)
		node2 := h.server(func(d *bff.Deps) {
			d.Payments = bff.Payments{Providers: map[string]payment.Provider{payment.ChannelSandbox: h.sandbox},
				PublicURL: "https://card.example.edu", OrderTTL: 15 * time.Minute, SettleAfter: 3 * time.Minute}
		})
		tok, _ := h.login("2024001", "123456")
		no := h.order(tok, 4200)
		cb, err := h.sandbox.Pay(no)
		if err != nil {
			t.Fatal(err)
		}
		before := h.wallet(h.holder.ID)
		statuses, _ := deliverCopies(t, []*bff.Server{h.srv, node2}, "sandbox", cb, 16)
		for i, st := range statuses {
			if st != 200 {
				t.Errorf("copy %d answered %d", i, st)
			}
		}
		if got := h.wallet(h.holder.ID); got != before+4200 {
			t.Fatalf("wallet %d, want %d", got, before+4200)
		}
		h.verify()
	})
}

func TestSettlementJobCreditsLostNotificationsAndClosesUnpaid(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newPayHarness(t, db)
		tok, _ := h.login("2024001", "123456")
		paid, unpaid, fresh := h.order(tok, 1000), h.order(tok, 2000), ""
		if _, err := h.sandbox.Pay(paid); err != nil { // paid, but the notification never arrives
			t.Fatal(err)
		}
		before := h.wallet(h.holder.ID)
		h.clock.Advance(4 * time.Minute)
		fresh = h.order(tok, 3000)
		out, err := h.srv.SettleOrders(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		t.Log(out)
		if got := h.wallet(h.holder.ID); got != before+1000 {
			t.Fatalf("lost notification not credited: wallet %d", got)
		}
		status := func(no string) string { return h.do("GET", "/api/v1/me/topups/"+no, tok, nil).str("status") }
		if status(paid) != "paid" || status(unpaid) != "created" || status(fresh) != "created" {
			t.Fatalf("after 4 minutes: %s %s %s", status(paid), status(unpaid), status(fresh))
		}
		h.clock.Advance(15 * time.Minute)
		if _, err := h.srv.SettleOrders(context.Background()); err != nil {
			t.Fatal(err)
		}
		tok, _ = h.login("2024001", "123456") // the access token expired meanwhile
		if status(unpaid) != "closed" || status(fresh) != "closed" {
			t.Fatalf("expired orders: %s %s", status(unpaid), status(fresh))
		}
		// A closed order can no longer be paid at the sandbox.
		if r := h.do("POST", "/sandbox/pay/"+unpaid, "", nil); r.str("status") != "closed" {
			t.Fatalf("closed order paid: %s", r.body)
		}
		if got := h.wallet(h.holder.ID); got != before+1000 {
			t.Fatalf("wallet %d", got)
		}
		h.verify()
	})
}

func TestOfficeRefundsUnspentTopUpsOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newPayHarness(t, db)
		ctx := context.Background()
		if _, err := h.ledger.CreateAdmin(ctx, "office", "office-password-1", ledger.RoleOperator); err != nil {
			t.Fatal(err)
		}
		if _, err := h.ledger.CreateAdmin(ctx, "audit", "audit-password-1", ledger.RoleAuditor); err != nil {
			t.Fatal(err)
		}
		office, auditor := h.adminLogin("office", "office-password-1"), h.adminLogin("audit", "audit-password-1")
		tok, _ := h.login("2024002", "654320")
		no := h.order(tok, 2000)
		h.do("POST", "/sandbox/pay/"+no, "", nil)
		h.expect(h.do("POST", "/admin/api/v1/topups/"+no+"/refund", auditor, nil), 403, "FORBIDDEN")
		h.expect(h.do("POST", "/admin/api/v1/topups/"+no+"/refund", tok, nil), 401, "UNAUTHENTICATED")
		var wg sync.WaitGroup
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); h.do("POST", "/admin/api/v1/topups/"+no+"/refund", office, nil) }()
		}
		wg.Wait()
		r := h.do("POST", "/admin/api/v1/topups/"+no+"/refund", office, nil)
		if r.status != 200 || r.str("status") != "refunded" || r.num("refund_attempts") != 1 {
			t.Fatalf("refund: %d %s", r.status, r.body)
		}
		if got := h.wallet(h.other.ID); got != 0 {
			t.Fatalf("wallet after refund %d", got)
		}
		if r := h.do("GET", "/api/v1/me/topups/"+no, tok, nil); r.str("status") != "refunded" {
			t.Fatalf("holder sees %s", r.body)
		}
		// Spent money is not refunded.
		no2 := h.order(tok, 2000)
		h.do("POST", "/sandbox/pay/"+no2, "", nil)
		if _, err := h.ledger.Pay(ctx, ledger.Payment{Key: "spend", SchoolID: h.school.ID, HolderID: h.other.ID,
			MerchantID: h.merchant.ID, AmountFen: 500}); err != nil {
			t.Fatal(err)
		}
		h.expect(h.do("POST", "/admin/api/v1/topups/"+no2+"/refund", office, nil), 402, "INSUFFICIENT_FUNDS")
		if r := h.do("GET", "/api/v1/me/topups/"+no2, tok, nil); r.str("status") != "paid" {
			t.Fatalf("refused refund changed the order: %s", r.body)
		}
		h.expect(h.do("POST", "/admin/api/v1/topups/EC000000000/refund", office, nil), 404, "NOT_FOUND")
		// Every admin action is in the audit log, refusals included.
		log := h.do("GET", "/admin/api/v1/audit?limit=100", auditor, nil)
		outcomes := map[string]int{}
		for _, it := range log.json["items"].([]any) {
			e := it.(map[string]any)
			outcomes[fmt.Sprint(e["username"], " ", e["action"], " ", e["outcome"])]++
		}
		for _, want := range []string{"office POST /admin/api/v1/topups/:order_no/refund ok",
			"office POST /admin/api/v1/topups/:order_no/refund INSUFFICIENT_FUNDS",
			"audit POST /admin/api/v1/topups/:order_no/refund FORBIDDEN", "office POST /admin/api/v1/auth/login ok"} {
			if outcomes[want] == 0 {
				t.Errorf("audit log lacks %q: %v", want, outcomes)
			}
		}
		if r := h.do("GET", "/admin/api/v1/reports/topups?school=demo&from=2026-09-01", auditor, nil); r.status != 200 {
			t.Fatalf("report: %s", r.body)
		} else if items := fmt.Sprint(r.json["items"]); items != "[map[amount:4000 channel:sandbox orders:2 refunded:2000 refunds:1]]" {
			t.Fatalf("report items: %s", items)
		}
		h.verify()
	})
}

func (h *harness) adminLogin(username, password string) string {
	h.t.Helper()
	r := h.do("POST", "/admin/api/v1/auth/login", "", map[string]string{"username": username, "password": password})
	if r.status != 200 {
		h.t.Fatalf("admin login: %d %s", r.status, r.body)
	}
	return r.str("access_token")
}
