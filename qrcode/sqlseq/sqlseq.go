// Package sqlseq keeps, in the database (table code_sequences), a ceiling
// above every code sequence a holder may have been handed, so that a Redis
// that forgets its counters never hands out a (holder, sequence) pair twice.
// It implements qrcode/redis.SequenceBlocks.
package sqlseq

import (
	"context"
	"fmt"
	"math"
	"time"

	"gorm.io/gorm"
)

// epoch is where the legacy counter began: sequences handed out before the
// ceilings existed started at the seconds since this instant, so a first
// ceiling starts there too.
var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Blocks reserves blocks of sequence numbers in the database.
type Blocks struct {
	db  *gorm.DB
	now func() time.Time
}

// New returns Blocks over db; now is time.Now when nil.
func New(db *gorm.DB, now func() time.Time) *Blocks {
	if now == nil {
		now = time.Now
	}
	return &Blocks{db: db, now: now}
}

// Reserve raises the holder's ceiling by n, above at least atLeast and the
// legacy time floor, in one statement, and returns the block (start, end]:
// sequences start+1 to end belong to the caller alone.
func (b *Blocks) Reserve(ctx context.Context, schoolID uint32, holderID uint64, atLeast, n uint32) (uint32, uint32, error) {
	if n == 0 {
		return 0, 0, fmt.Errorf("sqlseq: empty block")
	}
	floor := max(int64(b.now().Sub(epoch)/time.Second), int64(atLeast), 0)
	var ceilings []int64
	err := b.db.WithContext(ctx).Raw(`INSERT INTO code_sequences (school_id, holder_id, ceiling) VALUES (?, ?, ?)
ON CONFLICT (school_id, holder_id) DO UPDATE SET ceiling =
  CASE WHEN code_sequences.ceiling > ? THEN code_sequences.ceiling ELSE ? END + ?
RETURNING ceiling`, schoolID, holderID, floor+int64(n), floor, floor, n).Scan(&ceilings).Error
	if err != nil {
		return 0, 0, fmt.Errorf("sqlseq: reserve: %w", err)
	}
	if len(ceilings) != 1 || ceilings[0] < int64(n) {
		return 0, 0, fmt.Errorf("sqlseq: reserve returned %v", ceilings)
	}
	end := ceilings[0]
	if end > math.MaxUint32 {
		return 0, 0, fmt.Errorf("sqlseq: holder %d:%d ran out of sequences", schoolID, holderID)
	}
	return uint32(end - int64(n)), uint32(end), nil
}
