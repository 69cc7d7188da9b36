package ledger_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
)

// chipCase is one holder with a card and money waiting for it.
type chipCase struct {
	t      *testing.T
	l      *ledger.Ledger
	clk    *clock
	w      world
	holder ledger.Holder
}

func newChipCase(t *testing.T, db *gorm.DB, school, uid string, pendingFen int64) chipCase {
	l, clk := newLedger(t, db)
	w := newWorld(t, l, school, 1)
	c := chipCase{t: t, l: l, clk: clk, w: w, holder: w.holders[0]}
	if _, err := l.IssueCard(context.Background(), w.school.ID, c.holder.ID, uid); err != nil {
		t.Fatal(err)
	}
	c.topUp("first", pendingFen)
	return c
}

func (c chipCase) topUp(key string, amount int64) {
	c.t.Helper()
	if _, err := c.l.TopUp(context.Background(), ledger.TopUp{Key: c.w.school.Code + ":" + key, SchoolID: c.w.school.ID, HolderID: c.holder.ID,
		Channel: ledger.Sandbox, AmountFen: amount, ToCard: true}); err != nil {
		c.t.Fatal(err)
	}
}

// claim asks for a write and answers its hold (0: none granted).
func (c chipCase) claim(key string, chip int64) (int64, int64) {
	c.t.Helper()
	e, found, err := c.l.ClaimPending(context.Background(), "tgw:pos-1:"+c.w.school.Code+":"+key, c.w.school.ID, c.holder.ID, chip)
	if err != nil {
		c.t.Fatal(err)
	}
	if !found {
		return 0, 0
	}
	return e.ID, e.AmountFen
}

func (c chipCase) timeout() {
	c.t.Helper()
	c.clk.Advance(ledger.ChipWriteTTL + time.Second)
	if _, err := c.l.VoidExpiredHolds(context.Background(), 100); err != nil {
		c.t.Fatal(err)
	}
}

func (c chipCase) balances(wantPending, wantPurse int64) {
	c.t.Helper()
	b, err := c.l.HolderBalances(context.Background(), c.holder.ID)
	if err != nil {
		c.t.Fatal(err)
	}
	if b.PendingFen != wantPending || b.PurseFen != wantPurse {
		c.t.Fatalf("pending %d, purse %d; want %d, %d", b.PendingFen, b.PurseFen, wantPending, wantPurse)
	}
	mustVerify(c.t, c.l, c.w.school.ID)
}

// A write that timed out may be on the chip: until the terminal confirms it
// or the chip shows its last write, the money is not reserved for another.
func TestTimedOutWriteIsNotWrittenAgainUntilSettled(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		c := newChipCase(t, db, "chips", "C1000001", 5000)
		first, amount := c.claim("a", 0)
		if first == 0 || amount != 5000 {
			t.Fatalf("first claim: hold %d, %d fen", first, amount)
		}
		c.timeout() // written, but the confirmation is lost
		c.topUp("second", 1000)
		if hold, _ := c.claim("b", ledger.ChipNotRead); hold != 0 {
			t.Fatalf("claimed %d while write %d may be on the chip", hold, first)
		}
		if _, err := c.l.ReserveChipWrite(ctx, "tgw:kiosk:t", c.w.school.ID, c.holder.ID, ledger.ChipNotRead,
			ledger.Wallet, ledger.Purse, 100); ledger.ErrorCode(err) != ledger.CodeConflict {
			t.Fatalf("kiosk transfer while unsettled: %v", err)
		}
		c.balances(6000, 0)
		// The confirmation arrives late: the ledger follows the chip, once.
		for range 2 {
			if _, err := c.l.ConfirmChipWrite(ctx, c.w.school.ID, first, true, "tgw:pos-1:"); err != nil {
				t.Fatal(err)
			}
		}
		c.balances(1000, 5000)
		if hold, amount := c.claim("c", ledger.ChipNotRead); hold == 0 || amount != 1000 {
			t.Fatalf("after the late confirmation: hold %d, %d fen", hold, amount)
		}
	})
}

// The chip's own record settles a timed-out write either way.
func TestChipRecordSettlesATimedOutWrite(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		t.Run("written", func(t *testing.T) {
			c := newChipCase(t, db, "chips-w", "C2000001", 5000)
			first, _ := c.claim("a", 0)
			c.timeout()
			c.topUp("second", 1000)
			hold, amount := c.claim("b", first) // the chip shows the write
			if hold == 0 || amount != 1000 {
				t.Fatalf("claim after the chip showed %d: hold %d, %d fen", first, hold, amount)
			}
			c.balances(0, 5000) // the 1000 fen are reserved for the new write
		})
		t.Run("not written", func(t *testing.T) {
			c := newChipCase(t, db, "chips-n", "C3000001", 5000)
			first, _ := c.claim("a", 0)
			c.timeout()
			hold, amount := c.claim("b", 0) // the chip records no write: the first was never made
			if hold == 0 || amount != 5000 {
				t.Fatalf("claim after the chip showed none: hold %d, %d fen", hold, amount)
			}
			// A terminal now saying the first was written contradicts the
			// card; the ledger keeps to the card.
			if _, err := c.l.ConfirmChipWrite(ctx, c.w.school.ID, first, true, "tgw:pos-1:"); ledger.ErrorCode(err) != ledger.CodeConflict {
				t.Fatalf("late confirmation against the card: %v", err)
			}
			if _, err := c.l.ConfirmChipWrite(ctx, c.w.school.ID, hold, true, "tgw:pos-1:"); err != nil {
				t.Fatal(err)
			}
			c.balances(0, 5000)
		})
	})
}

// A write to a card that was since replaced does not hold back the new card.
func TestNewCardIsNotHeldBackByTheOldCardsWrite(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		c := newChipCase(t, db, "chips", "C1000001", 5000)
		if first, _ := c.claim("a", 0); first == 0 {
			t.Fatal("no claim")
		}
		c.timeout()
		c.clk.Advance(time.Second)
		if _, err := c.l.IssueCard(context.Background(), c.w.school.ID, c.holder.ID, "C1000002"); err != nil {
			t.Fatal(err)
		}
		if hold, amount := c.claim("b", ledger.ChipNotRead); hold == 0 || amount != 5000 {
			t.Fatalf("new card: hold %d, %d fen", hold, amount)
		}
	})
}

// Tills racing for one card get one write between them.
func TestConcurrentClaimsGrantOneWrite(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		c := newChipCase(t, db, "chips", "C1000001", 5000)
		const tills = 8
		var wg sync.WaitGroup
		granted := make(chan int64, tills)
		for i := range tills {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Each also brings new money, so a second reservation would find funds.
				c.topUp(fmt.Sprintf("race-%d", i), 100)
				e, found, err := c.l.ClaimPending(context.Background(), fmt.Sprintf("tgw:pos-%d:r", i), c.w.school.ID, c.holder.ID, ledger.ChipNotRead)
				if err != nil {
					t.Error(err)
				}
				if found {
					granted <- e.ID
				}
			}()
		}
		wg.Wait()
		close(granted)
		if n := len(granted); n != 1 {
			t.Fatalf("%d writes granted at once, want 1", n)
		}
		mustVerify(t, c.l, c.w.school.ID)
	})
}
