package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
)

func batchOf(t testing.TB, l *ledger.Ledger, w world, key string, lines ...ledger.SubsidyRequest) ledger.SubsidyBatch {
	t.Helper()
	b, _, err := l.IssueSubsidies(context.Background(), ledger.NewSubsidyBatch{SchoolID: w.school.ID, Name: "九月餐补", Key: key,
		CreatedBy: "test", Lines: lines})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func lineState(t testing.TB, l *ledger.Ledger, batchID int64) map[string][4]int64 {
	t.Helper()
	lines, err := l.SubsidyLines(context.Background(), batchID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][4]int64{}
	for _, ln := range lines {
		out[fmt.Sprint(ln.LineNo)] = [4]int64{ln.SpentFen, ln.ExpiredFen, ln.ReturnedFen, ln.RemainingFen}
	}
	return out
}

// TestSubsidySpentFirstFIFO: subsidy goes before the wallet, the line that
// expires first goes first, a refund gives back to the lines its payment
// used, and an expired remainder returns to the fund once.
func TestSubsidySpentFirstFIFO(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		l, clk := newLedger(t, db)
		w := newWorld(t, l, "fifo", 1)
		h := w.holders[0]
		if _, err := l.TopUp(ctx, ledger.TopUp{Key: "t1", SchoolID: w.school.ID, HolderID: h.ID, Channel: ledger.Cash, AmountFen: 1000}); err != nil {
			t.Fatal(err)
		}
		b := batchOf(t, l, w, "b1",
			ledger.SubsidyRequest{Number: h.Number, AmountFen: 500, ExpiresAt: "2026-09-10"},
		)
		b2 := batchOf(t, l, w, "b2",
			ledger.SubsidyRequest{Number: h.Number, AmountFen: 300, ExpiresAt: "2026-09-05T00:00:00Z"},
		)
		pay, err := l.Pay(ctx, ledger.Payment{Key: "p1", SchoolID: w.school.ID, HolderID: h.ID, MerchantID: w.merchant.ID, AmountFen: 400, PIN: "123450"})
		if err != nil {
			t.Fatal(err)
		}
		if got := lineState(t, l, b2.ID)["1"]; got != [4]int64{300, 0, 0, 0} {
			t.Fatalf("the earlier expiry is spent first: %v", got)
		}
		if got := lineState(t, l, b.ID)["1"]; got != [4]int64{100, 0, 0, 400} {
			t.Fatalf("then the later one: %v", got)
		}
		if bal, _ := l.HolderBalances(ctx, h.ID); bal.WalletFen != 1000 || bal.SubsidyFen != 400 {
			t.Fatalf("the wallet is untouched while subsidy lasts: %+v", bal)
		}
		// The refund goes to the subsidy (the payment used no wallet), to the
		// latest-expiring line first.
		if _, err := l.Refund(ctx, ledger.Refund{Key: "r1", PaymentID: pay.ID, AmountFen: 150}); err != nil {
			t.Fatal(err)
		}
		if a, c := lineState(t, l, b.ID)["1"], lineState(t, l, b2.ID)["1"]; a != [4]int64{0, 0, 0, 500} || c != [4]int64{250, 0, 0, 50} {
			t.Fatalf("refund restores the lines: %v %v", a, c)
		}
		mustVerify(t, l, 0)

		// Past the first expiry: its 50 can no longer be spent, and the job
		// returns it to the fund once.
		clk.Advance(5 * 24 * time.Hour)
		if _, err := l.Pay(ctx, ledger.Payment{Key: "p2", SchoolID: w.school.ID, HolderID: h.ID, MerchantID: w.merchant.ID, AmountFen: 520, PIN: "123450"}); err != nil {
			t.Fatal(err)
		}
		if bal, _ := l.HolderBalances(ctx, h.ID); bal.WalletFen != 980 || bal.SubsidyFen != 50 {
			t.Fatalf("expired subsidy is not spent: %+v", bal)
		}
		for run, want := range []int64{50, 0} {
			n, fen, err := l.ExpireSubsidies(ctx, 100)
			if err != nil || fen != want || (want > 0) != (n == 1) {
				t.Fatalf("expiry run %d: %d lines %d fen %v, want %d fen", run, n, fen, err, want)
			}
		}
		got, err := l.SubsidyBatch(ctx, b2.ID)
		if err != nil || got.IssuedFen != 300 || got.SpentFen != 250 || got.ExpiredFen != 50 || got.RemainingFen != 0 {
			t.Fatalf("batch report: %+v %v", got, err)
		}
		if bal, _ := l.HolderBalances(ctx, h.ID); bal.SubsidyFen != 0 {
			t.Fatalf("subsidy after expiry: %+v", bal)
		}
		// History shows the expiry as money leaving.
		items, err := l.History(ctx, h.ID, ledger.HistoryFilter{Limit: 1})
		if err != nil || len(items) != 1 || items[0].Channel != ledger.ChannelSubsidyExpiry || items[0].AmountFen != -50 {
			t.Fatalf("history: %+v %v", items, err)
		}
		mustVerify(t, l, 0)
	})
}

