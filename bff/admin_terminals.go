package bff

import (
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/ledger"
)

type adminMerchant struct {
	ID     int64  `json:"id"`
	School string `json:"school"`
	Code   string `json:"code"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

func merchantView(m ledger.Merchant, school string) adminMerchant {
	return adminMerchant{ID: m.ID, School: school, Code: m.Code, Name: m.Name, Status: m.Status}
}

func (s *Server) handleAdminMerchants(c fiber.Ctx) error {
	school, err := s.adminSchool(c)
	if err != nil {
		return err
	}
	setAudit(c, "school:"+school.Code, "")
	list, err := s.ledger.Merchants(c.Context(), school.ID)
	if err != nil {
		return err
	}
	items := make([]adminMerchant, len(list))
	for i, m := range list {
		items[i] = merchantView(m, school.Code)
	}
	return c.JSON(page[adminMerchant]{Items: items})
}

func (s *Server) handleAdminCreateMerchant(c fiber.Ctx) error {
	var req struct {
		School string `json:"school"`
		Code   string `json:"code"`
		Name   string `json:"name"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	setAudit(c, "merchant:"+req.School+"/"+req.Code, "")
	if err := firstErr(text("school", req.School, 32), text("code", req.Code, 32), text("name", req.Name, 100)); err != nil {
		return err
	}
	school, err := s.ledger.School(c.Context(), req.School)
	if err != nil {
		return err
	}
	m, err := s.ledger.CreateMerchant(c.Context(), school.ID, req.Code, req.Name)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(merchantView(m, school.Code))
}

type adminTerminal struct {
	ID         string     `json:"id"`
	School     string     `json:"school"`
	Kind       string     `json:"kind"`
	Merchant   string     `json:"merchant,omitempty"`
	Place      string     `json:"place"`
	Status     string     `json:"status"`
	LastSeenAt *time.Time `json:"last_seen_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

// terminalViews names each terminal's merchant by its code.
func (s *Server) terminalViews(c fiber.Ctx, school ledger.School, list ...ledger.Terminal) ([]adminTerminal, error) {
	merchants, err := s.ledger.Merchants(c.Context(), school.ID)
	if err != nil {
		return nil, err
	}
	codes := make(map[int64]string, len(merchants))
	for _, m := range merchants {
		codes[m.ID] = m.Code
	}
	out := make([]adminTerminal, len(list))
	for i, t := range list {
		out[i] = adminTerminal{ID: t.ID, School: school.Code, Kind: t.Kind, Place: t.Place, Status: t.Status,
			LastSeenAt: t.LastSeenAt, CreatedAt: t.CreatedAt}
		if t.MerchantID != nil {
			out[i].Merchant = codes[*t.MerchantID]
		}
	}
	return out, nil
}

func (s *Server) handleAdminTerminals(c fiber.Ctx) error {
	school, err := s.adminSchool(c)
	if err != nil {
		return err
	}
	setAudit(c, "school:"+school.Code, "")
	list, err := s.ledger.Terminals(c.Context(), school.ID)
	if err != nil {
		return err
	}
	items, err := s.terminalViews(c, school, list...)
	if err != nil {
		return err
	}
	return c.JSON(page[adminTerminal]{Items: items})
}

func (s *Server) handleAdminCreateTerminal(c fiber.Ctx) error {
	var req struct {
		School   string `json:"school"`
		ID       string `json:"id"`
		Kind     string `json:"kind"`
		Merchant string `json:"merchant"`
		Place    string `json:"place"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	setAudit(c, "terminal:"+req.ID, "")
	if err := firstErr(text("school", req.School, 32), text("id", req.ID, 64), text("kind", req.Kind, 8)); err != nil {
		return err
	}
	school, err := s.ledger.School(c.Context(), req.School)
	if err != nil {
		return err
	}
	in := ledger.NewTerminal{SchoolID: school.ID, ID: req.ID, Kind: req.Kind, Place: req.Place}
	if req.Merchant != "" {
		m, err := s.ledger.Merchant(c.Context(), school.ID, req.Merchant)
		if err != nil {
			return err
		}
		in.MerchantID = &m.ID
	}
	t, secret, err := s.ledger.CreateTerminal(c.Context(), in)
	if err != nil {
		return err
	}
	views, err := s.terminalViews(c, school, t)
	if err != nil {
		return err
	}
	// The secret is shown only in this answer; it is never logged or audited.
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": t.ID, "secret": secret, "terminal": views[0]})
}

func (s *Server) handleAdminTerminalStatus(c fiber.Ctx) error {
	id := c.Params("id")
	enable := c.Route().Path == "/admin/api/v1/terminals/:id/enable"
	setAudit(c, "terminal:"+id, map[bool]string{true: "enable", false: "disable"}[enable])
	t, err := s.ledger.SetTerminalStatus(c.Context(), id, enable)
	if err != nil {
		return err
	}
	school, err := s.ledger.SchoolByID(c.Context(), t.SchoolID)
	if err != nil {
		return err
	}
	views, err := s.terminalViews(c, school, t)
	if err != nil {
		return err
	}
	return c.JSON(views[0])
}
