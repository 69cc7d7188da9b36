package qrcode

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func fixedNow(t *time.Time) func() time.Time { return func() time.Time { return *t } }

func TestBase45RFC9285(t *testing.T) {
	cases := []struct{ in, out string }{
		{"AB", "BB8"},
		{"Hello!!", "%69 VD92EX0"},
		{"base-45", "UJCLQE7W581"},
		{"ietf!", "QED8WEX0"},
		{"", ""},
	}
	for _, c := range cases {
		if got := base45Encode([]byte(c.in)); got != c.out {
			t.Errorf("encode(%q) = %q, want %q", c.in, got, c.out)
		}
		got, err := base45Decode(c.out)
		if err != nil || string(got) != c.in {
			t.Errorf("decode(%q) = %q, %v", c.out, got, err)
		}
	}
	for _, bad := range []string{"GGW", "A", "ABCD", "ab8", "BB8\x00", ":::"} {
		if _, err := base45Decode(bad); err == nil {
			t.Errorf("decode(%q) accepted", bad)
		}
	}
}

func TestIssueVerify(t *testing.T) {
	ctx := context.Background()
	now := t0
	ring := NewMemoryKeyRing()
	iss := NewIssuer(ring, fixedNow(&now))
	for _, kind := range []Kind{KindPay, KindIdentity} {
		code, c, err := iss.Issue(ctx, kind, 3, 1<<40+5, 77)
		if err != nil {
			t.Fatal(err)
		}
		if len(code) != EncodedLen || len(code) > MaxLen || !strings.HasPrefix(code, Prefix) {
			t.Fatalf("code %q: length %d", code, len(code))
		}
		for _, ch := range code {
			if !strings.ContainsRune(base45Alphabet, ch) {
				t.Fatalf("code has non-alphanumeric-mode char %q", ch)
			}
		}
		want := Claims{Kind: kind, SchoolID: 3, KeyID: 1, HolderID: 1<<40 + 5, Seq: 77, IssuedAt: t0}
		if c != want {
			t.Fatalf("claims %+v, want %+v", c, want)
		}
		got, err := iss.Verify(ctx, code, DefaultLifetime, DefaultSkew)
		if err != nil || got != want {
			t.Fatalf("verify: %+v %v", got, err)
		}
		pc, _, _, err := Parse(code)
		if err != nil || pc != want {
			t.Fatalf("parse: %+v %v", pc, err)
		}
	}
}

