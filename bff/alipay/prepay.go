package alipay

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/smartwalle/alipay/v3"

	"github.com/ecard/ecard/bff/payment"
)

// maxSubjectRunes is Alipay's limit on subject (string(256)); ours are short.
const maxSubjectRunes = 256

// Prepay builds what the payer's client opens; it makes no network call,
// since Alipay creates the trade when the payer opens it. Scene h5 answers
// {"url": the signed alipay.trade.wap.pay URL to send the browser to}; scene
// app answers {"order_string": the signed string the Alipay SDK's payOrder
// takes}. The order's expiry is sent as time_expire, so Alipay refuses a
// payment after the order was closed here.
func (p *Provider) Prepay(_ context.Context, o payment.Order) (payment.Pay, error) {
	switch {
	case !orderNoRe.MatchString(o.OrderNo):
		return nil, fmt.Errorf("alipay: order number %q is not 6-32 of [0-9A-Za-z_-]", o.OrderNo)
	case o.AmountFen <= 0:
		return nil, fmt.Errorf("alipay: order %s: amount must be positive", o.OrderNo)
	case o.Subject == "" || utf8.RuneCountInString(o.Subject) > maxSubjectRunes:
		return nil, fmt.Errorf("alipay: order %s: subject must be 1-%d characters", o.OrderNo, maxSubjectRunes)
	}
	if err := p.CheckScene(o.Scene); err != nil {
		return nil, err
	}
	trade := alipay.Trade{NotifyURL: o.NotifyURL, ReturnURL: o.ReturnURL, Subject: o.Subject,
		OutTradeNo: o.OrderNo, TotalAmount: Yuan(o.AmountFen)}
	expire := ""
	if !o.ExpiresAt.IsZero() {
		expire = o.ExpiresAt.In(Beijing).Format(TimeLayout)
	}
	if o.Scene == payment.SceneApp {
		trade.ProductCode, trade.TimeExpire = ProductApp, expire
		s, err := p.client.TradeAppPay(alipay.TradeAppPay{Trade: trade})
		if err != nil {
			return nil, fmt.Errorf("alipay: app pay %s: %w", o.OrderNo, err)
		}
		return payment.Pay{"order_string": s}, nil
	}
	trade.ProductCode = ProductWap
	u, err := p.client.TradeWapPay(alipay.TradeWapPay{Trade: trade, TimeExpire: expire, QuitURL: o.ReturnURL})
	if err != nil {
		return nil, fmt.Errorf("alipay: wap pay %s: %w", o.OrderNo, err)
	}
	return payment.Pay{"url": u.String()}, nil
}
