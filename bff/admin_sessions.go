package bff

import (
	"github.com/gofiber/fiber/v3"
)

// handleAdminLogout ends the session of the token presented.
func (s *Server) handleAdminLogout(c fiber.Ctx) error {
	sid, _ := c.Locals(localAdminSession).(string)
	if err := s.ledger.EndAdminSession(c.Context(), sid); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// handleAdminSetRole changes an admin's role; their sessions end.
func (s *Server) handleAdminSetRole(c fiber.Ctx) error {
	var req struct {
		Role string `json:"role"`
	}
	if err := firstErr(decode(c, &req), text("role", req.Role, 16)); err != nil {
		return err
	}
	setAudit(c, "admin:"+c.Params("username"), "role="+req.Role)
	a, err := s.ledger.SetAdminRole(c.Context(), c.Params("username"), req.Role)
	if err != nil {
		return err
	}
	return c.JSON(adminUserView(a))
}

// handleAdminResetPassword sets an admin's password; their sessions end.
func (s *Server) handleAdminResetPassword(c fiber.Ctx) error {
	var req struct {
		Password string `json:"password"`
	}
	if err := firstErr(decode(c, &req), text("password", req.Password, 128)); err != nil {
		return err
	}
	setAudit(c, "admin:"+c.Params("username"), "password reset")
	a, err := s.ledger.ResetAdminPassword(c.Context(), c.Params("username"), req.Password)
	if err != nil {
		return err
	}
	return c.JSON(adminUserView(a))
}
