package ledger

import (
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// A card chip records only its last write. That is enough to tell what
// happened to every write whose confirmation was lost, provided the writes
// to one card go strictly one after another: a new chip write is reserved
// only when the holder's previous one is settled — posted, reported not
// written, followed by a late confirmation, or shown unwritten by the chip
// itself (its last write is older). Otherwise money that timed out back to
// pending while it was in fact on the chip could be reserved and written a
// second time.

// chipChannelList is chipChannels for SQL.
var chipChannelList = []string{"pending>purse", "wallet>purse", "purse>wallet"}

// chipWriteSettled refuses with CONFLICT while the holder's last chip write
// has an unknown outcome. chipHoldID is the last write the card presented
// now records (0: none yet; ChipNotRead: not read). It runs inside the new
// write's transaction, after lockHolder, so two requests for one card cannot
// both pass; next is the new write's own entry, already inserted.
func (l *Ledger) chipWriteSettled(tx *gorm.DB, holderID, chipHoldID int64, next *Entry) error {
	var rows []struct {
		ID           int64
		CreatedAt    time.Time
		ResolvedKind *string
		ResolvedKey  *string
	}
	if err := tx.Raw(`SELECT r.id, r.created_at, x.kind AS resolved_kind, x.idempotency_key AS resolved_key
		FROM entries r LEFT JOIN entries x ON x.hold_of = r.id
		WHERE r.holder_id = ? AND r.kind = ? AND r.channel IN ? AND r.id < ?
		ORDER BY r.id DESC LIMIT 1`, holderID, EntryReserve, chipChannelList, next.ID).Scan(&rows).Error; err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	last := rows[0]
	if issued, err := l.cardIssuedAt(tx, holderID); err != nil || last.CreatedAt.Before(issued) {
		// A write to an earlier card says nothing about this chip: that card
		// is refused everywhere and its purse moves by the replacement job.
		return err
	}
	unsettled := refuse(CodeConflict,
		"the card's write %d is not confirmed yet: read the card's last write and send it as chip_hold_id", last.ID)
	switch {
	case last.ResolvedKind == nil:
		return unsettled // still open: its terminal may be writing it now
	case *last.ResolvedKind == EntryPost:
		return nil
	case !strings.HasPrefix(*last.ResolvedKey, "hold-expired:"):
		return nil // its terminal (or the chip, at a later tap) said not written
	case chipHoldID >= 0 && chipHoldID < last.ID:
		return nil // timed out, and the chip's last write is older: not written
	case exists(tx, &Entry{}, "idempotency_key = ?", lateMoveKey(last.ID)):
		return nil // timed out, then confirmed: followed by a late move
	default:
		return unsettled
	}
}

// cardIssuedAt is when the holder's newest card was issued (zero: no card).
func (l *Ledger) cardIssuedAt(tx *gorm.DB, holderID int64) (time.Time, error) {
	var cards []Card
	err := tx.Where("holder_id = ?", holderID).Order("id DESC").Limit(1).Find(&cards).Error
	if err != nil || len(cards) == 0 {
		return time.Time{}, err
	}
	return cards[0].IssuedAt, nil
}

// guarded runs guard, if any, with the holder locked.
func (l *Ledger) guarded(tx *gorm.DB, e *Entry, guard func(tx *gorm.DB, e *Entry) error) error {
	if guard == nil {
		return nil
	}
	if e.HolderID == nil {
		return fmt.Errorf("ledger: a guarded entry needs a holder")
	}
	if err := l.lockHolder(tx, *e.HolderID); err != nil {
		return err
	}
	return guard(tx, e)
}

// lockHolder serialises chip writes of one holder. On PostgreSQL the lock
// does not conflict with the key-share lock the new entry's foreign key
// already holds, so two writers queue here rather than deadlock; SQLite's
// immediate transactions already hold the only write lock.
func (l *Ledger) lockHolder(tx *gorm.DB, holderID int64) error {
	if !l.postgres {
		return nil
	}
	var ids []int64
	return tx.Raw(`SELECT id FROM holders WHERE id = ? FOR NO KEY UPDATE`, holderID).Scan(&ids).Error
}

// newerChipWrite tells whether the holder has a chip write reserved after
// hold holdID: one is granted only once holdID was settled as not written.
func (l *Ledger) newerChipWrite(tx *gorm.DB, holderID, holdID int64) bool {
	return exists(tx, &Entry{}, "holder_id = ? AND kind = ? AND channel IN ? AND id > ?",
		holderID, EntryReserve, chipChannelList, holdID)
}

func lateMoveKey(holdID int64) string { return fmt.Sprintf("chip-write:%d:late", holdID) }
