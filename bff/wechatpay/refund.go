package wechatpay

import (
	"context"
	"fmt"
	"regexp"
	"unicode/utf8"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"

	"github.com/ecard/ecard/bff/payment"
)

// refundNoRe is WeChat's rule for out_refund_no.
var refundNoRe = regexp.MustCompile(`^[0-9A-Za-z_\-|*@]{1,64}$`)

// maxReasonRunes is WeChat's limit on a refund reason (string(80)).
const maxReasonRunes = 80

// Refund asks WeChat Pay to return money (POST /v3/refund/domestic/refunds).
// WeChat dedupes on out_refund_no, so retrying with the same RefundNo after
// a lost answer refunds once. SUCCESS is RefundSucceeded and PROCESSING is
// RefundProcessing; CLOSED or ABNORMAL is an error: the money did not move.
func (p *Provider) Refund(ctx context.Context, r payment.Refund) (payment.RefundResult, error) {
	var none payment.RefundResult
	switch {
	case !refundNoRe.MatchString(r.RefundNo):
		return none, fmt.Errorf("wechatpay: refund number %q is not 1-64 of [0-9A-Za-z_-|*@]", r.RefundNo)
	case r.OrderNo == "" && r.ProviderTxnID == "":
		return none, fmt.Errorf("wechatpay: refund %s names no order", r.RefundNo)
	case r.AmountFen <= 0 || r.AmountFen > r.TotalFen:
		return none, fmt.Errorf("wechatpay: refund %s: amount_fen %d is not in 1..%d", r.RefundNo, r.AmountFen, r.TotalFen)
	case utf8.RuneCountInString(r.Reason) > maxReasonRunes:
		return none, fmt.Errorf("wechatpay: refund %s: reason is over %d characters", r.RefundNo, maxReasonRunes)
	}
	req := refunddomestic.CreateRequest{
		OutRefundNo: core.String(r.RefundNo),
		Amount: &refunddomestic.AmountReq{
			Refund:   core.Int64(r.AmountFen),
			Total:    core.Int64(r.TotalFen),
			Currency: core.String("CNY"),
		},
	}
	// WeChat takes one of the two and prefers transaction_id.
	if r.ProviderTxnID != "" {
		req.TransactionId = core.String(r.ProviderTxnID)
	} else {
		req.OutTradeNo = core.String(r.OrderNo)
	}
	if r.Reason != "" {
		req.Reason = core.String(r.Reason)
	}
	if r.NotifyURL != "" {
		req.NotifyUrl = core.String(r.NotifyURL)
	}
	resp, _, err := p.refunds.Create(ctx, req)
	if err != nil {
		return none, fmt.Errorf("wechatpay: refund %s: %w", r.RefundNo, err)
	}
	if deref(resp.OutRefundNo) != r.RefundNo {
		return none, fmt.Errorf("wechatpay: refund %s: answer is about refund %.64q", r.RefundNo, deref(resp.OutRefundNo))
	}
	res := payment.RefundResult{RefundNo: r.RefundNo, ProviderRefundID: deref(resp.RefundId)}
	var status refunddomestic.Status
	if resp.Status != nil {
		status = *resp.Status
	}
	switch status {
	case refunddomestic.STATUS_SUCCESS:
		res.State = payment.RefundSucceeded
	case refunddomestic.STATUS_PROCESSING:
		res.State = payment.RefundProcessing
	default:
		return none, fmt.Errorf("wechatpay: refund %s is %.20q", r.RefundNo, string(status))
	}
	if res.ProviderRefundID == "" {
		return none, fmt.Errorf("wechatpay: refund %s: answer has no refund_id", r.RefundNo)
	}
	return res, nil
}
