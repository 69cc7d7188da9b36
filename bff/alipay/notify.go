package alipay

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/ecard/ecard/bff/payment"
)

// Notification fields and values this package relies on.
const (
	NotifyTypeTrade = "trade_status_sync"
	SignTypeRSA2    = "RSA2"

	StatusWaitBuyerPay = "WAIT_BUYER_PAY"
	StatusClosed       = "TRADE_CLOSED"
	StatusSuccess      = "TRADE_SUCCESS"
	StatusFinished     = "TRADE_FINISHED"
)

// Freshness of notify_time. Alipay resends an unanswered notification for
// about 25 hours (4m, 10m, 10m, 1h, 2h, 6h, 15h), so anything older than
// NotifyMaxAge is a replay, and one from the future beyond NotifyMaxAhead is
// made up.
const (
	NotifyMaxAge   = 26 * time.Hour
	NotifyMaxAhead = 5 * time.Minute
)

// ParseNotify verifies an asynchronous notification (a form-encoded POST)
// and answers what it says. Checked in this order: size, form syntax (each
// field once), sign_type RSA2 and no certificate-mode alipay_cert_sn, the
// RSA2 signature by Alipay's configured public key over every other field,
// then the content: our app_id, a trade_status_sync, one of our order
// numbers, a trade_no, total_amount as exact fen, a fresh notify_time, and
// a known trade_status. TRADE_SUCCESS and TRADE_FINISHED are paid, except
// the notice Alipay sends after a refund (it carries out_biz_no or
// gmt_refund), which credits nothing. Every error wraps payment.ErrRefused.
func (p *Provider) ParseNotify(ctx context.Context, cb payment.Callback) (payment.Notification, error) {
	n, err := p.parseNotify(ctx, cb.Body)
	if err != nil {
		return payment.Notification{}, fmt.Errorf("alipay: %w: %s", payment.ErrRefused, err)
	}
	return n, nil
}

func (p *Provider) parseNotify(ctx context.Context, body []byte) (payment.Notification, error) {
	var none payment.Notification
	if len(body) == 0 || len(body) > MaxNotifyBytes {
		return none, fmt.Errorf("body of %d bytes is not 1 to %d", len(body), MaxNotifyBytes)
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return none, fmt.Errorf("body is not a form: %v", err)
	}
	for k, vs := range v {
		// A repeated field would be signed as two pairs but read as one.
		if len(vs) != 1 {
			return none, fmt.Errorf("field %.40q appears %d times", k, len(vs))
		}
	}
	if t := v.Get("sign_type"); t != SignTypeRSA2 {
		return none, fmt.Errorf("sign_type %.16q is not %s", t, SignTypeRSA2)
	}
	if v.Has("alipay_cert_sn") {
		return none, fmt.Errorf("alipay_cert_sn given, but this application is in public-key mode")
	}
	if v.Get("sign") == "" {
		return none, fmt.Errorf("no sign")
	}
	if err := p.client.VerifySign(ctx, v); err != nil {
		return none, fmt.Errorf("bad signature: %v", err)
	}

	// From here on the fields are Alipay's own.
	orderNo, tradeNo := v.Get("out_trade_no"), v.Get("trade_no")
	switch {
	case v.Get("app_id") != p.appID:
		return none, fmt.Errorf("app_id %.40q is not ours", v.Get("app_id"))
	case v.Get("notify_type") != NotifyTypeTrade:
		return none, fmt.Errorf("notify_type %.40q is not %s", v.Get("notify_type"), NotifyTypeTrade)
	case !orderNoRe.MatchString(orderNo):
		return none, fmt.Errorf("out_trade_no %.40q is not one of ours", orderNo)
	case tradeNo == "" || len(tradeNo) > 64:
		return none, fmt.Errorf("order %s: trade_no is missing or too long", orderNo)
	}
	amount, err := ParseFen(v.Get("total_amount"))
	if err != nil || amount <= 0 {
		return none, fmt.Errorf("order %s: total_amount %.24q is not a positive amount", orderNo, v.Get("total_amount"))
	}
	notified, err := time.ParseInLocation(TimeLayout, v.Get("notify_time"), Beijing)
	if err != nil {
		return none, fmt.Errorf("order %s: notify_time %.24q: %v", orderNo, v.Get("notify_time"), err)
	}
	now := p.now()
	if notified.Before(now.Add(-NotifyMaxAge)) || notified.After(now.Add(NotifyMaxAhead)) {
		return none, fmt.Errorf("order %s: notify_time %s is stale", orderNo, v.Get("notify_time"))
	}
	n := payment.Notification{OrderNo: orderNo, ProviderTxnID: tradeNo, AmountFen: amount}
	switch status := v.Get("trade_status"); status {
	case StatusSuccess, StatusFinished:
		n.Paid = !v.Has("out_biz_no") && !v.Has("gmt_refund")
	case StatusWaitBuyerPay, StatusClosed:
	default:
		return none, fmt.Errorf("order %s: unknown trade_status %.24q", orderNo, status)
	}
	if n.Paid {
		if n.PaidAt, err = time.ParseInLocation(TimeLayout, v.Get("gmt_payment"), Beijing); err != nil {
			return none, fmt.Errorf("order %s: gmt_payment %.24q: %v", orderNo, v.Get("gmt_payment"), err)
		}
	}
	return n, nil
}
