package wechatpay_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/ecard/ecard/bff/payment"
	"github.com/ecard/ecard/bff/wechatpay"
	"github.com/ecard/ecard/bff/wechatpay/wechatpaytest"
	"github.com/ecard/ecard/internal/testclock"
)

const notifyURL = "https://ecard.example.edu/pay/notify/wechatpay"

type env struct {
	fake  *wechatpaytest.Server
	clock *testclock.Clock
	p     *wechatpay.Provider
}

func setup(t *testing.T) env {
	t.Helper()
	clock := testclock.New(time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC))
	fake := wechatpaytest.New(t, wechatpaytest.WithClock(clock.Now))
	return env{fake: fake, clock: clock, p: newProvider(t, fake.Config())}
}

func newProvider(t *testing.T, cfg wechatpay.Config) *wechatpay.Provider {
	t.Helper()
	p, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func (e env) order(no string, amountFen int64, scene string) payment.Order {
	return payment.Order{
		OrderNo: no, AmountFen: amountFen, Subject: "校园卡充值", Scene: scene,
		OpenID: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", ClientIP: "203.0.113.7",
		NotifyURL: notifyURL, ExpiresAt: e.clock.Now().Add(15 * time.Minute),
	}
}

// prepaid opens an order at the fake and answers it.
func (e env) prepaid(t *testing.T, no string, amountFen int64) payment.Order {
	t.Helper()
	o := e.order(no, amountFen, payment.SceneJSAPI)
	if _, err := e.p.Prepay(ctx(t), o); err != nil {
		t.Fatal(err)
	}
	return o
}

// paid opens and pays an order and answers its notification.
func (e env) paid(t *testing.T, no string, amountFen int64) payment.Callback {
	t.Helper()
	e.prepaid(t, no, amountFen)
	cb, err := e.fake.Pay(no)
	if err != nil {
		t.Fatal(err)
	}
	return cb
}

// verifies reports whether sig is RSA-SHA256 by key's owner over message.
func verifies(pub *rsa.PublicKey, message, sig string) bool {
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return false
	}
	sum := sha256.Sum256([]byte(message))
	return rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], raw) == nil
}

func lines(parts ...string) string { return strings.Join(parts, "\n") + "\n" }

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}
