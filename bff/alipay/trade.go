package alipay

import (
	"context"
	"fmt"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/smartwalle/alipay/v3"

	"github.com/ecard/ecard/bff/payment"
)

// Business error sub-codes this package acts on.
const (
	SubCodeTradeNotExist    = "ACQ.TRADE_NOT_EXIST"
	SubCodeTradeStatusError = "ACQ.TRADE_STATUS_ERROR"
)

// refundNoRe is Alipay's rule for out_request_no.
var refundNoRe = regexp.MustCompile(`^[0-9A-Za-z_-]{1,64}$`)

// maxReasonRunes is Alipay's limit on refund_reason (string(256)).
const maxReasonRunes = 256

// apiError describes an answer that is signed but not a success.
func apiError(op, orderNo string, e alipay.Error) error {
	return fmt.Errorf("alipay: %s %s: %s %s %.40q %.80q", op, orderNo, e.Code, e.SubCode, e.Msg, e.SubMsg)
}

// Query asks alipay.trade.query about the order. WAIT_BUYER_PAY is not paid
// yet; TRADE_SUCCESS and TRADE_FINISHED are paid; TRADE_CLOSED will never
// be paid; ACQ.TRADE_NOT_EXIST (the payer never opened the cashier) is
// StateUnknown. The answer's signature is verified by the library.
func (p *Provider) Query(ctx context.Context, orderNo string) (payment.Trade, error) {
	if !orderNoRe.MatchString(orderNo) {
		return payment.Trade{}, fmt.Errorf("alipay: order number %q is not 6-32 of [0-9A-Za-z_-]", orderNo)
	}
	rsp, err := p.client.TradeQuery(ctx, alipay.TradeQuery{OutTradeNo: orderNo})
	if err != nil {
		return payment.Trade{}, fmt.Errorf("alipay: query %s: %w", orderNo, err)
	}
	if rsp.Code != alipay.CodeSuccess {
		if rsp.SubCode == SubCodeTradeNotExist {
			return payment.Trade{OrderNo: orderNo, State: payment.StateUnknown}, nil
		}
		return payment.Trade{}, apiError("query", orderNo, rsp.Error)
	}
	if rsp.OutTradeNo != orderNo {
		return payment.Trade{}, fmt.Errorf("alipay: query %s: answer is about order %.40q", orderNo, rsp.OutTradeNo)
	}
	t := payment.Trade{OrderNo: orderNo, ProviderTxnID: rsp.TradeNo}
	switch rsp.TradeStatus {
	case StatusSuccess, StatusFinished:
		t.State = payment.StatePaid
		if t.AmountFen, err = ParseFen(rsp.TotalAmount); err != nil || t.AmountFen <= 0 {
			return payment.Trade{}, fmt.Errorf("alipay: query %s: paid, but total_amount %.24q", orderNo, rsp.TotalAmount)
		}
		if t.ProviderTxnID == "" || len(t.ProviderTxnID) > 64 {
			return payment.Trade{}, fmt.Errorf("alipay: query %s: paid without a trade_no", orderNo)
		}
		// send_pay_date is when the money reached the merchant; an answer
		// without it is still paid, and the ledger then uses its own time.
		if rsp.SendPayDate != "" {
			if t.PaidAt, err = time.ParseInLocation(TimeLayout, rsp.SendPayDate, Beijing); err != nil {
				return payment.Trade{}, fmt.Errorf("alipay: query %s: send_pay_date: %w", orderNo, err)
			}
		}
	case StatusWaitBuyerPay:
		t.State = payment.StateNotPaid
	case StatusClosed:
		t.State = payment.StateClosed
	default:
		return payment.Trade{}, fmt.Errorf("alipay: query %s: unknown trade_status %.24q", orderNo, rsp.TradeStatus)
	}
	return t, nil
}

// Close asks alipay.trade.close to close an unpaid trade. A trade Alipay
// never created (ACQ.TRADE_NOT_EXIST) needs no closing: its time_expire
// already stops a late payment. ACQ.TRADE_STATUS_ERROR (the trade is paid or
// already closed) is no error either: the sweeper queries again after
// closing and acts on what it hears.
func (p *Provider) Close(ctx context.Context, orderNo string) error {
	if !orderNoRe.MatchString(orderNo) {
		return fmt.Errorf("alipay: order number %q is not 6-32 of [0-9A-Za-z_-]", orderNo)
	}
	rsp, err := p.client.TradeClose(ctx, alipay.TradeClose{OutTradeNo: orderNo})
	if err != nil {
		return fmt.Errorf("alipay: close %s: %w", orderNo, err)
	}
	switch {
	case rsp.Code == alipay.CodeSuccess:
		if rsp.OutTradeNo != "" && rsp.OutTradeNo != orderNo {
			return fmt.Errorf("alipay: close %s: answer is about order %.40q", orderNo, rsp.OutTradeNo)
		}
		return nil
	case rsp.SubCode == SubCodeTradeNotExist, rsp.SubCode == SubCodeTradeStatusError:
		return nil
	}
	return apiError("close", orderNo, rsp.Error)
}

// Refund asks alipay.trade.refund to return money, with out_request_no =
// RefundNo: Alipay refunds once per out_request_no and answers a repeat
// with the first result (fund_change "N"), so retrying after a lost answer
// refunds once. A success answer means the refund is done (Alipay refunds
// synchronously); the refund is identified at Alipay, and in its bill, by
// the out_request_no, which is answered as ProviderRefundID.
func (p *Provider) Refund(ctx context.Context, r payment.Refund) (payment.RefundResult, error) {
	var none payment.RefundResult
	switch {
	case !refundNoRe.MatchString(r.RefundNo):
		return none, fmt.Errorf("alipay: refund number %q is not 1-64 of [0-9A-Za-z_-]", r.RefundNo)
	case !orderNoRe.MatchString(r.OrderNo):
		return none, fmt.Errorf("alipay: refund %s: order number %q is not one of ours", r.RefundNo, r.OrderNo)
	case r.AmountFen <= 0 || r.AmountFen > r.TotalFen:
		return none, fmt.Errorf("alipay: refund %s: amount_fen %d is not in 1..%d", r.RefundNo, r.AmountFen, r.TotalFen)
	case utf8.RuneCountInString(r.Reason) > maxReasonRunes:
		return none, fmt.Errorf("alipay: refund %s: reason is over %d characters", r.RefundNo, maxReasonRunes)
	}
	rsp, err := p.client.TradeRefund(ctx, alipay.TradeRefund{OutTradeNo: r.OrderNo, RefundAmount: Yuan(r.AmountFen),
		RefundReason: r.Reason, OutRequestNo: r.RefundNo})
	if err != nil {
		return none, fmt.Errorf("alipay: refund %s: %w", r.RefundNo, err)
	}
	if rsp.Code != alipay.CodeSuccess {
		return none, apiError("refund", r.RefundNo, rsp.Error)
	}
	if rsp.OutTradeNo != r.OrderNo {
		return none, fmt.Errorf("alipay: refund %s: answer is about order %.40q", r.RefundNo, rsp.OutTradeNo)
	}
	// refund_fee is what the trade has had refunded in all, this one included.
	if total, err := ParseFen(rsp.RefundFee); err != nil || total < r.AmountFen {
		return none, fmt.Errorf("alipay: refund %s: refund_fee %.24q is less than the refund", r.RefundNo, rsp.RefundFee)
	}
	return payment.RefundResult{RefundNo: r.RefundNo, ProviderRefundID: r.RefundNo, State: payment.RefundSucceeded}, nil
}
