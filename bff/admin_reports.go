package bff

import (
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/ledger"
)

func (s *Server) handleAdminSchools(c fiber.Ctx) error {
	list, err := s.ledger.Schools(c.Context())
	if err != nil {
		return err
	}
	type item struct {
		Code     string          `json:"code"`
		Name     string          `json:"name"`
		Policies ledger.Policies `json:"policies"`
	}
	items := make([]item, len(list))
	for i, sc := range list {
		items[i] = item{Code: sc.Code, Name: sc.Name, Policies: sc.Policies}
	}
	return c.JSON(page[item]{Items: items})
}

// handleAdminSettlement is the per-merchant settlement of one school day
// (midnight to midnight in the school's timezone).
func (s *Server) handleAdminSettlement(c fiber.Ctx) error {
	school, err := s.adminSchool(c)
	if err != nil {
		return err
	}
	setAudit(c, "school:"+school.Code, "date="+c.Query("date"))
	loc, err := time.LoadLocation(school.Timezone)
	if err != nil {
		return err
	}
	day, err := time.ParseInLocation("2006-01-02", c.Query("date"), loc)
	if err != nil {
		return invalid("date must be YYYY-MM-DD")
	}
	items, err := s.ledger.Settlement(c.Context(), school.ID, day, day.AddDate(0, 0, 1))
	if err != nil {
		return err
	}
	total := ledger.SettlementLine{}
	for _, it := range items {
		total.Payments += it.Payments
		total.PaymentFen += it.PaymentFen
		total.Refunds += it.Refunds
		total.RefundFen += it.RefundFen
		total.NetFen += it.NetFen
	}
	if items == nil {
		items = []ledger.SettlementLine{}
	}
	return c.JSON(fiber.Map{"school": school.Code, "date": day.Format("2006-01-02"), "timezone": school.Timezone,
		"items": items, "total": total})
}

type adminUser struct {
	ID        int64     `json:"id"`
	Username  string    `json:"username"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

func adminUserView(a ledger.Admin) adminUser {
	return adminUser{ID: a.ID, Username: a.Username, Role: a.Role, CreatedAt: a.CreatedAt}
}

func (s *Server) handleAdminAdmins(c fiber.Ctx) error {
	list, err := s.ledger.Admins(c.Context())
	if err != nil {
		return err
	}
	items := make([]adminUser, len(list))
	for i, a := range list {
		items[i] = adminUserView(a)
	}
	return c.JSON(page[adminUser]{Items: items})
}

func (s *Server) handleAdminCreateAdmin(c fiber.Ctx) error {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Role     string `json:"role"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	setAudit(c, "admin:"+req.Username, "role="+req.Role)
	if err := firstErr(text("username", req.Username, 32), text("password", req.Password, 128), text("role", req.Role, 16)); err != nil {
		return err
	}
	a, err := s.ledger.CreateAdmin(c.Context(), req.Username, req.Password, req.Role)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(adminUserView(a))
}
