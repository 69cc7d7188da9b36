package wechatpay_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/ecard/ecard/bff/payment"
	"github.com/ecard/ecard/bff/wechatpay"
	"github.com/ecard/ecard/bff/wechatpay/wechatpaytest"
	"github.com/ecard/ecard/internal/testclock"
)

// fuzzAPIv3Key is fixed so the seed corpus can carry real ciphertext.
const fuzzAPIv3Key = "ecardFuzzAPIv3Key000000000000032"

// fuzzNow is the clock of FuzzParseNotify; seeds are stamped relative to it.
var fuzzNow = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// FuzzParseNotify: ParseNotify never panics, refuses with ErrRefused only,
// and accepts nothing that does not carry a valid platform signature over
// exactly its timestamp, nonce and body, within the freshness window.
//
// mode picks what the fuzzer controls, so it reaches past the signature:
//
//	0: everything — body and raw headers (serial "" means the real serial,
//	   ts "" means now), signed by nobody;
//	1: the body, which the harness signs as WeChat would, offset seconds from now;
//	2: the decrypted transaction, which the harness encrypts and signs.
func FuzzParseNotify(f *testing.F) {
	clock := testclock.New(fuzzNow)
	fake := wechatpaytest.New(f, wechatpaytest.WithClock(clock.Now), wechatpaytest.WithAPIv3Key(fuzzAPIv3Key))
	p, err := wechatpay.New(fake.Config())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, mode uint8, body []byte, offset int64, ts, nonce, serial, sig string) {
		offset = max(-1e6, min(offset, 1e6))
		at := fuzzNow.Add(time.Duration(offset) * time.Second)
		var cb payment.Callback
		switch mode % 3 {
		case 0:
			if serial == "" {
				serial = fake.PlatformSerial
			}
			if ts == "" {
				ts = strconv.FormatInt(fuzzNow.Unix(), 10)
			}
			cb = payment.Callback{Header: http.Header{}, Body: body}
			cb.Header.Set(wechatpay.HeaderTimestamp, ts)
			cb.Header.Set(wechatpay.HeaderNonce, nonce)
			cb.Header.Set(wechatpay.HeaderSerial, serial)
			cb.Header.Set(wechatpay.HeaderSignature, sig)
		case 1:
			cb = fake.SignedCallback(body, at)
		case 2:
			cb = fake.SignedCallback(fake.NotificationBody(wechatpay.EventPaid, body, at), at)
		}

		n, err := p.ParseNotify(context.Background(), cb)
		if err != nil {
			if !errors.Is(err, payment.ErrRefused) {
				t.Fatalf("error does not wrap ErrRefused: %v", err)
			}
			if n != (payment.Notification{}) {
				t.Fatalf("refused but answered %+v", n)
			}
			return
		}
		h := cb.Header
		if h.Get(wechatpay.HeaderSerial) != fake.PlatformSerial {
			t.Fatalf("accepted under serial %q", h.Get(wechatpay.HeaderSerial))
		}
		msg := lines(h.Get(wechatpay.HeaderTimestamp), h.Get(wechatpay.HeaderNonce), string(cb.Body))
		if !verifies(&fake.PlatformKey.PublicKey, msg, h.Get(wechatpay.HeaderSignature)) {
			t.Fatalf("accepted without a valid platform signature: %q", cb.Body)
		}
		stamp, err := strconv.ParseInt(h.Get(wechatpay.HeaderTimestamp), 10, 64)
		if err != nil || stamp < fuzzNow.Unix()-300 || stamp > fuzzNow.Unix()+300 {
			t.Fatalf("accepted at timestamp %q", h.Get(wechatpay.HeaderTimestamp))
		}
		if len(cb.Body) > wechatpay.MaxNotifyBytes {
			t.Fatalf("accepted a body of %d bytes", len(cb.Body))
		}
		if !n.Paid || n.AmountFen <= 0 || n.OrderNo == "" || n.ProviderTxnID == "" || n.PaidAt.IsZero() {
			t.Fatalf("accepted an incomplete notification %+v", n)
		}
	})
}
