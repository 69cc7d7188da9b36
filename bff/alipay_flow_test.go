package bff_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/ecard/ecard/bff"
	"github.com/ecard/ecard/bff/alipay"
	"github.com/ecard/ecard/bff/alipay/alipaytest"
	"github.com/ecard/ecard/bff/payment"
	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
)

// withAlipay adds an Alipay provider talking to a fake Alipay gateway on the
// harness clock; the fake is stored in *fake.
func withAlipay(t *testing.T, fake **alipaytest.Server) func(func() time.Time) payment.Provider {
	return func(now func() time.Time) payment.Provider {
		*fake = alipaytest.New(t, alipaytest.WithClock(now))
		p, err := alipay.New((*fake).Config())
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
}

// alipayTopUp opens an Alipay top-up for the holder signed in with tok and
// answers its number and "pay".
func (h *payHarness) alipayTopUp(tok string, amount int64, scene string) (string, payment.Pay) {
	h.t.Helper()
	r := h.do("POST", "/api/v1/me/topups", tok, map[string]any{"amount": amount, "channel": "alipay", "scene": scene})
	if r.status != 201 || r.str("channel") != "alipay" {
		h.t.Fatalf("alipay top-up: %d %s", r.status, r.body)
	}
	pay := payment.Pay{}
	for k, v := range r.json["pay"].(map[string]any) {
		pay[k] = fmt.Sprint(v)
	}
	return r.str("order_no"), pay
}

// A holder tops up through Alipay mobile web pay, end to end against a fake
// gateway that verifies our signatures and signs as Alipay does: refused
// notifications change nothing; sixteen copies of the real one, at once and
// on two nodes, credit once and each hear "success".
func TestAlipayTopUpEndToEnd(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		var ap *alipaytest.Server
		h := newPayHarness(t, db, withAlipay(t, &ap))
		ctx := context.Background()
		tok, _ := h.login("2024001", "123456")
		if r := h.do("GET", "/api/v1/topup-channels", "", nil); fmt.Sprint(r.json["items"]) != "[alipay sandbox]" {
			t.Fatalf("channels: %s", r.body)
		}
		r := h.do("POST", "/api/v1/me/topups", tok, map[string]any{"amount": 5000, "channel": "alipay", "scene": "jsapi"},
			"Accept-Language", "en")
		h.expect(r, 400, "INVALID_REQUEST")
		if !strings.Contains(string(r.body), "scene h5") {
			t.Fatalf("the refusal should say which scenes work: %s", r.body)
		}
		if orders, _ := h.ledger.Orders(ctx, ledger.OrderFilter{HolderID: h.holder.ID, Channel: "alipay", Limit: 10}); len(orders) != 0 {
			t.Fatalf("a refused scene recorded %d orders", len(orders))
		}
		no, pay := h.alipayTopUp(tok, 5000, "") // scene h5 by default
		if len(pay) != 1 || !strings.HasPrefix(pay["url"], ap.GatewayURL()+"?") {
			t.Fatalf("h5 pay: %v", pay)
		}
		_, appPay := h.alipayTopUp(tok, 100, "app")
		if len(appPay) != 1 || !strings.Contains(appPay["order_string"], "alipay.trade.app.pay") {
			t.Fatalf("app pay: %v", appPay)
		}
		sandboxOrder := h.order(tok, 700)

		cb, err := ap.Pay(pay)
		if err != nil {
			t.Fatal(err)
		}
		before := h.wallet(h.holder.ID)
		good, _ := ap.NotificationValues(no)
		with := func(k, v string) payment.Callback {
			c, _ := url.ParseQuery(good.Encode())
			c.Set(k, v)
			return ap.SignedCallback(c)
		}
		other, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		refused := map[string]payment.Callback{
			"forged":          alipaytest.SignedCallback(other, good),
			"tampered":        {Header: cb.Header, Body: []byte(strings.Replace(string(cb.Body), "total_amount=50.00", "total_amount=5000.00", 1))},
			"amount mismatch": with("total_amount", "49.99"),
			"unknown order":   with("out_trade_no", "EC20990101000000000000"),
			"sandbox order":   with("out_trade_no", sandboxOrder),
			"other app":       with("app_id", "2021000000009999"),
			"stale":           with("notify_time", h.clock.Now().Add(-30*time.Hour).In(alipay.Beijing).Format(alipay.TimeLayout)),
			"garbage":         {Header: cb.Header, Body: []byte("%%%")},
		}
		for name, bad := range refused {
			if st, body := deliver(t, h.srv, "alipay", bad); st == 200 || body != "failure" {
				t.Errorf("%s notification answered %d %q", name, st, body)
			}
		}
		if got := h.wallet(h.holder.ID); got != before {
			t.Fatalf("refused notifications moved money: %d -> %d", before, got)
		}
		if r := h.do("GET", "/api/v1/me/topups/"+no, tok, nil); r.str("status") != "created" {
			t.Fatalf("refused notifications changed the order: %s", r.body)
		}
		node2 := h.server(func(d *bff.Deps) {
			d.Payments = bff.Payments{Providers: map[string]payment.Provider{payment.ChannelAlipay: withAlipayProvider(t, ap, d.Now)},
				PublicURL: "https://card.example.edu", OrderTTL: 15 * time.Minute, SettleAfter: 3 * time.Minute}
		})
		statuses, bodies := deliverCopies(t, []*bff.Server{h.srv, node2}, "alipay", cb, 16)
		for i := range statuses {
			if statuses[i] != 200 || bodies[i] != "success" {
				t.Errorf("copy %d answered %d %q", i, statuses[i], bodies[i])
			}
		}
		if got := h.wallet(h.holder.ID); got != before+5000 {
			t.Fatalf("wallet %d, want %d", got, before+5000)
		}
		trade, _ := ap.Trade(no)
		o, err := h.ledger.OrderByNo(ctx, no)
		if err != nil || o.Status != ledger.OrderPaid || o.ProviderTxnID != trade.TradeNo {
			t.Fatalf("order %+v %v, trade %+v", o, err, trade)
		}
		if r := h.do("GET", "/api/v1/me/topups/"+no, tok, nil); r.str("status") != "paid" || r.num("amount") != 5000 {
			t.Fatalf("holder sees %s", r.body)
		}
		h.verify()
	})
}

