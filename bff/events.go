package bff

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/redis/go-redis/v9"
)

// events fans holder events out through Redis pub/sub, so an event raised on
// one node reaches the holder's stream on any other.
type events struct {
	redis  redis.UniversalClient
	prefix string
	// closing ends every open stream when the server shuts down: a stream
	// otherwise only notices a gone client at its next heartbeat, and
	// holds the graceful shutdown until then.
	closing   chan struct{}
	closeOnce sync.Once
}

func newEvents(r redis.UniversalClient, prefix string) *events {
	return &events{redis: r, prefix: prefix, closing: make(chan struct{})}
}

func (e *events) close() error {
	e.closeOnce.Do(func() { close(e.closing) })
	return nil
}

// Stream bounds: a heartbeat keeps proxies from closing an idle stream; a
// stream ends after maxStream and the client reconnects.
const (
	heartbeat = 15 * time.Second
	maxStream = time.Hour
)

type event struct {
	Name string          `json:"event"`
	ID   string          `json:"id,omitempty"`
	Data json.RawMessage `json:"data"`
}

func (e *events) channel(holderID int64) string {
	return e.prefix + "events:" + strconv.FormatInt(holderID, 10)
}

// publish is best effort: a holder who is not listening misses nothing that
// matters, since every event is also in their history.
func (e *events) publish(ctx context.Context, holderID int64, name string, data any) {
	raw, err := json.Marshal(data)
	if err != nil {
		return
	}
	e.publishRaw(ctx, holderID, event{Name: name, Data: raw})
}

func (e *events) publishRaw(ctx context.Context, holderID int64, ev event) error {
	msg, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	return e.redis.Publish(ctx, e.channel(holderID), msg).Err()
}

// handleEvents streams the holder's events as server-sent events.
func (s *Server) handleEvents(c fiber.Ctx) error {
	holder := holderID(c)
	ctx, cancel := context.WithTimeout(context.Background(), maxStream)
	sub := s.redis.Subscribe(ctx, s.events.channel(holder))
	if _, err := sub.Receive(ctx); err != nil { // wait until subscribed
		cancel()
		_ = sub.Close()
		return err
	}
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no")
	return c.SendStreamWriter(func(w *bufio.Writer) {
		defer cancel()
		defer sub.Close()
		ticker := time.NewTicker(heartbeat)
		defer ticker.Stop()
		msgs := sub.Channel()
		// The first comment tells the client the stream is open.
		fmt.Fprint(w, ": connected\n\n")
		for {
			if err := w.Flush(); err != nil {
				return // the client went away
			}
			select {
			case <-ctx.Done():
				return
			case <-s.events.closing:
				return
			case <-ticker.C:
				fmt.Fprint(w, ": heartbeat\n\n")
			case m, ok := <-msgs:
				if !ok {
					return
				}
				var ev event
				if json.Unmarshal([]byte(m.Payload), &ev) != nil {
					continue
				}
				if ev.ID != "" {
					fmt.Fprintf(w, "id: %s\n", ev.ID)
				}
				fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Name, ev.Data)
			}
		}
	})
}
