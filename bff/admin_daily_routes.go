package bff

import (
	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/ledger"
)

// adminDailyRoutes mounts the card office's daily work: school policies and
// the CSV and Excel exports.
func (s *Server) adminDailyRoutes(admin fiber.Router, read fiber.Handler) {
	admin.Put("/schools/:code/policies", allowRoles(ledger.RoleSuperadmin), s.handleAdminSetPolicies)
	admin.Get("/exports/:report", read, s.handleAdminExport)
}
