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

func TestConcurrentIssuesLeaveOneActiveCard(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		l, _ := newLedger(t, db)
		w := newWorld(t, l, "cards", 1)
		ctx := context.Background()
		h := w.holders[0]
		if _, err := l.IssueCard(ctx, w.school.ID, h.ID, "C0000000"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := 1; i <= 6; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, err := l.IssueCard(ctx, w.school.ID, h.ID, fmt.Sprintf("C%07d", i))
				if err != nil && ledger.ErrorCode(err) != ledger.CodeConflict {
					t.Errorf("issue %d: %v", i, err)
				}
			}(i)
		}
		wg.Wait()
		var active int64
		db.Raw(`SELECT COUNT(*) FROM cards WHERE holder_id = ? AND status = 'active'`, h.ID).Scan(&active)
		if active != 1 {
			t.Fatalf("%d active cards", active)
		}
		// Another school's terminal does not know the card.
		other := newWorld(t, l, "other", 0)
		c, err := l.CardByUID(ctx, "c0000000")
		if err != nil || c.Status != ledger.CardReplaced {
			t.Fatalf("first card: %+v %v", c, err)
		}
		if _, _, err := l.CardHolder(ctx, other.school.ID, "C0000000"); ledger.ErrorCode(err) != ledger.CodeCardInvalid {
			t.Fatalf("other school: %v", err)
		}
		mustVerify(t, l, 0)
	})
}

func TestVerifyRefusesAPurseBelowTheOfflineCap(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		l, _ := newLedger(t, db)
		w := newWorld(t, l, "cap", 1)
		ctx := context.Background()
		h := w.holders[0]
		if _, err := l.IssueCard(ctx, w.school.ID, h.ID, "CA000001"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := l.CreateTerminal(ctx, ledger.NewTerminal{SchoolID: w.school.ID, ID: "shower-1", Kind: ledger.TerminalPOS, MerchantID: &w.merchant.ID}); err != nil {
			t.Fatal(err)
		}
		status, err := l.SettleOffline(ctx, ledger.OfflineRecord{SchoolID: w.school.ID, TerminalID: "shower-1", MerchantID: w.merchant.ID,
			CardUID: "CA000001", Counter: 1, AmountFen: 1500, OccurredAt: w.school.CreatedAt})
		if err != nil || status != ledger.OfflineSettled {
			t.Fatalf("settle: %s %v", status, err)
		}
		mustVerify(t, l, w.school.ID) // -1500 with its debt recorded, within the cap of 5000
		if err := db.Exec(`UPDATE schools SET offline_cap_per_holder_fen = 1000 WHERE id = ?`, w.school.ID).Error; err != nil {
			t.Fatal(err)
		}
		r, err := l.Verify(ctx, w.school.ID)
		if err != nil || r.OK {
			t.Fatalf("a purse beyond the cap passed verify: %+v %v", r, err)
		}
	})
}
