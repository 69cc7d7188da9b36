package bff

import "github.com/gofiber/fiber/v3"

// adminCardRoutes mounts card issue, replacement and offline anomalies.
func (s *Server) adminCardRoutes(admin fiber.Router, read, write fiber.Handler) {
	admin.Post("/holders/:id/cards", write, s.handleAdminIssueCard)
	admin.Get("/cards", read, s.handleAdminCards)
	admin.Get("/offline/anomalies", read, s.handleAdminOfflineAnomalies)
}
