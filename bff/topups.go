package bff

import (
	"context"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/bff/payment"
	"github.com/ecard/ecard/ledger"
)

// Payments are the top-up settings and providers.
type Payments struct {
	// Providers by channel; a channel without one is refused.
	Providers map[string]payment.Provider
	// PublicURL is where providers reach this deployment, e.g.
	// https://card.example.edu; notification URLs are built from it.
	PublicURL string
	// OrderTTL is how long a payer has to pay an order.
	OrderTTL time.Duration
	// SettleAfter is how long an order waits for its notification before
	// the sweeper asks the provider.
	SettleAfter time.Duration
}

func (p Payments) provider(channel string) (payment.Provider, error) {
	if pr, ok := p.Providers[channel]; ok {
		return pr, nil
	}
	return nil, invalid("channel %q is not offered here", channel)
}

// topupRequest is POST /api/v1/me/topups.
type topupRequest struct {
	Amount  int64  `json:"amount"`
	Channel string `json:"channel"`
	Scene   string `json:"scene"`
	ToCard  bool   `json:"to_card"`
}

// orderView is an order as holders and parents see it.
type orderView struct {
	OrderNo string            `json:"order_no"`
	Amount  int64             `json:"amount"`
	Channel string            `json:"channel"`
	ToCard  bool              `json:"to_card"`
	Status  string            `json:"status"`
	Pay     payment.Pay       `json:"pay,omitempty"`
	Holder  *maskedHolderView `json:"holder,omitempty"`
	// StatusToken lets the payer of a public recharge follow it.
	StatusToken string     `json:"status_token,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	ExpiresAt   time.Time  `json:"expires_at"`
	PaidAt      *time.Time `json:"paid_at,omitempty"`
}

type maskedHolderView struct {
	NameMasked string `json:"name_masked"`
}

func viewOrder(o ledger.Order) orderView {
	return orderView{OrderNo: o.OrderNo, Amount: o.AmountFen, Channel: o.Channel, ToCard: o.ToCard, Status: o.Status,
		CreatedAt: o.CreatedAt, ExpiresAt: o.ExpiresAt, PaidAt: o.PaidAt}
}

// Top-up rate limits, per minute.
const (
	topupsPerHolderPerMinute   = 10
	rechargePerIPPerMinute     = 20
	rechargePerTargetPerMinute = 10
	orderLookupsPerIPPerMinute = 120
)

func (s *Server) handleTopup(c fiber.Ctx) error {
	var req topupRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.Scene == "" {
		req.Scene = payment.SceneJSAPI
		if req.Channel != payment.ChannelWeChatPay {
			req.Scene = payment.SceneH5
		}
	}
	if err := s.allow(c, fmt.Sprintf("topup:%d", holderID(c)), topupsPerHolderPerMinute); err != nil {
		return err
	}
	h, err := s.ledger.HolderByID(c.Context(), holderID(c))
	if err != nil {
		return err
	}
	openID := ""
	if req.Channel == payment.ChannelWeChatPay && req.Scene == payment.SceneJSAPI {
		if h.WeChatOpenID == nil {
			return invalid("bind WeChat first to pay with WeChat Pay in the mini-program")
		}
		openID = *h.WeChatOpenID
	}
	v, err := s.openOrder(c, ledger.NewOrder{SchoolID: h.SchoolID, HolderID: h.ID, Channel: req.Channel, Scene: req.Scene,
		Payer: ledger.PayerHolder, AmountFen: req.Amount, ToCard: req.ToCard, ClientIP: c.IP()}, openID)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(v)
}

// openOrder records an order and opens it at its provider.
func (s *Server) openOrder(c fiber.Ctx, in ledger.NewOrder, openID string) (orderView, error) {
	pr, err := s.payments.provider(in.Channel)
	if err != nil {
		return orderView{}, err
	}
	if sc, ok := pr.(payment.SceneChecker); ok {
		if err := sc.CheckScene(in.Scene); err != nil {
			return orderView{}, invalid("%v", err)
		}
	}
	in.TTL = s.payments.OrderTTL
	o, err := s.ledger.CreateOrder(c.Context(), in)
	if err != nil {
		return orderView{}, err
	}
	pay, err := pr.Prepay(c.Context(), payment.Order{OrderNo: o.OrderNo, AmountFen: o.AmountFen, Subject: "校园卡充值",
		Scene: o.Scene, OpenID: openID, ClientIP: in.ClientIP, ExpiresAt: o.ExpiresAt,
		NotifyURL: s.payments.PublicURL + "/pay/notify/" + o.Channel})
	if err != nil {
		// The order stays created and the sweeper closes it; the payer can
		// simply try again.
		s.log.Error("prepay failed", "order_no", o.OrderNo, "channel", o.Channel, "err", err)
		return orderView{}, fail("PROVIDER_UNAVAILABLE", "the payment provider did not answer; please try again")
	}
	v := viewOrder(o)
	v.Pay = pay
	return v, nil
}

func (s *Server) handleMyTopup(c fiber.Ctx) error {
	o, err := s.ledger.OrderByNo(c.Context(), c.Params("order_no"))
	if err != nil || o.HolderID != holderID(c) {
		return fail("NOT_FOUND", "no such order")
	}
	return c.JSON(viewOrder(o))
}

// handleTopupChannels lists the channels this deployment offers.
func (s *Server) handleTopupChannels(c fiber.Ctx) error {
	items := []string{}
	for _, ch := range []string{payment.ChannelWeChatPay, payment.ChannelAlipay, payment.ChannelSandbox} {
		if _, ok := s.payments.Providers[ch]; ok {
			items = append(items, ch)
		}
	}
	return c.JSON(fiber.Map{"items": items})
}

// settleCtx detaches money work from the request: once a notification is
// verified, a client hanging up must not abort the credit halfway.
func settleCtx(c fiber.Ctx) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(c.Context()), 30*time.Second)
}
