package terminalgw

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Nonces live in Redis only. A Redis that lost its state (a flush, a restart
// without persistence, a failover to an empty replica) also lost the nonces
// of the last ten minutes, so a captured signed request would be accepted
// again within its 300 s window. The sentinel key {prefix}tgw:epoch holds the
// floor, in unix seconds: it is written once when a node finds it missing,
// after the floor (that moment) is recorded in the database. Requests signed
// before the floor (in an earlier second) are refused, on every node.
const stateFloorName = "redis"

func (g *Gateway) epochKey() string { return g.prefix + "tgw:epoch" }

// rememberNonce records the nonce and reads the sentinel in one round trip,
// the sentinel after the nonce: if Redis lost the nonce, the sentinel read
// after it is gone too (or already carries a floor from after the loss).
// It answers whether the nonce is fresh and the floor in force.
func (g *Gateway) rememberNonce(ctx context.Context, key string) (bool, time.Time, error) {
	var fresh *redis.BoolCmd
	var epoch *redis.StringCmd
	_, err := g.redis.Pipelined(ctx, func(p redis.Pipeliner) error {
		fresh = p.SetNX(ctx, key, 1, nonceMemory)
		epoch = p.Get(ctx, g.epochKey())
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return false, time.Time{}, err
	}
	floor, err := g.floorFrom(ctx, epoch)
	return fresh.Val(), floor, err
}

// floorFrom reads the sentinel, or records a new floor when it is missing.
func (g *Gateway) floorFrom(ctx context.Context, epoch *redis.StringCmd) (time.Time, error) {
	if unix, err := strconv.ParseInt(epoch.Val(), 10, 64); epoch.Err() == nil && err == nil {
		return time.Unix(unix, 0), nil
	}
	if err := epoch.Err(); err != nil && !errors.Is(err, redis.Nil) {
		return time.Time{}, err
	}
	floor, err := g.ledger.RaiseStateFloor(ctx, stateFloorName, g.now())
	if err != nil {
		return time.Time{}, err
	}
	// Another node may have written the sentinel meanwhile: keep the first.
	if err := g.redis.SetNX(ctx, g.epochKey(), floor.Unix(), 0).Err(); err != nil {
		return time.Time{}, err
	}
	unix, err := g.redis.Get(ctx, g.epochKey()).Int64()
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(unix, 0), nil
}
