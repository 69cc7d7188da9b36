// Package codes joins the code system (package qrcode: format, keys, the
// single-use store in Redis) to the two HTTP faces that use it: the holder API
// issues codes, the terminal gateway verifies and consumes them.
package codes

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/ecard/ecard/bff"
	"github.com/ecard/ecard/ledger"
	"github.com/ecard/ecard/qrcode"
	qrredis "github.com/ecard/ecard/qrcode/redis"
	"github.com/ecard/ecard/qrcode/sqlseq"
	"github.com/ecard/ecard/terminalgw"
)

// Rules for terminals: a code is valid for the school's lifetime (60 s by
// default) and terminals may be off by a few seconds.
const (
	DefaultLifetime = 60 * time.Second
	Skew            = 5 * time.Second
	pngSize         = 320
)

// Service issues, verifies and consumes codes.
type Service struct {
	issuer *qrcode.Issuer
	keys   qrcode.KeyRing
	store  *qrredis.Store
	ledger *ledger.Ledger
}

// New builds the service.
func New(issuer *qrcode.Issuer, keys qrcode.KeyRing, store *qrredis.Store, l *ledger.Ledger) *Service {
	// Sequences come from blocks reserved in the database, so they stay
	// above every one ever issued or paid whatever Redis forgets.
	store.WithSequenceBlocks(sqlseq.New(l.DB(), nil))
	return &Service{issuer: issuer, keys: keys, store: store, ledger: l}
}

var (
	_ bff.Codes        = (*Service)(nil)
	_ terminalgw.Codes = (*Service)(nil)
)

func ids(schoolID, holderID int64) (uint32, uint64, error) {
	if schoolID <= 0 || schoolID > math.MaxUint32 || holderID <= 0 {
		return 0, 0, fmt.Errorf("codes: ids out of range: school %d holder %d", schoolID, holderID)
	}
	return uint32(schoolID), uint64(holderID), nil
}

// Issue signs a new code; a pay code gets its numeric twin and retires the
// holder's previous pay code.
func (s *Service) Issue(ctx context.Context, kind string, schoolID, holderID int64, lifetime time.Duration) (bff.IssuedCode, error) {
	k, err := qrcode.ParseKind(kind)
	if err != nil {
		return bff.IssuedCode{}, &ledger.Error{Code: ledger.CodeInvalidRequest, Message: err.Error()}
	}
	school, holder, err := ids(schoolID, holderID)
	if err != nil {
		return bff.IssuedCode{}, err
	}
	code, claims, numeric, err := s.issueLive(ctx, k, school, holder, lifetime+Skew)
	if err != nil {
		return bff.IssuedCode{}, err
	}
	png, err := qrcode.PNG(code, pngSize)
	if err != nil {
		return bff.IssuedCode{}, err
	}
	return bff.IssuedCode{Code: code, Numeric: numeric, Kind: kind, ExpiresAt: claims.ExpiresAt(lifetime), PNG: png}, nil
}

// RevokeHolder drops every live code of the holder.
func (s *Service) RevokeHolder(ctx context.Context, schoolID, holderID int64) error {
	school, holder, err := ids(schoolID, holderID)
	if err != nil {
		return err
	}
	return s.store.RevokeHolder(ctx, school, holder)
}

// refusal turns the code system's errors into the public codes.
func refusal(err error) error {
	switch {
	case errors.Is(err, qrcode.ErrExpired):
		return &ledger.Error{Code: "CODE_EXPIRED", Message: "the code has expired: refresh it"}
	case errors.Is(err, qrcode.ErrUsed):
		return &ledger.Error{Code: "CODE_USED", Message: "the code has already been used"}
	case errors.Is(err, qrcode.ErrInvalid):
		return &ledger.Error{Code: "CODE_INVALID", Message: "not a valid code"}
	}
	return err
}

// Verify checks a code (or resolves an 18-digit numeric twin first) against
// the school's keys and the lifetime.
func (s *Service) Verify(ctx context.Context, code string) (terminalgw.Code, error) {
	if qrredis.ValidNumeric(code) {
		resolved, err := s.store.Resolve(ctx, code)
		if err != nil {
			return terminalgw.Code{}, refusal(err)
		}
		code = resolved
	}
	claims, err := s.issuer.Verify(ctx, code, s.lifetime(ctx, code), Skew)
	if err != nil {
		return terminalgw.Code{}, refusal(err)
	}
	return terminalgw.Code{Kind: claims.Kind.String(), SchoolID: int64(claims.SchoolID), HolderID: int64(claims.HolderID),
		Seq: int64(claims.Seq)}, nil
}

// lifetime is the school's code lifetime, read from the unverified code's
// school id (the signature check that follows covers it).
func (s *Service) lifetime(ctx context.Context, code string) time.Duration {
	claims, _, _, err := qrcode.Parse(code)
	if err != nil {
		return DefaultLifetime
	}
	school, err := s.ledger.SchoolByID(ctx, int64(claims.SchoolID))
	if err != nil {
		return DefaultLifetime
	}
	return time.Duration(school.CodeLifetimeSeconds) * time.Second
}

// Consume marks a pay code used; it succeeds once.
func (s *Service) Consume(ctx context.Context, c terminalgw.Code) error {
	school, holder, err := ids(c.SchoolID, c.HolderID)
	if err != nil {
		return err
	}
	k, _ := qrcode.ParseKind(c.Kind)
	claims := qrcode.Claims{Kind: k, SchoolID: school, HolderID: holder, Seq: uint32(c.Seq)}
	return refusal(s.store.Consume(ctx, claims))
}

// PublicKeys lists the school's issuer keys for offline verification.
func (s *Service) PublicKeys(ctx context.Context, schoolID int64) ([]terminalgw.Key, error) {
	if schoolID <= 0 || schoolID > math.MaxUint32 {
		return nil, fmt.Errorf("codes: school id out of range")
	}
	// Make sure the school has a key before a terminal asks.
	if _, _, err := s.keys.Signing(ctx, uint32(schoolID)); err != nil {
		return nil, err
	}
	keys, err := s.keys.PublicKeys(ctx, uint32(schoolID))
	if err != nil {
		return nil, err
	}
	out := make([]terminalgw.Key, 0, len(keys))
	for _, k := range keys {
		out = append(out, terminalgw.Key{KeyID: int(k.KeyID), Alg: "Ed25519", PublicKey: base64.StdEncoding.EncodeToString(k.Public)})
	}
	return out, nil
}
