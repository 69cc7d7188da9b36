package wechatpay

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments/app"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments/h5"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments/jsapi"

	"github.com/ecard/ecard/bff/payment"
)

// maxDescriptionBytes is WeChat's limit on description (string(127)).
const maxDescriptionBytes = 127

// chinaTime is +08:00: WeChat documents time_expire as
// yyyy-MM-DDTHH:mm:ss+TIMEZONE and shows Beijing time in every example.
var chinaTime = time.FixedZone("CST", 8*3600)

var orderNoRe = regexp.MustCompile(`^[0-9A-Za-z_-]{6,32}$`)

// Prepay opens the order at WeChat Pay. JSAPI answers wx.requestPayment's
// arguments (timeStamp, nonceStr, package, signType, paySign); H5 answers
// h5_url (with redirect_url when the order has a ReturnURL); app answers the
// fields the WeChat OpenSDK's PayReq takes (appid, partnerid, prepayid,
// package, noncestr, timestamp, sign).
func (p *Provider) Prepay(ctx context.Context, o payment.Order) (payment.Pay, error) {
	if err := checkOrder(o); err != nil {
		return nil, err
	}
	var expire *time.Time
	if !o.ExpiresAt.IsZero() {
		// Whole seconds: the SDK would otherwise send a fraction WeChat refuses.
		expire = core.Time(o.ExpiresAt.Truncate(time.Second).In(chinaTime))
	}
	switch o.Scene {
	case payment.SceneJSAPI:
		return p.prepayJSAPI(ctx, o, expire)
	case payment.SceneH5:
		return p.prepayH5(ctx, o, expire)
	case payment.SceneApp:
		return p.prepayApp(ctx, o, expire)
	}
	return nil, fmt.Errorf("wechatpay: scene %q is not supported", o.Scene)
}

func checkOrder(o payment.Order) error {
	switch {
	case !orderNoRe.MatchString(o.OrderNo):
		return fmt.Errorf("wechatpay: order number %q is not 6-32 of [0-9A-Za-z_-]", o.OrderNo)
	case o.AmountFen <= 0:
		return fmt.Errorf("wechatpay: order %s: amount_fen %d is not positive", o.OrderNo, o.AmountFen)
	case o.Subject == "":
		return fmt.Errorf("wechatpay: order %s: subject is empty", o.OrderNo)
	case len(o.Subject) > maxDescriptionBytes:
		return fmt.Errorf("wechatpay: order %s: subject is over %d bytes", o.OrderNo, maxDescriptionBytes)
	case o.NotifyURL == "":
		return fmt.Errorf("wechatpay: order %s: notify URL is empty", o.OrderNo)
	case o.Scene == payment.SceneJSAPI && o.OpenID == "":
		return fmt.Errorf("wechatpay: order %s: JSAPI needs the payer's openid", o.OrderNo)
	case o.Scene == payment.SceneH5 && o.ClientIP == "":
		return fmt.Errorf("wechatpay: order %s: H5 needs the payer's client IP", o.OrderNo)
	}
	return nil
}

func (p *Provider) prepayJSAPI(ctx context.Context, o payment.Order, expire *time.Time) (payment.Pay, error) {
	req := jsapi.PrepayRequest{
		Appid:       core.String(p.appID),
		Mchid:       core.String(p.mchID),
		Description: core.String(o.Subject),
		OutTradeNo:  core.String(o.OrderNo),
		TimeExpire:  expire,
		NotifyUrl:   core.String(o.NotifyURL),
		Amount:      &jsapi.Amount{Total: core.Int64(o.AmountFen), Currency: core.String("CNY")},
		Payer:       &jsapi.Payer{Openid: core.String(o.OpenID)},
	}
	if o.ClientIP != "" {
		req.SceneInfo = &jsapi.SceneInfo{PayerClientIp: core.String(o.ClientIP)}
	}
	// The SDK signs appId\ntimeStamp\nnonceStr\npackage\n with the merchant key.
	resp, _, err := p.jsapi.PrepayWithRequestPayment(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("wechatpay: jsapi prepay %s: %w", o.OrderNo, err)
	}
	if resp.PrepayId == nil || *resp.PrepayId == "" {
		return nil, fmt.Errorf("wechatpay: jsapi prepay %s: answer has no prepay_id", o.OrderNo)
	}
	return payment.Pay{
		"timeStamp": deref(resp.TimeStamp),
		"nonceStr":  deref(resp.NonceStr),
		"package":   deref(resp.Package),
		"signType":  deref(resp.SignType),
		"paySign":   deref(resp.PaySign),
	}, nil
}

func (p *Provider) prepayH5(ctx context.Context, o payment.Order, expire *time.Time) (payment.Pay, error) {
	resp, _, err := p.h5.Prepay(ctx, h5.PrepayRequest{
		Appid:       core.String(p.appID),
		Mchid:       core.String(p.mchID),
		Description: core.String(o.Subject),
		OutTradeNo:  core.String(o.OrderNo),
		TimeExpire:  expire,
		NotifyUrl:   core.String(o.NotifyURL),
		Amount:      &h5.Amount{Total: core.Int64(o.AmountFen), Currency: core.String("CNY")},
		SceneInfo: &h5.SceneInfo{
			PayerClientIp: core.String(o.ClientIP),
			H5Info:        &h5.H5Info{Type: core.String("Wap")},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("wechatpay: h5 prepay %s: %w", o.OrderNo, err)
	}
	link := deref(resp.H5Url)
	u, err := url.Parse(link)
	if link == "" || err != nil || u.Scheme != "https" {
		return nil, fmt.Errorf("wechatpay: h5 prepay %s: answer has no valid h5_url", o.OrderNo)
	}
	if o.ReturnURL != "" {
		// WeChat's documented way back to the merchant page after paying;
		// the rest of h5_url is kept byte for byte.
		sep := "&"
		if u.RawQuery == "" {
			sep = "?"
		}
		link += sep + "redirect_url=" + url.QueryEscape(o.ReturnURL)
	}
	return payment.Pay{"h5_url": link}, nil
}

func (p *Provider) prepayApp(ctx context.Context, o payment.Order, expire *time.Time) (payment.Pay, error) {
	req := app.PrepayRequest{
		Appid:       core.String(p.appID),
		Mchid:       core.String(p.mchID),
		Description: core.String(o.Subject),
		OutTradeNo:  core.String(o.OrderNo),
		TimeExpire:  expire,
		NotifyUrl:   core.String(o.NotifyURL),
		Amount:      &app.Amount{Total: core.Int64(o.AmountFen), Currency: core.String("CNY")},
	}
	if o.ClientIP != "" {
		req.SceneInfo = &app.SceneInfo{PayerClientIp: core.String(o.ClientIP)}
	}
	// The SDK signs appid\ntimestamp\nnoncestr\nprepayid\n with the merchant key.
	resp, _, err := p.app.PrepayWithRequestPayment(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("wechatpay: app prepay %s: %w", o.OrderNo, err)
	}
	if resp.PrepayId == nil || *resp.PrepayId == "" {
		return nil, fmt.Errorf("wechatpay: app prepay %s: answer has no prepay_id", o.OrderNo)
	}
	return payment.Pay{
		"appid":     p.appID,
		"partnerid": deref(resp.PartnerId),
		"prepayid":  deref(resp.PrepayId),
		"package":   deref(resp.Package),
		"noncestr":  deref(resp.NonceStr),
		"timestamp": deref(resp.TimeStamp),
		"sign":      deref(resp.Sign),
	}, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// apiCode is WeChat Pay's error code in err, or "".
func apiCode(err error) string {
	var ae *core.APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}
