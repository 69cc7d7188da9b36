package bff

import "github.com/gofiber/fiber/v3"

// adminOfficeRoutes mounts subsidies, visitors and account closing.
func (s *Server) adminOfficeRoutes(admin fiber.Router, read, write fiber.Handler) {
	admin.Post("/subsidies", write, s.handleAdminIssueSubsidies)
	admin.Get("/subsidies", read, s.handleAdminSubsidies)
	admin.Get("/subsidies/:id", read, s.handleAdminSubsidy)
	admin.Post("/visitors", write, s.handleAdminCreateVisitor)
	admin.Get("/visitors", read, s.handleAdminVisitors)
	admin.Post("/holders/:id/close", write, s.handleAdminCloseHolder)
}
