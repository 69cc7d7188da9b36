package ledger

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// TopUp credits money that arrived through a channel (a provider, the bank,
// the cash desk) to a holder's wallet, or to pending when it is meant for the card.
type TopUp struct {
	Key       string
	SchoolID  int64
	HolderID  int64
	Channel   AccountKind // WeChatPay, Alipay, Sandbox, Bank or Cash
	AmountFen int64
	ToCard    bool // lands in pending (待圈存) instead of the wallet
	Memo      string
}

// TopUp posts a credit once per key.
func (l *Ledger) TopUp(ctx context.Context, in TopUp) (Entry, error) {
	switch in.Channel {
	case WeChatPay, Alipay, Sandbox, Bank, Cash:
	default:
		return Entry{}, refuse(CodeInvalidRequest, "unknown top-up channel %q", in.Channel)
	}
	if err := firstError(validKey(in.Key), validAmount(in.AmountFen)); err != nil {
		return Entry{}, err
	}
	to := Wallet
	if in.ToCard {
		to = Pending
	}
	e := &Entry{SchoolID: in.SchoolID, IdempotencyKey: in.Key, Kind: EntryTopup, Channel: string(in.Channel),
		HolderID: &in.HolderID, AmountFen: in.AmountFen, Memo: in.Memo,
		Fingerprint: fingerprint(EntryTopup, in.SchoolID, in.HolderID, in.Channel, in.AmountFen, to)}
	return l.record(ctx, e, func(tx *gorm.DB, e *Entry) error {
		if _, err := l.liveHolder(tx, in.SchoolID, in.HolderID); err != nil {
			return err
		}
		src, err := l.systemAccount(tx, in.SchoolID, in.Channel)
		if err != nil {
			return err
		}
		dst, err := l.holderAccounts(tx, in.HolderID, to)
		if err != nil {
			return err
		}
		if _, err := l.post(tx, e, []leg{{from: src, to: dst[to], amount: in.AmountFen}}); err != nil {
			return err
		}
		return l.setBalanceAfter(tx, e, in.HolderID)
	})
}

// Grant moves a subsidy from the school's subsidy fund to a holder.
type Grant struct {
	Key       string
	SchoolID  int64
	HolderID  int64
	AmountFen int64
	Memo      string
}

// Grant posts a subsidy once per key.
func (l *Ledger) Grant(ctx context.Context, in Grant) (Entry, error) {
	if err := firstError(validKey(in.Key), validAmount(in.AmountFen)); err != nil {
		return Entry{}, err
	}
	e := &Entry{SchoolID: in.SchoolID, IdempotencyKey: in.Key, Kind: EntryGrant, Channel: string(SubsidyFund),
		HolderID: &in.HolderID, AmountFen: in.AmountFen, Memo: in.Memo,
		Fingerprint: fingerprint(EntryGrant, in.SchoolID, in.HolderID, in.AmountFen)}
	return l.record(ctx, e, func(tx *gorm.DB, e *Entry) error {
		if _, err := l.liveHolder(tx, in.SchoolID, in.HolderID); err != nil {
			return err
		}
		fund, err := l.systemAccount(tx, in.SchoolID, SubsidyFund)
		if err != nil {
			return err
		}
		dst, err := l.holderAccounts(tx, in.HolderID, Subsidy)
		if err != nil {
			return err
		}
		if _, err := l.post(tx, e, []leg{{from: fund, to: dst[Subsidy], amount: in.AmountFen}}); err != nil {
			return err
		}
		return l.setBalanceAfter(tx, e, in.HolderID)
	})
}

// Payment charges a holder for a merchant: subsidy first, then wallet.
type Payment struct {
	Key        string
	SchoolID   int64
	HolderID   int64
	MerchantID int64
	TerminalID string
	AmountFen  int64
	// PIN, when given, is checked and lifts the per-payment and per-day limits.
	PIN  string
	Memo string
	// CodeSeq, for a payment by pay code, is the code's sequence number; a
	// second payment with the same holder and sequence is refused (CODE_USED).
	CodeSeq *int64
	// PINVerified says the caller already checked PIN with CheckPIN (the
	// terminal gateway does, before it spends the single-use code).
	PINVerified bool
}

