package wechatpay_test

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"maps"

	"github.com/wechatpay-apiv3/wechatpay-go/core"

	"github.com/ecard/ecard/bff/payment"
	"github.com/ecard/ecard/bff/wechatpay/wechatpaytest"
)

func TestPrepayJSAPIAnswersWxRequestPayment(t *testing.T) {
	e := setup(t)
	pay, err := e.p.Prepay(ctx(t), e.order("T20260302000001", 5000, payment.SceneJSAPI))
	if err != nil {
		t.Fatal(err)
	}
	keys := slices.Sorted(maps.Keys(pay))
	if want := []string{"nonceStr", "package", "paySign", "signType", "timeStamp"}; !slices.Equal(keys, want) {
		t.Fatalf("pay has %v, want exactly %v", keys, want)
	}
	if !strings.HasPrefix(pay["package"], "prepay_id=wx") || pay["signType"] != "RSA" {
		t.Fatalf("package %q signType %q", pay["package"], pay["signType"])
	}
	ts, err := strconv.ParseInt(pay["timeStamp"], 10, 64)
	if err != nil || time.Since(time.Unix(ts, 0)).Abs() > time.Minute {
		t.Fatalf("timeStamp %q is not unix seconds of now", pay["timeStamp"])
	}
	msg := lines(e.fake.AppID, pay["timeStamp"], pay["nonceStr"], pay["package"])
	if !verifies(&e.fake.MchKey.PublicKey, msg, pay["paySign"]) {
		t.Fatal("paySign does not verify with the merchant public key")
	}
	tx, ok := e.fake.Transaction("T20260302000001")
	if !ok || tx.TradeState != "NOTPAY" || tx.Amount.Total != 5000 {
		t.Fatalf("fake holds %+v", tx)
	}
	if n := e.fake.Calls(wechatpaytest.RoutePrepayJSAPI); n != 1 {
		t.Fatalf("%d jsapi calls, want 1", n)
	}
}

func TestPrepayJSAPINeedsOpenID(t *testing.T) {
	e := setup(t)
	o := e.order("T20260302000002", 5000, payment.SceneJSAPI)
	o.OpenID = ""
	if _, err := e.p.Prepay(ctx(t), o); err == nil {
		t.Fatal("prepay without openid succeeded")
	}
	if n := e.fake.Calls(wechatpaytest.RoutePrepayJSAPI); n != 0 {
		t.Fatalf("%d calls reached WeChat", n)
	}
}

func TestPrepaySendsTimeExpire(t *testing.T) {
	e := setup(t)
	e.prepaid(t, "T20260302000003", 100)
	e.clock.Advance(15*time.Minute + time.Second)
	if _, err := e.fake.Pay("T20260302000003"); err == nil {
		t.Fatal("the fake let an expired order be paid: time_expire was not sent")
	}
}

