package bff

import "github.com/gofiber/fiber/v3"

// adminCardRoutes mounts card issue, replacement and offline anomalies.
func (s *Server) adminCardRoutes(admin fiber.Router, read, write fiber.Handler) {}
