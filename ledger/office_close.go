package ledger

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// ChannelPayout prefixes the channel of a closing's payout entry: the money
// leaves the holder's wallet, pending and purse for the cash desk or the bank
// ("payout>cash", "payout>bank"). It is a move out of the holder's accounts
// (entries.kind is fixed by the schema).
const ChannelPayout = "payout>"

// Closing is what closing an account paid out at the counter and returned
// to the subsidy fund, with its receipt. One per holder.
type Closing struct {
	HolderID           int64     `json:"holder_id" gorm:"primaryKey;autoIncrement:false"`
	SchoolID           int64     `json:"school_id"`
	Method             string    `json:"method"`
	Reference          string    `json:"reference,omitempty"`
	Receipt            string    `json:"receipt"`
	WalletRefundFen    int64     `json:"wallet_refund_fen"`
	PendingRefundFen   int64     `json:"pending_refund_fen"`
	PurseRefundFen     int64     `json:"purse_refund_fen"`
	SubsidyReturnedFen int64     `json:"subsidy_returned_fen"`
	PayoutEntryID      *int64    `json:"payout_entry_id,omitempty"`
	SubsidyEntryID     *int64    `json:"subsidy_entry_id,omitempty"`
	ClosedBy           string    `json:"closed_by"`
	CreatedAt          time.Time `json:"created_at"`
}

// TableName is the closings table.
func (Closing) TableName() string { return "holder_closings" }

// CloseAccount is the office closing a holder's account.
type CloseAccount struct {
	HolderID  int64
	Method    string // "cash" or "bank": the system account the payout leaves by
	Reference string // the bank transfer's reference, say; optional
	By        string // who closed it, for the record
}

// errClosedBefore says the holder was closed by an earlier request.
var errClosedBefore = errors.New("closed before")

// CloseHolder closes an account (graduation, a visitor leaving): a purse
// overdrawn offline is settled from the wallet and pending first, then the
// wallet, pending and purse are paid out to the cash or bank account with a receipt,
// the subsidy goes back to the fund, and the holder is closed, so every
// login, payment and gate refuses it; its history stays. Closing again
// answers the first closing. An account with money reserved for a card write
// is refused CONFLICT until that write resolves.
func (l *Ledger) CloseHolder(ctx context.Context, in CloseAccount) (Closing, error) {
	if in.Method != string(Cash) && in.Method != string(Bank) {
		return Closing{}, refuse(CodeInvalidRequest, "method must be cash or bank")
	}
	if len(in.Reference) > 64 || len(in.By) > 64 {
		return Closing{}, refuse(CodeInvalidRequest, "reference must be at most 64 characters")
	}
	if c, found, err := l.closingOf(ctx, in.HolderID); err != nil || found {
		return c, err
	}
	h, err := l.HolderByID(ctx, in.HolderID)
	if err != nil {
		return Closing{}, err
	}
	school, err := l.SchoolByID(ctx, h.SchoolID)
	if err != nil {
		return Closing{}, err
	}
	var c Closing
	err = l.inTx(ctx, func(tx *gorm.DB) error {
		now := l.now()
		c = Closing{HolderID: h.ID, SchoolID: h.SchoolID, Method: in.Method, Reference: in.Reference, ClosedBy: in.By,
			Receipt: fmt.Sprintf("RC%s-%06d", strings.ReplaceAll(SchoolDay(school.Timezone, now), "-", ""), h.ID), CreatedAt: now}
		// The holder row first, as payments and grants read it, then its accounts.
		var cur Holder
		if err := tx.Raw(`SELECT * FROM holders WHERE id = ?`+l.forUpdate(), h.ID).Scan(&cur).Error; err != nil {
			return err
		}
		if cur.Status == StatusClosed {
			return errClosedBefore
		}
		accts, err := l.holderAccounts(tx, h.ID, Wallet, Subsidy, Pending, Purse)
		if err != nil {
			return err
		}
		for _, a := range accts {
			if a.HeldFen > 0 {
				return refuse(CodeConflict, "%d fen of the %s account is reserved for a card write: try again when it resolves", a.HeldFen, a.Kind)
			}
		}
		if err := l.coverPurseDebt(tx, &c, accts, now); err != nil {
			return err
		}
		if err := l.payOut(tx, &c, accts, now); err != nil {
			return err
		}
		if err := l.returnAllSubsidy(tx, &c, accts[Subsidy], now); err != nil {
			return err
		}
		if err := tx.Model(&Holder{}).Where("id = ? AND status <> ?", h.ID, StatusClosed).
			Updates(map[string]any{"status": StatusClosed, "updated_at": now}).Error; err != nil {
			return err
		}
		// Terminals working offline refuse it from the denylist; a lost or
		// frozen holder is on it already.
		if !cur.Lost && cur.Status != StatusFrozen {
			if err := tx.Exec(`INSERT INTO denylist_events (school_id, holder_id, action, created_at) VALUES (?, ?, 'add', ?)`,
				h.SchoolID, h.ID, now).Error; err != nil {
				return err
			}
		}
		return tx.Create(&c).Error
	})
	if errors.Is(err, errClosedBefore) {
		c, found, err := l.closingOf(ctx, in.HolderID)
		if err == nil && !found {
			return Closing{}, refuse(CodeAccountClosed, "account %s is closed", h.Number)
		}
		return c, err
	}
	return c, err
}