func TestVerifyTimeWindow(t *testing.T) {
	ctx := context.Background()
	now := t0
	iss := NewIssuer(NewMemoryKeyRing(), fixedNow(&now))
	code, _, err := iss.Issue(ctx, KindPay, 1, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		at   time.Duration
		want error
	}{
		{0, nil},
		{60 * time.Second, nil},
		{61 * time.Second, ErrExpired},
		{-10 * time.Second, nil},
		{-11 * time.Second, ErrExpired},
		{time.Hour, ErrExpired},
	} {
		now = t0.Add(c.at)
		if _, err := iss.Verify(ctx, code, 60*time.Second, 10*time.Second); !errors.Is(err, c.want) || (c.want == nil && err != nil) {
			t.Errorf("at %v: err %v, want %v", c.at, err, c.want)
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	ctx := context.Background()
	now := t0
	ring := NewMemoryKeyRing()
	iss := NewIssuer(ring, fixedNow(&now))
	code, _, err := iss.Issue(ctx, KindPay, 1, 9, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, payload, sig, _ := Parse(code)
	raw := append(append([]byte(nil), payload...), sig...)

	mutate := func(f func(b []byte)) string {
		b := append([]byte(nil), raw...)
		f(b)
		return Prefix + base45Encode(b)
	}
	bad := map[string]string{
		"empty":         "",
		"prefix":        "EC2:" + code[4:],
		"lowercase":     strings.ToLower(code),
		"truncated":     code[:len(code)-3],
		"longer":        code + "000",
		"bad base45":    code[:10] + "a" + code[11:],
		"version":       mutate(func(b []byte) { b[0] = 2 }),
		"kind 0":        mutate(func(b []byte) { b[1] = 0 }),
		"kind 3":        mutate(func(b []byte) { b[1] = 3 }),
		"holder":        mutate(func(b []byte) { b[15] ^= 1 }),
		"kind flip":     mutate(func(b []byte) { b[1] = byte(KindIdentity) }),
		"signature":     mutate(func(b []byte) { b[len(b)-1] ^= 0x80 }),
		"unknown key":   mutate(func(b []byte) { b[7] = 9 }),
		"unknown schol": mutate(func(b []byte) { b[5] = 2 }),
	}
	for name, c := range bad {
		if _, err := iss.Verify(ctx, c, DefaultLifetime, DefaultSkew); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err %v, want ErrInvalid", name, err)
		}
	}
	// Another school's key never verifies this school's code.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	forged, _ := Sign(Claims{Kind: KindPay, SchoolID: 1, KeyID: 1, HolderID: 9, Seq: 2, IssuedAt: t0}, other)
	if _, err := iss.Verify(ctx, forged, DefaultLifetime, DefaultSkew); !errors.Is(err, ErrInvalid) {
		t.Errorf("forged: %v", err)
	}
}

func TestRotation(t *testing.T) {
	ctx := context.Background()
	now := t0
	ring := NewMemoryKeyRing()
	iss := NewIssuer(ring, fixedNow(&now))
	old, c1, _ := iss.Issue(ctx, KindPay, 5, 1, 1)
	kid, err := ring.Rotate(ctx, 5)
	if err != nil || kid != 2 {
		t.Fatalf("rotate: %d %v", kid, err)
	}
	fresh, c2, _ := iss.Issue(ctx, KindPay, 5, 1, 2)
	if c1.KeyID != 1 || c2.KeyID != 2 {
		t.Fatalf("key ids %d %d", c1.KeyID, c2.KeyID)
	}
	for _, code := range []string{old, fresh} {
		if _, err := iss.Verify(ctx, code, DefaultLifetime, DefaultSkew); err != nil {
			t.Fatal(err)
		}
	}
	keys, _ := ring.PublicKeys(ctx, 5)
	if len(keys) != 2 || keys[0].Active || !keys[1].Active || keys[0].KeyID != 1 {
		t.Fatalf("keys %+v", keys)
	}
	// An offline terminal with only public keys verifies too.
	term := NewMemoryKeyRing()
	for _, k := range keys {
		if err := term.Add(5, k.KeyID, k.Public, nil, false); err != nil {
			t.Fatal(err)
		}
	}
	c, _, _, _ := Parse(old)
	pub, err := term.Public(ctx, 5, c.KeyID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyWith(pub, old, now, DefaultLifetime, DefaultSkew); err != nil {
		t.Fatal(err)
	}
	if _, _, err := term.Signing(ctx, 5); err == nil {
		t.Fatal("verify-only ring signed")
	}
}

func TestParseCanonical(t *testing.T) {
	// Every accepted string is the one Sign would produce for its bytes.
	now := t0
	iss := NewIssuer(NewMemoryKeyRing(), fixedNow(&now))
	code, _, _ := iss.Issue(context.Background(), KindIdentity, 1, 1, 1)
	_, p, s, err := Parse(code)
	if err != nil {
		t.Fatal(err)
	}
	if got := Prefix + base45Encode(append(append([]byte(nil), p...), s...)); got != code {
		t.Fatal("re-encode differs")
	}
	if !bytes.Equal(p[:2], []byte{Version, byte(KindIdentity)}) {
		t.Fatalf("payload head %x", p[:2])
	}
}

func TestKind(t *testing.T) {
	if KindPay.String() != "pay" || KindIdentity.String() != "identity" || Kind(9).String() != "Kind(9)" {
		t.Fatal("Kind.String")
	}
	for _, k := range []Kind{KindPay, KindIdentity} {
		if p, err := ParseKind(k.String()); err != nil || p != k {
			t.Fatal("ParseKind")
		}
	}
	if _, err := ParseKind("gate"); err == nil {
		t.Fatal("ParseKind accepted gate")
	}
}
