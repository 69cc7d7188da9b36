package bff

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/ledger"
)

// officeHolderView is API.md's AdminHolder, as the office routes answer it.
type officeHolderView struct {
	ID           int64      `json:"id"`
	School       string     `json:"school"`
	Number       string     `json:"number"`
	Name         string     `json:"name"`
	Kind         string     `json:"kind"`
	Status       string     `json:"status"`
	State        string     `json:"state"`
	Lost         bool       `json:"lost"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
	Wallet       int64      `json:"wallet"`
	Subsidy      int64      `json:"subsidy"`
	Pending      int64      `json:"pending"`
	Purse        int64      `json:"purse"`
	LastActiveAt *time.Time `json:"last_active_at,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
}

func (s *Server) officeHolder(ctx context.Context, h ledger.Holder, school string) (officeHolderView, error) {
	b, err := s.ledger.HolderBalances(ctx, h.ID)
	if err != nil {
		return officeHolderView{}, err
	}
	return officeHolderView{ID: h.ID, School: school, Number: h.Number, Name: h.Name, Kind: h.Kind, Status: h.Status,
		State: h.State(s.now()), Lost: h.Lost, ExpiresAt: h.ExpiresAt, Wallet: b.WalletFen, Subsidy: b.SubsidyFen,
		Pending: b.PendingFen, Purse: b.PurseFen, LastActiveAt: h.LastActiveAt, CreatedAt: h.CreatedAt.UTC()}, nil
}

type visitorRequest struct {
	School    string `json:"school"`
	Name      string `json:"name"`
	ExpiresAt string `json:"expires_at"`
	Number    string `json:"number"`
	IDLast6   string `json:"id_last6"`
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
	h, password, err := s.ledger.CreateVisitor(c.Context(), ledger.NewVisitor{SchoolID: school.ID, Name: req.Name,
		ExpiresAt: expires, Number: req.Number, IDLast6: req.IDLast6})
	if err != nil {
		return err
	}
	setAudit(c, "holder:"+h.Number, "visitor until "+expires.Format(time.RFC3339))
	v, err := s.officeHolder(c.Context(), h, school.Code)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"holder": v, "password": password})
}

func (s *Server) handleAdminVisitors(c fiber.Ctx) error {
	school, err := s.adminSchool(c)
	if err != nil {
		return err
	}
	limit, before, err := listParams(c)
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
	items := make([]officeHolderView, len(holders))
	for i, h := range holders {
		if items[i], err = s.officeHolder(c.Context(), h, school.Code); err != nil {
			return err
		}
	}
	return c.JSON(fiber.Map{"items": items, "next_cursor": nextCursor(holders, limit, func(h ledger.Holder) int64 { return h.ID })})
}
