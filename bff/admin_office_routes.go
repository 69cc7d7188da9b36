package bff

import "github.com/gofiber/fiber/v3"

// adminOfficeRoutes mounts subsidies, visitors and account closing.
func (s *Server) adminOfficeRoutes(admin fiber.Router, read, write fiber.Handler) {}
