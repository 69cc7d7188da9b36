package terminalgw

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/redis/go-redis/v9"

	"github.com/ecard/ecard/internal/apierr"
	"github.com/ecard/ecard/ledger"
)

// A till that lost an answer repeats the request with the same request_id and
// must get the same answer, approval or decline, never a second debit. Money
// is safe by the ledger's idempotency key; the answer itself is kept in Redis.
const (
	answerTTL = 24 * time.Hour
	// RequestTimeLimit is a terminal request's own time limit: its work
	// runs under this deadline, and the in-flight mark lives no longer,
	// so after a crash a retry waits at most this long, not 30 s.
	RequestTimeLimit = 8 * time.Second
	inFlightTTL      = RequestTimeLimit
	waitForLead      = 5 * time.Second
)

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$`)

type answer struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
}

// ledgerKey is the idempotency key of a terminal request in the ledger.
func ledgerKey(terminalID, requestID string) string { return "tgw:" + terminalID + ":" + requestID }

// once runs fn for the first request with this id from this terminal and
// answers every repeat with the stored first answer. fn's error is rendered in
// API.md's shape and stored like a success.
func (g *Gateway) once(c fiber.Ctx, requestID string, fn func() (any, error)) error {
	if !requestIDPattern.MatchString(requestID) {
		return fail(ledger.CodeInvalidRequest, "request_id must be 1-64 letters, digits, '_', '.', ':' or '-'")
	}
	t := terminalOf(c)
	base := g.prefix + "tgw:{" + t.ID + "}:" + requestID
	ansKey, lockKey := base+":answer", base+":lock"
	ctx := c.Context()
	if a, ok, err := g.storedAnswer(c, ansKey); err != nil {
		return err
	} else if ok {
		return g.replay(c, a)
	}
	lead, err := g.redis.SetNX(ctx, lockKey, 1, inFlightTTL).Result()
	if err != nil {
		return err
	}
	if !lead {
		// The same request is being answered right now: wait for that answer.
		deadline := g.now().Add(waitForLead)
		for g.now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			if a, ok, err := g.storedAnswer(c, ansKey); err != nil {
				return err
			} else if ok {
				return g.replay(c, a)
			}
		}
		return fail(ledger.CodeConflict, "the same request is still being processed: retry")
	}
	defer g.redis.Del(ctx, lockKey)
	limited, cancel := context.WithTimeout(ctx, RequestTimeLimit)
	defer cancel()
	c.SetContext(limited)
	defer c.SetContext(ctx)
	status, body := fiber.StatusOK, any(nil)
	result, err := fn()
	if err != nil {
		code := ledger.ErrorCode(err)
		if code == "" || !apierr.Known(code) {
			return err // an outage is not an answer: the till may retry
		}
		var le *ledger.Error
		errors.As(err, &le)
		status, body = apierr.Render(code, c.Get(fiber.HeaderAcceptLanguage), le.Message)
	} else {
		body = result
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	a := answer{Status: status, Body: raw}
	stored, _ := json.Marshal(a)
	if err := g.redis.Set(ctx, ansKey, stored, answerTTL).Err(); err != nil {
		g.log.Warn("terminal answer not kept", "terminal", t.ID, "request", requestID, "err", err)
	}
	return g.replay(c, a)
}

func (g *Gateway) storedAnswer(c fiber.Ctx, key string) (answer, bool, error) {
	raw, err := g.redis.Get(c.Context(), key).Bytes()
	if errors.Is(err, redis.Nil) {
		return answer{}, false, nil
	}
	if err != nil {
		return answer{}, false, err
	}
	var a answer
	return a, true, json.Unmarshal(raw, &a)
}

func (g *Gateway) replay(c fiber.Ctx, a answer) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Status(a.Status).Send(a.Body)
}