// TestSubsidyBatchAllOrNothing: bad lines are all reported and nothing is
// issued; a repeated key answers the first batch; a reused key is refused.
func TestSubsidyBatchAllOrNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		l, _ := newLedger(t, db)
		w := newWorld(t, l, "batch", 2)
		good := ledger.SubsidyRequest{Number: w.holders[0].Number, AmountFen: 100, ExpiresAt: "2026-12-31"}
		_, _, err := l.IssueSubsidies(ctx, ledger.NewSubsidyBatch{SchoolID: w.school.ID, Key: "k", Lines: []ledger.SubsidyRequest{
			good,
			{Number: "nobody", AmountFen: 100, ExpiresAt: "2026-12-31"},
			{Number: w.holders[1].Number, AmountFen: 0, ExpiresAt: "2026-12-31"},
			{Number: w.holders[1].Number, AmountFen: 10, ExpiresAt: "2020-01-01"},
		}})
		var be *ledger.BatchError
		if !errors.As(err, &be) || len(be.Lines) != 3 || ledger.ErrorCode(err) != ledger.CodeInvalidRequest {
			t.Fatalf("want every bad line: %v", err)
		}
		if list, _ := l.SubsidyBatches(ctx, w.school.ID, 0, 10); len(list) != 0 {
			t.Fatalf("nothing issued: %+v", list)
		}
		first := batchOf(t, l, w, "k", good)
		again := batchOf(t, l, w, "k", good)
		if again.ID != first.ID || again.IssuedFen != 100 {
			t.Fatalf("the same key answers the first batch: %+v %+v", first, again)
		}
		if bal, _ := l.HolderBalances(ctx, w.holders[0].ID); bal.SubsidyFen != 100 {
			t.Fatalf("issued once: %+v", bal)
		}
		_, _, err = l.IssueSubsidies(ctx, ledger.NewSubsidyBatch{SchoolID: w.school.ID, Key: "k", Name: "九月餐补",
			Lines: []ledger.SubsidyRequest{{Number: w.holders[1].Number, AmountFen: 100, ExpiresAt: "2026-12-31"}}})
		if ledger.ErrorCode(err) != ledger.CodeConflict {
			t.Fatalf("a key reused for another batch: %v", err)
		}
		mustVerify(t, l, 0)
	})
}

