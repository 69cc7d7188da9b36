package ledger

import "context"

// Balances are a holder's four accounts, net of holds.
type Balances struct {
	WalletFen  int64 `json:"wallet_fen"`
	SubsidyFen int64 `json:"subsidy_fen"`
	PendingFen int64 `json:"pending_fen"`
	PurseFen   int64 `json:"purse_fen"`
}

// HolderBalances reads a holder's balances, available after holds.
func (l *Ledger) HolderBalances(ctx context.Context, holderID int64) (Balances, error) {
	all, err := l.BalancesOf(ctx, []int64{holderID})
	if err != nil {
		return Balances{}, err
	}
	b, found := all[holderID]
	if !found {
		return Balances{}, refuse(CodeNotFound, "holder not found")
	}
	return b, nil
}

// SpentToday is what the holder spent on the school's current day.
func (l *Ledger) SpentToday(ctx context.Context, h Holder, timezone string) (int64, error) {
	var spent []int64
	err := l.db.WithContext(ctx).Raw(`SELECT spent_fen FROM spending_days WHERE holder_id = ? AND day = ?`,
		h.ID, SchoolDay(timezone, l.now())).Scan(&spent).Error
	if err != nil || len(spent) == 0 {
		return 0, err
	}
	return spent[0], nil
}
