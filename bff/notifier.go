package bff

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/ecard/ecard/bff/wechat"
	"github.com/ecard/ecard/ledger"
)

// Notifier delivers the ledger's outbox at least once: every notice becomes an
// event on the holder's stream, and a WeChat subscribe message when the holder
// is bound and a template is configured (else a log line). It runs beside the
// money, never in its way: a failing sender only delays notices.
type Notifier struct {
	ledger *ledger.Ledger
	events *events
	wechat WeChat // nil: notices are logged
	// templates maps a notice kind (payment, topup, refund, subsidy) to a
	// WeChat subscribe message template id.
	templates map[string]string
	log       *slog.Logger
	sms       SMS // nil: recharge SMS notices are logged
}

// Notifier returns the outbox sender for this server's events and WeChat.
func (s *Server) Notifier(templates map[string]string) *Notifier {
	return &Notifier{ledger: s.ledger, events: s.events, wechat: s.wechat, templates: templates, log: s.log}
}

// Notifier bounds.
const (
	noticeBatch = 100
	noticeLease = 30 * time.Second
	noticePoll  = 250 * time.Millisecond
)

// Run delivers notices until ctx ends.
func (n *Notifier) Run(ctx context.Context) {
	ticker := time.NewTicker(noticePoll)
	defer ticker.Stop()
	for {
		// A batch in hand is finished even when ctx ends, so that stopping
		// never leaves a notice claimed and unsent until its lease runs out.
		if _, err := n.DeliverDue(context.WithoutCancel(ctx)); err != nil {
			n.log.Warn("notices", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// DeliverDue delivers one batch of due notices and says how many went out.
func (n *Notifier) DeliverDue(ctx context.Context) (int, error) {
	due, err := n.ledger.ClaimNotices(ctx, noticeBatch, noticeLease)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, notice := range due {
		if err := n.deliver(ctx, notice); err != nil {
			n.log.Warn("notice not delivered", "notice", notice.ID, "attempt", notice.Attempts, "err", err)
			if err := n.ledger.NoticeFailed(ctx, notice, err); err != nil {
				return sent, err
			}
			continue
		}
		if err := n.ledger.NoticeSent(ctx, notice.ID); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}

func (n *Notifier) deliver(ctx context.Context, notice ledger.Notice) error {
	if notice.Kind == ledger.NoticeRechargeSMS {
		return n.sendSMS(ctx, notice)
	}
	ev := event{Name: notice.Kind, ID: strconv.FormatInt(notice.ID, 10), Data: json.RawMessage(notice.Payload)}
	if err := n.events.publishRaw(ctx, notice.HolderID, ev); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	template := n.templates[notice.Kind]
	if n.wechat == nil || template == "" {
		n.log.Info("notice", "holder", notice.HolderID, "kind", notice.Kind, "payload", notice.Payload)
		return nil
	}
	h, err := n.ledger.HolderByID(ctx, notice.HolderID)
	if err != nil {
		return err
	}
	if h.WeChatOpenID == nil {
		return nil // not bound: the app event is all there is
	}
	var p ledger.NoticePayload
	if err := json.Unmarshal([]byte(notice.Payload), &p); err != nil {
		return err
	}
	return n.wechat.SendSubscribe(ctx, wechat.Subscribe{OpenID: *h.WeChatOpenID, TemplateID: template, Page: "pages/index/index",
		Data: map[string]string{
			"amount":  yuan(p.AmountFen),
			"balance": yuan(p.BalanceAfterFen),
			"place":   p.Merchant,
			"time":    p.CreatedAt.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04"),
		}})
}

// yuan formats fen as yuan for people: -1250 -> "-12.50".
func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}
