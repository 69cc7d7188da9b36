package bff

import (
	"strconv"

	"github.com/go-redis/redis_rate/v10"
	"github.com/gofiber/fiber/v3"
)

// allow applies a per-minute limit to key (shared by all nodes through Redis)
// and answers RATE_LIMITED with Retry-After when it is used up.
func (s *Server) allow(c fiber.Ctx, key string, perMinute int) error {
	res, err := s.limiter.Allow(c.Context(), s.prefix+"rl:"+key, redis_rate.PerMinute(perMinute))
	if err != nil {
		return err
	}
	if res.Allowed == 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(res.RetryAfter.Seconds())+1))
		return fail("RATE_LIMITED", "too many requests, retry in %s", res.RetryAfter.Round(1e9))
	}
	return nil
}