// Pay debits a holder once per key. Over a limit without the PIN it answers
// LIMIT_EXCEEDED; a wrong PIN answers WRONG_PIN and, after the school's
// maximum, PIN_LOCKED.
func (l *Ledger) Pay(ctx context.Context, in Payment) (Entry, error) {
	if err := firstError(validKey(in.Key), validAmount(in.AmountFen)); err != nil {
		return Entry{}, err
	}
	if len(in.TerminalID) > 64 {
		return Entry{}, refuse(CodeInvalidRequest, "terminal id too long")
	}
	e := &Entry{SchoolID: in.SchoolID, IdempotencyKey: in.Key, Kind: EntryPayment, HolderID: &in.HolderID,
		MerchantID: &in.MerchantID, AmountFen: in.AmountFen, Memo: in.Memo, CodeSeq: in.CodeSeq,
		Fingerprint: fingerprint(EntryPayment, in.SchoolID, in.HolderID, in.MerchantID, in.TerminalID, in.AmountFen, seqOf(in.CodeSeq))}
	if in.TerminalID != "" {
		e.TerminalID = &in.TerminalID
	}
	// A retry answers with the first result before the PIN is looked at again.
	if prior, found, err := l.entryByKey(ctx, in.Key); err != nil {
		return Entry{}, err
	} else if found {
		return sameRequest(prior, e)
	}
	pinOK := in.PINVerified
	if in.PIN != "" && !pinOK {
		if err := l.CheckPIN(ctx, in.HolderID, in.PIN); err != nil {
			l.metrics.observe(EntryPayment, err)
			return Entry{}, err
		}
		pinOK = true
	}
	return l.recordNew(ctx, e, func(tx *gorm.DB, e *Entry) error {
		holder, err := l.liveHolder(tx, in.SchoolID, in.HolderID)
		if err != nil {
			return err
		}
		now := l.now()
		if err := holder.CanSpend(now); err != nil {
			return err
		}
		var school School
		if err := first(tx, &school, "school", "id = ?", in.SchoolID); err != nil {
			return err
		}
		var merchant Merchant
		if err := first(tx, &merchant, "merchant", "id = ? AND school_id = ?", in.MerchantID, in.SchoolID); err != nil {
			return err
		}
		if merchant.Status != "active" {
			return refuse(CodeInvalidRequest, "merchant %s is disabled", merchant.Code)
		}
		e.MerchantName = merchant.Name
		if err := l.spend(tx, school, holder, now, in.AmountFen, pinOK); err != nil {
			return err
		}
		accts, err := l.holderAccounts(tx, in.HolderID, Wallet, Subsidy)
		if err != nil {
			return err
		}
		dst, err := l.merchantAccount(tx, in.MerchantID)
		if err != nil {
			return err
		}
		spendable, err := l.spendableSubsidy(tx, accts[Subsidy], now)
		if err != nil {
			return err
		}
		fromSubsidy := min(in.AmountFen, spendable)
		fromWallet := in.AmountFen - fromSubsidy
		var legs []leg
		if fromSubsidy > 0 {
			legs = append(legs, leg{from: accts[Subsidy], to: dst, amount: fromSubsidy})
		}
		if fromWallet > 0 {
			legs = append(legs, leg{from: accts[Wallet], to: dst, amount: fromWallet})
		}
		if _, err := l.post(tx, e, legs); err != nil {
			return err
		}
		if fromSubsidy > 0 {
			if err := l.useSubsidyLines(tx, e, in.HolderID, fromSubsidy, now); err != nil {
				return err
			}
		}
		return l.setBalanceAfter(tx, e, in.HolderID)
	})
}

// Precheck tells, without writing anything, whether a payment would be
// refused for the holder's state, the limits or the balance. The terminal
// gateway asks before it spends a single-use code, so a till can retry with
// the PIN. Pay checks everything again inside its transaction.
func (l *Ledger) Precheck(ctx context.Context, h Holder, amount int64, pinOK bool) error {
	if err := validAmount(amount); err != nil {
		return err
	}
	if err := h.CanSpend(l.now()); err != nil {
		return err
	}
	school, err := l.SchoolByID(ctx, h.SchoolID)
	if err != nil {
		return err
	}
	perPayment, perDay := EffectiveLimits(school.Policies, h)
	if !pinOK {
		spent, err := l.SpentToday(ctx, h, school.Timezone)
		if err != nil {
			return err
		}
		if amount > perPayment {
			return refuse(CodeLimitExceeded, "over the per-payment limit of %d fen: PIN required", perPayment)
		}
		if spent+amount > perDay {
			return refuse(CodeLimitExceeded, "over the per-day limit of %d fen: PIN required", perDay)
		}
	}
	b, err := l.HolderBalances(ctx, h.ID)
	if err != nil {
		return err
	}
	if b.WalletFen+b.SubsidyFen < amount {
		return refuse(CodeInsufficientFunds, "insufficient funds")
	}
	return nil
}

