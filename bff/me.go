package bff

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/ledger"
)

type limits struct {
	PerPayment int64 `json:"per_payment"`
	PerDay     int64 `json:"per_day"`
}

type meResponse struct {
	holderSummary
	Balance    int64  `json:"balance"`
	Subsidy    int64  `json:"subsidy"`
	Pending    int64  `json:"pending"`
	Purse      int64  `json:"purse"`
	Limits     limits `json:"limits"`
	SchoolMax  limits `json:"school_limits"`
	SpentToday int64  `json:"spent_today"`
	WeChat     bool   `json:"wechat_bound"`
}

func (s *Server) handleMe(c fiber.Ctx) error {
	ctx := c.Context()
	h, err := s.ledger.HolderByID(ctx, holderID(c))
	if err != nil {
		return err
	}
	school, err := s.ledger.SchoolByID(ctx, h.SchoolID)
	if err != nil {
		return err
	}
	b, err := s.ledger.HolderBalances(ctx, h.ID)
	if err != nil {
		return err
	}
	spent, err := s.ledger.SpentToday(ctx, h, school.Timezone)
	if err != nil {
		return err
	}
	perPayment, perDay := ledger.EffectiveLimits(school.Policies, h)
	return c.JSON(meResponse{
		holderSummary: holderSummary{School: school.Code, Number: h.Number, Name: h.Name, Kind: h.Kind,
			Status: h.State(s.now()), MustChangePassword: h.MustChangePassword, MustChangePIN: h.MustChangePIN},
		Balance: b.WalletFen, Subsidy: b.SubsidyFen, Pending: b.PendingFen, Purse: b.PurseFen,
		Limits:     limits{PerPayment: perPayment, PerDay: perDay},
		SchoolMax:  limits{PerPayment: school.PerPaymentLimitFen, PerDay: school.PerDayLimitFen},
		SpentToday: spent, WeChat: h.WeChatOpenID != nil,
	})
}

// page is API.md's list shape.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// listLimit reads ?limit= (default 20, max 100).
func listLimit(c fiber.Ctx) (int, error) {
	raw := c.Query("limit")
	if raw == "" {
		return 20, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > 100 {
		return 0, invalid("limit must be 1 to 100")
	}
	return n, nil
}

// queryTime reads an RFC 3339 time or a date (midnight at UTC+8, the schools' zone).
func queryTime(c fiber.Ctx, name string) (*time.Time, error) {
	raw := c.Query(name)
	if raw == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339, raw); err == nil {
		return &t, nil
	}
	t, err := time.ParseInLocation("2006-01-02", raw, time.FixedZone("CST", 8*3600))
	if err != nil {
		return nil, invalid("%s must be RFC 3339 or YYYY-MM-DD", name)
	}
	return &t, nil
}

func (s *Server) handleTransactions(c fiber.Ctx) error {
	limit, err := listLimit(c)
	if err != nil {
		return err
	}
	f := ledger.HistoryFilter{Limit: limit}
	if cursor := c.Query("cursor"); cursor != "" {
		id, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || id <= 0 {
			return invalid("cursor is malformed")
		}
		f.BeforeID = id
	}
	if kind := c.Query("kind"); kind != "" {
		f.Kinds = strings.Split(kind, ",")
		if len(f.Kinds) > len(ledger.HistoryKinds) {
			return invalid("too many kinds")
		}
	}
	if f.From, err = queryTime(c, "from"); err != nil {
		return err
	}
	if f.To, err = queryTime(c, "to"); err != nil {
		return err
	}
	if f.From != nil && f.To != nil && !f.From.Before(*f.To) {
		return invalid("from must be before to")
	}
	items, err := s.ledger.History(c.Context(), holderID(c), f)
	if err != nil {
		return err
	}
	out := page[ledger.HistoryItem]{Items: items}
	if len(items) == limit {
		out.NextCursor = strconv.FormatInt(items[len(items)-1].ID, 10)
	}
	return c.JSON(out)
}

func (s *Server) handlePassword(c fiber.Ctx) error {
	var req struct {
		Kind string `json:"kind"`
		Old  string `json:"old"`
		New  string `json:"new"`
	}
	if err := firstErr(decode(c, &req), text("kind", req.Kind, 8), text("old", req.Old, 128), text("new", req.New, 128)); err != nil {
		return err
	}
	var err error
	switch req.Kind {
	case "login":
		err = s.ledger.ChangePassword(c.Context(), holderID(c), req.Old, req.New)
	case "pin":
		err = s.ledger.ChangePIN(c.Context(), holderID(c), req.Old, req.New)
	default:
		return invalid(`kind must be "login" or "pin"`)
	}
	if err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) handleLimits(c fiber.Ctx) error {
	var req struct {
		PerPayment *int64 `json:"per_payment"`
		PerDay     *int64 `json:"per_day"`
		PIN        string `json:"pin"`
	}
	if err := firstErr(decode(c, &req), text("pin", req.PIN, 6)); err != nil {
		return err
	}
	if req.PerPayment == nil || req.PerDay == nil {
		return invalid("per_payment and per_day are required")
	}
	if err := s.ledger.SetLimits(c.Context(), holderID(c), *req.PerPayment, *req.PerDay, req.PIN); err != nil {
		return err
	}
	return s.handleMe(c)
}

// handleLoss reports a loss (POST) or cancels it (DELETE).
func (s *Server) handleLoss(c fiber.Ctx) error {
	var req struct {
		Password string `json:"password"`
	}
	if err := firstErr(decode(c, &req), text("password", req.Password, 128)); err != nil {
		return err
	}
	lost := c.Method() == fiber.MethodPost
	h, err := s.ledger.SetLost(c.Context(), holderID(c), req.Password, lost)
	if err != nil {
		return err
	}
	if lost && s.codes != nil {
		// The database flag already refuses every code; this also drops
		// the live ones from Redis at once.
		if err := s.codes.RevokeHolder(c.Context(), h.SchoolID, h.ID); err != nil {
			s.log.Warn("codes not revoked", "holder", h.ID, "err", err)
		}
	}
	s.events.publish(c.Context(), h.ID, "loss", fiber.Map{"lost": lost})
	return c.JSON(fiber.Map{"number": h.Number, "status": h.State(s.now()), "lost": lost})
}
