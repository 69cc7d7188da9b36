package bff

import (
	"context"
	"encoding/json"

	"github.com/ecard/ecard/ledger"
)

// SMS sends the parent's recharge message (bff/tencentsms).
type SMS interface {
	SendRecharge(ctx context.Context, phone, amountYuan, orderNo string) error
}

// WithSMS makes the notifier send recharge SMS through sms; nil leaves them
// logged only (SMS is off by default).
func (n *Notifier) WithSMS(sms SMS) *Notifier {
	n.sms = sms
	return n
}

// sendSMS sends a recharge SMS notice; a failure leaves it for the outbox's
// next attempt.
func (n *Notifier) sendSMS(ctx context.Context, notice ledger.Notice) error {
	var p ledger.RechargeSMS
	if err := json.Unmarshal([]byte(notice.Payload), &p); err != nil {
		return err
	}
	if n.sms == nil {
		n.log.Info("recharge SMS not configured", "order", p.OrderNo)
		return nil
	}
	return n.sms.SendRecharge(ctx, p.Phone, yuan(p.AmountFen), p.OrderNo)
}
