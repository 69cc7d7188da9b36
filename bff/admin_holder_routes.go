package bff

import (
	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/ledger"
)

// adminHolderRoutes mounts the card office's holder, merchant, terminal,
// admin-user and settlement routes.
func (s *Server) adminHolderRoutes(admin fiber.Router, read, write fiber.Handler) {
	admin.Get("/schools", read, s.handleAdminSchools)

	admin.Get("/holders", read, s.handleAdminHolders)
	admin.Post("/holders", write, s.handleAdminCreateHolder)
	admin.Post("/holders/import", write, s.handleAdminImportHolders)
	admin.Get("/holders/:id", read, s.handleAdminHolder)
	admin.Get("/holders/:id/transactions", read, s.handleAdminHolderTransactions)
	admin.Post("/holders/:id/freeze", write, s.handleAdminFreeze)
	admin.Post("/holders/:id/unfreeze", write, s.handleAdminFreeze)
	admin.Post("/holders/:id/reset", write, s.handleAdminResetSecret)

	admin.Get("/merchants", read, s.handleAdminMerchants)
	admin.Post("/merchants", write, s.handleAdminCreateMerchant)
	admin.Get("/terminals", read, s.handleAdminTerminals)
	admin.Post("/terminals", write, s.handleAdminCreateTerminal)
	admin.Post("/terminals/:id/disable", write, s.handleAdminTerminalStatus)
	admin.Post("/terminals/:id/enable", write, s.handleAdminTerminalStatus)

	admin.Get("/reports/settlement", read, s.handleAdminSettlement)

	superadmin := allowRoles(ledger.RoleSuperadmin)
	admin.Get("/admins", superadmin, s.handleAdminAdmins)
	admin.Post("/admins", superadmin, s.handleAdminCreateAdmin)
	admin.Put("/admins/:username/role", superadmin, s.handleAdminSetRole)
	admin.Put("/admins/:username/password", superadmin, s.handleAdminResetPassword)
	admin.Post("/auth/logout", s.handleAdminLogout)
}
