package bff

import (
	"strings"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/bff/payment"
	"github.com/ecard/ecard/ledger"
)

// rechargeRequest is POST /api/v1/recharge: a parent tops up a child's card
// knowing the school, the student number and the exact name.
type rechargeRequest struct {
	School  string `json:"school"`
	Number  string `json:"number"`
	Name    string `json:"name"`
	Amount  int64  `json:"amount"`
	Channel string `json:"channel"`
	Phone   string `json:"phone"`
	Scene   string `json:"scene"`
	ToCard  bool   `json:"to_card"`
}

func (r *rechargeRequest) validate() error {
	r.Name = strings.TrimSpace(r.Name)
	if r.Scene == "" {
		r.Scene = payment.SceneH5
	}
	return firstErr(text("school", r.School, 32), text("number", r.Number, 32), text("name", r.Name, 64),
		text("channel", r.Channel, 16))
}

func (s *Server) handleRecharge(c fiber.Ctx) error {
	var req rechargeRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	if err := s.allow(c, "recharge-ip:"+c.IP(), rechargePerIPPerMinute); err != nil {
		return err
	}
	if err := s.allow(c, "recharge-to:"+req.School+":"+req.Number, rechargePerTargetPerMinute); err != nil {
		return err
	}
	// A wrong name answers exactly like an unknown number or school, so the
	// page cannot be used to learn who studies where.
	notFound := fail("NOT_FOUND", "no student with this school, number and name")
	school, err := s.ledger.School(c.Context(), req.School)
	if err != nil {
		return notFound
	}
	h, err := s.ledger.Holder(c.Context(), school.ID, req.Number)
	if err != nil || h.Name != req.Name || h.Kind == ledger.KindVisitor {
		return notFound
	}
	if req.Scene == payment.SceneJSAPI {
		return invalid("scene must be h5 or app for a recharge")
	}
	v, err := s.openOrder(c, ledger.NewOrder{SchoolID: school.ID, HolderID: h.ID, Channel: req.Channel, Scene: req.Scene,
		Payer: ledger.PayerParent, AmountFen: req.Amount, ToCard: req.ToCard, ClientIP: c.IP(), Phone: req.Phone}, "")
	if err != nil {
		return err
	}
	v.Holder = &maskedHolderView{NameMasked: ledger.MaskName(h.Name)}
	v.StatusToken = s.statusToken(v.OrderNo)
	return c.Status(fiber.StatusCreated).JSON(v)
}

// handleRechargeStatus lets a parent follow an order by its number.
func (s *Server) handleRechargeStatus(c fiber.Ctx) error {
	if err := s.allow(c, "order-ip:"+c.IP(), orderLookupsPerIPPerMinute); err != nil {
		return err
	}
	if err := s.allow(c, "order-no:"+c.Params("order_no"), orderLookupsPerOrderPerMinute); err != nil {
		return err
	}
	o, err := s.ledger.OrderByNo(c.Context(), c.Params("order_no"))
	if err != nil || !s.mayFollow(c, o) {
		return fail("NOT_FOUND", "no such order")
	}
	h, err := s.ledger.HolderByID(c.Context(), o.HolderID)
	if err != nil {
		return err
	}
	v := viewOrder(o)
	v.Holder = &maskedHolderView{NameMasked: ledger.MaskName(h.Name)}
	return c.JSON(v)
}
