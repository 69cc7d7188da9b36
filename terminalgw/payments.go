package terminalgw

import (
	"regexp"
	"unicode/utf8"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/internal/httpjson"
	"github.com/ecard/ecard/ledger"
)

var pinPattern = regexp.MustCompile(`^[0-9]{6}$`)

type paymentRequest struct {
	RequestID string `json:"request_id"`
	Amount    int64  `json:"amount"`
	Code      string `json:"code"`
	CardUID   string `json:"card_uid"`
	PIN       string `json:"pin"`
	// chipRead, with card_uid, is the chip's record of its last write.
	chipRead
}

type maskedHolder struct {
	Number     string `json:"number"`
	NameMasked string `json:"name_masked"`
}

type paymentAnswer struct {
	Status        string       `json:"status"`
	TransactionID int64        `json:"transaction_id"`
	Amount        int64        `json:"amount"`
	BalanceAfter  int64        `json:"balance_after"`
	Holder        maskedHolder `json:"holder"`
	// Pending, after a card tap, is money the till writes onto the chip now
	// and confirms (POST /tgw/v1/cards/claim/confirm).
	Pending *chipWrite `json:"pending,omitempty"`
}

// MaskName hides the middle of a name for a till's screen: 王小明 -> 王*明,
// 张三 -> 张*, a single character -> *.
func MaskName(name string) string {
	r := []rune(name)
	switch len(r) {
	case 0, 1:
		return "*"
	case 2:
		return string(r[0]) + "*"
	}
	out := []rune{r[0]}
	for range r[1 : len(r)-1] {
		out = append(out, '*')
	}
	return string(append(out, r[len(r)-1]))
}

func (r paymentRequest) validate() error {
	switch {
	case r.Amount <= 0 || r.Amount > ledger.MaxAmountFen:
		return httpjson.Invalid("amount must be 1 to %d fen", ledger.MaxAmountFen)
	case (r.Code == "") == (r.CardUID == ""):
		return httpjson.Invalid("give exactly one of code and card_uid")
	case len(r.Code) > 200 || len(r.CardUID) > 32 || !utf8.ValidString(r.Code):
		return httpjson.Invalid("code or card_uid too long")
	case r.validChipRead() != nil || (r.ChipHoldID != nil && r.CardUID == ""):
		return httpjson.Invalid("chip_hold_id must be a hold id, with card_uid")
	case r.PIN != "" && !pinPattern.MatchString(r.PIN):
		return httpjson.Invalid("pin must be 6 digits")
	}
	return nil
}

// handlePayment charges a pay code for the till's merchant.
func (g *Gateway) handlePayment(c fiber.Ctx) error {
	t := terminalOf(c)
	if t.Kind != ledger.TerminalPOS || t.MerchantID == nil {
		return fail("FORBIDDEN", "only a pos terminal takes payments")
	}
	var req paymentRequest
	if err := httpjson.FirstErr(httpjson.Decode(c, &req), req.validate()); err != nil {
		return err
	}
	return g.once(c, req.RequestID, func() (any, error) {
		ctx := c.Context()
		key := ledgerKey(t.ID, req.RequestID)
		// Redis may have forgotten the answer but never the money: a payment
		// already posted under this request is answered as it was.
		if e, found, err := g.ledger.EntryByKey(ctx, key); err != nil {
			return nil, err
		} else if found {
			return g.cardApproved(c, req, e)
		}
		if req.CardUID != "" {
			return g.payByCard(c, t, req, key)
		}
		code, err := g.codes.Verify(ctx, req.Code)
		if err != nil {
			return nil, err
		}
		if code.Kind != "pay" {
			return nil, fail("CODE_KIND", "an identity code cannot pay")
		}
		if code.SchoolID != t.SchoolID {
			return nil, fail("CODE_INVALID", "the code is from another school")
		}
		// Decide everything that can be decided before the single-use code
		// is spent: a lost holder hears CARD_LOST (not CODE_USED for a code
		// the loss report revoked), and a till told LIMIT_EXCEEDED or
		// WRONG_PIN can ask for the PIN and send the same code again. The
		// ledger checks again inside the payment's transaction.
		h, err := g.ledger.HolderByID(ctx, code.HolderID)
		if err != nil {
			return nil, err
		}
		if err := h.CanSpend(g.now()); err != nil {
			return nil, err
		}
		pinOK := false
		if req.PIN != "" {
			if err := g.ledger.CheckPIN(ctx, h.ID, req.PIN); err != nil {
				return nil, err
			}
			pinOK = true
		}
		if err := g.ledger.Precheck(ctx, h, req.Amount, pinOK); err != nil {
			return nil, err
		}
		if err := g.codes.Consume(ctx, code); err != nil {
			return nil, err
		}
		seq := code.Seq
		e, err := g.ledger.Pay(ctx, ledger.Payment{Key: key, SchoolID: t.SchoolID, HolderID: code.HolderID,
			MerchantID: *t.MerchantID, TerminalID: t.ID, AmountFen: req.Amount, PINVerified: pinOK, CodeSeq: &seq})
		if err != nil {
			return nil, err
		}
		return g.approved(c, e)
	})
}

func (g *Gateway) approved(c fiber.Ctx, e ledger.Entry) (any, error) {
	h, err := g.ledger.HolderByID(c.Context(), *e.HolderID)
	if err != nil {
		return nil, err
	}
	return paymentAnswer{Status: "approved", TransactionID: e.ID, Amount: e.AmountFen, BalanceAfter: e.BalanceAfterFen,
		Holder: maskedHolder{Number: h.Number, NameMasked: MaskName(h.Name)}}, nil
}

type refundRequest struct {
	RequestID     string `json:"request_id"`
	TransactionID int64  `json:"transaction_id"`
	Amount        int64  `json:"amount"`
}

// handleRefund returns money to the payer, only for the merchant that was
// paid and never more than was paid in total.
func (g *Gateway) handleRefund(c fiber.Ctx) error {
	t := terminalOf(c)
	if t.Kind != ledger.TerminalPOS || t.MerchantID == nil {
		return fail("FORBIDDEN", "only a pos terminal refunds")
	}
	var req refundRequest
	if err := httpjson.Decode(c, &req); err != nil {
		return err
	}
	if req.TransactionID <= 0 || req.Amount <= 0 || req.Amount > ledger.MaxAmountFen {
		return httpjson.Invalid("transaction_id and amount must be positive")
	}
	return g.once(c, req.RequestID, func() (any, error) {
		e, err := g.ledger.Refund(c.Context(), ledger.Refund{Key: ledgerKey(t.ID, req.RequestID), PaymentID: req.TransactionID,
			AmountFen: req.Amount, MerchantID: *t.MerchantID, TerminalID: t.ID})
		if err != nil {
			return nil, err
		}
		return fiber.Map{"status": "refunded", "transaction_id": e.ID, "amount": e.AmountFen, "balance_after": e.BalanceAfterFen}, nil
	})
}
