package ledger

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// ChipWriteTTL is how long a terminal has to write the chip and confirm. A
// hold not confirmed by then is voided by the holds job: the money stays where
// it was (pending money is written at the next tap instead).
const ChipWriteTTL = 10 * time.Minute

// ChipNotRead stands for a chip's last write when the terminal did not read
// it. A chip that records no write yet reports 0.
const ChipNotRead int64 = -1

// chipChannels are the holds a terminal resolves by writing a card chip.
var chipChannels = map[string]bool{"pending>purse": true, "wallet>purse": true, "purse>wallet": true}

// ClaimPending reserves all of a holder's available pending money (待圈存) for
// writing onto the card chip, once per key. found is false when nothing is
// pending, or the card's previous write is not settled yet (see
// chipWriteSettled): money is never reserved for two writes at once.
//
// chipHoldID is the last write the card chip itself records (0: none yet;
// ChipNotRead: not read). It settles the earlier writes first
// (ReportChipWrite), so a write whose confirmation never arrived is not made
// a second time.
func (l *Ledger) ClaimPending(ctx context.Context, key string, schoolID, holderID, chipHoldID int64) (Entry, bool, error) {
	if prior, found, err := l.reportThenLookUp(ctx, key, schoolID, holderID, chipHoldID); err != nil || found {
		return prior, found, err
	}
	b, err := l.HolderBalances(ctx, holderID)
	if err != nil || b.PendingFen <= 0 {
		return Entry{}, false, err
	}
	unsettled := false // the guard refused, not some other conflict
	e, err := l.Reserve(ctx, Reserve{Key: key, SchoolID: schoolID, HolderID: holderID, From: Pending, To: Purse,
		AmountFen: b.PendingFen, TTL: ChipWriteTTL, Memo: "圈存 claim onto the card",
		guard: func(tx *gorm.DB, e *Entry) error {
			err := l.chipWriteSettled(tx, holderID, chipHoldID, e)
			unsettled = ErrorCode(err) == CodeConflict
			return err
		}})
	if ErrorCode(err) == CodeInsufficientFunds || (unsettled && ErrorCode(err) == CodeConflict) {
		return Entry{}, false, nil // a concurrent claim holds it, or the last write is unsettled
	}
	return e, err == nil, err
}

// ReserveChipWrite reserves a transfer that needs the card chip written: wallet
// to purse (the chip is credited) or purse to wallet (the chip is debited).
// chipHoldID is as for ClaimPending; while the card's previous write is not
// settled it refuses with CONFLICT.
func (l *Ledger) ReserveChipWrite(ctx context.Context, key string, schoolID, holderID, chipHoldID int64, from, to AccountKind, amount int64) (Entry, error) {
	if !chipChannels[string(from)+">"+string(to)] {
		return Entry{}, refuse(CodeInvalidRequest, "cannot write %s to %s on a card", from, to)
	}
	if _, _, err := l.reportThenLookUp(ctx, key, schoolID, holderID, chipHoldID); err != nil {
		return Entry{}, err
	}
	return l.Reserve(ctx, Reserve{Key: key, SchoolID: schoolID, HolderID: holderID, From: from, To: to,
		AmountFen: amount, TTL: ChipWriteTTL, Memo: "圈存机 transfer " + string(from) + ">" + string(to),
		guard: func(tx *gorm.DB, e *Entry) error { return l.chipWriteSettled(tx, holderID, chipHoldID, e) }})
}

// reportThenLookUp settles the chip's reported last write, then looks the
// request's key up. The chip's record is a fact about the card, whatever the
// request: a repeated request still settles it, or a write whose
// confirmation was lost would be written again.
func (l *Ledger) reportThenLookUp(ctx context.Context, key string, schoolID, holderID, chipHoldID int64) (Entry, bool, error) {
	if chipHoldID >= 0 {
		if err := l.ReportChipWrite(ctx, schoolID, holderID, chipHoldID); err != nil {
			return Entry{}, false, err
		}
	}
	return l.entryByKey(ctx, key)
}