func TestPrepayRepeatedAnswersTheSamePrepayID(t *testing.T) {
	e := setup(t)
	o := e.order("T20260302000004", 100, payment.SceneJSAPI)
	a, err := e.p.Prepay(ctx(t), o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.p.Prepay(ctx(t), o)
	if err != nil {
		t.Fatal(err)
	}
	if a["package"] != b["package"] {
		t.Fatalf("package %q then %q", a["package"], b["package"])
	}
	o.AmountFen = 200
	if _, err := e.p.Prepay(ctx(t), o); err == nil {
		t.Fatal("the same order number with another amount was accepted")
	}
}

func TestPrepayH5AnswersH5URL(t *testing.T) {
	e := setup(t)
	o := e.order("T20260302000005", 3000, payment.SceneH5)
	o.ReturnURL = "https://ecard.example.edu/recharge/done?order=T20260302000005"
	pay, err := e.p.Prepay(ctx(t), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(pay) != 1 {
		t.Fatalf("pay %v, want only h5_url", pay)
	}
	u, err := url.Parse(pay["h5_url"])
	if err != nil || u.Scheme != "https" || !strings.HasPrefix(u.Query().Get("prepay_id"), "wx") {
		t.Fatalf("h5_url %q", pay["h5_url"])
	}
	if got := u.Query().Get("redirect_url"); got != o.ReturnURL {
		t.Fatalf("redirect_url %q, want %q", got, o.ReturnURL)
	}
	if n := e.fake.Calls(wechatpaytest.RoutePrepayH5); n != 1 {
		t.Fatalf("%d h5 calls, want 1", n)
	}

	o = e.order("T20260302000006", 3000, payment.SceneH5)
	o.ClientIP = ""
	if _, err := e.p.Prepay(ctx(t), o); err == nil {
		t.Fatal("h5 prepay without client IP succeeded")
	}
}

func TestPrepayAppAnswersPayReq(t *testing.T) {
	e := setup(t)
	o := e.order("T20260302000007", 2000, payment.SceneApp)
	o.OpenID = ""
	pay, err := e.p.Prepay(ctx(t), o)
	if err != nil {
		t.Fatal(err)
	}
	keys := slices.Sorted(maps.Keys(pay))
	if want := []string{"appid", "noncestr", "package", "partnerid", "prepayid", "sign", "timestamp"}; !slices.Equal(keys, want) {
		t.Fatalf("pay has %v, want exactly %v", keys, want)
	}
	if pay["appid"] != e.fake.AppID || pay["partnerid"] != e.fake.MchID || pay["package"] != "Sign=WXPay" ||
		!strings.HasPrefix(pay["prepayid"], "wx") {
		t.Fatalf("pay %v", pay)
	}
	msg := lines(pay["appid"], pay["timestamp"], pay["noncestr"], pay["prepayid"])
	if !verifies(&e.fake.MchKey.PublicKey, msg, pay["sign"]) {
		t.Fatal("sign does not verify with the merchant public key")
	}
	if n := e.fake.Calls(wechatpaytest.RoutePrepayApp); n != 1 {
		t.Fatalf("%d app calls, want 1", n)
	}
}

func TestPrepayRefusesBadOrders(t *testing.T) {
	e := setup(t)
	for name, change := range map[string]func(*payment.Order){
		"short order number": func(o *payment.Order) { o.OrderNo = "T1" },
		"bad order number":   func(o *payment.Order) { o.OrderNo = "T2026030200/01" },
		"zero amount":        func(o *payment.Order) { o.AmountFen = 0 },
		"no subject":         func(o *payment.Order) { o.Subject = "" },
		"long subject":       func(o *payment.Order) { o.Subject = strings.Repeat("充", 43) },
		"no notify URL":      func(o *payment.Order) { o.NotifyURL = "" },
		"unknown scene":      func(o *payment.Order) { o.Scene = "native" },
	} {
		o := e.order("T20260302000008", 100, payment.SceneJSAPI)
		change(&o)
		if _, err := e.p.Prepay(ctx(t), o); err == nil {
			t.Errorf("%s: prepay succeeded", name)
		}
	}
	if n := e.fake.Calls(wechatpaytest.RoutePrepayJSAPI); n != 0 {
		t.Fatalf("%d calls reached WeChat", n)
	}
}

func TestFakeRefusesAWrongMerchantKey(t *testing.T) {
	e := setup(t)
	cfg := e.fake.Config()
	cfg.MchPrivateKeyPEM = wechatpaytest.PrivateKeyPEM(wechatpaytest.NewMerchantKey(t))
	p := newProvider(t, cfg)
	_, err := p.Prepay(ctx(t), e.order("T20260302000009", 100, payment.SceneJSAPI))
	var ae *core.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 401 || ae.Code != "SIGN_ERROR" {
		t.Fatalf("err %v, want 401 SIGN_ERROR", err)
	}
	if e.fake.SignErrors() != 1 || e.fake.Calls(wechatpaytest.RoutePrepayJSAPI) != 0 {
		t.Fatalf("sign errors %d, calls %d", e.fake.SignErrors(), e.fake.Calls(wechatpaytest.RoutePrepayJSAPI))
	}
	if _, ok := e.fake.Transaction("T20260302000009"); ok {
		t.Fatal("the fake opened an order for a badly signed request")
	}
}

func TestProviderRefusesAnAnswerNotSignedByThePlatform(t *testing.T) {
	e := setup(t)
	cfg := e.fake.Config()
	_, otherCert := wechatpaytest.NewPlatformCert(t)
	cfg.PlatformCertPEM = pemCert(otherCert)
	p := newProvider(t, cfg)
	e.prepaid(t, "T20260302000010", 100)
	if _, err := p.Query(ctx(t), "T20260302000010"); err == nil {
		t.Fatal("an answer signed by an unknown platform certificate was believed")
	}
	if _, err := p.Prepay(ctx(t), e.order("T20260302000011", 100, payment.SceneJSAPI)); err == nil {
		t.Fatal("a prepay answer signed by an unknown platform certificate was believed")
	}
}
