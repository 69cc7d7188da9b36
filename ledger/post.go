package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// MaxAmountFen bounds any single amount (1,000,000 yuan): far above any real
// campus payment, far below where int64 sums could overflow.
const MaxAmountFen int64 = 100_000_000

// maxLegs bounds the transfers one entry posts.
const maxLegs = 8

// leg is one transfer an entry posts.
type leg struct {
	from, to Account
	amount   int64
	// overdraft lets the debited holder account go this far below zero: only
	// a card purse settling offline spending, within the school's cap.
	overdraft int64
}

// errDuplicate says the idempotency key is taken: return the first result.
var errDuplicate = errors.New("duplicate idempotency key")

func validKey(key string) error {
	if key == "" || len(key) > 200 {
		return refuse(CodeInvalidRequest, "idempotency key must be 1-200 bytes")
	}
	return nil
}

func validAmount(amount int64) error {
	if amount <= 0 || amount > MaxAmountFen {
		return refuse(CodeInvalidRequest, "amount must be 1 to %d fen", MaxAmountFen)
	}
	return nil
}

// fingerprint identifies what an operation asked for, so a key reused for a
// different request is refused instead of answered with someone else's result.
func fingerprint(parts ...any) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%v\x1f", p)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// record runs one money operation exactly once per idempotency key. It inserts
// the entry first, so a concurrent duplicate waits on the unique index and then
// sees the first result; build posts the entry's money inside the same
// transaction. A retry returns the stored entry with its transfers.
func (l *Ledger) record(ctx context.Context, e *Entry, build func(tx *gorm.DB, e *Entry) error) (Entry, error) {
	if prior, found, err := l.entryByKey(ctx, e.IdempotencyKey); err != nil {
		return Entry{}, err
	} else if found {
		return sameRequest(prior, e)
	}
	return l.recordNew(ctx, e, build)
}

// recordNew is record for a caller that has just looked the key up itself.
func (l *Ledger) recordNew(ctx context.Context, e *Entry, build func(tx *gorm.DB, e *Entry) error) (Entry, error) {
	// The entry row references its holder and merchant: refuse unknown ones
	// (or another school's) here, with NOT_FOUND, not as a foreign key error.
	if e.HolderID != nil && !exists(l.db.WithContext(ctx), &Holder{}, "id = ? AND school_id = ?", *e.HolderID, e.SchoolID) {
		return Entry{}, refuse(CodeNotFound, "holder not found")
	}
	if e.MerchantID != nil && !exists(l.db.WithContext(ctx), &Merchant{}, "id = ? AND school_id = ?", *e.MerchantID, e.SchoolID) {
		return Entry{}, refuse(CodeNotFound, "merchant not found")
	}
	err := l.inTx(ctx, func(tx *gorm.DB) error {
		e.ID = 0
		e.Transfers = nil
		e.CreatedAt = l.now()
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(e)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errDuplicate
		}
		if err := l.markActive(tx, e); err != nil {
			return err
		}
		if err := build(tx, e); err != nil {
			return err
		}
		return l.notify(tx, e)
	})
	if errors.Is(err, errDuplicate) {
		prior, found, ferr := l.entryByKey(ctx, e.IdempotencyKey)
		if ferr != nil {
			return Entry{}, ferr
		}
		if !found {
			// Another unique index refused the row: a hold resolved twice, or
			// a pay code used twice.
			if e.CodeSeq != nil {
				return Entry{}, refuse(CodeCodeUsed, "this code has already paid")
			}
			return Entry{}, refuse(CodeConflict, "already resolved by another request")
		}
		return sameRequest(prior, e)
	}
	l.metrics.observe(e.Kind, err)
	if err != nil {
		return Entry{}, err
	}
	return *e, nil
}

func sameRequest(prior Entry, e *Entry) (Entry, error) {
	if prior.Fingerprint != e.Fingerprint {
		return Entry{}, refuse(CodeConflict, "idempotency key %q was used for a different request", e.IdempotencyKey)
	}
	return prior, nil
}

// EntryByKey finds the entry posted under an idempotency key, with its transfers.
func (l *Ledger) EntryByKey(ctx context.Context, key string) (Entry, bool, error) {
	return l.entryByKey(ctx, key)
}

func (l *Ledger) entryByKey(ctx context.Context, key string) (Entry, bool, error) {
	var e Entry
	err := l.db.WithContext(ctx).Where("idempotency_key = ?", key).Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, err
	}
	if err := l.db.WithContext(ctx).Where("entry_id = ?", e.ID).Order("id").Find(&e.Transfers).Error; err != nil {
		return Entry{}, false, err
	}
	return e, true, nil
}