// ConfirmChipWrite resolves a chip-write hold once, whatever the terminal
// repeats: written posts the transfer, not written voids it (pending money
// stays pending and is written again at the next tap — 补写). A confirmation
// that arrives after the hold timed out still tells the truth about the
// chip: the ledger follows it with a late move, so the money is neither lost
// nor written twice.
// Only a hold reserved under a key starting with reservedUnder (the
// terminal's own) is confirmed; any other answers NOT_FOUND.
func (l *Ledger) ConfirmChipWrite(ctx context.Context, schoolID, holdID int64, written bool, reservedUnder string) (Entry, error) {
	var hold Hold
	if err := first(l.db.WithContext(ctx), &hold, "hold", "entry_id = ? AND school_id = ?", holdID, schoolID); err != nil {
		return Entry{}, err
	}
	var reserve Entry
	if err := first(l.db.WithContext(ctx), &reserve, "hold", "id = ?", holdID); err != nil {
		return Entry{}, err
	}
	if !chipChannels[reserve.Channel] || !strings.HasPrefix(reserve.IdempotencyKey, reservedUnder) {
		return Entry{}, refuse(CodeNotFound, "hold %d is not a card write", holdID)
	}
	if !written {
		e, err := l.Void(ctx, fmt.Sprintf("chip-write:%d:void", holdID), holdID)
		if ErrorCode(err) == CodeConflict {
			// Voided already by the timeout: the same outcome.
			if r, found, ferr := l.holdResolution(ctx, holdID); ferr == nil && found && r.Kind == EntryVoid {
				return r, nil
			}
		}
		return e, err
	}
	e, err := l.Post(ctx, fmt.Sprintf("chip-write:%d:post", holdID), holdID)
	if ErrorCode(err) != CodeConflict {
		return e, err
	}
	r, found, ferr := l.holdResolution(ctx, holdID)
	if ferr != nil {
		return Entry{}, ferr
	}
	if !found {
		if !l.now().Before(hold.ExpiresAt) {
			// Expired but not yet voided: void it as the job would, then follow the chip.
			if _, verr := l.Void(ctx, fmt.Sprintf("hold-expired:%d", holdID), holdID); verr != nil && ErrorCode(verr) != CodeConflict {
				return Entry{}, verr
			}
			if r, found, ferr = l.holdResolution(ctx, holdID); ferr != nil || !found {
				return Entry{}, firstError(ferr, err)
			}
		} else {
			return Entry{}, err
		}
	}
	if r.Kind == EntryPost {
		return r, nil
	}
	if !strings.HasPrefix(r.IdempotencyKey, "hold-expired:") {
		return Entry{}, refuse(CodeConflict, "hold %d was reported not written", holdID)
	}
	// Timed out, but the terminal says written: the ledger follows the chip,
	// unless a newer write was granted since, which happens only once the
	// card itself showed this one unwritten.
	holderID := *reserve.HolderID
	from, to, _ := strings.Cut(reserve.Channel, ">")
	return l.Move(ctx, Move{Key: lateMoveKey(holdID), SchoolID: schoolID, HolderID: holderID,
		From: AccountKind(from), To: AccountKind(to), AmountFen: hold.AmountFen, Memo: "late chip write confirmation",
		guard: func(tx *gorm.DB, _ *Entry) error {
			if l.newerChipWrite(tx, holderID, holdID) {
				return refuse(CodeConflict, "the card showed hold %d not written", holdID)
			}
			return nil
		}})
}

// holdResolution is the post or void entry that resolved a hold, if any.
func (l *Ledger) holdResolution(ctx context.Context, holdID int64) (Entry, bool, error) {
	var rows []Entry
	if err := l.db.WithContext(ctx).Where("hold_of = ?", holdID).Limit(1).Find(&rows).Error; err != nil || len(rows) == 0 {
		return Entry{}, false, err
	}
	return rows[0], true, nil
}

// HoldOpen tells whether a hold still waits for its post or void.
func (l *Ledger) HoldOpen(ctx context.Context, holdID int64) (bool, error) {
	_, found, err := l.holdResolution(ctx, holdID)
	return !found, err
}

// ReportChipWrite takes a card chip's own record that hold holdID was the
// last written onto it (0: none yet), from any terminal of the school: it
// releases the writes reserved after it and confirms it if that is still
// needed. A hold that is not the holder's chip write, or that its
// terminal reported unwritten, is ignored: the chip's record is only a hint
// here, and the tap it came with must not fail for it.
func (l *Ledger) ReportChipWrite(ctx context.Context, schoolID, holderID, holdID int64) error {
	// Writes reserved after the chip's last write were not made (the card is
	// here, not at another terminal): release them first, so the money the
	// chip already has can be followed.
	var later []int64
	if err := l.db.WithContext(ctx).Raw(`SELECT r.id FROM entries r
		WHERE r.holder_id = ? AND r.id > ? AND r.school_id = ? AND r.kind = ? AND r.channel IN ?
		AND NOT EXISTS (SELECT 1 FROM entries x WHERE x.hold_of = r.id)
		ORDER BY r.id LIMIT ?`, holderID, holdID, schoolID, EntryReserve, chipChannelList, maxOpenChipWrites).Scan(&later).Error; err != nil {
		return err
	}
	for _, id := range later {
		if _, err := l.ConfirmChipWrite(ctx, schoolID, id, false, ""); ignoreRefusal(err) != nil {
			return err
		}
	}
	var reserve Entry
	if err := first(l.db.WithContext(ctx), &reserve, "hold", "id = ? AND school_id = ? AND kind = ?", holdID, schoolID, EntryReserve); err != nil {
		return ignoreRefusal(err)
	}
	if reserve.HolderID == nil || *reserve.HolderID != holderID {
		return nil
	}
	// Most taps show a write confirmed long ago: one lookup, not a confirmation.
	if r, found, err := l.holdResolution(ctx, holdID); err != nil || (found && r.Kind == EntryPost) {
		return err
	}
	_, err := l.ConfirmChipWrite(ctx, schoolID, holdID, true, "")
	return ignoreRefusal(err)
}

// maxOpenChipWrites bounds the open writes one chip report releases. Writes
// are granted one at a time (chipWriteSettled); older data may hold a few.
const maxOpenChipWrites = 100

func ignoreRefusal(err error) error {
	if ErrorCode(err) != "" {
		return nil
	}
	return err
}
