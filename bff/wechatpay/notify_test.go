package wechatpay_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ecard/ecard/bff/payment"
	"github.com/ecard/ecard/bff/wechatpay"
	"github.com/ecard/ecard/bff/wechatpay/wechatpaytest"
)

func TestNotificationRoundTrip(t *testing.T) {
	e := setup(t)
	cb := e.paid(t, "T20260302000101", 5000)
	n, err := e.p.ParseNotify(ctx(t), cb)
	if err != nil {
		t.Fatal(err)
	}
	tx, _ := e.fake.Transaction("T20260302000101")
	if n.OrderNo != "T20260302000101" || n.AmountFen != 5000 || !n.Paid || n.ProviderTxnID != tx.TransactionID {
		t.Fatalf("notification %+v, transaction %+v", n, tx)
	}
	if !n.PaidAt.Equal(e.clock.Now().Truncate(time.Second)) {
		t.Fatalf("paid at %s, want %s", n.PaidAt, e.clock.Now())
	}

	// WeChat resends until acked: a resend says the same.
	again, err := e.fake.Pay("T20260302000101")
	if err != nil {
		t.Fatal(err)
	}
	n2, err := e.p.ParseNotify(ctx(t), again)
	if err != nil || n2 != n {
		t.Fatalf("resend: %+v, %v; first %+v", n2, err, n)
	}
}

func TestNotificationOverHTTP(t *testing.T) {
	e := setup(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, wechatpay.MaxNotifyBytes+1))
		a := e.p.Ack()
		if _, err := e.p.ParseNotify(r.Context(), payment.Callback{Header: r.Header, Body: body}); err != nil {
			a = e.p.Nack(err.Error())
		}
		if a.ContentType != "" {
			w.Header().Set("Content-Type", a.ContentType)
		}
		w.WriteHeader(a.Status)
		_, _ = w.Write(a.Body)
	}))
	t.Cleanup(srv.Close)

	cb := e.paid(t, "T20260302000102", 100)
	status, body, err := e.fake.Notify(ctx(t), srv.URL, cb)
	if err != nil || status != http.StatusNoContent || len(body) != 0 {
		t.Fatalf("ack: %d %q %v", status, body, err)
	}

	forged := e.fake.NotificationFor("T20260302000102", 100, e.clock.Now())
	forged.Header.Set(wechatpay.HeaderSignature, "WECHATPAY/SIGNTEST/"+forged.Header.Get(wechatpay.HeaderSignature))
	status, body, err = e.fake.Notify(ctx(t), srv.URL, forged)
	var nack struct{ Code, Message string }
	if err != nil || status != http.StatusInternalServerError || json.Unmarshal(body, &nack) != nil || nack.Code != "FAIL" || nack.Message == "" {
		t.Fatalf("nack: %d %q %v", status, body, err)
	}
}

func TestAckAndNack(t *testing.T) {
	e := setup(t)
	if a := e.p.Ack(); a.Status != 204 || len(a.Body) != 0 {
		t.Fatalf("ack %+v", a)
	}
	a := e.p.Nack(`busy "now"`)
	var got map[string]string
	if a.Status != 500 || a.ContentType != "application/json" || json.Unmarshal(a.Body, &got) != nil ||
		len(got) != 2 || got["code"] != "FAIL" || got["message"] != `busy "now"` {
		t.Fatalf("nack %+v", a)
	}
	if e.p.Channel() != payment.ChannelWeChatPay {
		t.Fatalf("channel %q", e.p.Channel())
	}
}

func TestNotificationFreshnessWindow(t *testing.T) {
	e := setup(t)
	e.prepaid(t, "T20260302000103", 100)
	now := e.clock.Now()
	for _, c := range []struct {
		at time.Time
		ok bool
	}{
		{now.Add(-5 * time.Minute), true},
		{now.Add(5 * time.Minute), true},
		{now.Add(-5*time.Minute - time.Second), false},
		{now.Add(5*time.Minute + time.Second), false},
		{now.Add(-24 * time.Hour), false},
	} {
		_, err := e.p.ParseNotify(ctx(t), e.fake.NotificationFor("T20260302000103", 100, c.at))
		if c.ok && err != nil {
			t.Errorf("at now%+v: %v", c.at.Sub(now), err)
		}
		if !c.ok && !errors.Is(err, payment.ErrRefused) {
			t.Errorf("at now%+v: err %v, want ErrRefused", c.at.Sub(now), err)
		}
	}

	// A notification kept and replayed later is stale too.
	cb, err := e.fake.Pay("T20260302000103")
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(5*time.Minute + time.Second)
	if _, err := e.p.ParseNotify(ctx(t), cb); !errors.Is(err, payment.ErrRefused) {
		t.Fatalf("replayed after 5 min: %v", err)
	}
}

