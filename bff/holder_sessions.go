package bff

import (
	"context"
	"strconv"
)

// A holder's sessions are also listed in a set, {prefix}hsess:{holder id},
// so the card office can end them all at once (after a password reset). The
// set lives as long as the newest session; ended sessions in it are harmless.
func (s *sessions) holderSetKey(holderID int64) string {
	return s.prefix + "hsess:" + strconv.FormatInt(holderID, 10)
}

// remember lists a new session under its holder.
func (s *sessions) remember(ctx context.Context, holderID int64, sid string) error {
	key := s.holderSetKey(holderID)
	pipe := s.redis.TxPipeline()
	pipe.SAdd(ctx, key, sid)
	pipe.Expire(ctx, key, refreshTTL)
	_, err := pipe.Exec(ctx)
	return err
}

// endHolder revokes every session of a holder: access tokens stop working at
// once and refresh tokens are refused. Sessions live in different Redis
// Cluster slots, so they are deleted one by one.
func (s *sessions) endHolder(ctx context.Context, holderID int64) error {
	key := s.holderSetKey(holderID)
	sids, err := s.redis.SMembers(ctx, key).Result()
	if err != nil {
		return err
	}
	for _, sid := range sids {
		if err := s.end(ctx, sid); err != nil {
			return err
		}
		if err := s.redis.SRem(ctx, key, sid).Err(); err != nil {
			return err
		}
	}
	return nil
}