// withAlipayProvider is another node's provider for the same fake.
func withAlipayProvider(t *testing.T, fake *alipaytest.Server, now func() time.Time) payment.Provider {
	cfg := fake.Config()
	cfg.Now = now
	p, err := alipay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A parent recharges a child's card through Alipay and follows the order.
func TestAlipayParentRecharge(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		var ap *alipaytest.Server
		h := newPayHarness(t, db, withAlipay(t, &ap))
		before := h.wallet(h.other.ID)
		req := map[string]any{"school": "demo", "number": "2024002", "name": "李四", "amount": 3000, "channel": "alipay",
			"phone": "13800138000"}
		r := h.do("POST", "/api/v1/recharge", "", req)
		if r.status != 201 {
			t.Fatalf("recharge: %d %s", r.status, r.body)
		}
		no := r.str("order_no")
		pay, _ := r.json["pay"].(map[string]any)
		payURL, _ := pay["url"].(string)
		if holder, _ := r.json["holder"].(map[string]any); holder["name_masked"] != "李*" || payURL == "" {
			t.Fatalf("recharge answer: %s", r.body)
		}
		if _, err := ap.Pay(payment.Pay{"url": payURL}); err != nil {
			t.Fatal(err)
		}
		// The fake posts the notification over HTTP to the order's notify_url,
		// whose host is routed to this server.
		base := listen(t, h.srv)
		client := &http.Client{Transport: routeTo{base}}
		if answer, err := ap.Send(context.Background(), client, no); err != nil || answer != "success" {
			t.Fatalf("notification answered %q %v", answer, err)
		}
		if r := h.do("GET", "/api/v1/recharge/"+no+"?phone=13800138000", "", nil); r.str("status") != "paid" {
			t.Fatalf("parent sees %s", r.body)
		}
		if got := h.wallet(h.other.ID); got != before+3000 {
			t.Fatalf("wallet %d, want %d", got, before+3000)
		}
		h.verify()
	})
}

