package qrcode

import (
	"crypto/ed25519"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"
)

// The test vectors of docs/code-format.md. The test checks that the code
// produces them and that the document still shows them.
const (
	vectorSeedHex   = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
	vectorPubHex    = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
	vectorIssuedAt  = "2026-01-02T03:04:05Z"
	vectorPayload   = "0101000000070001000000000012d6870000002a695735a5"
	vectorSignature = "5babc7d092763d9f56252e921b0d75fb383d596998f1471856623cf0918078c65ba01e4c6cd6d39e519729e36ccc936580e8946cf898a7773b344dc9afbedc00"
	vectorPayCode   = "EC1:W50000700100000000I00J5R000.00CED8Z6MQBWBP9NIPZ73+A.*5+I38-E.47TDB3FJK:8J-AUV7XHI3CFBQBG$37YD*XQ7EADD5.XDNSIFDGGYIAJVV7L L7N$9Z9MP R"

	vectorIDPayload   = "0102000000070001000000000012d6870000002a695735a5"
	vectorIDSignature = "e09434eed2f712a7dff7f052501d032d24fc57c7da6281d161ce70f4b9bf17824ef9bc9d5a0c54b15343d6519230d40b6020b38fe6c6e331ac286f773088f504"
	vectorIDCode      = "EC1:X50000700100000000I00J5R000.00CED8Z6RHS5V67UQ5G25ES7HUY5A3I0IU4G4BGRRNIGIGCQCEVLNX/2C:90%NCHB VAUNAA4RTLID Q%6CMVM%7TLWSHYL54E466*/U"
)

func vectorClaims(kind Kind) Claims {
	at, _ := time.Parse(time.RFC3339, vectorIssuedAt)
	return Claims{Kind: kind, SchoolID: 7, KeyID: 1, HolderID: 1234567, Seq: 42, IssuedAt: at}
}

func TestVectors(t *testing.T) {
	seed, _ := hex.DecodeString(vectorSeedHex)
	priv := ed25519.NewKeyFromSeed(seed)
	if got := hex.EncodeToString(priv.Public().(ed25519.PublicKey)); got != vectorPubHex {
		t.Fatalf("public key %s", got)
	}
	for _, v := range []struct {
		kind               Kind
		payload, sig, code string
	}{
		{KindPay, vectorPayload, vectorSignature, vectorPayCode},
		{KindIdentity, vectorIDPayload, vectorIDSignature, vectorIDCode},
	} {
		code, err := Sign(vectorClaims(v.kind), priv)
		if err != nil {
			t.Fatal(err)
		}
		if code != v.code {
			t.Errorf("%v code:\n got %s\nwant %s", v.kind, code, v.code)
		}
		c, payload, sig, err := Parse(v.code)
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(payload) != v.payload || hex.EncodeToString(sig) != v.sig {
			t.Errorf("%v payload %x sig %x", v.kind, payload, sig)
		}
		if c != vectorClaims(v.kind) {
			t.Errorf("%v claims %+v", v.kind, c)
		}
		at := c.IssuedAt.Add(30 * time.Second)
		if _, err := VerifyWith(priv.Public().(ed25519.PublicKey), v.code, at, DefaultLifetime, DefaultSkew); err != nil {
			t.Errorf("%v verify: %v", v.kind, err)
		}
	}
}

// TestVectorsDocumented: docs/code-format.md shows the same values, each on a
// line of its own in a code block, so a change to either side fails here.
func TestVectorsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/code-format.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(string(doc), "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	for name, want := range map[string]string{
		"seed":               "seed:       " + vectorSeedHex,
		"public key":         "public key: " + vectorPubHex,
		"pay payload":        "payload:    " + vectorPayload,
		"pay signature":      "signature:  " + vectorSignature,
		"pay code":           vectorPayCode,
		"identity payload":   "payload:    " + vectorIDPayload,
		"identity signature": "signature:  " + vectorIDSignature,
		"identity code":      vectorIDCode,
		"issued at":          "issued at:  " + vectorIssuedAt + " (unix 1767323045)",
		"alphabet":           "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:",
	} {
		if !lines[want] {
			t.Errorf("docs/code-format.md lacks the %s line %q", name, want)
		}
	}
	if base45Alphabet != "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:" {
		t.Error("alphabet changed")
	}
}
