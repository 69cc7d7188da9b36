package redis

import (
	"context"
	"fmt"
	"strconv"

	goredis "github.com/redis/go-redis/v9"
)

// SequenceBlocks keeps a durable ceiling per holder above every sequence the
// store may hand out (qrcode/sqlseq keeps it in the database). Reserve
// raises it by n, above at least atLeast, and returns the block (start, end].
type SequenceBlocks interface {
	Reserve(ctx context.Context, schoolID uint32, holderID uint64, atLeast, n uint32) (start, end uint32, err error)
}

// SequenceBlockSize is how many sequences one reservation covers: a database
// write per this many codes of a holder, and at most this many numbers
// skipped when Redis forgets. A holder showing a code all day uses ~3,000.
const SequenceBlockSize = 1000

// WithSequenceBlocks makes Sequence hand out numbers only from blocks
// reserved in blocks, so sequences stay above every one ever issued (and so
// every one ever paid) whatever Redis forgets. It returns s.
func (s *Store) WithSequenceBlocks(b SequenceBlocks) *Store {
	s.blocks = b
	return s
}

// nextInBlock: KEYS seq, ceiling. The next sequence while the reserved block
// lasts, else {-1, counter}: reserve a new block first.
var nextInBlockScript = goredis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
local c = redis.call('GET', KEYS[2])
if c and n < tonumber(c) then return {redis.call('INCR', KEYS[1]), 0} end
return {-1, n}
`)

// installBlock: KEYS seq, ceiling; ARGV start, end. Moves to the block unless
// a higher one is already installed (another request reserved one too), then
// takes the next sequence like nextInBlock.
var installBlockScript = goredis.NewScript(`
local c = redis.call('GET', KEYS[2])
if not c or tonumber(c) < tonumber(ARGV[2]) then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('SET', KEYS[2], ARGV[2])
  c = ARGV[2]
end
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n < tonumber(c) then return {redis.call('INCR', KEYS[1]), 0} end
return {-1, n}
`)

// blockSequence is Sequence with durable blocks: one Redis call while the
// block lasts; a database reservation and a second call when it runs out or
// Redis forgot it.
func (s *Store) blockSequence(ctx context.Context, schoolID uint32, holderID uint64) (uint32, error) {
	_, _, _, seq := s.keys(schoolID, holderID)
	keys := []string{seq, seq + ":ceiling"}
	res, err := nextInBlockScript.Run(ctx, s.rdb, keys).Int64Slice()
	for attempt := 0; err == nil && res[0] < 0; attempt++ {
		if attempt == 5 {
			return 0, fmt.Errorf("qrcode/redis: sequence: no block after %d reservations", attempt)
		}
		counter := uint32(min(max(res[1], 0), 0xFFFFFFFF))
		start, end, rerr := s.blocks.Reserve(ctx, schoolID, holderID, counter, SequenceBlockSize)
		if rerr != nil {
			return 0, rerr
		}
		res, err = installBlockScript.Run(ctx, s.rdb, keys, strconv.FormatUint(uint64(start), 10),
			strconv.FormatUint(uint64(end), 10)).Int64Slice()
	}
	if err != nil {
		return 0, fmt.Errorf("qrcode/redis: sequence: %w", err)
	}
	if res[0] <= 0 || res[0] > 0xFFFFFFFF {
		return 0, fmt.Errorf("qrcode/redis: sequence %d out of range", res[0])
	}
	return uint32(res[0]), nil
}
