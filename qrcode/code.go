// Package qrcode is the campus card's dynamic code: the compact signed payload
// behind a pay or identity QR code, its text form, its signing keys, issuance
// and verification, and PNG rendering. The single-use store and numeric twins
// live in qrcode/redis; the SQL key ring in qrcode/sqlkeys.
//
// The byte layout is documented in docs/code-format.md, with test vectors.
package qrcode

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind tells a pay code from an identity code. An identity code can never pay
// and a pay code never opens a gate.
type Kind uint8

const (
	KindPay      Kind = 1
	KindIdentity Kind = 2
)

func (k Kind) String() string {
	switch k {
	case KindPay:
		return "pay"
	case KindIdentity:
		return "identity"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == KindPay || k == KindIdentity }

// ParseKind reads "pay" or "identity".
func ParseKind(s string) (Kind, error) {
	switch s {
	case "pay":
		return KindPay, nil
	case "identity":
		return KindIdentity, nil
	}
	return 0, fmt.Errorf("qrcode: unknown kind %q", s)
}

// Claims is what a code says.
type Claims struct {
	Kind     Kind
	SchoolID uint32
	KeyID    uint16
	HolderID uint64
	Seq      uint32
	IssuedAt time.Time // whole seconds, UTC
}

// Errors. Callers map them to CODE_INVALID and CODE_EXPIRED.
var (
	// ErrInvalid: malformed, bad prefix, bad Base45, wrong length, unknown
	// version or kind, bad signature, or unknown key.
	ErrInvalid = errors.New("qrcode: invalid code")
	// ErrExpired: issued more than the lifetime ago, or further in the future
	// than the allowed clock skew.
	ErrExpired = errors.New("qrcode: code expired")
	// ErrUsed: a pay code that was already consumed, replaced by a newer
	// code, revoked, or is no longer live in the single-use store.
	ErrUsed = errors.New("qrcode: code already used")
)

const (
	// Prefix starts every code string.
	Prefix = "EC1:"
	// Version is the payload layout version.
	Version byte = 1
	// PayloadSize is the signed part: version, kind, school, key id, holder,
	// sequence, issued-at.
	PayloadSize = 1 + 1 + 4 + 2 + 8 + 4 + 4
	// CodeSize is payload plus Ed25519 signature.
	CodeSize = PayloadSize + ed25519.SignatureSize
	// MaxLen is the longest code string that fits a version 6 QR code at
	// error correction M in alphanumeric mode.
	MaxLen = 154
	// EncodedLen is the length of every code string.
	EncodedLen = len(Prefix) + CodeSize/2*3 + CodeSize%2*2
)

// Default timing of codes (docs/code-format.md).
const (
	DefaultLifetime = 60 * time.Second
	RefreshAfter    = 30 * time.Second
	DefaultSkew     = 10 * time.Second
)

// marshalPayload lays out c as the signed payload.
func marshalPayload(c Claims) ([]byte, error) {
	if !c.Kind.Valid() {
		return nil, fmt.Errorf("qrcode: unknown kind %d", c.Kind)
	}
	ts := c.IssuedAt.Unix()
	if ts < 0 || ts > 0xFFFFFFFF {
		return nil, fmt.Errorf("qrcode: issued-at %v out of range", c.IssuedAt)
	}
	b := make([]byte, PayloadSize, CodeSize)
	b[0] = Version
	b[1] = byte(c.Kind)
	binary.BigEndian.PutUint32(b[2:], c.SchoolID)
	binary.BigEndian.PutUint16(b[6:], c.KeyID)
	binary.BigEndian.PutUint64(b[8:], c.HolderID)
	binary.BigEndian.PutUint32(b[16:], c.Seq)
	binary.BigEndian.PutUint32(b[20:], uint32(ts))
	return b, nil
}

func unmarshalPayload(b []byte) (Claims, error) {
	if len(b) != PayloadSize || b[0] != Version || !Kind(b[1]).Valid() {
		return Claims{}, ErrInvalid
	}
	return Claims{
		Kind:     Kind(b[1]),
		SchoolID: binary.BigEndian.Uint32(b[2:]),
		KeyID:    binary.BigEndian.Uint16(b[6:]),
		HolderID: binary.BigEndian.Uint64(b[8:]),
		Seq:      binary.BigEndian.Uint32(b[16:]),
		IssuedAt: time.Unix(int64(binary.BigEndian.Uint32(b[20:])), 0).UTC(),
	}, nil
}

// Sign builds the code string for c with priv. c.IssuedAt is truncated to
// whole seconds.
func Sign(c Claims, priv ed25519.PrivateKey) (string, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return "", errors.New("qrcode: bad private key")
	}
	payload, err := marshalPayload(c)
	if err != nil {
		return "", err
	}
	raw := append(payload, ed25519.Sign(priv, payload)...)
	return Prefix + base45Encode(raw), nil
}

// Parse splits a code into its claims, signed payload and signature without
// checking the signature or the time. Only shape errors (ErrInvalid) occur.
func Parse(code string) (c Claims, payload, sig []byte, err error) {
	if len(code) != EncodedLen || !strings.HasPrefix(code, Prefix) {
		return Claims{}, nil, nil, ErrInvalid
	}
	raw, err := base45Decode(code[len(Prefix):])
	if err != nil || len(raw) != CodeSize {
		return Claims{}, nil, nil, ErrInvalid
	}
	payload, sig = raw[:PayloadSize:PayloadSize], raw[PayloadSize:]
	c, err = unmarshalPayload(payload)
	if err != nil {
		return Claims{}, nil, nil, err
	}
	return c, payload, sig, nil
}

// VerifyWith checks code against a public key the caller already holds (an
// offline terminal's copy from GET /tgw/v1/keys) and the time window (see
// CheckTime). It does not look at the key id; the caller picks pub by
// Claims.KeyID (see Parse). With ErrExpired the claims are returned too.
func VerifyWith(pub ed25519.PublicKey, code string, now time.Time, lifetime, skew time.Duration) (Claims, error) {
	c, payload, sig, err := Parse(code)
	if err != nil {
		return Claims{}, err
	}
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, payload, sig) {
		return Claims{}, ErrInvalid
	}
	if err := CheckTime(c, now, lifetime, skew); err != nil {
		return c, err
	}
	return c, nil
}

// CheckTime returns ErrExpired when, at now, c was issued more than lifetime
// ago or more than skew in the future. A code is thus accepted for now in
// [IssuedAt-skew, IssuedAt+lifetime]; a verifier that distrusts its own clock
// widens lifetime itself.
func CheckTime(c Claims, now time.Time, lifetime, skew time.Duration) error {
	if now.Sub(c.IssuedAt) > lifetime || c.IssuedAt.Sub(now) > skew {
		return ErrExpired
	}
	return nil
}

// ExpiresAt is when a code issued at c.IssuedAt stops being accepted without skew.
func (c Claims) ExpiresAt(lifetime time.Duration) time.Time { return c.IssuedAt.Add(lifetime) }
