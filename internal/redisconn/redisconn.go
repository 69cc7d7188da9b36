// Package redisconn connects to Redis through go-redis's UniversalClient, so
// the same code talks to one server, a Sentinel group or a Cluster. With no URL
// it starts a Redis-protocol server inside the process (miniredis): enough for
// one node and for trying ecard out, never for several nodes.
package redisconn

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Conn is a client and, for the embedded server, the server it owns.
type Conn struct {
	Client   redis.UniversalClient
	Embedded bool
	server   *miniredis.Miniredis
}

// Open connects to url, or starts the embedded server when url is empty.
// url is redis://..., rediss://..., or comma-separated host:port for a Cluster.
func Open(ctx context.Context, url string) (*Conn, error) {
	c := &Conn{}
	var opts *redis.UniversalOptions
	switch {
	case url == "":
		srv := miniredis.NewMiniRedis()
		if err := srv.StartAddr("127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("embedded redis: %w", err)
		}
		c.server, c.Embedded = srv, true
		opts = &redis.UniversalOptions{Addrs: []string{srv.Addr()}}
	case strings.HasPrefix(url, "redis://") || strings.HasPrefix(url, "rediss://"):
		o, err := redis.ParseURL(url)
		if err != nil {
			return nil, fmt.Errorf("redis url: %w", err)
		}
		opts = &redis.UniversalOptions{Addrs: []string{o.Addr}, DB: o.DB, Username: o.Username,
			Password: o.Password, TLSConfig: o.TLSConfig}
	default:
		addrs := strings.Split(url, ",")
		for i := range addrs {
			addrs[i] = strings.TrimSpace(addrs[i])
		}
		opts = &redis.UniversalOptions{Addrs: addrs, IsClusterMode: len(addrs) > 1}
	}
	opts.DialTimeout = 3 * time.Second
	opts.ReadTimeout = 2 * time.Second
	opts.WriteTimeout = 2 * time.Second
	c.Client = redis.NewUniversalClient(opts)
	if err := c.Client.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("redis ping: %w", err)
	}
	return c, nil
}

// Close closes the client and stops the embedded server.
func (c *Conn) Close() {
	if c.Client != nil {
		_ = c.Client.Close()
	}
	if c.server != nil {
		c.server.Close()
	}
}
