package ledger_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
)

// TestCloseRacesPaymentsAndItself: closings of one holder racing each other
// and payments give one closing, pay out
// exactly what was left, and Verify holds.
func TestCloseRacesPaymentsAndItself(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		l, _ := newLedger(t, db)
		w := newWorld(t, l, "close", 2)
		h := w.holders[0]
		if _, err := l.TopUp(ctx, ledger.TopUp{Key: "t", SchoolID: w.school.ID, HolderID: h.ID, Channel: ledger.Cash, AmountFen: 5000}); err != nil {
			t.Fatal(err)
		}
		batchOf(t, l, w, "b", ledger.SubsidyRequest{Number: h.Number, AmountFen: 700, ExpiresAt: "2099-01-01"},
			ledger.SubsidyRequest{Number: w.holders[1].Number, AmountFen: 700, ExpiresAt: "2099-01-01"})
		var wg sync.WaitGroup
		closings := make([]ledger.Closing, 4)
		var mu sync.Mutex
		var paid int64
		for i := 0; i < 4; i++ {
			wg.Add(2)
			go func(i int) {
				defer wg.Done()
				c, err := l.CloseHolder(ctx, ledger.CloseAccount{HolderID: h.ID, Method: "cash", By: "test"})
				if err != nil {
					t.Error(err)
				}
				closings[i] = c
			}(i)
			go func(i int) {
				defer wg.Done()
				_, err := l.Pay(ctx, ledger.Payment{Key: fmt.Sprint("p", i), SchoolID: w.school.ID, HolderID: h.ID,
					MerchantID: w.merchant.ID, AmountFen: 300, PIN: "123450"})
				switch ledger.ErrorCode(err) {
				case "":
					mu.Lock()
					paid += 300
					mu.Unlock()
				case ledger.CodeAccountClosed, ledger.CodeInsufficientFunds:
				default:
					t.Error(err)
				}
			}(i)
		}
		wg.Wait()
		for _, c := range closings[1:] {
			if c.Receipt != closings[0].Receipt {
				t.Fatalf("one closing: %+v", closings)
			}
		}
		c := closings[0]
		if c.WalletRefundFen+c.SubsidyReturnedFen+paid != 5700 {
			t.Fatalf("paid %d, closing %+v", paid, c)
		}
		if b, _ := l.HolderBalances(ctx, h.ID); b != (ledger.Balances{}) {
			t.Fatalf("left after closing: %+v", b)
		}
		if _, err := l.TopUp(ctx, ledger.TopUp{Key: "late", SchoolID: w.school.ID, HolderID: h.ID, Channel: ledger.Cash, AmountFen: 1}); ledger.ErrorCode(err) != ledger.CodeAccountClosed {
			t.Fatalf("a closed account takes no top-up: %v", err)
		}
		mustVerify(t, l, 0)
	})
}

// TestCloseSettlesOfflinePurseDebt: a purse overdrawn by offline spending is
// settled from the wallet before the rest is paid out.
func TestCloseSettlesOfflinePurseDebt(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		l, _ := newLedger(t, db)
		w := newWorld(t, l, "debt", 1)
		h := w.holders[0]
		if _, _, err := l.CreateTerminal(ctx, ledger.NewTerminal{SchoolID: w.school.ID, ID: "shower-1", Kind: ledger.TerminalPOS, MerchantID: &w.merchant.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := l.IssueCard(ctx, w.school.ID, h.ID, "CAFE0001"); err != nil {
			t.Fatal(err)
		}
		if _, err := l.TopUp(ctx, ledger.TopUp{Key: "t", SchoolID: w.school.ID, HolderID: h.ID, Channel: ledger.Cash, AmountFen: 1000}); err != nil {
			t.Fatal(err)
		}
		if out, err := l.SettleOffline(ctx, ledger.OfflineRecord{SchoolID: w.school.ID, TerminalID: "shower-1", MerchantID: w.merchant.ID,
			CardUID: "CAFE0001", Counter: 1, AmountFen: 300}); err != nil || out != ledger.OfflineSettled {
			t.Fatalf("offline: %s %v", out, err)
		}
		c, err := l.CloseHolder(ctx, ledger.CloseAccount{HolderID: h.ID, Method: "bank", By: "test"})
		if err != nil || c.WalletRefundFen != 700 || c.PurseRefundFen != 0 {
			t.Fatalf("close: %+v %v", c, err)
		}
		if b, _ := l.HolderBalances(ctx, h.ID); b != (ledger.Balances{}) {
			t.Fatalf("left after closing: %+v", b)
		}
		mustVerify(t, l, 0)
	})
}
