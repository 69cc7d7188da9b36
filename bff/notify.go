package bff

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/bff/payment"
	"github.com/ecard/ecard/bff/sandbox"
	"github.com/ecard/ecard/ledger"
)

// handleNotify takes a provider's payment notification. The provider hears
// success only after the credit is committed; anything it must not trust
// (a forged, stale or tampered callback, an unknown order, a wrong amount)
// is refused, logged and changes nothing.
func (s *Server) handleNotify(c fiber.Ctx) error {
	channel := c.Params("provider")
	pr, ok := s.payments.Providers[channel]
	if !ok {
		return fail("NOT_FOUND", "no such provider")
	}
	header := http.Header{}
	for k, vs := range c.GetReqHeaders() {
		header[http.CanonicalHeaderKey(k)] = vs
	}
	cb := payment.Callback{Header: header, Body: bytes.Clone(c.Body())}
	ctx, cancel := settleCtx(c)
	defer cancel()
	n, err := pr.ParseNotify(ctx, cb)
	if err != nil {
		s.refusedNotice(channel, "refused", err)
		return answer(c, pr.Nack("notification refused"))
	}
	if !n.Paid {
		return answer(c, pr.Ack())
	}
	if err := s.settlePaid(ctx, channel, n.OrderNo, n.ProviderTxnID, n.AmountFen, n.PaidAt); err != nil {
		s.refusedNotice(channel, n.OrderNo, err)
		return answer(c, pr.Nack("not credited"))
	}
	return answer(c, pr.Ack())
}

func (s *Server) refusedNotice(channel, what string, err error) {
	s.metricNotify.WithLabelValues(channel, "refused").Inc()
	s.log.Warn("payment notification not accepted", "channel", channel, "order_no", what, "err", err)
}

// settlePaid credits a paid order once, whoever reports it first: the
// notification, a second node, or the sweeper's query.
func (s *Server) settlePaid(ctx context.Context, channel, orderNo, txnID string, amountFen int64, paidAt time.Time) error {
	o, err := s.ledger.OrderByNo(ctx, orderNo)
	if err != nil {
		return err
	}
	if o.Channel != channel {
		return errors.New("order belongs to another channel")
	}
	_, _, err = s.ledger.CreditOrder(ctx, ledger.PaidOrder{OrderNo: orderNo, ProviderTxnID: txnID, AmountFen: amountFen, PaidAt: paidAt})
	if err == nil {
		s.metricNotify.WithLabelValues(channel, "credited").Inc()
	}
	return err
}

func answer(c fiber.Ctx, a payment.Answer) error {
	if a.ContentType != "" {
		c.Set(fiber.HeaderContentType, a.ContentType)
	}
	return c.Status(a.Status).Send(a.Body)
}

// handleSandboxPay pays a sandbox order: the sandbox signs a notification and
// sends it to our own notify endpoint through the router, as a provider would.
func (s *Server) handleSandboxPay(c fiber.Ctx) error {
	sb, ok := s.payments.Providers[payment.ChannelSandbox].(*sandbox.Provider)
	if !ok {
		return fail("NOT_FOUND", "the sandbox is not enabled")
	}
	orderNo := c.Params("order_no")
	o, err := s.ledger.OrderByNo(c.Context(), orderNo)
	if err != nil || o.Channel != payment.ChannelSandbox {
		return fail("NOT_FOUND", "no such sandbox order")
	}
	if o.Status == ledger.OrderCreated {
		cb, err := sb.Pay(orderNo)
		if err != nil {
			return fail("CONFLICT", "%v", err)
		}
		req := httptest.NewRequest(http.MethodPost, "/pay/notify/sandbox", bytes.NewReader(cb.Body))
		req.Header = cb.Header.Clone()
		res, err := s.app.Test(req, fiber.TestConfig{Timeout: 0})
		if err != nil {
			return err
		}
		_ = res.Body.Close()
		if res.StatusCode >= 300 {
			return fail("CONFLICT", "the notification was not accepted (HTTP %d)", res.StatusCode)
		}
		if o, err = s.ledger.OrderByNo(c.Context(), orderNo); err != nil {
			return err
		}
	}
	return c.JSON(viewOrder(o))
}
