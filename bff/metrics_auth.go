package bff

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v3"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MetricsHandler serves the registry, for a separate metrics listener.
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics, promhttp.HandlerOpts{})
}

// requireMetricsToken keeps /metrics on the public listener for the scraper
// that brings the configured token; without one configured it is refused.
func (s *Server) requireMetricsToken(c fiber.Ctx) error {
	token, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	if !ok || s.metricsToken == "" || subtle.ConstantTimeCompare([]byte(token), []byte(s.metricsToken)) != 1 {
		return fail("UNAUTHENTICATED", "metrics need the metrics token, or the metrics address")
	}
	return c.Next()
}
