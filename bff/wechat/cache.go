package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/cache"
)

// cacheOpTimeout bounds each Redis call made through the context-free methods
// of cache.Cache (the SDK calls Get/Set without a context).
const cacheOpTimeout = 3 * time.Second

// RedisCache implements the SDK's cache.Cache and cache.ContextCache on a
// go-redis v9 client, so every node shares one access token per app.
//
// Values are stored as strings: a string or []byte as is, anything else as
// JSON. Get always answers a string (or nil when the key is missing or Redis
// fails), which is what the SDK's token handles expect; a Redis failure thus
// reads as a cache miss and the SDK fetches a fresh token.
type RedisCache struct {
	rdb    redis.UniversalClient
	prefix string
}

var (
	_ cache.Cache        = (*RedisCache)(nil)
	_ cache.ContextCache = (*RedisCache)(nil)
)

// NewRedisCache returns a cache whose keys are prefix + the SDK's key.
func NewRedisCache(rdb redis.UniversalClient, prefix string) *RedisCache {
	return &RedisCache{rdb: rdb, prefix: prefix}
}

func (c *RedisCache) key(k string) string { return c.prefix + k }

func opContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), cacheOpTimeout)
}

// Get answers the stored string, or nil.
func (c *RedisCache) Get(key string) interface{} {
	ctx, cancel := opContext()
	defer cancel()
	return c.GetContext(ctx, key)
}

// GetContext answers the stored string, or nil.
func (c *RedisCache) GetContext(ctx context.Context, key string) interface{} {
	v, err := c.rdb.Get(ctx, c.key(key)).Result()
	if err != nil {
		return nil
	}
	return v
}

// Set stores val for timeout. A zero timeout stores without expiry (as the
// SDK's own caches do); a negative one means already expired and deletes the
// key.
func (c *RedisCache) Set(key string, val interface{}, timeout time.Duration) error {
	ctx, cancel := opContext()
	defer cancel()
	return c.SetContext(ctx, key, val, timeout)
}

// SetContext is Set with a context.
func (c *RedisCache) SetContext(ctx context.Context, key string, val interface{}, timeout time.Duration) error {
	if timeout < 0 {
		return c.DeleteContext(ctx, key)
	}
	var s string
	switch v := val.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		s = string(b)
	}
	return c.rdb.Set(ctx, c.key(key), s, timeout).Err()
}

// IsExist reports whether key is stored; a Redis failure reads as false.
func (c *RedisCache) IsExist(key string) bool {
	ctx, cancel := opContext()
	defer cancel()
	return c.IsExistContext(ctx, key)
}

// IsExistContext is IsExist with a context.
func (c *RedisCache) IsExistContext(ctx context.Context, key string) bool {
	n, err := c.rdb.Exists(ctx, c.key(key)).Result()
	return err == nil && n > 0
}

// Delete removes key; a missing key is not an error.
func (c *RedisCache) Delete(key string) error {
	ctx, cancel := opContext()
	defer cancel()
	return c.DeleteContext(ctx, key)
}

// DeleteContext is Delete with a context.
func (c *RedisCache) DeleteContext(ctx context.Context, key string) error {
	err := c.rdb.Del(ctx, c.key(key)).Err()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	return err
}