func TestNotificationRefusals(t *testing.T) {
	e := setup(t)
	valid := e.paid(t, "T20260302000104", 5000)
	now := e.clock.Now()
	tx, _ := e.fake.Transaction("T20260302000104")
	otherKey, _ := wechatpaytest.NewPlatformCert(t)

	clone := func(cb payment.Callback) payment.Callback {
		return payment.Callback{Header: cb.Header.Clone(), Body: bytes.Clone(cb.Body)}
	}
	withTx := func(change func(*wechatpaytest.Transaction)) payment.Callback {
		t2 := tx
		a := *tx.Amount
		t2.Amount = &a
		change(&t2)
		return e.fake.Notification("TRANSACTION.SUCCESS", t2, now)
	}
	withResource := func(change func(map[string]any)) payment.Callback {
		plain, _ := json.Marshal(tx)
		var body map[string]any
		if err := json.Unmarshal(e.fake.NotificationBody("TRANSACTION.SUCCESS", plain, now), &body); err != nil {
			t.Fatal(err)
		}
		change(body["resource"].(map[string]any))
		b, _ := json.Marshal(body)
		return e.fake.SignedCallback(b, now)
	}

	cases := map[string]payment.Callback{
		"bad signature": func() payment.Callback {
			cb := clone(valid)
			sig := []byte(cb.Header.Get(wechatpay.HeaderSignature))
			sig[10] ^= 1
			cb.Header.Set(wechatpay.HeaderSignature, string(sig))
			return cb
		}(),
		"signature not base64": func() payment.Callback {
			cb := clone(valid)
			cb.Header.Set(wechatpay.HeaderSignature, "not*base64")
			return cb
		}(),
		"tampered body": func() payment.Callback {
			cb := clone(valid)
			cb.Body = bytes.Replace(cb.Body, []byte(`"summary":"支付成功"`), []byte(`"summary":"支付成功 "`), 1)
			if bytes.Equal(cb.Body, valid.Body) {
				t.Fatal("body was not tampered")
			}
			return cb
		}(),
		"tampered timestamp": func() payment.Callback {
			cb := clone(valid)
			cb.Header.Set(wechatpay.HeaderTimestamp, "0"+cb.Header.Get(wechatpay.HeaderTimestamp))
			return cb
		}(),
		"tampered nonce": func() payment.Callback {
			cb := clone(valid)
			cb.Header.Set(wechatpay.HeaderNonce, cb.Header.Get(wechatpay.HeaderNonce)+"x")
			return cb
		}(),
		"unknown serial": func() payment.Callback {
			cb := clone(valid)
			cb.Header.Set(wechatpay.HeaderSerial, "5157F09EFDC096DE15EBE81A47057A7232F1B8E1")
			return cb
		}(),
		"signed by another key": func() payment.Callback {
			cb := clone(valid)
			msg := lines(cb.Header.Get(wechatpay.HeaderTimestamp), cb.Header.Get(wechatpay.HeaderNonce), string(cb.Body))
			sum := sha256.Sum256([]byte(msg))
			sig, err := rsa.SignPKCS1v15(rand.Reader, otherKey, crypto.SHA256, sum[:])
			if err != nil {
				t.Fatal(err)
			}
			cb.Header.Set(wechatpay.HeaderSignature, base64.StdEncoding.EncodeToString(sig))
			return cb
		}(),
		"missing signature": func() payment.Callback {
			cb := clone(valid)
			cb.Header.Del(wechatpay.HeaderSignature)
			return cb
		}(),
		"missing timestamp": func() payment.Callback {
			cb := clone(valid)
			cb.Header.Del(wechatpay.HeaderTimestamp)
			return cb
		}(),
		"signed-looking timestamp": func() payment.Callback {
			cb := clone(valid)
			cb.Header.Set(wechatpay.HeaderTimestamp, "+"+cb.Header.Get(wechatpay.HeaderTimestamp))
			return cb
		}(),
		"other signature type": func() payment.Callback {
			cb := clone(valid)
			cb.Header.Set(wechatpay.HeaderSignatureType, "WECHATPAY2-SM2-WITH-SM3")
			return cb
		}(),
		"empty body": func() payment.Callback {
			return e.fake.SignedCallback(nil, now)
		}(),
		"oversize": func() payment.Callback {
			cb := withTx(func(t *wechatpaytest.Transaction) { t.Attach = strings.Repeat("x", wechatpay.MaxNotifyBytes) })
			return cb
		}(),
		"bad ciphertext": withResource(func(r map[string]any) {
			c, _ := base64.StdEncoding.DecodeString(r["ciphertext"].(string))
			c[0] ^= 1
			r["ciphertext"] = base64.StdEncoding.EncodeToString(c)
		}),
		"ciphertext not base64": withResource(func(r map[string]any) { r["ciphertext"] = "!!" }),
		"other associated data": withResource(func(r map[string]any) { r["associated_data"] = "refund" }),
		"other nonce":           withResource(func(r map[string]any) { r["nonce"] = "000000000000" }),
		"short nonce":           withResource(func(r map[string]any) { r["nonce"] = "abc" }),
		"other algorithm":       withResource(func(r map[string]any) { r["algorithm"] = "AEAD_SM4_GCM" }),
		"wrong event type":      e.fake.Notification("REFUND.SUCCESS", tx, now),
		"not JSON":              e.fake.SignedCallback([]byte("event_type=TRANSACTION.SUCCESS"), now),
		"wrong mchid":           withTx(func(t *wechatpaytest.Transaction) { t.MchID = "1900000110" }),
		"wrong appid":           withTx(func(t *wechatpaytest.Transaction) { t.AppID = "wx0000000000000000" }),
		"not paid":              withTx(func(t *wechatpaytest.Transaction) { t.TradeState = "NOTPAY" }),
		"zero amount":           withTx(func(t *wechatpaytest.Transaction) { t.Amount.Total = 0 }),
		"no amount":             withTx(func(t *wechatpaytest.Transaction) { t.Amount = nil }),
		"other currency":        withTx(func(t *wechatpaytest.Transaction) { t.Amount.Currency = "USD" }),
		"no transaction id":     withTx(func(t *wechatpaytest.Transaction) { t.TransactionID = "" }),
		"bad order number":      withTx(func(t *wechatpaytest.Transaction) { t.OutTradeNo = "../admin" }),
		"bad success time":      withTx(func(t *wechatpaytest.Transaction) { t.SuccessTime = "yesterday" }),
		"transaction not JSON":  e.fake.SignedCallback(e.fake.NotificationBody("TRANSACTION.SUCCESS", []byte("{"), now), now),
	}
	if _, err := e.p.ParseNotify(ctx(t), valid); err != nil {
		t.Fatalf("the valid notification: %v", err)
	}
	for name, cb := range cases {
		n, err := e.p.ParseNotify(ctx(t), cb)
		if !errors.Is(err, payment.ErrRefused) {
			t.Errorf("%s: err %v, want ErrRefused", name, err)
		}
		if n != (payment.Notification{}) {
			t.Errorf("%s: refused but answered %+v", name, n)
		}
	}
	if len(cases["oversize"].Body) <= wechatpay.MaxNotifyBytes {
		t.Fatal("the oversize body is not over the limit")
	}
}

func TestNotificationTrustsEveryConfiguredPlatformCert(t *testing.T) {
	e := setup(t)
	_, oldCert := wechatpaytest.NewPlatformCert(t)
	cfg := e.fake.Config()
	cfg.PlatformCertPEM = append(pemCert(oldCert), cfg.PlatformCertPEM...)
	p := newProvider(t, cfg)
	if _, err := p.ParseNotify(ctx(t), e.paid(t, "T20260302000105", 100)); err != nil {
		t.Fatal(err)
	}
}
