package bff

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v3"
)

// handleHealth answers 200 once the database and Redis both answer.
func (s *Server) handleHealth(c fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.Context(), 2*time.Second)
	defer cancel()
	status := fiber.Map{"status": "ok", "database": "ok", "redis": "ok"}
	code := fiber.StatusOK
	if sqlDB, err := s.ledger.DB().DB(); err != nil || sqlDB.PingContext(ctx) != nil {
		status["database"], status["status"], code = "unreachable", "unavailable", fiber.StatusServiceUnavailable
	}
	if err := s.redis.Ping(ctx).Err(); err != nil {
		status["redis"], status["status"], code = "unreachable", "unavailable", fiber.StatusServiceUnavailable
	}
	return c.Status(code).JSON(status)
}
