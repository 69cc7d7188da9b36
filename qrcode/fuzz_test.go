package qrcode

import (
	"bytes"
	"crypto/ed25519"
	"testing"
	"time"
)

// FuzzParse: Parse never panics, and anything it accepts is exactly the
// string Sign's encoding gives for the same bytes (one text per code).
func FuzzParse(f *testing.F) {
	f.Add(vectorPayCode)
	f.Add("EC1:")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		c, payload, sig, err := Parse(s)
		if err != nil {
			return
		}
		if got := Prefix + base45Encode(append(append([]byte(nil), payload...), sig...)); got != s {
			t.Fatalf("re-encoded %q, parsed %q", got, s)
		}
		again, err := marshalPayload(c)
		if err != nil || !bytes.Equal(again, payload) {
			t.Fatalf("claims %+v do not re-marshal to the payload: %v", c, err)
		}
	})
}

// FuzzBase45: encode then decode gives the input back; any string the decoder
// accepts re-encodes to itself.
func FuzzBase45(f *testing.F) {
	f.Add([]byte("Hello!!"))
	f.Add([]byte{})
	f.Add([]byte{0xFF, 0xFF, 0xFF})
	f.Fuzz(func(t *testing.T, b []byte) {
		enc := base45Encode(b)
		dec, err := base45Decode(enc)
		if err != nil || !bytes.Equal(dec, b) {
			t.Fatalf("round trip of %x: %x %v", b, dec, err)
		}
		if d, err := base45Decode(string(b)); err == nil {
			if base45Encode(d) != string(b) {
				t.Fatalf("decoder accepted non-canonical %q", b)
			}
		}
	})
}

// fuzzPub is a key nothing in the corpus was signed with.
var fuzzPub = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x42}, 32)).Public().(ed25519.PublicKey)

// FuzzVerify: bytes an attacker chooses never verify, whether taken as the
// code text or as the raw payload and signature.
func FuzzVerify(f *testing.F) {
	f.Add([]byte(vectorPayCode))
	f.Add(bytes.Repeat([]byte{0}, CodeSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		now := time.Unix(1<<31, 0)
		for _, code := range []string{string(b), Prefix + base45Encode(b)} {
			if c, err := VerifyWith(fuzzPub, code, now, 1<<62, 1<<62); err == nil {
				t.Fatalf("random input verified: %q %+v", code, c)
			}
		}
	})
}
