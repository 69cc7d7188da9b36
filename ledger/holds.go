package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Reserve sets money aside in one of a holder's accounts for a transfer that
// completes later: writing pending money onto a card chip, say. It is posted
// when the terminal confirms, voided when it reports failure, and voided by
// VoidExpiredHolds when no answer arrives in time.
type Reserve struct {
	Key       string
	SchoolID  int64
	HolderID  int64
	From, To  AccountKind
	AmountFen int64
	TTL       time.Duration
	Memo      string
	// guard, when set, runs inside the reservation's transaction with the
	// holder locked; its refusal leaves nothing reserved.
	guard func(tx *gorm.DB, e *Entry) error
}

// maxHoldTTL bounds how long money can stay reserved.
const maxHoldTTL = 24 * time.Hour

// Reserve holds the amount once per key; the entry's id names the hold.
func (l *Ledger) Reserve(ctx context.Context, in Reserve) (Entry, error) {
	if err := firstError(validKey(in.Key), validAmount(in.AmountFen), validMove(in.From, in.To)); err != nil {
		return Entry{}, err
	}
	if in.TTL <= 0 || in.TTL > maxHoldTTL {
		return Entry{}, refuse(CodeInvalidRequest, "hold time must be positive and at most %s", maxHoldTTL)
	}
	e := &Entry{SchoolID: in.SchoolID, IdempotencyKey: in.Key, Kind: EntryReserve, HolderID: &in.HolderID,
		AmountFen: in.AmountFen, Memo: in.Memo, Channel: string(in.From) + ">" + string(in.To),
		Fingerprint: fingerprint(EntryReserve, in.SchoolID, in.HolderID, in.From, in.To, in.AmountFen, in.TTL)}
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
		var held []int64
		if err := tx.Raw(`UPDATE accounts SET held_fen = held_fen + ?
			WHERE id = ? AND balance_fen - held_fen >= ? RETURNING held_fen`,
			in.AmountFen, accts[in.From].ID, in.AmountFen).Scan(&held).Error; err != nil {
			return err
		}
		if len(held) != 1 {
			return refuse(CodeInsufficientFunds, "insufficient funds to reserve")
		}
		hold := Hold{EntryID: e.ID, SchoolID: e.SchoolID, FromAccountID: accts[in.From].ID, ToAccountID: accts[in.To].ID,
			AmountFen: in.AmountFen, ExpiresAt: e.CreatedAt.Add(in.TTL)}
		if err := tx.Create(&hold).Error; err != nil {
			return err
		}
		return l.setBalanceAfter(tx, e, in.HolderID)
	})
}

// Post completes a hold: the reserved money moves. A hold resolves once.
func (l *Ledger) Post(ctx context.Context, key string, holdID int64) (Entry, error) {
	return l.resolve(ctx, key, holdID, EntryPost)
}

// Void releases a hold: the money stays where it was.
func (l *Ledger) Void(ctx context.Context, key string, holdID int64) (Entry, error) {
	return l.resolve(ctx, key, holdID, EntryVoid)
}

func (l *Ledger) resolve(ctx context.Context, key string, holdID int64, kind string) (Entry, error) {
	if err := validKey(key); err != nil {
		return Entry{}, err
	}
	var hold Hold
	if err := first(l.db.WithContext(ctx), &hold, "hold", "entry_id = ?", holdID); err != nil {
		return Entry{}, err
	}
	var reserve Entry
	if err := first(l.db.WithContext(ctx), &reserve, "hold", "id = ?", holdID); err != nil {
		return Entry{}, err
	}
	e := &Entry{SchoolID: hold.SchoolID, IdempotencyKey: key, Kind: kind, HolderID: reserve.HolderID,
		AmountFen: hold.AmountFen, HoldOf: &hold.EntryID, Channel: reserve.Channel,
		Fingerprint: fingerprint(kind, holdID)}
	return l.record(ctx, e, func(tx *gorm.DB, e *Entry) error {
		if kind == EntryPost && !e.CreatedAt.Before(hold.ExpiresAt) {
			return refuse(CodeConflict, "hold %d expired at %s", holdID, hold.ExpiresAt.Format(time.RFC3339))
		}
		// Lock both accounts in id order first, as every other transaction
		// does, so a post from purse to wallet cannot deadlock with a move the
		// other way on PostgreSQL.
		var accts []Account
		if err := tx.Raw(`SELECT * FROM accounts WHERE id IN (?, ?) ORDER BY id`+l.forUpdate(),
			hold.FromAccountID, hold.ToAccountID).Scan(&accts).Error; err != nil {
			return err
		}
		if len(accts) != 2 {
			panic(fmt.Sprintf("ledger: hold %d: accounts missing", holdID))
		}
		// Release the reservation; the unique index on hold_of already made
		// this entry the only resolution of the hold.
		var held []int64
		if err := tx.Raw(`UPDATE accounts SET held_fen = held_fen - ? WHERE id = ? AND held_fen >= ? RETURNING held_fen`,
			hold.AmountFen, hold.FromAccountID, hold.AmountFen).Scan(&held).Error; err != nil {
			return err
		}
		if len(held) != 1 {
			panic(fmt.Sprintf("ledger: hold %d: account %d holds less than %d", holdID, hold.FromAccountID, hold.AmountFen))
		}
		if kind == EntryPost {
			byID := map[int64]Account{accts[0].ID: accts[0], accts[1].ID: accts[1]}
			if _, err := l.post(tx, e, []leg{{from: byID[hold.FromAccountID], to: byID[hold.ToAccountID], amount: hold.AmountFen}}); err != nil {
				return err
			}
		}
		if e.HolderID != nil {
			return l.setBalanceAfter(tx, e, *e.HolderID)
		}
		return nil
	})
}

// VoidExpiredHolds voids up to limit holds whose time ran out, and returns how
// many it voided. A job runs it; running it twice at once is harmless.
func (l *Ledger) VoidExpiredHolds(ctx context.Context, limit int) (int, error) {
	if limit <= 0 || limit > 10000 {
		return 0, errors.New("ledger: limit must be 1 to 10000")
	}
	var ids []int64
	if err := l.db.WithContext(ctx).Raw(`SELECT h.entry_id FROM holds h
		WHERE h.expires_at <= ? AND NOT EXISTS (SELECT 1 FROM entries r WHERE r.hold_of = h.entry_id)
		ORDER BY h.entry_id LIMIT ?`, l.now(), limit).Scan(&ids).Error; err != nil {
		return 0, err
	}
	voided := 0
	for _, id := range ids {
		_, err := l.Void(ctx, fmt.Sprintf("hold-expired:%d", id), id)
		switch {
		case err == nil:
			voided++
		case ErrorCode(err) == CodeConflict: // resolved meanwhile
		default:
			return voided, err
		}
	}
	return voided, nil
}
