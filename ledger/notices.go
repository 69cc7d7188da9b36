package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"gorm.io/gorm"
)

// Notice is an outbox row: written in the transaction that moved the money,
// delivered at least once afterwards (an app event, a WeChat message).
type Notice struct {
	ID            int64      `json:"id"`
	SchoolID      int64      `json:"school_id"`
	HolderID      int64      `json:"holder_id"`
	EntryID       *int64     `json:"entry_id,omitempty"`
	Kind          string     `json:"kind"`
	Payload       string     `json:"payload"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt time.Time  `json:"next_attempt_at"`
	SentAt        *time.Time `json:"sent_at,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
}

// NoticePayload is what a holder is told about an entry.
type NoticePayload struct {
	EntryID         int64     `json:"entry_id"`
	Kind            string    `json:"kind"`
	AmountFen       int64     `json:"amount"`
	BalanceAfterFen int64     `json:"balance_after"`
	Merchant        string    `json:"merchant,omitempty"`
	Terminal        string    `json:"terminal,omitempty"`
	Channel         string    `json:"channel,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
}

// notifyKinds are the entries a holder hears about, under the event name the
// app knows.
var notifyKinds = map[string]string{
	EntryTopup: "topup", EntryPayment: "payment", EntryRefund: "refund", EntryGrant: "subsidy",
	// Every other movement of a holder's money (a transfer between the
	// wallet and the card, a claim onto the chip, its confirmation or void,
	// a payout at closing) is a "balance" event naming the entry kind, so
	// the app's home refreshes on each.
	EntryMove: "balance", EntryReserve: "balance", EntryPost: "balance", EntryVoid: "balance",
}

func (l *Ledger) notify(tx *gorm.DB, e *Entry) error {
	event, ok := notifyKinds[e.Kind]
	if !ok || e.HolderID == nil {
		return nil
	}
	kind := event
	if event == "balance" {
		kind = e.Kind
	}
	p := NoticePayload{EntryID: e.ID, Kind: kind, AmountFen: e.AmountFen, BalanceAfterFen: e.BalanceAfterFen,
		Merchant: e.MerchantName, Channel: e.Channel, CreatedAt: e.CreatedAt}
	if e.TerminalID != nil {
		p.Terminal = *e.TerminalID
	}
	if e.Kind == EntryPayment {
		p.AmountFen = -e.AmountFen
	}
	raw, _ := json.Marshal(p)
	return tx.Create(&Notice{SchoolID: e.SchoolID, HolderID: *e.HolderID, EntryID: &e.ID, Kind: event,
		Payload: string(raw), NextAttemptAt: e.CreatedAt, CreatedAt: e.CreatedAt}).Error
}

// AddNotice queues a notice that is not about money (a gate passage, a loss report).
func (l *Ledger) AddNotice(ctx context.Context, schoolID, holderID int64, kind string, payload any) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	now := l.now()
	return l.db.WithContext(ctx).Create(&Notice{SchoolID: schoolID, HolderID: holderID, Kind: kind,
		Payload: string(raw), NextAttemptAt: now, CreatedAt: now}).Error
}

// maxNoticeAttempts bounds retries; after it a notice is left for the office.
const maxNoticeAttempts = 20

// ClaimNotices leases up to limit due notices for lease: another sender will
// not take them until the lease runs out. Claiming is a conditional update,
// so two nodes never send the same notice at the same time.
func (l *Ledger) ClaimNotices(ctx context.Context, limit int, lease time.Duration) ([]Notice, error) {
	if limit <= 0 || limit > 1000 {
		return nil, errors.New("ledger: claim 1 to 1000 notices")
	}
	now := l.now()
	var due []Notice
	if err := l.db.WithContext(ctx).Where("sent_at IS NULL AND next_attempt_at <= ? AND attempts < ?", now, maxNoticeAttempts).
		Order("next_attempt_at, id").Limit(limit).Find(&due).Error; err != nil {
		return nil, err
	}
	claimed := due[:0]
	for _, n := range due {
		res := l.db.WithContext(ctx).Model(&Notice{}).
			Where("id = ? AND sent_at IS NULL AND next_attempt_at = ?", n.ID, n.NextAttemptAt).
			Updates(map[string]any{"next_attempt_at": now.Add(lease), "attempts": gorm.Expr("attempts + 1")})
		if res.Error != nil {
			return nil, res.Error
		}
		if res.RowsAffected == 1 {
			n.Attempts++
			claimed = append(claimed, n)
		}
	}
	return claimed, nil
}

// NoticeSent marks a notice delivered.
func (l *Ledger) NoticeSent(ctx context.Context, id int64) error {
	return l.db.WithContext(ctx).Model(&Notice{}).Where("id = ? AND sent_at IS NULL", id).
		Updates(map[string]any{"sent_at": l.now(), "last_error": ""}).Error
}

// NoticeFailed schedules another attempt with exponential backoff.
func (l *Ledger) NoticeFailed(ctx context.Context, n Notice, cause error) error {
	backoff := time.Duration(1<<min(n.Attempts, 10)) * time.Second
	msg := cause.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	return l.db.WithContext(ctx).Model(&Notice{}).Where("id = ? AND sent_at IS NULL", n.ID).
		Updates(map[string]any{"next_attempt_at": l.now().Add(backoff), "last_error": msg}).Error
}