// spend applies the per-payment and per-day limits and counts the amount
// against the holder's day. Without a checked PIN the day counter grows only
// while it stays within the limit, in one conditional statement.
func (l *Ledger) spend(tx *gorm.DB, school School, h Holder, now time.Time, amount int64, pinOK bool) error {
	perPayment, perDay := EffectiveLimits(school.Policies, h)
	if !pinOK && amount > perPayment {
		return refuse(CodeLimitExceeded, "over the per-payment limit of %d fen: PIN required", perPayment)
	}
	if !pinOK && amount > perDay {
		return refuse(CodeLimitExceeded, "over the per-day limit of %d fen: PIN required", perDay)
	}
	day := SchoolDay(school.Timezone, now)
	var rows []int64
	var err error
	if pinOK {
		err = tx.Raw(`INSERT INTO spending_days (holder_id, day, spent_fen) VALUES (?, ?, ?)
			ON CONFLICT (holder_id, day) DO UPDATE SET spent_fen = spending_days.spent_fen + excluded.spent_fen
			RETURNING spent_fen`, h.ID, day, amount).Scan(&rows).Error
	} else {
		err = tx.Raw(`INSERT INTO spending_days (holder_id, day, spent_fen) VALUES (?, ?, ?)
			ON CONFLICT (holder_id, day) DO UPDATE SET spent_fen = spending_days.spent_fen + excluded.spent_fen
			WHERE spending_days.spent_fen + excluded.spent_fen <= ?
			RETURNING spent_fen`, h.ID, day, amount, perDay).Scan(&rows).Error
	}
	if err != nil {
		return err
	}
	if len(rows) != 1 {
		return refuse(CodeLimitExceeded, "over the per-day limit of %d fen: PIN required", perDay)
	}
	return nil
}

// EffectiveLimits are the school's limits, lowered by the holder's own.
func EffectiveLimits(p Policies, h Holder) (perPayment, perDay int64) {
	perPayment, perDay = p.PerPaymentLimitFen, p.PerDayLimitFen
	if h.PerPaymentLimitFen != nil && *h.PerPaymentLimitFen < perPayment {
		perPayment = *h.PerPaymentLimitFen
	}
	if h.PerDayLimitFen != nil && *h.PerDayLimitFen < perDay {
		perDay = *h.PerDayLimitFen
	}
	return perPayment, perDay
}

// SchoolDay is the calendar day at the school, which the per-day limit counts.
func SchoolDay(timezone string, now time.Time) string {
	loc, err := time.LoadLocation(timezone)
	if err != nil {
		loc = time.UTC // validated at school creation; unreachable in practice
	}
	return now.In(loc).Format("2006-01-02")
}

// Refund returns part or all of a payment from the merchant to the holder.
type Refund struct {
	Key        string
	PaymentID  int64
	AmountFen  int64
	MerchantID int64 // when non-zero, the payment must have gone to this merchant
	TerminalID string
	Memo       string
}