// post applies legs to balances and writes their transfers. Accounts are
// updated in one global order (holder accounts by id, then the rest by id) so
// concurrent transactions on PostgreSQL never deadlock. A holder account is
// debited only if it stays at or above zero after its holds.
// It returns the new balance of every account it touched.
func (l *Ledger) post(tx *gorm.DB, e *Entry, legs []leg) (map[int64]int64, error) {
	if len(legs) == 0 || len(legs) > maxLegs {
		panic(fmt.Sprintf("ledger: entry %s with %d legs", e.IdempotencyKey, len(legs)))
	}
	delta := map[int64]int64{}
	holderOwned := map[int64]bool{}
	floor := map[int64]int64{}
	var total int64
	for _, g := range legs {
		if g.amount <= 0 || g.from.ID == g.to.ID || g.from.ID == 0 || g.to.ID == 0 ||
			g.from.SchoolID != e.SchoolID || g.to.SchoolID != e.SchoolID {
			panic(fmt.Sprintf("ledger: bad leg in %s: %+v", e.IdempotencyKey, g))
		}
		delta[g.from.ID] -= g.amount
		delta[g.to.ID] += g.amount
		holderOwned[g.from.ID] = g.from.HolderID != nil
		holderOwned[g.to.ID] = g.to.HolderID != nil
		floor[g.from.ID] = min(floor[g.from.ID], -g.overdraft)
		total += g.amount
	}
	ids := make([]int64, 0, len(delta))
	for id := range delta {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		if holderOwned[ids[i]] != holderOwned[ids[j]] {
			return holderOwned[ids[i]]
		}
		return ids[i] < ids[j]
	})
	balances := make(map[int64]int64, len(ids))
	for _, id := range ids {
		d := delta[id]
		var rows []int64
		var err error
		if d < 0 && holderOwned[id] {
			err = tx.Raw(`UPDATE accounts SET balance_fen = balance_fen + ?
				WHERE id = ? AND balance_fen - held_fen + ? >= ? RETURNING balance_fen`, d, id, d, floor[id]).Scan(&rows).Error
		} else {
			err = tx.Raw(`UPDATE accounts SET balance_fen = balance_fen + ? WHERE id = ? RETURNING balance_fen`, d, id).Scan(&rows).Error
		}
		if err != nil {
			return nil, err
		}
		if len(rows) != 1 {
			return nil, refuse(CodeInsufficientFunds, "insufficient funds")
		}
		balances[id] = rows[0]
	}
	transfers := make([]Transfer, 0, len(legs))
	for _, g := range legs {
		transfers = append(transfers, Transfer{EntryID: e.ID, SchoolID: e.SchoolID,
			FromAccountID: g.from.ID, ToAccountID: g.to.ID, AmountFen: g.amount, CreatedAt: e.CreatedAt})
	}
	if err := tx.Create(&transfers).Error; err != nil {
		return nil, err
	}
	e.Transfers = transfers
	return balances, nil
}

// setBalanceAfter stores the holder's spendable balance after the entry.
func (l *Ledger) setBalanceAfter(tx *gorm.DB, e *Entry, holderID int64) error {
	var spendable int64
	if err := tx.Raw(`SELECT COALESCE(SUM(balance_fen - held_fen), 0) FROM accounts
		WHERE holder_id = ? AND kind IN ('wallet', 'subsidy')`, holderID).Scan(&spendable).Error; err != nil {
		return err
	}
	e.BalanceAfterFen = spendable
	return tx.Model(&Entry{}).Where("id = ?", e.ID).Update("balance_after_fen", spendable).Error
}

// holderAccounts loads (and on PostgreSQL locks, in id order) the named
// accounts of a holder.
func (l *Ledger) holderAccounts(tx *gorm.DB, holderID int64, kinds ...AccountKind) (map[AccountKind]Account, error) {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = "'" + string(k) + "'"
	}
	var rows []Account
	err := tx.Raw(`SELECT * FROM accounts WHERE holder_id = ? AND kind IN (`+strings.Join(names, ",")+`) ORDER BY id`+l.forUpdate(),
		holderID).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make(map[AccountKind]Account, len(rows))
	for _, a := range rows {
		out[a.Kind] = a
	}
	if len(out) != len(kinds) {
		return nil, refuse(CodeNotFound, "holder accounts not found")
	}
	return out, nil
}

func (l *Ledger) systemAccount(tx *gorm.DB, schoolID int64, kind AccountKind) (Account, error) {
	var a Account
	err := tx.Where("school_id = ? AND kind = ? AND holder_id IS NULL AND merchant_id IS NULL", schoolID, kind).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return a, refuse(CodeNotFound, "no %s account at this school", kind)
	}
	return a, err
}

func (l *Ledger) merchantAccount(tx *gorm.DB, merchantID int64) (Account, error) {
	var a Account
	err := tx.Where("merchant_id = ?", merchantID).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return a, refuse(CodeNotFound, "merchant account not found")
	}
	return a, err
}
