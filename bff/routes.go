package bff

import (
	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/adaptor"
	"github.com/gofiber/fiber/v3/middleware/recover"
	"github.com/gofiber/fiber/v3/middleware/requestid"
	"github.com/gofiber/fiber/v3/middleware/static"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ecard/ecard/web"
)

// routes is every route the server answers, in one place.
func (s *Server) routes() {
	s.app.Use(recover.New())
	s.app.Use(requestid.New())
	s.app.Use(s.observe())

	s.app.Get("/healthz", s.handleHealth)
	s.app.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(s.metrics, promhttp.HandlerOpts{})))

	api := s.app.Group("/api")
	api.Use(func(c fiber.Ctx) error { return writeError(c, "NOT_FOUND", "no such API route") })

	s.app.Use("/", static.New("", static.Config{FS: web.Dist()}))
	s.app.Use(func(c fiber.Ctx) error { return writeError(c, "NOT_FOUND", "") })
}
