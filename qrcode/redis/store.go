// Package redis keeps the live state of dynamic codes in Redis: which codes
// are live, which pay code of a holder is current, single-use consumption,
// revocation, sequence numbers, and the numeric twins of pay codes.
//
// All keys of one holder carry the Redis Cluster hash tag {h:<school>:<holder>}
// so each script touches one slot. Numeric twins live under their own keys
// (n:<digits>) and are deleted one by one.
package redis

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/ecard/ecard/qrcode"
)

// Errors, shared with package qrcode so callers test one set of sentinels.
var (
	ErrInvalid = qrcode.ErrInvalid
	ErrExpired = qrcode.ErrExpired
	ErrUsed    = qrcode.ErrUsed
	// ErrSuperseded: a pay code with a higher sequence became current while
	// this one was being made (two requests at once); ask for a new sequence.
	ErrSuperseded = fmt.Errorf("%w: a newer pay code is current", ErrUsed)
)

// NumericPrefix starts every numeric twin; NumericLen is its length.
const (
	NumericPrefix = "28"
	NumericLen    = 18
)

// Store is the single-use store. It is safe for concurrent use.
type Store struct {
	rdb    goredis.UniversalClient
	prefix string
	blocks SequenceBlocks // nil: the legacy time floor alone
}

// New returns a Store whose keys all start with prefix (e.g. "ecard:code:").
func New(rdb goredis.UniversalClient, prefix string) *Store {
	return &Store{rdb: rdb, prefix: prefix}
}

// Holder keys: one hash tag per holder.
func (s *Store) holderTag(schoolID uint32, holderID uint64) string {
	return s.prefix + "{h:" + strconv.FormatUint(uint64(schoolID), 10) + ":" + strconv.FormatUint(holderID, 10) + "}:"
}

// live: HASH field "<kind>:<seq>" -> deadline (ms, server clock).
// pay: STRING, the sequence of the holder's current pay code.
// twins: ZSET of twin key names scored by deadline.
// seq: STRING counter.
func (s *Store) keys(schoolID uint32, holderID uint64) (live, pay, twins, seq string) {
	t := s.holderTag(schoolID, holderID)
	return t + "live", t + "pay", t + "twins", t + "seq"
}

func (s *Store) twinKey(numeric string) string { return s.prefix + "n:" + numeric }

func field(c qrcode.Claims) string {
	return strconv.Itoa(int(c.Kind)) + ":" + strconv.FormatUint(uint64(c.Seq), 10)
}

const luaNow = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// activate: KEYS live, pay, twins; ARGV field, ttl ms, seq, is pay, twin key.
// Returns 1, or 0 when a newer pay code is already current (nothing stored).
var activateScript = goredis.NewScript(luaNow + `
local ttl = tonumber(ARGV[2])
if ARGV[4] == '1' then
  local cur = redis.call('GET', KEYS[2])
  if cur and tonumber(cur) >= tonumber(ARGV[3]) then return 0 end
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ttl)
end
-- prune dead fields so the hash stays small
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if tonumber(all[i+1]) <= now then redis.call('HDEL', KEYS[1], all[i]) end
end
redis.call('HSET', KEYS[1], ARGV[1], now + ttl)
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
if ARGV[5] ~= '' then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  redis.call('ZADD', KEYS[3], now + ttl, ARGV[5])
  if redis.call('PTTL', KEYS[3]) < ttl then redis.call('PEXPIRE', KEYS[3], ttl) end
end
return 1
`)

// consume: KEYS live, pay; ARGV field, seq. 1 exactly once for the live,
// current pay code.
var consumeScript = goredis.NewScript(luaNow + `
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return 0 end
local d = redis.call('HGET', KEYS[1], ARGV[1])
if not d then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
if tonumber(d) <= now then return 0 end
return 1
`)

// alive: KEYS live; ARGV field.
var aliveScript = goredis.NewScript(luaNow + `
local d = redis.call('HGET', KEYS[1], ARGV[1])
if d and tonumber(d) > now then return 1 end
return 0
`)

// revoke: KEYS live, pay, twins. Returns the twin keys to delete.
var revokeScript = goredis.NewScript(`
local twins = redis.call('ZRANGE', KEYS[3], 0, -1)
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return twins
`)

