package bff

import (
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/ledger"
)

type visitorRequest struct {
	School    string `json:"school"`
	Name      string `json:"name"`
	ExpiresAt string `json:"expires_at"`
	Number    string `json:"number"`
	IDLast6   string `json:"id_last6"`
	CardUID   string `json:"card_uid"`
}

func (s *Server) handleAdminCreateVisitor(c fiber.Ctx) error {
	var req visitorRequest
	if err := firstErr(decode(c, &req), text("school", req.School, 32), text("name", req.Name, 64),
		text("expires_at", req.ExpiresAt, 40)); err != nil {
		return err
	}
	school, err := s.ledger.School(c.Context(), req.School)
	if err != nil {
		return err
	}
	expires, err := ledger.ExpiryAt(school.Timezone, req.ExpiresAt)
	if err != nil {
		return invalid("%v", err)
	}
	if req.CardUID != "" {
		// Refuse a bad or taken card before the visitor exists.
		uid, err := ledger.NormalizeCardUID(req.CardUID)
		if err != nil {
			return err
		}
		if _, err := s.ledger.CardByUID(c.Context(), uid); err == nil {
			return fail(ledger.CodeConflict, "card %s was already issued", uid)
		} else if ledger.ErrorCode(err) != ledger.CodeCardInvalid {
			return err
		}
	}
	h, password, err := s.ledger.CreateVisitor(c.Context(), ledger.NewVisitor{SchoolID: school.ID, Name: req.Name,
		ExpiresAt: expires, Number: req.Number, IDLast6: req.IDLast6})
	if err != nil {
		return err
	}
	setAudit(c, "holder:"+h.Number, "visitor until "+expires.Format(time.RFC3339))
	if req.CardUID != "" {
		if _, err := s.ledger.IssueCard(c.Context(), school.ID, h.ID, req.CardUID); err != nil {
			return err
		}
	}
	v, err := s.holderView(c, h)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"holder": v, "password": password})
}

func (s *Server) handleAdminVisitors(c fiber.Ctx) error {
	school, limit, before, err := s.schoolPage(c)
	if err != nil {
		return err
	}
	active := false
	switch c.Query("active") {
	case "", "false":
	case "true":
		active = true
	default:
		return invalid("active must be true or false")
	}
	holders, err := s.ledger.Visitors(c.Context(), school.ID, active, before, limit)
	if err != nil {
		return err
	}
	items, err := s.adminHolders(c, school.Code, holders...)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items, "next_cursor": nextCursor(holders, limit, func(h ledger.Holder) int64 { return h.ID })})
}
