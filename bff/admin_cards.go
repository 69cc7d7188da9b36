package bff

import (
	"strconv"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/ledger"
)

type issueCardRequest struct {
	UID string `json:"uid"`
}

// handleAdminIssueCard issues a card to a holder, replacing the active one:
// the old card is refused at once and its purse moves after the waiting period.
func (s *Server) handleAdminIssueCard(c fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return invalid("holder id must be a positive number")
	}
	var req issueCardRequest
	if err := firstErr(decode(c, &req), text("uid", req.UID, 32)); err != nil {
		return err
	}
	setAudit(c, "holder:"+c.Params("id"), "card "+req.UID)
	h, err := s.ledger.HolderByID(c.Context(), id)
	if err != nil {
		return err
	}
	if _, err := s.ledger.IssueCard(c.Context(), h.SchoolID, h.ID, req.UID); err != nil {
		return err
	}
	view, _, err := s.ledger.ActiveCard(c.Context(), h.ID)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(view)
}

func (s *Server) handleAdminCards(c fiber.Ctx) error {
	school, limit, before, err := s.schoolPage(c)
	if err != nil {
		return err
	}
	cards, err := s.ledger.Cards(c.Context(), ledger.CardFilter{SchoolID: school.ID, Q: c.Query("q"), Status: c.Query("status"),
		BeforeID: before, Limit: limit})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": cards, "next_cursor": nextCursor(cards, limit, func(v ledger.CardView) int64 { return v.ID })})
}

func (s *Server) handleAdminOfflineAnomalies(c fiber.Ctx) error {
	school, limit, before, err := s.schoolPage(c)
	if err != nil {
		return err
	}
	items, err := s.ledger.OfflineAnomalies(c.Context(), school.ID, before, limit)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items, "next_cursor": nextCursor(items, limit, func(a ledger.OfflineAnomaly) int64 { return a.ID })})
}