// The sweeper asks Alipay about orders that heard nothing: a paid one is
// credited, an opened-but-unpaid one is closed at Alipay and here, one never
// opened is closed here; then the office refunds through Alipay once.
func TestAlipaySettlementAndRefund(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		var ap *alipaytest.Server
		h := newPayHarness(t, db, withAlipay(t, &ap))
		ctx := context.Background()
		tok, _ := h.login("2024001", "123456")
		before := h.wallet(h.holder.ID)
		lost, lostPay := h.alipayTopUp(tok, 1200, "h5")
		opened, openedPay := h.alipayTopUp(tok, 800, "app")
		never, _ := h.alipayTopUp(tok, 900, "h5")
		if _, err := ap.Pay(lostPay); err != nil { // paid, but the notification never arrives
			t.Fatal(err)
		}
		if _, err := ap.Open(openedPay); err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(4 * time.Minute)
		if _, err := h.srv.SettleOrders(ctx); err != nil {
			t.Fatal(err)
		}
		if got := h.wallet(h.holder.ID); got != before+1200 {
			t.Fatalf("lost notification not credited: wallet %d, want %d", got, before+1200)
		}
		h.clock.Advance(15 * time.Minute)
		if _, err := h.srv.SettleOrders(ctx); err != nil {
			t.Fatal(err)
		}
		for _, no := range []string{opened, never} {
			if o, _ := h.ledger.OrderByNo(ctx, no); o.Status != ledger.OrderClosed {
				t.Fatalf("unpaid order %s is %s", no, o.Status)
			}
		}
		if tr, _ := ap.Trade(opened); tr.Status != alipay.StatusClosed {
			t.Fatalf("opened trade at Alipay is %s", tr.Status)
		}
		// The order's time_expire has passed: Alipay no longer lets it be paid.
		if _, err := ap.Pay(openedPay); err == nil {
			t.Fatal("a closed order was paid")
		}
		if _, err := h.ledger.CreateAdmin(ctx, "office", "office-password-1", ledger.RoleOperator); err != nil {
			t.Fatal(err)
		}
		office := h.adminLogin("office", "office-password-1")
		for i := 0; i < 2; i++ {
			if r := h.do("POST", "/admin/api/v1/topups/"+lost+"/refund", office, nil); r.status != 200 || r.str("status") != "refunded" {
				t.Fatalf("refund %d: %d %s", i, r.status, r.body)
			}
		}
		if n := ap.Calls(alipaytest.MethodRefund); n != 1 {
			t.Fatalf("Alipay saw %d refund calls", n)
		}
		if tr, _ := ap.Trade(lost); tr.RefundedFen != 1200 {
			t.Fatalf("Alipay refunded %d fen", tr.RefundedFen)
		}
		if o, _ := h.ledger.OrderByNo(ctx, lost); o.RefundNo != lost+"R1" || o.ProviderRefundID != lost+"R1" {
			t.Fatalf("refund numbers: %+v", o)
		}
		if got := h.wallet(h.holder.ID); got != before {
			t.Fatalf("wallet after refund %d, want %d", got, before)
		}
		h.verify()
	})
}

// routeTo sends every request to base (scheme://host), keeping path and
// body: the public URL of the deployment resolves to the test's listener.
type routeTo struct{ base string }

func (r routeTo) RoundTrip(req *http.Request) (*http.Response, error) {
	u, err := url.Parse(r.base)
	if err != nil {
		return nil, err
	}
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host, req.Host = u.Scheme, u.Host, ""
	return http.DefaultTransport.RoundTrip(req)
}
