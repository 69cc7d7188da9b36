package wechatpay_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ecard/ecard/bff/payment"
	"github.com/ecard/ecard/bff/wechatpay"
	"github.com/ecard/ecard/bff/wechatpay/wechatpaytest"
)

func TestQueryMapsTradeStates(t *testing.T) {
	e := setup(t)
	paidAt := e.clock.Now().Truncate(time.Second)
	e.paid(t, "T20260302000201", 5000)
	tx, _ := e.fake.Transaction("T20260302000201")
	got, err := e.p.Query(ctx(t), "T20260302000201")
	if err != nil {
		t.Fatal(err)
	}
	want := payment.Trade{OrderNo: "T20260302000201", State: payment.StatePaid,
		ProviderTxnID: tx.TransactionID, AmountFen: 5000}
	if !got.PaidAt.Equal(paidAt) {
		t.Fatalf("paid at %s, want %s", got.PaidAt, paidAt)
	}
	got.PaidAt = time.Time{}
	if got != want || want.ProviderTxnID == "" {
		t.Fatalf("query %+v, want %+v", got, want)
	}

	for state, want := range map[string]payment.TradeState{
		"NOTPAY":     payment.StateNotPaid,
		"USERPAYING": payment.StateNotPaid,
		"CLOSED":     payment.StateClosed,
		"REVOKED":    payment.StateClosed,
		"PAYERROR":   payment.StateClosed,
		"REFUND":     payment.StatePaid,
		"SUCCESS":    payment.StatePaid,
	} {
		no := "T20260302S" + state
		e.prepaid(t, no, 100)
		if err := e.fake.SetState(no, state); err != nil {
			t.Fatal(err)
		}
		got, err := e.p.Query(ctx(t), no)
		if err != nil || got.State != want || got.OrderNo != no {
			t.Errorf("%s: %+v, %v; want %s", state, got, err, want)
		}
		if want == payment.StatePaid && (got.ProviderTxnID == "" || got.AmountFen != 100 || got.PaidAt.IsZero()) {
			t.Errorf("%s: paid without its details: %+v", state, got)
		}
	}

	got, err = e.p.Query(ctx(t), "T20260302999999")
	if err != nil || got != (payment.Trade{OrderNo: "T20260302999999", State: payment.StateUnknown}) {
		t.Fatalf("unknown order: %+v, %v", got, err)
	}
	if _, err := e.p.Query(ctx(t), "bad/no"); err == nil {
		t.Fatal("a malformed order number was queried")
	}
	if n := e.fake.Calls(wechatpaytest.RouteQuery); n != 9 {
		t.Fatalf("%d queries reached WeChat, want 9", n)
	}
}

func TestClose(t *testing.T) {
	e := setup(t)
	e.prepaid(t, "T20260302000202", 100)
	if err := e.p.Close(ctx(t), "T20260302000202"); err != nil {
		t.Fatal(err)
	}
	if tr, err := e.p.Query(ctx(t), "T20260302000202"); err != nil || tr.State != payment.StateClosed {
		t.Fatalf("after close: %+v, %v", tr, err)
	}
	if _, err := e.fake.Pay("T20260302000202"); err == nil {
		t.Fatal("a closed order was paid")
	}
	if err := e.p.Close(ctx(t), "T20260302000202"); err != nil {
		t.Fatalf("closing twice: %v", err)
	}
	if err := e.p.Close(ctx(t), "T20260302000203"); err != nil {
		t.Fatalf("closing an order WeChat does not know: %v", err)
	}

	e.paid(t, "T20260302000204", 100)
	if err := e.p.Close(ctx(t), "T20260302000204"); !errors.Is(err, wechatpay.ErrOrderPaid) {
		t.Fatalf("closing a paid order: %v, want ErrOrderPaid", err)
	}
	if tr, _ := e.p.Query(ctx(t), "T20260302000204"); tr.State != payment.StatePaid {
		t.Fatalf("closing a paid order changed it: %+v", tr)
	}
	if n := e.fake.Calls(wechatpaytest.RouteClose); n != 4 {
		t.Fatalf("%d closes reached WeChat, want 4", n)
	}
}
