package terminalgw

import (
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/internal/httpjson"
	"github.com/ecard/ecard/ledger"
)

// kioskAuth starts every kiosk request: the card on the reader and its PIN.
type kioskAuth struct {
	RequestID string `json:"request_id"`
	CardUID   string `json:"card_uid"`
	PIN       string `json:"pin"`
}

func (a *kioskAuth) auth() *kioskAuth { return a }

func (a *kioskAuth) check() error {
	if err := cardUIDRequired(a.CardUID); err != nil {
		return err
	}
	if !pinPattern.MatchString(a.PIN) {
		return httpjson.Invalid("pin must be 6 digits")
	}
	return nil
}

// kioskBody is a kiosk request: the card and PIN, and what is asked.
type kioskBody interface {
	auth() *kioskAuth
	validate() error
}

// kioskRoute answers a kiosk request once per request id, after the card (the
// holder's active card at this school) and its PIN.
func kioskRoute[T any, B interface {
	*T
	kioskBody
}](g *Gateway, act func(c fiber.Ctx, t ledger.Terminal, h ledger.Holder, body B) (any, error)) fiber.Handler {
	return func(c fiber.Ctx) error {
		t := terminalOf(c)
		if t.Kind != ledger.TerminalKiosk {
			return fail("FORBIDDEN", "only a kiosk serves this")
		}
		body := B(new(T))
		if err := httpjson.FirstErr(httpjson.Decode(c, body), body.auth().check(), body.validate()); err != nil {
			return err
		}
		a := body.auth()
		return g.once(c, a.RequestID, func() (any, error) {
			_, h, err := g.ledger.CardHolder(c.Context(), t.SchoolID, a.CardUID)
			if err != nil {
				return nil, err
			}
			if err := g.ledger.CheckPIN(c.Context(), h.ID, a.PIN); err != nil {
				return nil, err
			}
			return act(c, t, h, body)
		})
	}
}

type kioskPlain struct{ kioskAuth }

func (kioskPlain) validate() error { return nil }

type kioskClaimBody struct {
	kioskAuth
	chipRead
}

func (b *kioskClaimBody) validate() error {
	return b.validChipRead()
}

// kioskHistoryLength is how many recent lines the kiosk screen shows.
const kioskHistoryLength = 10

// kioskHolder shows the holder, balances, card and recent history.
func (g *Gateway) kioskHolder(c fiber.Ctx, _ ledger.Terminal, h ledger.Holder, _ *kioskPlain) (any, error) {
	ctx := c.Context()
	b, err := g.ledger.HolderBalances(ctx, h.ID)
	if err != nil {
		return nil, err
	}
	card, _, err := g.ledger.ActiveCard(ctx, h.ID)
	if err != nil {
		return nil, err
	}
	history, err := g.ledger.History(ctx, h.ID, ledger.HistoryFilter{Limit: kioskHistoryLength})
	if err != nil {
		return nil, err
	}
	return fiber.Map{"number": h.Number, "name": h.Name, "kind": h.Kind, "state": h.State(g.now()),
		"balance": b.WalletFen + b.SubsidyFen, "wallet": b.WalletFen, "subsidy": b.SubsidyFen,
		"pending": b.PendingFen, "purse": b.PurseFen,
		"card": fiber.Map{"uid": card.UID, "status": card.Status, "issued_at": card.IssuedAt}, "history": history}, nil
}

// kioskClaim reserves pending money for the kiosk to write onto the chip.
func (g *Gateway) kioskClaim(c fiber.Ctx, t ledger.Terminal, h ledger.Holder, body *kioskClaimBody) (any, error) {
	if err := h.CanSpend(g.now()); err != nil {
		return nil, err
	}
	w, err := g.claim(c, ledgerKey(t.ID, body.RequestID), t.SchoolID, h.ID, body.lastWrite())
	return claimAnswerOf(w), err
}

type kioskLoss struct {
	kioskAuth
	Action string `json:"action"`
}

func (b *kioskLoss) validate() error {
	if b.Action != "report" && b.Action != "cancel" {
		return httpjson.Invalid("action must be report or cancel")
	}
	return nil
}

// kioskLossReport reports the holder's loss (every card and code refused) or
// cancels it.
func (g *Gateway) kioskLossReport(c fiber.Ctx, _ ledger.Terminal, h ledger.Holder, body *kioskLoss) (any, error) {
	h, err := g.ledger.SetLostChecked(c.Context(), h.ID, body.Action == "report")
	if err != nil {
		return nil, err
	}
	if h.Lost {
		if err := g.codes.RevokeHolder(c.Context(), h.SchoolID, h.ID); err != nil {
			g.log.Warn("codes not revoked", "holder", h.ID, "err", err)
		}
	}
	return fiber.Map{"lost": h.Lost, "state": h.State(g.now())}, nil
}

type kioskPassword struct {
	kioskAuth
	Kind string `json:"kind"`
	Old  string `json:"old"`
	New  string `json:"new"`
}

