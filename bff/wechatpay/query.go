package wechatpay

import (
	"context"
	"fmt"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments/jsapi"

	"github.com/ecard/ecard/bff/payment"
)

// Query asks WeChat Pay for the order (GET
// /v3/pay/transactions/out-trade-no/{no}). SUCCESS and REFUND are paid (a
// refunded order was paid first); NOTPAY, USERPAYING and ACCEPT are not paid
// yet; CLOSED, REVOKED and PAYERROR will never be paid; ORDER_NOT_EXIST is
// StateUnknown. Any other trade_state is an error, not a guess.
func (p *Provider) Query(ctx context.Context, orderNo string) (payment.Trade, error) {
	if !orderNoRe.MatchString(orderNo) {
		return payment.Trade{}, fmt.Errorf("wechatpay: order number %q is not 6-32 of [0-9A-Za-z_-]", orderNo)
	}
	// Every scene's service calls the same endpoint; jsapi's serves them all.
	tx, _, err := p.jsapi.QueryOrderByOutTradeNo(ctx, jsapi.QueryOrderByOutTradeNoRequest{
		OutTradeNo: core.String(orderNo),
		Mchid:      core.String(p.mchID),
	})
	if apiCode(err) == "ORDER_NOT_EXIST" {
		return payment.Trade{OrderNo: orderNo, State: payment.StateUnknown}, nil
	}
	if err != nil {
		return payment.Trade{}, fmt.Errorf("wechatpay: query %s: %w", orderNo, err)
	}
	if deref(tx.OutTradeNo) != orderNo || deref(tx.Mchid) != p.mchID {
		return payment.Trade{}, fmt.Errorf("wechatpay: query %s: answer is about order %.40q of merchant %.40q",
			orderNo, deref(tx.OutTradeNo), deref(tx.Mchid))
	}
	t := payment.Trade{OrderNo: orderNo, ProviderTxnID: deref(tx.TransactionId)}
	if tx.Amount != nil && tx.Amount.Total != nil {
		t.AmountFen = *tx.Amount.Total
	}
	state := deref(tx.TradeState)
	switch state {
	case "SUCCESS", "REFUND":
		t.State = payment.StatePaid
		if t.ProviderTxnID == "" || t.AmountFen <= 0 {
			return payment.Trade{}, fmt.Errorf("wechatpay: query %s: paid without transaction_id or amount", orderNo)
		}
		if t.PaidAt, err = time.Parse(time.RFC3339, deref(tx.SuccessTime)); err != nil {
			return payment.Trade{}, fmt.Errorf("wechatpay: query %s: success_time: %w", orderNo, err)
		}
	case "NOTPAY", "USERPAYING", "ACCEPT":
		t.State = payment.StateNotPaid
	case "CLOSED", "REVOKED", "PAYERROR":
		t.State = payment.StateClosed
	default:
		return payment.Trade{}, fmt.Errorf("wechatpay: query %s: unknown trade_state %.20q", orderNo, state)
	}
	return t, nil
}

// Close closes an unpaid order (POST …/out-trade-no/{no}/close). Closing a
// closed order succeeds; closing a paid one answers ErrOrderPaid.
func (p *Provider) Close(ctx context.Context, orderNo string) error {
	if !orderNoRe.MatchString(orderNo) {
		return fmt.Errorf("wechatpay: order number %q is not 6-32 of [0-9A-Za-z_-]", orderNo)
	}
	_, err := p.jsapi.CloseOrder(ctx, jsapi.CloseOrderRequest{
		OutTradeNo: core.String(orderNo),
		Mchid:      core.String(p.mchID),
	})
	switch apiCode(err) {
	case "":
	case "ORDER_CLOSED", "ORDERCLOSED":
		return nil
	case "ORDERPAID", "ORDER_PAID":
		return fmt.Errorf("wechatpay: close %s: %w", orderNo, ErrOrderPaid)
	}
	if err != nil {
		return fmt.Errorf("wechatpay: close %s: %w", orderNo, err)
	}
	return nil
}