// Refund posts once per key, never more in total than was paid. Money goes back
// to the wallet first (it was spent last), then to the subsidy.
func (l *Ledger) Refund(ctx context.Context, in Refund) (Entry, error) {
	if err := firstError(validKey(in.Key), validAmount(in.AmountFen)); err != nil {
		return Entry{}, err
	}
	var payment Entry
	if err := first(l.db.WithContext(ctx), &payment, "payment", "id = ? AND kind = ?", in.PaymentID, EntryPayment); err != nil {
		return Entry{}, err
	}
	if in.MerchantID != 0 && (payment.MerchantID == nil || *payment.MerchantID != in.MerchantID) {
		return Entry{}, refuse(CodeNotFound, "payment not found for this merchant")
	}
	e := &Entry{SchoolID: payment.SchoolID, IdempotencyKey: in.Key, Kind: EntryRefund, HolderID: payment.HolderID,
		MerchantID: payment.MerchantID, AmountFen: in.AmountFen, RefundOf: &payment.ID, Memo: in.Memo,
		Fingerprint: fingerprint(EntryRefund, in.PaymentID, in.AmountFen, in.MerchantID)}
	if in.TerminalID != "" {
		e.TerminalID = &in.TerminalID
	}
	return l.record(ctx, e, func(tx *gorm.DB, e *Entry) error {
		// The conditional update is the guard: concurrent refunds of one
		// payment serialize on its row and never exceed its amount.
		var refunded []int64
		if err := tx.Raw(`UPDATE entries SET refunded_fen = refunded_fen + ?
			WHERE id = ? AND refunded_fen + ? <= amount_fen RETURNING refunded_fen`,
			in.AmountFen, payment.ID, in.AmountFen).Scan(&refunded).Error; err != nil {
			return err
		}
		if len(refunded) != 1 {
			return refuse(CodeConflict, "refund exceeds what remains of payment %d", payment.ID)
		}
		refundedBefore := refunded[0] - in.AmountFen
		var paidFromWallet int64
		if err := tx.Raw(`SELECT COALESCE(SUM(t.amount_fen), 0) FROM transfers t JOIN accounts a ON a.id = t.from_account_id
			WHERE t.entry_id = ? AND a.kind = 'wallet'`, payment.ID).Scan(&paidFromWallet).Error; err != nil {
			return err
		}
		toWallet := min(in.AmountFen, max(0, paidFromWallet-refundedBefore))
		toSubsidy := in.AmountFen - toWallet
		accts, err := l.holderAccounts(tx, *payment.HolderID, Wallet, Subsidy)
		if err != nil {
			return err
		}
		src, err := l.merchantAccount(tx, *payment.MerchantID)
		if err != nil {
			return err
		}
		var legs []leg
		if toWallet > 0 {
			legs = append(legs, leg{from: src, to: accts[Wallet], amount: toWallet})
		}
		if toSubsidy > 0 {
			legs = append(legs, leg{from: src, to: accts[Subsidy], amount: toSubsidy})
		}
		if _, err := l.post(tx, e, legs); err != nil {
			return err
		}
		if toSubsidy > 0 {
			if err := l.restoreSubsidyLines(tx, e, payment.ID, toSubsidy); err != nil {
				return err
			}
		}
		return l.setBalanceAfter(tx, e, *payment.HolderID)
	})
}

// Move transfers money between two of a holder's own accounts, e.g. wallet to
// card purse at a kiosk, or pending onto the purse. Subsidy never moves this way.
type Move struct {
	Key       string
	SchoolID  int64
	HolderID  int64
	From, To  AccountKind
	AmountFen int64
	Memo      string
	// guard, when set, runs inside the move's transaction with the holder
	// locked; its refusal leaves nothing recorded.
	guard func(tx *gorm.DB, e *Entry) error
}

func validMove(from, to AccountKind) error {
	ok := map[AccountKind]bool{Wallet: true, Pending: true, Purse: true}
	if !ok[from] || !ok[to] || from == to {
		return refuse(CodeInvalidRequest, "cannot move from %s to %s", from, to)
	}
	return nil
}

// Move posts once per key.
func (l *Ledger) Move(ctx context.Context, in Move) (Entry, error) {
	if err := firstError(validKey(in.Key), validAmount(in.AmountFen), validMove(in.From, in.To)); err != nil {
		return Entry{}, err
	}
	e := &Entry{SchoolID: in.SchoolID, IdempotencyKey: in.Key, Kind: EntryMove, HolderID: &in.HolderID,
		AmountFen: in.AmountFen, Memo: in.Memo, Channel: string(in.From) + ">" + string(in.To),
		Fingerprint: fingerprint(EntryMove, in.SchoolID, in.HolderID, in.From, in.To, in.AmountFen)}
	return l.record(ctx, e, func(tx *gorm.DB, e *Entry) error {
		if _, err := l.liveHolder(tx, in.SchoolID, in.HolderID); err != nil {
			return err
		}
		if err := l.guarded(tx, e, in.guard); err != nil {
			return err
		}
		accts, err := l.holderAccounts(tx, in.HolderID, in.From, in.To)
		if err != nil {
			return err
		}
		if _, err := l.post(tx, e, []leg{{from: accts[in.From], to: accts[in.To], amount: in.AmountFen}}); err != nil {
			return err
		}
		return l.setBalanceAfter(tx, e, in.HolderID)
	})
}

// liveHolder loads a holder of the school and refuses a closed one: a closed
// account takes no new money.
func (l *Ledger) liveHolder(tx *gorm.DB, schoolID, holderID int64) (Holder, error) {
	var h Holder
	if err := first(tx, &h, "holder", "id = ? AND school_id = ?", holderID, schoolID); err != nil {
		return h, err
	}
	if h.Status == StatusClosed {
		return h, refuse(CodeAccountClosed, "account %s is closed", h.Number)
	}
	return h, nil
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func seqOf(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}
