package wechatpay_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/wechatpay-apiv3/wechatpay-go/core"

	"github.com/ecard/ecard/bff/payment"
	"github.com/ecard/ecard/bff/wechatpay/wechatpaytest"
)

func (e env) refund(no, refundNo string, amountFen, totalFen int64) payment.Refund {
	tx, _ := e.fake.Transaction(no)
	return payment.Refund{
		OrderNo: no, ProviderTxnID: tx.TransactionID, RefundNo: refundNo,
		AmountFen: amountFen, TotalFen: totalFen, Reason: "充值退款",
	}
}

func TestRefundOnceAndNeverAboveWhatWasPaid(t *testing.T) {
	e := setup(t)
	e.paid(t, "T20260302000301", 5000)

	first, err := e.p.Refund(ctx(t), e.refund("T20260302000301", "R20260302000301", 3000, 5000))
	if err != nil {
		t.Fatal(err)
	}
	if first.RefundNo != "R20260302000301" || first.State != payment.RefundSucceeded || first.ProviderRefundID == "" {
		t.Fatalf("refund %+v", first)
	}
	// The same refund number again (a retry after a lost answer) refunds once.
	again, err := e.p.Refund(ctx(t), e.refund("T20260302000301", "R20260302000301", 3000, 5000))
	if err != nil || again != first {
		t.Fatalf("retry: %+v, %v; first %+v", again, err, first)
	}
	// So 2000 remain: more is refused, exactly that is not.
	_, err = e.p.Refund(ctx(t), e.refund("T20260302000301", "R20260302000302", 2001, 5000))
	if apiErrCode(err) != "INVALID_REQUEST" {
		t.Fatalf("refund above what remains: %v", err)
	}
	last, err := e.p.Refund(ctx(t), e.refund("T20260302000301", "R20260302000303", 2000, 5000))
	if err != nil || last.ProviderRefundID == first.ProviderRefundID {
		t.Fatalf("refund of the rest: %+v, %v", last, err)
	}
	if tx, _ := e.fake.Transaction("T20260302000301"); tx.TradeState != "REFUND" {
		t.Fatalf("trade state %s after refunds", tx.TradeState)
	}
	if _, err := e.p.Refund(ctx(t), e.refund("T20260302000301", "R20260302000304", 1, 5000)); err == nil {
		t.Fatal("a refund beyond the total was accepted")
	}
}

func TestRefundByOrderNumber(t *testing.T) {
	e := setup(t)
	e.paid(t, "T20260302000302", 5000)
	r := e.refund("T20260302000302", "R20260302000305", 5000, 5000)
	r.ProviderTxnID = ""
	if res, err := e.p.Refund(ctx(t), r); err != nil || res.State != payment.RefundSucceeded {
		t.Fatalf("refund by out_trade_no: %+v, %v", res, err)
	}
}

func TestRefundRefusals(t *testing.T) {
	e := setup(t)
	e.paid(t, "T20260302000303", 5000)
	e.prepaid(t, "T20260302000304", 5000)
	calls := func() int { return e.fake.Calls(wechatpaytest.RouteRefund) }

	for name, r := range map[string]payment.Refund{
		"above the total": e.refund("T20260302000303", "R1", 5001, 5000),
		"zero":            e.refund("T20260302000303", "R2", 0, 5000),
		"bad refund no":   e.refund("T20260302000303", "R 3", 1, 5000),
		"no refund no":    e.refund("T20260302000303", "", 1, 5000),
		"long reason": func() payment.Refund {
			r := e.refund("T20260302000303", "R4", 1, 5000)
			r.Reason = strings.Repeat("退", 81)
			return r
		}(),
		"names no order":   {RefundNo: "R5", AmountFen: 1, TotalFen: 5000},
		"negative amount":  e.refund("T20260302000303", "R6", -1, 5000),
		"total below paid": e.refund("T20260302000303", "R7", 10, 5),
	} {
		before := calls()
		if _, err := e.p.Refund(ctx(t), r); err == nil {
			t.Errorf("%s: refund accepted", name)
		}
		if calls() != before {
			t.Errorf("%s: reached WeChat", name)
		}
	}
	// WeChat's own refusals.
	if _, err := e.p.Refund(ctx(t), e.refund("T20260302000303", "R8", 10, 4000)); apiErrCode(err) != "INVALID_REQUEST" {
		t.Errorf("a wrong total: %v", err)
	}
	if _, err := e.p.Refund(ctx(t), e.refund("T20260302000304", "R9", 10, 5000)); apiErrCode(err) != "RESOURCE_NOT_EXISTS" {
		t.Errorf("refund of an unpaid order: %v", err)
	}
	if _, err := e.p.Refund(ctx(t), e.refund("T20260302000303", "R10", 10, 5000)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.Refund(ctx(t), e.refund("T20260302000303", "R10", 20, 5000)); apiErrCode(err) != "INVALID_REQUEST" {
		t.Errorf("a reused refund number with another amount: %v", err)
	}
}

func TestRefundStates(t *testing.T) {
	e := setup(t)
	e.paid(t, "T20260302000305", 5000)
	e.fake.SetRefundStatus("PROCESSING")
	res, err := e.p.Refund(ctx(t), e.refund("T20260302000305", "R20260302000306", 100, 5000))
	if err != nil || res.State != payment.RefundProcessing {
		t.Fatalf("processing: %+v, %v", res, err)
	}
	e.fake.SetRefundStatus("ABNORMAL")
	if _, err := e.p.Refund(ctx(t), e.refund("T20260302000305", "R20260302000307", 100, 5000)); err == nil {
		t.Fatal("an ABNORMAL refund was reported as done")
	}
}

func apiErrCode(err error) string {
	var ae *core.APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}
