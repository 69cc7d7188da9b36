package terminalgw

import (
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/internal/httpjson"
	"github.com/ecard/ecard/ledger"
)

// chipWrite is money a terminal must write onto (or take off) the card chip
// and then confirm; until confirmed it is only reserved.
type chipWrite struct {
	HoldID    int64     `json:"hold_id"`
	Amount    int64     `json:"amount"`
	ExpiresAt time.Time `json:"expires_at"`
}

// payByCard charges a tapped card online, from subsidy then wallet, like a
// pay code. A replaced or unknown card answers CARD_INVALID; the holder's
// loss report, freeze or closing answer as for a code.
func (g *Gateway) payByCard(c fiber.Ctx, t ledger.Terminal, req paymentRequest, key string) (any, error) {
	_, h, err := g.ledger.CardHolder(c.Context(), t.SchoolID, req.CardUID)
	if err != nil {
		return nil, err
	}
	e, err := g.ledger.Pay(c.Context(), ledger.Payment{Key: key, SchoolID: t.SchoolID, HolderID: h.ID,
		MerchantID: *t.MerchantID, TerminalID: t.ID, AmountFen: req.Amount, PIN: req.PIN})
	if err != nil {
		return nil, err
	}
	return g.cardApproved(c, req, e)
}

// cardApproved answers an approved payment; after a card tap it also claims
// the holder's pending money for the till to write onto the chip.
func (g *Gateway) cardApproved(c fiber.Ctx, req paymentRequest, e ledger.Entry) (any, error) {
	a, err := g.approved(c, e)
	if err != nil || req.CardUID == "" {
		return a, err
	}
	answer := a.(paymentAnswer)
	answer.Pending, err = g.claim(c, e.IdempotencyKey+":claim", e.SchoolID, *e.HolderID, req.lastWrite())
	if ledger.ErrorCode(err) != "" {
		// The payment went through; a claim refused now is offered at the next tap.
		answer.Pending, err = nil, nil
	}
	return answer, err
}

// claim reserves the holder's pending money under key, or answers nil when
// nothing is pending.
func (g *Gateway) claim(c fiber.Ctx, key string, schoolID, holderID, chipHoldID int64) (*chipWrite, error) {
	hold, found, err := g.ledger.ClaimPending(c.Context(), key, schoolID, holderID, chipHoldID)
	if err != nil || !found {
		return nil, err
	}
	return g.chipWriteOf(c, hold)
}

func (g *Gateway) chipWriteOf(c fiber.Ctx, hold ledger.Entry) (*chipWrite, error) {
	open, err := g.ledger.HoldOpen(c.Context(), hold.ID)
	if err != nil || !open {
		return nil, err // resolved since: nothing left to write
	}
	return &chipWrite{HoldID: hold.ID, Amount: hold.AmountFen, ExpiresAt: hold.CreatedAt.Add(ledger.ChipWriteTTL)}, nil
}

// accessByCard decides at a gate for a tapped card.
func (g *Gateway) accessByCard(c fiber.Ctx, t ledger.Terminal, req accessRequest) (any, error) {
	card, err := g.ledger.CardByUID(c.Context(), req.CardUID)
	switch {
	case ledger.ErrorCode(err) == ledger.CodeCardInvalid || (err == nil && card.SchoolID != t.SchoolID):
		return g.decide(c, t, req.RequestID, nil, "deny", reasonUnknownID)
	case err != nil:
		return nil, err
	case card.Status == ledger.CardReplaced:
		return g.decide(c, t, req.RequestID, nil, "deny", ledger.CodeCardInvalid)
	case card.Status == ledger.CardClosed:
		return g.decide(c, t, req.RequestID, nil, "deny", reasonClosed)
	}
	h, err := g.ledger.HolderByID(c.Context(), card.HolderID)
	if err != nil {
		return nil, err
	}
	return g.decideHolder(c, t, req.RequestID, h)
}

type claimRequest struct {
	RequestID string `json:"request_id"`
	CardUID   string `json:"card_uid"`
	chipRead
}

type claimAnswer struct {
	// HoldID is absent when nothing is pending.
	HoldID    int64      `json:"hold_id,omitempty"`
	Amount    int64      `json:"amount"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

func claimAnswerOf(w *chipWrite) claimAnswer {
	if w == nil {
		return claimAnswer{}
	}
	return claimAnswer{HoldID: w.HoldID, Amount: w.Amount, ExpiresAt: &w.ExpiresAt}
}

// handleClaim reserves a card holder's pending money for a till or kiosk to
// write onto the chip (圈存).
func (g *Gateway) handleClaim(c fiber.Ctx) error {
	t := terminalOf(c)
	if t.Kind != ledger.TerminalPOS && t.Kind != ledger.TerminalKiosk {
		return fail("FORBIDDEN", "only a pos or kiosk writes cards")
	}
	var req claimRequest
	if err := httpjson.FirstErr(httpjson.Decode(c, &req), cardUIDRequired(req.CardUID)); err != nil {
		return err
	}
	if err := req.validChipRead(); err != nil {
		return err
	}
	return g.once(c, req.RequestID, func() (any, error) {
		_, h, err := g.ledger.CardHolder(c.Context(), t.SchoolID, req.CardUID)
		if err != nil {
			return nil, err
		}
		if err := h.CanSpend(g.now()); err != nil {
			return nil, err
		}
		w, err := g.claim(c, ledgerKey(t.ID, req.RequestID), t.SchoolID, h.ID, req.lastWrite())
		return claimAnswerOf(w), err
	})
}

func cardUIDRequired(uid string) error {
	if uid == "" || len(uid) > 32 {
		return httpjson.Invalid("card_uid is required (at most 32 characters)")
	}
	return nil
}

type confirmRequest struct {
	RequestID string `json:"request_id"`
	HoldID    int64  `json:"hold_id"`
	Written   *bool  `json:"written"`
}

// handleConfirm settles a chip write the terminal made (written: true) or
// could not make (written: false). Repeating it changes nothing; only the
// terminal that reserved the write may confirm it.
func (g *Gateway) handleConfirm(c fiber.Ctx) error {
	t := terminalOf(c)
	var req confirmRequest
	if err := httpjson.Decode(c, &req); err != nil {
		return err
	}
	if req.HoldID <= 0 || req.Written == nil {
		return httpjson.Invalid("hold_id and written are required")
	}
	return g.once(c, req.RequestID, func() (any, error) {
		e, err := g.ledger.ConfirmChipWrite(c.Context(), t.SchoolID, req.HoldID, *req.Written, ledgerKey(t.ID, ""))
		if err != nil {
			return nil, err
		}
		status := map[string]string{ledger.EntryPost: "posted", ledger.EntryVoid: "voided", ledger.EntryMove: "posted"}[e.Kind]
		b, err := g.ledger.HolderBalances(c.Context(), *e.HolderID)
		if err != nil {
			return nil, err
		}
		return fiber.Map{"status": status, "hold_id": req.HoldID, "amount": e.AmountFen,
			"purse": b.PurseFen, "pending": b.PendingFen, "balance": b.WalletFen + b.SubsidyFen}, nil
	})
}
