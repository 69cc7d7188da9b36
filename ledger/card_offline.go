package ledger

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// OfflineRecord is one purse debit a till made while offline, as uploaded.
type OfflineRecord struct {
	SchoolID   int64
	TerminalID string
	MerchantID int64
	CardUID    string
	// Counter is the card's transaction counter after the debit; it grows by
	// one with every debit the chip makes, at any terminal.
	Counter    int64
	AmountFen  int64
	OccurredAt time.Time
}

// Outcomes of an offline record.
const (
	OfflineSettled   = "settled"
	OfflineDuplicate = "duplicate"
	OfflineRefused   = "refused"
)

// offlineRow is a settled offline record.
type offlineRow struct {
	ID         int64
	SchoolID   int64
	TerminalID string
	CardID     int64
	HolderID   int64
	Counter    int64
	AmountFen  int64
	DebtFen    int64
	EntryID    int64
	OccurredAt time.Time
	CreatedAt  time.Time
}

func (offlineRow) TableName() string { return "offline_records" }

// OfflineAnomaly is a gap or repeat in a card's counter, for the card office.
type OfflineAnomaly struct {
	ID         int64     `json:"-"`
	SchoolID   int64     `json:"-"`
	TerminalID string    `json:"terminal"`
	CardUID    string    `json:"card_uid"`
	Counter    int64     `json:"counter"`
	Kind       string    `json:"kind"`
	Detail     string    `json:"detail"`
	CreatedAt  time.Time `json:"created_at"`
}

// SettleOffline settles one offline record against the card's purse, once per
// (terminal, card, counter). The purse may go below zero only when the amount
// is within the school's offline cap per payment and the purse stays within
// its offline cap per holder; the overdraft is recorded as the record's debt.
// A replaced or lost card still settles: the till took it before it heard.
// It answers the outcome and, for a refusal, the error.
func (l *Ledger) SettleOffline(ctx context.Context, r OfflineRecord) (string, error) {
	if err := validAmount(r.AmountFen); err != nil {
		return OfflineRefused, err
	}
	if r.Counter < 0 {
		return OfflineRefused, refuse(CodeInvalidRequest, "counter must not be negative")
	}
	card, err := l.CardByUID(ctx, r.CardUID)
	if err != nil || card.SchoolID != r.SchoolID {
		return OfflineRefused, refuse(CodeCardInvalid, "no such card")
	}
	key := fmt.Sprintf("offline:%s:%d:%d", r.TerminalID, card.ID, r.Counter)
	e := &Entry{SchoolID: r.SchoolID, IdempotencyKey: key, Kind: EntryPayment, Channel: "offline", HolderID: &card.HolderID,
		MerchantID: &r.MerchantID, TerminalID: &r.TerminalID, AmountFen: r.AmountFen, Memo: "脱机消费 offline purse debit",
		Fingerprint: fingerprint("offline", r.SchoolID, card.ID, r.MerchantID, r.AmountFen)}
	if prior, found, err := l.entryByKey(ctx, key); err != nil {
		return OfflineRefused, err
	} else if found {
		if _, err := sameRequest(prior, e); err != nil {
			l.noteAnomaly(ctx, r, "repeat", fmt.Sprintf("counter %d uploaded again with another amount (%d fen)", r.Counter, r.AmountFen))
			return OfflineRefused, err
		}
		return OfflineDuplicate, nil
	}
	school, err := l.SchoolByID(ctx, r.SchoolID)
	if err != nil {
		return OfflineRefused, err
	}
	prior, err := l.recordNew(ctx, e, func(tx *gorm.DB, e *Entry) error {
		if _, err := l.liveHolder(tx, r.SchoolID, card.HolderID); err != nil {
			return err
		}
		accts, err := l.holderAccounts(tx, card.HolderID, Purse)
		if err != nil {
			return err
		}
		merchant, err := l.merchantAccount(tx, r.MerchantID)
		if err != nil {
			return err
		}
		purse := accts[Purse]
		overdraft := int64(0)
		if r.AmountFen <= school.OfflineCapPerPaymentFen {
			overdraft = school.OfflineCapPerHolderFen
		}
		balances, err := l.post(tx, e, []leg{{from: purse, to: merchant, amount: r.AmountFen, overdraft: overdraft}})
		if err != nil {
			return err
		}
		after := balances[purse.ID]
		debt := min(r.AmountFen, max(0, -after)) - min(r.AmountFen, max(0, -(after+r.AmountFen)))
		if err := l.offlineAnomalies(tx, r, card); err != nil {
			return err
		}
		row := offlineRow{SchoolID: r.SchoolID, TerminalID: r.TerminalID, CardID: card.ID, HolderID: card.HolderID,
			Counter: r.Counter, AmountFen: r.AmountFen, DebtFen: debt, EntryID: e.ID, OccurredAt: r.OccurredAt.UTC(), CreatedAt: e.CreatedAt}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return l.setBalanceAfter(tx, e, card.HolderID)
	})
	if err != nil {
		return OfflineRefused, err
	}
	if prior.ID != e.ID {
		return OfflineDuplicate, nil // a concurrent upload of the same record won
	}
	return OfflineSettled, nil
}

// offlineAnomalies notes a repeat (the same counter from another terminal)
// and a gap (counters skipped since the highest one seen) of a card.
func (l *Ledger) offlineAnomalies(tx *gorm.DB, r OfflineRecord, card Card) error {
	var seen []struct {
		TerminalID string
		Counter    int64
	}
	if err := tx.Raw(`SELECT terminal_id, counter FROM offline_records WHERE card_id = ? AND (counter = ? OR counter = (SELECT MAX(counter) FROM offline_records WHERE card_id = ?))`,
		card.ID, r.Counter, card.ID).Scan(&seen).Error; err != nil {
		return err
	}
	highest := int64(-1)
	for _, s := range seen {
		if s.Counter == r.Counter {
			if err := l.addAnomaly(tx, r, "repeat", fmt.Sprintf("counter %d also uploaded by %s", r.Counter, s.TerminalID)); err != nil {
				return err
			}
		}
		highest = max(highest, s.Counter)
	}
	if highest >= 0 && r.Counter > highest+1 {
		return l.addAnomaly(tx, r, "gap", fmt.Sprintf("counters %d to %d missing", highest+1, r.Counter-1))
	}
	return nil
}

func (l *Ledger) addAnomaly(tx *gorm.DB, r OfflineRecord, kind, detail string) error {
	a := OfflineAnomaly{SchoolID: r.SchoolID, TerminalID: r.TerminalID, CardUID: r.CardUID, Counter: r.Counter,
		Kind: kind, Detail: detail, CreatedAt: l.now()}
	return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&a).Error
}

// noteAnomaly records an anomaly outside a settlement; losing it only costs a
// line in the office's report, so its error is not the till's problem.
func (l *Ledger) noteAnomaly(ctx context.Context, r OfflineRecord, kind, detail string) {
	_ = l.addAnomaly(l.db.WithContext(ctx), r, kind, detail)
}

// OfflineAnomalies lists a school's anomalies, newest first.
func (l *Ledger) OfflineAnomalies(ctx context.Context, schoolID, beforeID int64, limit int) ([]OfflineAnomaly, error) {
	if limit <= 0 || limit > 100 {
		return nil, refuse(CodeInvalidRequest, "limit must be 1 to 100")
	}
	q := l.db.WithContext(ctx).Where("school_id = ?", schoolID)
	if beforeID > 0 {
		q = q.Where("id < ?", beforeID)
	}
	var rows []OfflineAnomaly
	return rows, q.Order("id DESC").Limit(limit).Find(&rows).Error
}