// nextSeq: KEYS seq; ARGV floor. A missing counter starts at floor, so a
// Redis that lost its data never hands out a (holder, sequence) pair that an
// earlier payment recorded.
var seqScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SET', KEYS[1], ARGV[1])
end
return redis.call('INCR', KEYS[1])
`)

// seqEpoch: a fresh counter starts at the seconds since this instant.
var seqEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Activate makes code live for ttl. For a pay code it also makes it the
// holder's current pay code (any earlier pay code can no longer be consumed)
// and returns its numeric twin; identity codes get no twin (""). Activating a
// pay code older than the current one fails with ErrUsed.
func (s *Store) Activate(ctx context.Context, c qrcode.Claims, code string, ttl time.Duration) (string, error) {
	pc, _, _, err := qrcode.Parse(code)
	if err != nil {
		return "", err
	}
	if pc != c {
		return "", fmt.Errorf("%w: claims do not match the code", ErrInvalid)
	}
	ms := ttl.Milliseconds()
	if ms <= 0 {
		return "", errors.New("qrcode/redis: ttl must be at least 1ms")
	}
	live, pay, twins, _ := s.keys(c.SchoolID, c.HolderID)
	isPay, numeric, twin := "0", "", ""
	if c.Kind == qrcode.KindPay {
		isPay = "1"
		for range 5 {
			numeric, err = newNumeric()
			if err != nil {
				return "", err
			}
			twin = s.twinKey(numeric)
			ok, err := s.rdb.SetNX(ctx, twin, code, ttl).Result()
			if err != nil {
				return "", fmt.Errorf("qrcode/redis: twin: %w", err)
			}
			if ok {
				break
			}
			twin = ""
		}
		if twin == "" {
			return "", errors.New("qrcode/redis: no free numeric twin")
		}
	}
	r, err := activateScript.Run(ctx, s.rdb, []string{live, pay, twins},
		field(c), ms, c.Seq, isPay, twin).Int()
	if err != nil {
		if twin != "" {
			s.rdb.Del(ctx, twin)
		}
		return "", fmt.Errorf("qrcode/redis: activate: %w", err)
	}
	if r == 0 {
		s.rdb.Del(ctx, twin)
		return "", ErrSuperseded
	}
	return numeric, nil
}

// newNumeric draws NumericLen digits: NumericPrefix and uniform random digits.
func newNumeric() (string, error) {
	n := NumericLen - len(NumericPrefix)
	max := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	v, err := rand.Int(rand.Reader, max)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s%0*s", NumericPrefix, n, v.String()), nil
}

// ValidNumeric reports whether s has the shape of a numeric twin.
func ValidNumeric(s string) bool {
	if len(s) != NumericLen || s[:len(NumericPrefix)] != NumericPrefix {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Resolve returns the code behind a numeric twin: ErrInvalid when numeric is
// not shaped like one, ErrExpired when no live code has it. The caller then
// verifies and consumes the code as if it had been scanned.
func (s *Store) Resolve(ctx context.Context, numeric string) (string, error) {
	if !ValidNumeric(numeric) {
		return "", ErrInvalid
	}
	code, err := s.rdb.Get(ctx, s.twinKey(numeric)).Result()
	if errors.Is(err, goredis.Nil) {
		return "", ErrExpired
	}
	if err != nil {
		return "", fmt.Errorf("qrcode/redis: resolve: %w", err)
	}
	return code, nil
}

// Consume uses a pay code: it succeeds exactly once for a live pay code that
// is the holder's current one, and returns ErrUsed otherwise (already used,
// replaced by a newer code, revoked, or expired from the store). Claims must
// come from a verified code. Identity codes are not consumed (ErrInvalid).
func (s *Store) Consume(ctx context.Context, c qrcode.Claims) error {
	if c.Kind != qrcode.KindPay {
		return fmt.Errorf("%w: only pay codes are consumed", ErrInvalid)
	}
	live, pay, _, _ := s.keys(c.SchoolID, c.HolderID)
	r, err := consumeScript.Run(ctx, s.rdb, []string{live, pay}, field(c), strconv.FormatUint(uint64(c.Seq), 10)).Int()
	if err != nil {
		return fmt.Errorf("qrcode/redis: consume: %w", err)
	}
	if r != 1 {
		return ErrUsed
	}
	return nil
}

// Alive reports whether the code is live: activated, not expired, not
// revoked and, for a pay code, not consumed. Gates use it to refuse identity
// codes of a holder who reported loss.
func (s *Store) Alive(ctx context.Context, c qrcode.Claims) (bool, error) {
	live, _, _, _ := s.keys(c.SchoolID, c.HolderID)
	r, err := aliveScript.Run(ctx, s.rdb, []string{live}, field(c)).Int()
	if err != nil {
		return false, fmt.Errorf("qrcode/redis: alive: %w", err)
	}
	return r == 1, nil
}

// RevokeHolder kills every live code of the holder and their numeric twins
// (loss report, freeze). Codes issued afterwards are live again; refusing to
// issue them is the caller's business.
func (s *Store) RevokeHolder(ctx context.Context, schoolID uint32, holderID uint64) error {
	live, pay, twins, _ := s.keys(schoolID, holderID)
	names, err := revokeScript.Run(ctx, s.rdb, []string{live, pay, twins}).StringSlice()
	if err != nil {
		return fmt.Errorf("qrcode/redis: revoke: %w", err)
	}
	// Twins hash to other slots: delete them one by one.
	for _, n := range names {
		if err := s.rdb.Del(ctx, n).Err(); err != nil {
			return fmt.Errorf("qrcode/redis: revoke twin: %w", err)
		}
	}
	return nil
}

// Sequence returns the holder's next code sequence number. The counter never
// expires. With SequenceBlocks (WithSequenceBlocks) every number comes from a
// durably reserved block, so a Redis that forgets restarts above all of them.
// Without, a lost counter restarts at the seconds since 2024-01-01, above any
// number handed out before only if the holder averaged less than one code a
// second.
func (s *Store) Sequence(ctx context.Context, schoolID uint32, holderID uint64) (uint32, error) {
	if s.blocks != nil {
		return s.blockSequence(ctx, schoolID, holderID)
	}
	_, _, _, seq := s.keys(schoolID, holderID)
	floor := int64(time.Since(seqEpoch) / time.Second)
	if floor < 0 {
		floor = 0
	}
	n, err := seqScript.Run(ctx, s.rdb, []string{seq}, floor).Int64()
	if err != nil {
		return 0, fmt.Errorf("qrcode/redis: sequence: %w", err)
	}
	if n <= 0 || n > 0xFFFFFFFF {
		return 0, fmt.Errorf("qrcode/redis: sequence %d out of range", n)
	}
	return uint32(n), nil
}
