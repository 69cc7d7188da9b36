package bff

import (
	"context"
	"encoding/base64"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/ledger"
)

// IssuedCode is a fresh dynamic code for the holder's screen.
type IssuedCode struct {
	Code      string
	Numeric   string // the 18-digit twin of a pay code, for 1D scanners
	Kind      string
	ExpiresAt time.Time
	PNG       []byte
}

// Codes issues and revokes dynamic codes (package qrcode).
type Codes interface {
	Issue(ctx context.Context, kind string, schoolID, holderID int64, lifetime time.Duration) (IssuedCode, error)
	// RevokeHolder kills every live code of a holder (loss report).
	RevokeHolder(ctx context.Context, schoolID, holderID int64) error
}

// refreshIn is when the app should ask for a new code: half the lifetime.
func refreshIn(lifetime time.Duration) int { return int(lifetime.Seconds()) / 2 }

type codeResponse struct {
	Code      string    `json:"code"`
	Numeric   string    `json:"numeric,omitempty"`
	Kind      string    `json:"kind"`
	ExpiresAt time.Time `json:"expires_at"`
	RefreshIn int       `json:"refresh_in"`
	PNG       string    `json:"png"`
}

// handleCodes issues a pay or identity code. A pay code is refused to a holder
// who may not spend; a new pay code retires the previous one.
func (s *Server) handleCodes(c fiber.Ctx) error {
	if s.codes == nil {
		return fail(ledger.CodeNotFound, "codes are not configured")
	}
	var req struct {
		Kind string `json:"kind"`
	}
	if err := firstErr(decode(c, &req), text("kind", req.Kind, 16)); err != nil {
		return err
	}
	if req.Kind != "pay" && req.Kind != "identity" {
		return invalid(`kind must be "pay" or "identity"`)
	}
	ctx := c.Context()
	h, err := s.ledger.HolderByID(ctx, holderID(c))
	if err != nil {
		return err
	}
	if req.Kind == "pay" {
		if err := h.CanSpend(s.now()); err != nil {
			return err
		}
	} else if h.State(s.now()) == ledger.StatusClosed || h.State(s.now()) == "expired" {
		return fail(ledger.CodeAccountClosed, "account closed or expired")
	}
	school, err := s.ledger.SchoolByID(ctx, h.SchoolID)
	if err != nil {
		return err
	}
	lifetime := time.Duration(school.CodeLifetimeSeconds) * time.Second
	code, err := s.codes.Issue(ctx, req.Kind, h.SchoolID, h.ID, lifetime)
	if err != nil {
		return err
	}
	return c.JSON(codeResponse{Code: code.Code, Numeric: code.Numeric, Kind: code.Kind, ExpiresAt: code.ExpiresAt.UTC(),
		RefreshIn: refreshIn(lifetime), PNG: base64.StdEncoding.EncodeToString(code.PNG)})
}
