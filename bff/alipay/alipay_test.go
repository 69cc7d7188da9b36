package alipay_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ecard/ecard/bff/alipay"
	"github.com/ecard/ecard/bff/alipay/alipaytest"
	"github.com/ecard/ecard/bff/payment"
	"github.com/ecard/ecard/internal/testclock"
)

var start = time.Date(2026, 9, 1, 4, 0, 0, 0, time.UTC)

func newProvider(t testing.TB) (*alipay.Provider, *alipaytest.Server, *testclock.Clock) {
	t.Helper()
	clk := testclock.New(start)
	fake := alipaytest.New(t, alipaytest.WithClock(clk.Now))
	p, err := alipay.New(fake.Config())
	if err != nil {
		t.Fatal(err)
	}
	return p, fake, clk
}

func order(no string, fen int64, scene string) payment.Order {
	return payment.Order{OrderNo: no, AmountFen: fen, Subject: "校园卡充值", Scene: scene,
		NotifyURL: "https://card.example.edu/pay/notify/alipay", ExpiresAt: start.Add(15 * time.Minute)}
}

func TestMoneyIsExactFen(t *testing.T) {
	for s, want := range map[string]int64{"0.01": 1, "12.3": 1230, "12.34": 1234, "100": 10000, "1000.00": 100000, "0": 0} {
		if got, err := alipay.ParseFen(s); err != nil || got != want {
			t.Errorf("ParseFen(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1.00", "+1", "1.234", "01.00", "1e3", "1,00", " 1", "1.", ".5", "0x10", "1000000000.00"} {
		if got, err := alipay.ParseFen(bad); err == nil {
			t.Errorf("ParseFen(%q) = %d, want an error", bad, got)
		}
	}
	for _, fen := range []int64{1, 10, 99, 100, 123456, 100000000} {
		if got, err := alipay.ParseFen(alipay.Yuan(fen)); err != nil || got != fen {
			t.Errorf("round trip of %d: %d %v", fen, got, err)
		}
	}
}

func TestConfigIsChecked(t *testing.T) {
	fake := alipaytest.New(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(*alipay.Config){
		"no app id":      func(c *alipay.Config) { c.AppID = "" },
		"no private key": func(c *alipay.Config) { c.PrivateKeyPEM = nil },
		"no public key":  func(c *alipay.Config) { c.AlipayPublicKeyPEM = nil },
		"garbage key": func(c *alipay.Config) {
			c.PrivateKeyPEM = []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
		},
		"1024-bit key":      func(c *alipay.Config) { c.PrivateKeyPEM = alipaytest.PrivateKeyPEM(small) },
		"public as private": func(c *alipay.Config) { c.PrivateKeyPEM = c.AlipayPublicKeyPEM },
		"ftp gateway":       func(c *alipay.Config) { c.GatewayURL = "ftp://openapi.alipay.com/gateway.do" },
	} {
		cfg := fake.Config()
		change(&cfg)
		if _, err := alipay.New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// The bare base64 that Alipay's key tool writes is accepted as well as PEM.
	cfg := fake.Config()
	cfg.AlipayPublicKeyPEM = []byte(bareBase64(cfg.AlipayPublicKeyPEM))
	if _, err := alipay.New(cfg); err != nil {
		t.Fatal(err)
	}
}

func bareBase64(pemBytes []byte) string {
	var b strings.Builder
	for _, line := range strings.Split(string(pemBytes), "\n") {
		if !strings.HasPrefix(line, "-----") {
			b.WriteString(line)
		}
	}
	return b.String()
}

func TestPrepayPaysThroughTheCashier(t *testing.T) {
	p, fake, _ := newProvider(t)
	ctx := context.Background()
	wap, err := p.Prepay(ctx, order("EC20260901120000000001", 5000, payment.SceneH5))
	if err != nil {
		t.Fatal(err)
	}
	if len(wap) != 1 || !strings.HasPrefix(wap["url"], fake.GatewayURL()+"?") {
		t.Fatalf("wap pay: %v", wap)
	}
	app, err := p.Prepay(ctx, order("EC20260901120000000002", 1, payment.SceneApp))
	if err != nil {
		t.Fatal(err)
	}
	if len(app) != 1 || !strings.Contains(app["order_string"], "method=alipay.trade.app.pay") {
		t.Fatalf("app pay: %v", app)
	}
	if _, err := p.Prepay(ctx, order("EC20260901120000000003", 100, payment.SceneJSAPI)); !errors.Is(err, alipay.ErrScene) {
		t.Fatalf("jsapi: %v", err)
	}
	if err := p.CheckScene(payment.SceneJSAPI); !errors.Is(err, alipay.ErrScene) {
		t.Fatalf("CheckScene(jsapi) = %v", err)
	}
	// The fake cashier checks our signature; a changed amount breaks it.
	tampered := payment.Pay{"url": strings.Replace(wap["url"], "50.00", "0.01", 1)}
	if _, err := fake.Open(tampered); err == nil || !strings.Contains(err.Error(), "invalid-signature") {
		t.Fatalf("tampered pay URL opened: %v", err)
	}
	for no, pay := range map[string]payment.Pay{"EC20260901120000000001": wap, "EC20260901120000000002": app} {
		cb, err := fake.Pay(pay)
		if err != nil {
			t.Fatal(err)
		}
		n, err := p.ParseNotify(ctx, cb)
		if err != nil {
			t.Fatal(err)
		}
		tr, _ := fake.Trade(no)
		if n.OrderNo != no || !n.Paid || n.AmountFen != tr.AmountFen || n.ProviderTxnID != tr.TradeNo || !n.PaidAt.Equal(start) {
			t.Fatalf("notification %+v for %+v", n, tr)
		}
	}
}

func TestNotificationsAreVerified(t *testing.T) {
	p, fake, clk := newProvider(t)
	ctx := context.Background()
	const no = "EC20260901120000000009"
	pay, err := p.Prepay(ctx, order(no, 2000, payment.SceneH5))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fake.Pay(pay); err != nil {
		t.Fatal(err)
	}
	good, _ := fake.NotificationValues(no)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	with := func(k, v string) url.Values {
		c := url.Values{}
		for key, vs := range good {
			c[key] = append([]string(nil), vs...)
		}
		if v == "" {
			c.Del(k)
		} else {
			c.Set(k, v)
		}
		return c
	}
	signed := fake.SignedCallback(good)
	tampered := payment.Callback{Header: signed.Header, Body: []byte(strings.Replace(string(signed.Body), "total_amount=20.00", "total_amount=2000.00", 1))}
	if string(tampered.Body) == string(signed.Body) {
		t.Fatal("tampering did not change the body")
	}
	refused := map[string]payment.Callback{
		"forged key":       alipaytest.SignedCallback(other, good),
		"tampered amount":  tampered,
		"unsigned":         {Body: []byte(good.Encode())},
		"other app":        fake.SignedCallback(with("app_id", "2021000000009999")),
		"cert mode":        fake.SignedCallback(with("alipay_cert_sn", "d41d8cd98f00b204e9800998ecf8427e")),
		"stale":            fake.SignedCallback(with("notify_time", start.Add(-27*time.Hour).In(alipay.Beijing).Format(alipay.TimeLayout))),
		"from the future":  fake.SignedCallback(with("notify_time", start.Add(time.Hour).In(alipay.Beijing).Format(alipay.TimeLayout))),
		"float amount":     fake.SignedCallback(with("total_amount", "2e1")),
		"unknown status":   fake.SignedCallback(with("trade_status", "TRADE_PENDING")),
		"not our order":    fake.SignedCallback(with("out_trade_no", "../../etc")),
		"no trade_no":      fake.SignedCallback(with("trade_no", "")),
		"other notify":     fake.SignedCallback(with("notify_type", "fund_change")),
		"empty":            {},
		"repeated field":   {Body: append(append([]byte{}, signed.Body...), "&out_trade_no=EC20260901120000000010"...)},
		"not a form":       {Body: []byte("%zz")},
		"sign type RSA":    {Body: []byte(strings.Replace(string(signed.Body), "sign_type=RSA2", "sign_type=RSA", 1))},
		"paid without gmt": fake.SignedCallback(with("gmt_payment", "")),
	}
	for name, cb := range refused {
		if n, err := p.ParseNotify(ctx, cb); !errors.Is(err, payment.ErrRefused) {
			t.Errorf("%s: %+v %v", name, n, err)
		}
	}
	// A notification a day old is one of Alipay's retries and still good.
	clk.Advance(24 * time.Hour)
	if n, err := p.ParseNotify(ctx, signed); err != nil || !n.Paid || n.AmountFen != 2000 {
		t.Fatalf("retry: %+v %v", n, err)
	}
	// The notice after a refund, and a closed trade, credit nothing.
	for name, v := range map[string]url.Values{"refund notice": with("gmt_refund", "2026-09-02 12:00:00"),
		"closed": with("trade_status", alipay.StatusClosed)} {
		if n, err := p.ParseNotify(ctx, fake.SignedCallback(v)); err != nil || n.Paid {
			t.Errorf("%s: %+v %v", name, n, err)
		}
	}
}

func TestQueryCloseAndRefund(t *testing.T) {
	p, fake, _ := newProvider(t)
	ctx := context.Background()
	const paid, waiting, never = "EC20260901120000000021", "EC20260901120000000022", "EC20260901120000000023"
	payPaid, _ := p.Prepay(ctx, order(paid, 3000, payment.SceneH5))
	payWaiting, _ := p.Prepay(ctx, order(waiting, 800, payment.SceneApp))
	if _, err := fake.Pay(payPaid); err != nil {
		t.Fatal(err)
	}
	if _, err := fake.Open(payWaiting); err != nil {
		t.Fatal(err)
	}
	tr, err := p.Query(ctx, paid)
	if err != nil || tr.State != payment.StatePaid || tr.AmountFen != 3000 || tr.ProviderTxnID == "" || !tr.PaidAt.Equal(start) {
		t.Fatalf("paid: %+v %v", tr, err)
	}
	if tr, err := p.Query(ctx, waiting); err != nil || tr.State != payment.StateNotPaid {
		t.Fatalf("waiting: %+v %v", tr, err)
	}
	if tr, err := p.Query(ctx, never); err != nil || tr.State != payment.StateUnknown {
		t.Fatalf("never opened: %+v %v", tr, err)
	}
	for _, no := range []string{waiting, never, paid} {
		if err := p.Close(ctx, no); err != nil {
			t.Fatalf("close %s: %v", no, err)
		}
	}
	if tr, err := p.Query(ctx, waiting); err != nil || tr.State != payment.StateClosed {
		t.Fatalf("closed: %+v %v", tr, err)
	}
	if tr, err := p.Query(ctx, paid); err != nil || tr.State != payment.StatePaid {
		t.Fatalf("closing a paid trade changed it: %+v %v", tr, err)
	}
	r := payment.Refund{OrderNo: paid, RefundNo: paid + "R1", AmountFen: 3000, TotalFen: 3000, Reason: "校园卡充值退款"}
	for i := 0; i < 2; i++ {
		res, err := p.Refund(ctx, r)
		if err != nil || res.State != payment.RefundSucceeded || res.ProviderRefundID != paid+"R1" {
			t.Fatalf("refund %d: %+v %v", i, res, err)
		}
	}
	if got, _ := fake.Trade(paid); got.RefundedFen != 3000 || got.Status != alipay.StatusClosed {
		t.Fatalf("refunded twice or not at all: %+v", got)
	}
	if _, err := p.Refund(ctx, payment.Refund{OrderNo: waiting, RefundNo: waiting + "R1", AmountFen: 800, TotalFen: 800}); err == nil {
		t.Fatal("refunded an unpaid trade")
	}
	if _, err := p.Refund(ctx, payment.Refund{OrderNo: paid, RefundNo: "bad refund no", AmountFen: 1, TotalFen: 1}); err == nil {
		t.Fatal("accepted a bad refund number")
	}
	if n := fake.Calls(alipaytest.MethodRefund); n != 3 {
		t.Fatalf("%d refund calls reached the gateway", n)
	}
}

// Answers not signed by Alipay's key are not believed.
func TestAnswersMustBeSignedByAlipay(t *testing.T) {
	_, fake, _ := newProvider(t)
	impostor := alipaytest.New(t)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	impostor.AlipayKey = other
	cfg := fake.Config()
	cfg.GatewayURL, cfg.HTTPClient = impostor.GatewayURL(), nil
	p, err := alipay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if tr, err := p.Query(context.Background(), "EC20260901120000000031"); err == nil {
		t.Fatalf("believed an answer signed by another key: %+v", tr)
	}
}

// The fake delivers notifications over HTTP to the notify_url of the order,
// and hears "success" only from a handler that accepted it.
func TestFakeSendsNotificationsToTheNotifyURL(t *testing.T) {
	p, fake, _ := newProvider(t)
	ctx := context.Background()
	var got payment.Notification
	ours := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		n, err := p.ParseNotify(r.Context(), payment.Callback{Header: r.Header, Body: body})
		a := p.Ack()
		if err != nil {
			a = p.Nack(err.Error())
		}
		got = n
		w.Header().Set("Content-Type", a.ContentType)
		w.WriteHeader(a.Status)
		_, _ = w.Write(a.Body)
	}))
	defer ours.Close()
	const no = "EC20260901120000000041"
	o := order(no, 1234, payment.SceneH5)
	o.NotifyURL = ours.URL + "/pay/notify/alipay"
	pay, err := p.Prepay(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fake.Pay(pay); err != nil {
		t.Fatal(err)
	}
	answer, err := fake.Send(ctx, ours.Client(), no)
	if err != nil || answer != "success" || got.OrderNo != no || got.AmountFen != 1234 {
		t.Fatalf("answer %q %v, notification %+v", answer, err, got)
	}
}
