// Package testredis gives a test a Redis to talk to: the real server named by
// ECARD_TEST_REDIS_URL when set, else the embedded one. Each test gets its own
// key prefix, and its keys are deleted when it ends.
package testredis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/ecard/ecard/internal/redisconn"
)

// EnvRedisURL names the Redis server the tests may use.
const EnvRedisURL = "ECARD_TEST_REDIS_URL"

// Conn is a connection and the key prefix this test owns.
type Conn struct {
	*redisconn.Conn
	URL    string // "" for the embedded server
	Prefix string
}

// Open connects for the test and cleans up after it.
func Open(t testing.TB) Conn {
	t.Helper()
	url := os.Getenv(EnvRedisURL)
	conn, err := redisconn.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "ecardtest:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := conn.Client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			conn.Client.Del(ctx, iter.Val())
		}
		conn.Close()
	})
	return Conn{Conn: conn, URL: url, Prefix: prefix}
}
