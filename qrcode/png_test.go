package qrcode

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

func TestPNGRoundTrip(t *testing.T) {
	now := t0
	iss := NewIssuer(NewMemoryKeyRing(), fixedNow(&now))
	for _, kind := range []Kind{KindPay, KindIdentity} {
		// Largest field values, so the longest digit runs and the worst case.
		code, _, err := iss.Issue(context.Background(), kind, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFF)
		if err != nil {
			t.Fatal(err)
		}
		q, err := newQR(code)
		if err != nil {
			t.Fatal(err)
		}
		if q.VersionNumber > MaxQRVersion {
			t.Fatalf("QR version %d > %d", q.VersionNumber, MaxQRVersion)
		}
		b, err := PNG(code, 256)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if got := decodeQR(t, img); got != code {
			t.Fatalf("decoded %q, want %q", got, code)
		}
	}
}

// TestQRVersionWorstCase: any 88 bytes, Base45-encoded with the prefix, fit
// version 6 at M, whatever mode segmentation the encoder picks.
func TestQRVersionWorstCase(t *testing.T) {
	raw := make([]byte, CodeSize)
	for _, fill := range []byte{0x00, 0xFF, 0x55, 0x12} {
		for i := range raw {
			raw[i] = fill + byte(i)
		}
		code := Prefix + base45Encode(raw)
		if len(code) > MaxLen {
			t.Fatalf("len %d", len(code))
		}
		q, err := newQR(code)
		if err != nil {
			t.Fatal(err)
		}
		if q.VersionNumber > MaxQRVersion {
			t.Fatalf("QR version %d for %q", q.VersionNumber, code)
		}
	}
}

func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res.GetText()
}
