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
