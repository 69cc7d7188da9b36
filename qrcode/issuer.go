package qrcode

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Issuer signs and verifies codes with a KeyRing.
type Issuer struct {
	keys KeyRing
	now  func() time.Time
}

// NewIssuer returns an Issuer; now is time.Now when nil.
func NewIssuer(keys KeyRing, now func() time.Time) *Issuer {
	if now == nil {
		now = time.Now
	}
	return &Issuer{keys: keys, now: now}
}

// Issue signs a new code of kind for the holder with the school's active key.
// seq comes from the single-use store's Sequence counter.
func (i *Issuer) Issue(ctx context.Context, kind Kind, schoolID uint32, holderID uint64, seq uint32) (string, Claims, error) {
	if !kind.Valid() {
		return "", Claims{}, fmt.Errorf("qrcode: unknown kind %d", kind)
	}
	kid, priv, err := i.keys.Signing(ctx, schoolID)
	if err != nil {
		return "", Claims{}, fmt.Errorf("qrcode: signing key: %w", err)
	}
	c := Claims{
		Kind:     kind,
		SchoolID: schoolID,
		KeyID:    kid,
		HolderID: holderID,
		Seq:      seq,
		IssuedAt: time.Unix(i.now().Unix(), 0).UTC(),
	}
	code, err := Sign(c, priv)
	if err != nil {
		return "", Claims{}, err
	}
	return code, c, nil
}

// Verify parses code, checks its signature with the key it names and its time
// window (see CheckTime). It returns ErrInvalid or ErrExpired (wrapped or
// bare; test with errors.Is), or another error when the key ring fails.
// The caller still checks the kind and, for pay codes, consumes it once.
func (i *Issuer) Verify(ctx context.Context, code string, lifetime, skew time.Duration) (Claims, error) {
	c, _, _, err := Parse(code)
	if err != nil {
		return Claims{}, err
	}
	pub, err := i.keys.Public(ctx, c.SchoolID, c.KeyID)
	if err != nil {
		if errors.Is(err, ErrInvalid) {
			return Claims{}, err
		}
		return Claims{}, fmt.Errorf("qrcode: key lookup: %w", err)
	}
	return VerifyWith(pub, code, i.now(), lifetime, skew)
}