func (b *kioskPassword) validate() error {
	if b.Kind != "login" && b.Kind != "pin" {
		return httpjson.Invalid("kind must be login or pin")
	}
	return httpjson.FirstErr(httpjson.Text("old", b.Old, 64), httpjson.Text("new", b.New, 64))
}

// kioskChangePassword changes the login password or the PIN.
func (g *Gateway) kioskChangePassword(c fiber.Ctx, _ ledger.Terminal, h ledger.Holder, body *kioskPassword) (any, error) {
	var err error
	if body.Kind == "login" {
		err = g.ledger.ChangePassword(c.Context(), h.ID, body.Old, body.New)
	} else {
		err = g.ledger.ChangePIN(c.Context(), h.ID, body.Old, body.New)
	}
	if err != nil {
		return nil, err
	}
	return fiber.Map{"status": "changed", "kind": body.Kind}, nil
}

type kioskTransfer struct {
	kioskAuth
	Direction string `json:"direction"`
	Amount    int64  `json:"amount"`
	chipRead
}

// transferDirections are the kiosk's transfers, each a chip write.
var transferDirections = map[string][2]ledger.AccountKind{
	"wallet_to_purse": {ledger.Wallet, ledger.Purse},
	"purse_to_wallet": {ledger.Purse, ledger.Wallet},
}

func (b *kioskTransfer) validate() error {
	if _, ok := transferDirections[b.Direction]; !ok {
		return httpjson.Invalid("direction must be wallet_to_purse or purse_to_wallet")
	}
	if b.Amount <= 0 || b.Amount > ledger.MaxAmountFen {
		return httpjson.Invalid("amount must be 1 to %d fen", ledger.MaxAmountFen)
	}
	return b.validChipRead()
}

// kioskTransferMoney reserves a transfer between wallet and card purse; the
// kiosk writes the chip and confirms (POST /tgw/v1/cards/claim/confirm).
func (g *Gateway) kioskTransferMoney(c fiber.Ctx, t ledger.Terminal, h ledger.Holder, body *kioskTransfer) (any, error) {
	if err := h.CanSpend(g.now()); err != nil {
		return nil, err
	}
	d := transferDirections[body.Direction]
	e, err := g.ledger.ReserveChipWrite(c.Context(), ledgerKey(t.ID, body.RequestID), t.SchoolID, h.ID, body.lastWrite(), d[0], d[1], body.Amount)
	if err != nil {
		return nil, err
	}
	return fiber.Map{"hold_id": e.ID, "amount": e.AmountFen, "direction": body.Direction,
		"expires_at": e.CreatedAt.Add(ledger.ChipWriteTTL).Format(time.RFC3339)}, nil
}

type kioskCash struct {
	kioskAuth
	Amount int64 `json:"amount"`
}

func (b *kioskCash) validate() error {
	if b.Amount <= 0 || b.Amount > ledger.MaxAmountFen {
		return httpjson.Invalid("amount must be 1 to %d fen", ledger.MaxAmountFen)
	}
	return nil
}

// kioskCashTopUp credits cash the kiosk took into the wallet, from the
// school's cash account, once per request id; the receipt number is printed.
func (g *Gateway) kioskCashTopUp(c fiber.Ctx, t ledger.Terminal, h ledger.Holder, body *kioskCash) (any, error) {
	school, err := g.ledger.SchoolByID(c.Context(), t.SchoolID)
	if err != nil {
		return nil, err
	}
	if body.Amount < school.TopupMinFen || body.Amount > school.TopupMaxFen {
		return nil, fail(ledger.CodeInvalidRequest, "amount must be %d to %d fen", school.TopupMinFen, school.TopupMaxFen)
	}
	e, err := g.ledger.TopUp(c.Context(), ledger.TopUp{Key: ledgerKey(t.ID, body.RequestID), SchoolID: t.SchoolID, HolderID: h.ID,
		Channel: ledger.Cash, AmountFen: body.Amount, Memo: "自助机现金充值 kiosk cash"})
	if err != nil {
		return nil, err
	}
	return fiber.Map{"receipt": CashReceipt(e), "amount": e.AmountFen, "balance_after": e.BalanceAfterFen}, nil
}

// CashReceipt is the number printed on a cash top-up's receipt: the day and
// the entry id, so the office finds the entry from the paper.
func CashReceipt(e ledger.Entry) string {
	return "C" + e.CreatedAt.UTC().Format("20060102") + "-" + itoa(e.ID)
}

type kioskUnfreeze struct {
	kioskAuth
	Password string `json:"password"`
}

func (b *kioskUnfreeze) validate() error { return httpjson.Text("password", b.Password, 64) }

// kioskUnfreezeHolder lifts a freeze after the login password.
func (g *Gateway) kioskUnfreezeHolder(c fiber.Ctx, _ ledger.Terminal, h ledger.Holder, body *kioskUnfreeze) (any, error) {
	if _, err := g.ledger.CheckPassword(c.Context(), h.ID, body.Password); err != nil {
		return nil, err
	}
	h, err := g.ledger.SetFrozen(c.Context(), h.ID, false)
	if err != nil {
		return nil, err
	}
	return fiber.Map{"status": h.Status, "state": h.State(g.now())}, nil
}
