package bff

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/ledger"
	"github.com/ecard/ecard/reconcile"
)

// handleAdminReconcile takes a provider's daily bill as the raw request body
// (the CSV file as downloaded) and answers the line-by-line report.
func (s *Server) handleAdminReconcile(c fiber.Ctx) error {
	provider, date := c.Query("provider"), c.Query("date")
	setAudit(c, "bill:"+provider+":"+date, strconv.Itoa(len(c.Body()))+" bytes")
	if len(c.Body()) == 0 {
		return invalid("the body must be the provider's bill file")
	}
	rep, err := reconcile.Run(c.Context(), s.ledger, provider, date, currentAdmin(c).Username, bytes.NewReader(c.Body()))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"ok": rep.OK(), "report": rep})
}

func (s *Server) handleAdminReconciliations(c fiber.Ctx) error {
	limit, before, err := listParams(c)
	if err != nil {
		return err
	}
	items, err := s.ledger.Reconciliations(c.Context(), before, limit)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items, "next_cursor": nextCursor(items, limit, func(r ledger.Reconciliation) int64 { return r.ID })})
}

func (s *Server) handleAdminReconciliation(c fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return fail("NOT_FOUND", "no such reconciliation")
	}
	r, err := s.ledger.ReconciliationByID(c.Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"reconciliation": r, "report": json.RawMessage(r.Report)})
}