// TestSubsidyConcurrentModel throws batches, payments, refunds and expiry
// runs at a few holders at once while the clock moves, then checks Verify,
// every line's arithmetic, and each holder's spendable money against a
// model built from the operations that succeeded.
func TestSubsidyConcurrentModel(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		l, clk := newLedger(t, db)
		w := newWorld(t, l, "conc", 4)
		type model struct {
			sync.Mutex
			in, out map[int64]int64 // per holder: money in (top-ups, grants, refunds), out (payments)
			pays    []ledger.Entry
		}
		m := &model{in: map[int64]int64{}, out: map[int64]int64{}}
		for i, h := range w.holders {
			if _, err := l.TopUp(ctx, ledger.TopUp{Key: fmt.Sprint("seed", i), SchoolID: w.school.ID, HolderID: h.ID, Channel: ledger.Cash, AmountFen: 2000}); err != nil {
				t.Fatal(err)
			}
			m.in[h.ID] = 2000
		}
		const workers, steps = 4, 40
		var wg sync.WaitGroup
		errs := make(chan error, workers*steps)
		for g := 0; g < workers; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(g), 7))
				for s := 0; s < steps; s++ {
					h := w.holders[r.IntN(len(w.holders))]
					key := fmt.Sprintf("w%d-%d", g, s)
					switch op := r.IntN(10); {
					case op < 3:
						amount := int64(1 + r.IntN(300))
						expires := clk.Now().Add(time.Duration(1+r.IntN(48)) * time.Hour).Format(time.RFC3339)
						_, _, err := l.IssueSubsidies(ctx, ledger.NewSubsidyBatch{SchoolID: w.school.ID, Name: key, Key: key,
							Lines: []ledger.SubsidyRequest{{Number: h.Number, AmountFen: amount, ExpiresAt: expires}}})
						if ledger.ErrorCode(err) == ledger.CodeInvalidRequest {
							continue // another worker moved the clock past the expiry meanwhile
						}
						if err != nil {
							errs <- fmt.Errorf("grant %s: %w", key, err)
							continue
						}
						m.Lock()
						m.in[h.ID] += amount
						m.Unlock()
					case op < 7:
						amount := int64(1 + r.IntN(400))
						e, err := l.Pay(ctx, ledger.Payment{Key: key, SchoolID: w.school.ID, HolderID: h.ID, MerchantID: w.merchant.ID,
							AmountFen: amount, PIN: "123450"})
						if ledger.ErrorCode(err) == ledger.CodeInsufficientFunds {
							continue
						}
						if err != nil {
							errs <- fmt.Errorf("pay %s: %w", key, err)
							continue
						}
						m.Lock()
						m.out[h.ID] += amount
						m.pays = append(m.pays, e)
						m.Unlock()
					case op < 8:
						m.Lock()
						if len(m.pays) == 0 {
							m.Unlock()
							continue
						}
						p := m.pays[r.IntN(len(m.pays))]
						m.Unlock()
						amount := 1 + r.Int64N(p.AmountFen)
						_, err := l.Refund(ctx, ledger.Refund{Key: key, PaymentID: p.ID, AmountFen: amount})
						if ledger.ErrorCode(err) == ledger.CodeConflict {
							continue // more than what is left of it
						}
						if err != nil {
							errs <- fmt.Errorf("refund %s: %w", key, err)
							continue
						}
						m.Lock()
						m.in[*p.HolderID] += amount
						m.Unlock()
					case op < 9:
						clk.Advance(time.Duration(r.IntN(4)) * time.Hour)
					default:
						if _, _, err := l.ExpireSubsidies(ctx, 50); err != nil {
							errs <- fmt.Errorf("expire: %w", err)
						}
					}
				}
			}(g)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		mustVerify(t, l, 0)
		// Past every expiry, two sweeps leave no subsidy anywhere.
		clk.Advance(72 * time.Hour)
		for i := 0; i < 2; i++ {
			if _, _, err := l.ExpireSubsidies(ctx, 10000); err != nil {
				t.Fatal(err)
			}
		}
		mustVerify(t, l, 0)
		for _, h := range w.holders {
			bal, err := l.HolderBalances(ctx, h.ID)
			if err != nil {
				t.Fatal(err)
			}
			var expired int64
			if err := db.Raw(`SELECT COALESCE(SUM(expired_fen), 0) FROM subsidy_lines WHERE holder_id = ?`, h.ID).Scan(&expired).Error; err != nil {
				t.Fatal(err)
			}
			if bal.SubsidyFen != 0 || bal.WalletFen != m.in[h.ID]-m.out[h.ID]-expired {
				t.Errorf("holder %s: %+v; model: in %d out %d expired %d", h.Number, bal, m.in[h.ID], m.out[h.ID], expired)
			}
		}
		var bad []string
		if err := db.Raw(`SELECT CAST(id AS TEXT) FROM subsidy_lines WHERE remaining_fen <> 0
			OR spent_fen + expired_fen + returned_fen + remaining_fen <> amount_fen`).Scan(&bad).Error; err != nil || len(bad) > 0 {
			t.Fatalf("lines not settled: %s %v", strings.Join(bad, ","), err)
		}
	})
}
