package bff_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/ecard/ecard/bff/payment"
	"github.com/ecard/ecard/bff/wechatpay"
	"github.com/ecard/ecard/bff/wechatpay/wechatpaytest"
	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
)

// withWeChatPay adds a WeChat Pay provider talking to a fake WeChat Pay on
// the harness clock; the fake is stored in *fake.
func withWeChatPay(t *testing.T, fake **wechatpaytest.Server) func(func() time.Time) payment.Provider {
	return func(now func() time.Time) payment.Provider {
		*fake = wechatpaytest.New(t, wechatpaytest.WithClock(now))
		p, err := wechatpay.New((*fake).Config())
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
}

// A mini-program top-up through WeChat Pay, end to end against a fake that
// signs, encrypts and verifies as WeChat Pay does.
func TestWeChatPayTopUpEndToEnd(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		var wx *wechatpaytest.Server
		h := newPayHarness(t, db, withWeChatPay(t, &wx))
		ctx := context.Background()
		tok, _ := h.login("2024001", "123456")
		h.expect(h.do("POST", "/api/v1/me/topups", tok, map[string]any{"amount": 5000, "channel": "wechatpay"}), 400, "INVALID_REQUEST")
		if err := h.ledger.BindWeChat(ctx, h.holder.ID, "o-openid-2024001"); err != nil {
			t.Fatal(err)
		}
		r := h.do("POST", "/api/v1/me/topups", tok, map[string]any{"amount": 5000, "channel": "wechatpay"})
		if r.status != 201 {
			t.Fatalf("order: %d %s", r.status, r.body)
		}
		no := r.str("order_no")
		pay, _ := r.json["pay"].(map[string]any)
		for _, k := range []string{"timeStamp", "nonceStr", "package", "signType", "paySign"} {
			if s, _ := pay[k].(string); s == "" {
				t.Fatalf("pay lacks %s: %s", k, r.body)
			}
		}
		if len(pay) != 5 || pay["signType"] != "RSA" {
			t.Fatalf("pay must be exactly wx.requestPayment's arguments: %v", pay)
		}
		before := h.wallet(h.holder.ID)
		forged := wx.NotificationFor(no, 500000, h.clock.Now())
		stale := wx.NotificationFor(no, 5000, h.clock.Now().Add(-6*time.Minute))
		for name, cb := range map[string]payment.Callback{"wrong amount": forged, "stale": stale} {
			if st := notify(t, h.srv, "wechatpay", cb); st < 400 {
				t.Fatalf("%s notification answered %d", name, st)
			}
		}
		cb, err := wx.Pay(no)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if st := notify(t, h.srv, "wechatpay", cb); st != 204 {
					t.Errorf("notification answered %d", st)
				}
			}()
		}
		wg.Wait()
		if got := h.wallet(h.holder.ID); got != before+5000 {
			t.Fatalf("wallet %d, want %d", got, before+5000)
		}
		o, err := h.ledger.OrderByNo(ctx, no)
		if err != nil || o.Status != ledger.OrderPaid || o.ProviderTxnID == "" {
			t.Fatalf("order: %+v %v", o, err)
		}
		// A payment whose notification is lost is found by the sweeper.
		r = h.do("POST", "/api/v1/me/topups", tok, map[string]any{"amount": 1200, "channel": "wechatpay"})
		lost := r.str("order_no")
		if _, err := wx.Pay(lost); err != nil {
			t.Fatal(err)
		}
		unpaid := h.do("POST", "/api/v1/me/topups", tok, map[string]any{"amount": 800, "channel": "wechatpay"}).str("order_no")
		h.clock.Advance(4 * time.Minute)
		if _, err := h.srv.SettleOrders(ctx); err != nil {
			t.Fatal(err)
		}
		if got := h.wallet(h.holder.ID); got != before+6200 {
			t.Fatalf("wallet after settlement %d, want %d", got, before+6200)
		}
		h.clock.Advance(15 * time.Minute)
		if _, err := h.srv.SettleOrders(ctx); err != nil {
			t.Fatal(err)
		}
		if o, _ := h.ledger.OrderByNo(ctx, unpaid); o.Status != ledger.OrderClosed {
			t.Fatalf("unpaid order is %s", o.Status)
		}
		if tx, _ := wx.Transaction(unpaid); tx.TradeState != "CLOSED" {
			t.Fatalf("unpaid order at WeChat Pay is %s", tx.TradeState)
		}
		// The office refunds the unspent top-up through WeChat Pay, once.
		if _, err := h.ledger.CreateAdmin(ctx, "office", "office-password-1", ledger.RoleOperator); err != nil {
			t.Fatal(err)
		}
		office := h.adminLogin("office", "office-password-1")
		for i := 0; i < 2; i++ {
			if r := h.do("POST", "/admin/api/v1/topups/"+lost+"/refund", office, nil); r.status != 200 || r.str("status") != "refunded" {
				t.Fatalf("refund: %d %s", r.status, r.body)
			}
		}
		if n := wx.Calls(wechatpaytest.RouteRefund); n != 1 {
			t.Fatalf("WeChat Pay saw %d refund calls", n)
		}
		if got := h.wallet(h.holder.ID); got != before+5000 {
			t.Fatalf("wallet after refund %d", got)
		}
		h.verify()
	})
}
