package bff

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/ledger"
)

// closingView is what closing an account answers, the first time and every
// time after.
type closingView struct {
	Holder             adminHolder `json:"holder"`
	Method             string      `json:"method"`
	Reference          string      `json:"reference,omitempty"`
	Receipt            string      `json:"receipt"`
	WalletRefundFen    int64       `json:"wallet_refund_fen"`
	PendingRefundFen   int64       `json:"pending_refund_fen"`
	PurseRefundFen     int64       `json:"purse_refund_fen"`
	SubsidyReturnedFen int64       `json:"subsidy_returned_fen"`
	ClosedBy           string      `json:"closed_by"`
	ClosedAt           time.Time   `json:"closed_at"`
}

func (s *Server) handleAdminCloseHolder(c fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	setAudit(c, "holder:"+strconv.FormatInt(id, 10), "")
	var req struct {
		Method    string `json:"method"`
		Reference string `json:"reference"`
	}
	if err := firstErr(decode(c, &req), text("method", req.Method, 8)); err != nil {
		return err
	}
	closing, err := s.ledger.CloseHolder(c.Context(), ledger.CloseAccount{HolderID: id, Method: req.Method,
		Reference: req.Reference, By: currentAdmin(c).Username})
	if err != nil {
		return err
	}
	setAudit(c, "holder:"+strconv.FormatInt(id, 10), "closed, receipt "+closing.Receipt)
	// A closed account signs out everywhere: its refresh tokens stop working.
	if err := s.sessions.endHolder(c.Context(), id); err != nil {
		return err
	}
	h, err := s.ledger.HolderByID(c.Context(), id)
	if err != nil {
		return err
	}
	hv, err := s.holderView(c, h)
	if err != nil {
		return err
	}
	return c.JSON(closingView{Holder: hv, Method: closing.Method, Reference: closing.Reference, Receipt: closing.Receipt,
		WalletRefundFen: closing.WalletRefundFen, PendingRefundFen: closing.PendingRefundFen, PurseRefundFen: closing.PurseRefundFen,
		SubsidyReturnedFen: closing.SubsidyReturnedFen, ClosedBy: closing.ClosedBy, ClosedAt: closing.CreatedAt.UTC()})
}
