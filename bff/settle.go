package bff

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ecard/ecard/bff/payment"
	"github.com/ecard/ecard/ledger"
)

// settleBatch bounds the orders one sweep looks at.
const settleBatch = 200

// refundGiveUpAfter is how long a refund the provider keeps refusing stays
// held before its money is released back to the holder.
const refundGiveUpAfter = time.Hour

// SettleOrders is the sweeper job: orders that heard nothing for a few
// minutes are asked about at their provider and then credited or closed, and
// refunds under way are pushed on. Every step is idempotent, and the job
// runs under a lease, so it never races itself across nodes.
func (s *Server) SettleOrders(ctx context.Context) (string, error) {
	orders, err := s.ledger.OrdersToSettle(ctx, s.now().Add(-s.payments.SettleAfter), settleBatch)
	if err != nil {
		return "", err
	}
	var credited, closed, refunded, failed int
	for _, o := range orders {
		if ctx.Err() != nil {
			break
		}
		outcome, err := s.settleOne(ctx, o)
		if err != nil {
			failed++
			s.log.Warn("order not settled", "order_no", o.OrderNo, "err", err)
			continue
		}
		switch outcome {
		case ledger.OrderPaid:
			credited++
		case ledger.OrderClosed:
			closed++
		case ledger.OrderRefunded:
			refunded++
		}
	}
	return fmt.Sprintf("looked at %d orders: %d credited, %d closed, %d refunded, %d failed",
		len(orders), credited, closed, refunded, failed), nil
}

func (s *Server) settleOne(ctx context.Context, o ledger.Order) (string, error) {
	pr, ok := s.payments.Providers[o.Channel]
	if !ok {
		return "", fmt.Errorf("no provider for channel %s", o.Channel)
	}
	if o.Status == ledger.OrderRefunding {
		o, err := s.pushRefund(ctx, pr, o)
		return o.Status, err
	}
	t, err := pr.Query(ctx, o.OrderNo)
	if err != nil {
		return "", err
	}
	switch t.State {
	case payment.StatePaid:
		return ledger.OrderPaid, s.settlePaid(ctx, o.Channel, o.OrderNo, t.ProviderTxnID, t.AmountFen, t.PaidAt)
	case payment.StateClosed:
		_, err := s.ledger.CloseOrder(ctx, o.OrderNo)
		return ledger.OrderClosed, err
	case payment.StateUnknown, payment.StateNotPaid:
		if s.now().Before(o.ExpiresAt) {
			return "", nil // the payer still has time
		}
		// Close at the provider first, so the order cannot be paid after we
		// call it closed; a payment that slipped in shows on the next query.
		if t.State == payment.StateNotPaid {
			if err := pr.Close(ctx, o.OrderNo); err != nil {
				return "", err
			}
			if t, err = pr.Query(ctx, o.OrderNo); err != nil {
				return "", err
			}
			if t.State == payment.StatePaid {
				return ledger.OrderPaid, s.settlePaid(ctx, o.Channel, o.OrderNo, t.ProviderTxnID, t.AmountFen, t.PaidAt)
			}
		}
		_, err := s.ledger.CloseOrder(ctx, o.OrderNo)
		return ledger.OrderClosed, err
	}
	return "", fmt.Errorf("unknown trade state %q", t.State)
}

// RefundOrder refunds a paid top-up whose money is still unspent: the money
// is held first, then the provider is asked, then the hold is posted. A
// refund the provider did not answer stays refunding and the sweeper asks
// again with the same refund number, so the payer is refunded exactly once.
func (s *Server) RefundOrder(ctx context.Context, orderNo string) (ledger.Order, error) {
	o, err := s.ledger.StartOrderRefund(ctx, orderNo)
	if err != nil || o.Status == ledger.OrderRefunded {
		return o, err
	}
	pr, ok := s.payments.Providers[o.Channel]
	if !ok {
		return o, fail("PROVIDER_UNAVAILABLE", "channel %s is not configured here", o.Channel)
	}
	return s.pushRefund(ctx, pr, o)
}

func (s *Server) pushRefund(ctx context.Context, pr payment.Provider, o ledger.Order) (ledger.Order, error) {
	res, err := pr.Refund(ctx, payment.Refund{OrderNo: o.OrderNo, ProviderTxnID: o.ProviderTxnID, RefundNo: o.RefundNo,
		AmountFen: o.AmountFen, TotalFen: o.AmountFen, Reason: "校园卡充值退款"})
	if err == nil {
		return s.ledger.FinishOrderRefund(ctx, o.OrderNo, res.ProviderRefundID)
	}
	s.log.Warn("provider refund not done", "order_no", o.OrderNo, "refund_no", o.RefundNo, "err", err)
	started, found, ferr := s.ledger.EntryByKey(ctx, fmt.Sprintf("topup-refund:%s:%d", o.OrderNo, o.RefundAttempts))
	if ferr == nil && found && s.now().Sub(started.CreatedAt) > refundGiveUpAfter {
		if o, ferr = s.ledger.FailOrderRefund(ctx, o.OrderNo); ferr != nil {
			return o, errors.Join(err, ferr)
		}
		return o, fail("PROVIDER_UNAVAILABLE", "the provider refused the refund: %v", err)
	}
	return o, fail("PROVIDER_UNAVAILABLE", "the provider has not confirmed the refund yet; it will be retried")
}
