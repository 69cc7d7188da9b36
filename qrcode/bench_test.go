package qrcode_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecard/ecard/qrcode"
)

// benchPNGSize is the size the code service renders (internal/codes).
const benchPNGSize = 320

var benchNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func benchIssuer(b *testing.B) (*qrcode.Issuer, []string) {
	b.Helper()
	iss := qrcode.NewIssuer(qrcode.NewMemoryKeyRing(), func() time.Time { return benchNow })
	codes := make([]string, 256)
	for i := range codes {
		kind := qrcode.KindPay
		if i%2 == 1 {
			kind = qrcode.KindIdentity
		}
		code, _, err := iss.Issue(context.Background(), kind, 3, uint64(1000+i), uint32(i))
		if err != nil {
			b.Fatal(err)
		}
		codes[i] = code
	}
	return iss, codes
}

func reportRate(b *testing.B, unit string) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit)
}

// serialAndParallel runs fn as a serial and as a RunParallel sub-benchmark.
func serialAndParallel(b *testing.B, unit string, fn func(b *testing.B, i uint64)) {
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			fn(b, uint64(i))
		}
		reportRate(b, unit)
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		var n atomic.Uint64
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				fn(b, n.Add(1))
			}
		})
		reportRate(b, unit)
	})
}

func BenchmarkEd25519Verify(b *testing.B) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	msg := make([]byte, 24)
	_, _ = rand.Read(msg)
	sig := ed25519.Sign(priv, msg)
	serialAndParallel(b, "verifies/s", func(b *testing.B, _ uint64) {
		if !ed25519.Verify(pub, msg, sig) {
			b.Error("signature refused")
		}
	})
}

func BenchmarkIssue(b *testing.B) {
	iss, _ := benchIssuer(b)
	ctx := context.Background()
	serialAndParallel(b, "codes/s", func(b *testing.B, i uint64) {
		if _, _, err := iss.Issue(ctx, qrcode.KindPay, 3, 1000+i%10000, uint32(i)); err != nil {
			b.Error(err)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	iss, codes := benchIssuer(b)
	ctx := context.Background()
	serialAndParallel(b, "verifies/s", func(b *testing.B, i uint64) {
		if _, err := iss.Verify(ctx, codes[i%uint64(len(codes))], 60*time.Second, 5*time.Second); err != nil {
			b.Error(err)
		}
	})
}

func BenchmarkPNG(b *testing.B) {
	_, codes := benchIssuer(b)
	serialAndParallel(b, "pngs/s", func(b *testing.B, i uint64) {
		if _, err := qrcode.PNG(codes[i%uint64(len(codes))], benchPNGSize); err != nil {
			b.Error(err)
		}
	})
}
