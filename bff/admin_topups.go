package bff

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/ledger"
)

// adminSchool resolves the ?school= code every admin list is scoped by.
func (s *Server) adminSchool(c fiber.Ctx) (ledger.School, error) {
	code := c.Query("school")
	if code == "" {
		return ledger.School{}, invalid("school is required")
	}
	return s.ledger.School(c.Context(), code)
}

// schoolPage reads what every list of one school's records takes: ?school=,
// ?limit= and ?cursor=.
func (s *Server) schoolPage(c fiber.Ctx) (school ledger.School, limit int, before int64, err error) {
	if school, err = s.adminSchool(c); err != nil {
		return school, 0, 0, err
	}
	limit, before, err = listParams(c)
	return school, limit, before, err
}

// listParams reads API.md's ?limit= and ?cursor= (the last id of the previous page).
func listParams(c fiber.Ctx) (limit int, before int64, err error) {
	limit = 20
	if v := c.Query("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 100 {
			return 0, 0, invalid("limit must be 1 to 100")
		}
	}
	if v := c.Query("cursor"); v != "" {
		if before, err = strconv.ParseInt(v, 10, 64); err != nil || before < 1 {
			return 0, 0, invalid("malformed cursor")
		}
	}
	return limit, before, nil
}

func nextCursor[T any](items []T, limit int, id func(T) int64) string {
	if len(items) < limit || len(items) == 0 {
		return ""
	}
	return strconv.FormatInt(id(items[len(items)-1]), 10)
}

func (s *Server) handleAdminTopups(c fiber.Ctx) error {
	school, limit, before, err := s.schoolPage(c)
	if err != nil {
		return err
	}
	f := ledger.OrderFilter{SchoolID: school.ID, Channel: c.Query("channel"), Status: c.Query("status"), BeforeID: before, Limit: limit}
	if n := c.Query("number"); n != "" {
		h, err := s.ledger.Holder(c.Context(), school.ID, n)
		if err != nil {
			return err
		}
		f.HolderID = h.ID
	}
	orders, err := s.ledger.Orders(c.Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": orders, "next_cursor": nextCursor(orders, limit, func(o ledger.Order) int64 { return o.ID })})
}

func (s *Server) handleAdminTopupRefund(c fiber.Ctx) error {
	orderNo := c.Params("order_no")
	setAudit(c, "order:"+orderNo, "")
	ctx, cancel := settleCtx(c)
	defer cancel()
	o, err := s.RefundOrder(ctx, orderNo)
	if err != nil {
		return err
	}
	return c.JSON(o)
}

// dayRange reads ?from=&to= (YYYY-MM-DD, school time); to is inclusive.
func dayRange(c fiber.Ctx, school ledger.School) (time.Time, time.Time, error) {
	loc, err := time.LoadLocation(school.Timezone)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	from, err := time.ParseInLocation("2006-01-02", c.Query("from"), loc)
	if err != nil {
		return time.Time{}, time.Time{}, invalid("from must be a date YYYY-MM-DD")
	}
	to, err := time.ParseInLocation("2006-01-02", c.Query("to", c.Query("from")), loc)
	if err != nil || to.Before(from) || to.Sub(from) > 366*24*time.Hour {
		return time.Time{}, time.Time{}, invalid("to must be a date YYYY-MM-DD, not before from, within a year")
	}
	return from, to.AddDate(0, 0, 1), nil
}

func (s *Server) handleAdminTopupReport(c fiber.Ctx) error {
	school, err := s.adminSchool(c)
	if err != nil {
		return err
	}
	from, to, err := dayRange(c, school)
	if err != nil {
		return err
	}
	totals, err := s.ledger.TopupTotals(c.Context(), school.ID, from, to)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"school": school.Code, "from": from, "to": to, "items": totals})
}

func (s *Server) handleAdminAudit(c fiber.Ctx) error {
	limit, before, err := listParams(c)
	if err != nil {
		return err
	}
	items, err := s.ledger.AuditLog(c.Context(), ledger.AuditFilter{Username: c.Query("username"), Action: c.Query("action"),
		BeforeID: before, Limit: limit})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items, "next_cursor": nextCursor(items, limit, func(a ledger.AuditEntry) int64 { return a.ID })})
}
