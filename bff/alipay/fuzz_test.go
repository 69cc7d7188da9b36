package alipay_test

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/ecard/ecard/bff/alipay"
	"github.com/ecard/ecard/bff/payment"
)

// FuzzParseAlipayNotify: ParseNotify never panics, refuses with ErrRefused
// only, accepts nothing that Alipay's key did not sign, and what it accepts
// says exactly what the signed fields say.
//
// signed picks what the fuzzer controls, so it reaches past the signature:
// false, the raw body, signed by nobody; true, the fields of the body, which
// the harness signs as Alipay would.
func FuzzParseAlipayNotify(f *testing.F) {
	p, fake, _ := newProvider(f)
	f.Fuzz(func(t *testing.T, signed bool, body string) {
		cb := payment.Callback{Body: []byte(body)}
		if signed {
			v, err := url.ParseQuery(body)
			if err != nil {
				return
			}
			cb = fake.SignedCallback(v)
		}
		n, err := p.ParseNotify(context.Background(), cb)
		if err != nil {
			if !errors.Is(err, payment.ErrRefused) {
				t.Fatalf("error does not wrap ErrRefused: %v", err)
			}
			return
		}
		if !signed {
			t.Fatalf("accepted an unsigned body: %+v", n)
		}
		v, _ := url.ParseQuery(string(cb.Body))
		fen, ferr := alipay.ParseFen(v.Get("total_amount"))
		if ferr != nil || fen != n.AmountFen || fen <= 0 || n.OrderNo != v.Get("out_trade_no") ||
			n.ProviderTxnID != v.Get("trade_no") || v.Get("app_id") != fake.AppID {
			t.Fatalf("accepted %+v from %v", n, v)
		}
		if n.Paid && v.Get("trade_status") != alipay.StatusSuccess && v.Get("trade_status") != alipay.StatusFinished {
			t.Fatalf("paid from trade_status %q", v.Get("trade_status"))
		}
	})
}

// The seed corpus under testdata/fuzz/FuzzParseAlipayNotify starts from a
// real notification; this keeps it honest: the valid seed is accepted.
func TestFuzzSeedIsAValidNotification(t *testing.T) {
	p, fake, _ := newProvider(t)
	n, err := p.ParseNotify(context.Background(), fake.SignedCallback(mustQuery(t, validSeed)))
	if err != nil || !n.Paid || n.AmountFen != 5000 {
		t.Fatalf("%+v %v", n, err)
	}
}

// validSeed is the body of the valid seed (before signing), stamped at the
// test clock's start.
const validSeed = "app_id=2021000000000001&auth_app_id=2021000000000001&buyer_id=2088102177846880&buyer_pay_amount=50.00" +
	"&charset=utf-8&gmt_create=2026-09-01+12%3A00%3A00&gmt_payment=2026-09-01+12%3A00%3A00" +
	"&notify_id=ac05099524730693a8b330c5ecf72da0001&notify_time=2026-09-01+12%3A00%3A00&notify_type=trade_status_sync" +
	"&out_trade_no=EC20260901120000000001&receipt_amount=50.00&seller_id=2088101117955611" +
	"&subject=%E6%A0%A1%E5%9B%AD%E5%8D%A1%E5%85%85%E5%80%BC&total_amount=50.00" +
	"&trade_no=2026090122001400000000000001&trade_status=TRADE_SUCCESS&version=1.0"

func mustQuery(t *testing.T, s string) url.Values {
	v, err := url.ParseQuery(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