// coverPurseDebt settles a purse overdrawn by offline spending from the
// wallet, then pending, before anything is paid out; accts are updated to the
// balances after it. A debt larger than both stays on the closed purse.
func (l *Ledger) coverPurseDebt(tx *gorm.DB, c *Closing, accts map[AccountKind]Account, now time.Time) error {
	purse := accts[Purse]
	debt := max(0, -purse.BalanceFen)
	var legs []leg
	var covered int64
	for _, k := range []AccountKind{Wallet, Pending} {
		a := accts[k]
		if take := min(debt-covered, a.BalanceFen); take > 0 {
			legs = append(legs, leg{from: a, to: purse, amount: take})
			a.BalanceFen -= take
			accts[k] = a
			covered += take
		}
	}
	if covered == 0 {
		return nil
	}
	purse.BalanceFen += covered
	accts[Purse] = purse
	holderID := c.HolderID
	e := &Entry{SchoolID: c.SchoolID, IdempotencyKey: fmt.Sprintf("close:%d:purse-debt", holderID), Kind: EntryMove,
		Channel: string(legs[0].from.Kind) + ">" + string(Purse), HolderID: &holderID, AmountFen: covered, CreatedAt: now,
		Memo: "offline purse debt settled at closing, receipt " + c.Receipt, Fingerprint: fingerprint("close-debt", holderID, covered)}
	if err := tx.Create(e).Error; err != nil {
		return err
	}
	if _, err := l.post(tx, e, legs); err != nil {
		return err
	}
	return l.setBalanceAfter(tx, e, holderID)
}

// payOut moves the wallet, pending and purse to the cash desk or the bank in
// one entry with one transfer per account.
func (l *Ledger) payOut(tx *gorm.DB, c *Closing, accts map[AccountKind]Account, now time.Time) error {
	dst, err := l.systemAccount(tx, c.SchoolID, AccountKind(c.Method))
	if err != nil {
		return err
	}
	var legs []leg
	var total int64
	for _, k := range []AccountKind{Wallet, Pending, Purse} {
		if b := accts[k].BalanceFen; b > 0 {
			legs = append(legs, leg{from: accts[k], to: dst, amount: b})
			total += b
		}
	}
	c.WalletRefundFen, c.PendingRefundFen, c.PurseRefundFen = accts[Wallet].BalanceFen, accts[Pending].BalanceFen, max(0, accts[Purse].BalanceFen)
	if total == 0 {
		return nil
	}
	holderID := c.HolderID
	e := &Entry{SchoolID: c.SchoolID, IdempotencyKey: fmt.Sprintf("close:%d:payout", holderID), Kind: EntryMove,
		Channel: ChannelPayout + c.Method, HolderID: &holderID, AmountFen: total, CreatedAt: now,
		Memo: truncate("receipt "+c.Receipt+" "+c.Reference, 100), Fingerprint: fingerprint("close-payout", holderID, c.Method, total)}
	if err := tx.Create(e).Error; err != nil {
		return err
	}
	if _, err := l.post(tx, e, legs); err != nil {
		return err
	}
	c.PayoutEntryID = &e.ID
	return l.setBalanceAfter(tx, e, holderID)
}

// returnAllSubsidy sends the whole subsidy account back to the fund and marks
// every live line returned.
func (l *Ledger) returnAllSubsidy(tx *gorm.DB, c *Closing, subsidy Account, now time.Time) error {
	c.SubsidyReturnedFen = subsidy.BalanceFen
	if subsidy.BalanceFen == 0 {
		return nil
	}
	if err := tx.Exec(`UPDATE subsidy_lines SET returned_fen = returned_fen + remaining_fen, remaining_fen = 0
		WHERE holder_id = ? AND remaining_fen > 0`, c.HolderID).Error; err != nil {
		return err
	}
	holderID := c.HolderID
	e := &Entry{SchoolID: c.SchoolID, IdempotencyKey: fmt.Sprintf("close:%d:subsidy", holderID), Kind: EntryGrant,
		Channel: ChannelSubsidyReturn, HolderID: &holderID, AmountFen: subsidy.BalanceFen, CreatedAt: now,
		Memo: "account closed, receipt " + c.Receipt, Fingerprint: fingerprint("close-subsidy", holderID, subsidy.BalanceFen)}
	if err := l.returnSubsidy(tx, e, subsidy); err != nil {
		return err
	}
	c.SubsidyEntryID = &e.ID
	return nil
}

func (l *Ledger) closingOf(ctx context.Context, holderID int64) (Closing, bool, error) {
	var c Closing
	err := l.db.WithContext(ctx).Where("holder_id = ?", holderID).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return c, false, nil
	}
	return c, err == nil, err
}

// ClosingOf reads the closing of a holder.
func (l *Ledger) ClosingOf(ctx context.Context, holderID int64) (Closing, error) {
	c, found, err := l.closingOf(ctx, holderID)
	if err == nil && !found {
		return c, refuse(CodeNotFound, "holder %d was not closed at the counter", holderID)
	}
	return c, err
}

// CanSignIn refuses a closed or expired holder: their history stays with the
// office, but they no longer sign in.
func (h Holder) CanSignIn(now time.Time) error {
	switch h.State(now) {
	case StatusClosed:
		return refuse(CodeAccountClosed, "account %s is closed", h.Number)
	case "expired":
		return refuse(CodeAccountClosed, "account %s has expired", h.Number)
	}
	return nil
}
