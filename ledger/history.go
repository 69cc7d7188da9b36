package ledger

import (
	"context"
	"strings"
	"time"
)

// HistoryKinds are the entries a holder sees in their history.
var HistoryKinds = []string{EntryTopup, EntryPayment, EntryRefund, EntryGrant, EntryMove, EntryPost}

// HistoryFilter narrows a holder's history. BeforeID is the cursor: the id of
// the last item of the previous page.
type HistoryFilter struct {
	Kinds    []string
	From, To *time.Time
	BeforeID int64
	Limit    int
}

// HistoryItem is one line of a holder's history. AmountFen is negative when
// the holder's spendable balance went down.
type HistoryItem struct {
	ID              int64     `json:"id"`
	Kind            string    `json:"kind"`
	AmountFen       int64     `json:"amount"`
	BalanceAfterFen int64     `json:"balance_after"`
	Merchant        string    `json:"merchant,omitempty"`
	Terminal        string    `json:"terminal,omitempty"`
	Channel         string    `json:"channel,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
}

// MaxHistoryPage bounds one page.
const MaxHistoryPage = 100

// History lists a holder's entries, newest first, one page at a time.
func (l *Ledger) History(ctx context.Context, holderID int64, f HistoryFilter) ([]HistoryItem, error) {
	if f.Limit <= 0 || f.Limit > MaxHistoryPage {
		return nil, refuse(CodeInvalidRequest, "limit must be 1 to %d", MaxHistoryPage)
	}
	kinds := f.Kinds
	if len(kinds) == 0 {
		kinds = HistoryKinds
	}
	for _, k := range kinds {
		if !contains(HistoryKinds, k) {
			return nil, refuse(CodeInvalidRequest, "unknown kind %q", k)
		}
	}
	q := l.db.WithContext(ctx).Table("entries e").
		Select("e.id, e.kind, e.channel, e.amount_fen, e.balance_after_fen, e.terminal_id, e.created_at, m.name AS merchant").
		Joins("LEFT JOIN merchants m ON m.id = e.merchant_id").
		Where("e.holder_id = ? AND e.kind IN ?", holderID, kinds)
	if f.BeforeID > 0 {
		q = q.Where("e.id < ?", f.BeforeID)
	}
	if f.From != nil {
		q = q.Where("e.created_at >= ?", f.From.UTC())
	}
	if f.To != nil {
		q = q.Where("e.created_at < ?", f.To.UTC())
	}
	var rows []struct {
		ID              int64
		Kind            string
		Channel         string
		AmountFen       int64
		BalanceAfterFen int64
		TerminalID      *string
		CreatedAt       time.Time
		Merchant        *string
	}
	if err := q.Order("e.id DESC").Limit(f.Limit).Scan(&rows).Error; err != nil {
		return nil, err
	}
	items := make([]HistoryItem, 0, len(rows))
	for _, r := range rows {
		it := HistoryItem{ID: r.ID, Kind: r.Kind, AmountFen: r.AmountFen, BalanceAfterFen: r.BalanceAfterFen,
			Channel: r.Channel, CreatedAt: r.CreatedAt.UTC()}
		if r.Merchant != nil {
			it.Merchant = *r.Merchant
		}
		if r.TerminalID != nil {
			it.Terminal = *r.TerminalID
		}
		if spendsBalance(r.Kind, r.Channel) {
			it.AmountFen = -it.AmountFen
		}
		items = append(items, it)
	}
	return items, nil
}

// spendsBalance says whether an entry lowered the holder's spendable balance:
// a payment, a move out of the wallet, a payout at closing, or subsidy going
// back to the fund.
func spendsBalance(kind, channel string) bool {
	switch kind {
	case EntryPayment:
		return true
	case EntryGrant: // subsidy going back to the fund
		return channel == ChannelSubsidyExpiry || channel == ChannelSubsidyReturn
	case EntryMove, EntryPost:
		return strings.HasPrefix(channel, string(Wallet)+">") || strings.HasPrefix(channel, ChannelPayout)
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
