package ledger_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
	ledgerpg "github.com/ecard/ecard/ledger/postgres"
)

const (
	benchHolders   = 10000
	benchMerchants = 16 // canteen windows: payments spread over their accounts
	benchTopUpFen  = 10_000_000
)

// benchKeys keeps idempotency keys unique across every run of the benchmark.
var benchKeys atomic.Int64

// BenchmarkPayments measures ledger payments per second with 1 and 32
// concurrent payers over 10,000 holders, on SQLite and, when
// ECARD_TEST_DATABASE_URL is set, on PostgreSQL. The school, its holders (with
// cheap argon2 parameters) and their top-ups are built once per database,
// outside the timer; the ledger must verify afterwards.
//
//	go test ./ledger -run '^$' -bench BenchmarkPayments -benchtime 3s
func BenchmarkPayments(b *testing.B) {
	type database struct {
		name string
		open func(testing.TB) *gorm.DB
	}
	dbs := []database{{"sqlite", testdb.SQLite}}
	if os.Getenv(testdb.EnvDatabaseURL) != "" {
		dbs = append(dbs, database{"postgres", benchPostgres})
	}
	for _, d := range dbs {
		b.Run(d.name, func(b *testing.B) {
			ctx := context.Background()
			l, _ := newLedger(b, d.open(b))
			w := benchWorld(b, l)
			for _, payers := range []int{1, 32} {
				b.Run(fmt.Sprintf("payers=%d", payers), func(b *testing.B) {
					benchPay(b, l, w, payers)
				})
			}
			r, err := l.Verify(ctx, w.school.ID)
			if err != nil || !r.OK {
				b.Fatalf("Verify after the benchmark: %v %s", err, failedChecks(r))
			}
		})
	}
}

// benchPostgres opens a fresh schema with the production pool size
// (configs/ecard.yaml: max_open_conns 40), not the tests' small pool, so that
// 32 payers are not queued on connections.
func benchPostgres(tb testing.TB) *gorm.DB {
	url, _ := testdb.SchemaURL(tb)
	db, err := ledgerpg.Open(context.Background(), url, ledgerpg.Options{MaxOpenConns: 40, MaxIdleConns: 40})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	return db
}

type benchSchool struct {
	school    ledger.School
	holders   []int64
	merchants []int64
}

// benchWorld opens a school whose per-day limit never bites, with 10,000
// holders topped up far beyond what the benchmark spends.
func benchWorld(b *testing.B, l *ledger.Ledger) benchSchool {
	b.Helper()
	ctx := context.Background()
	p := ledger.DefaultPolicies()
	p.PerDayLimitFen = ledger.MaxAmountFen
	s, err := l.CreateSchool(ctx, ledger.NewSchool{Code: "bench", Name: "压测大学", Pinyin: "ycdx", Policies: p})
	if err != nil {
		b.Fatal(err)
	}
	w := benchSchool{school: s, holders: make([]int64, benchHolders)}
	for i := 0; i < benchMerchants; i++ {
		m, err := l.CreateMerchant(ctx, s.ID, fmt.Sprintf("window%02d", i), fmt.Sprintf("窗口%d", i))
		if err != nil {
			b.Fatal(err)
		}
		w.merchants = append(w.merchants, m.ID)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var setupErr error
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= benchHolders {
					return
				}
				h, err := l.CreateHolder(ctx, ledger.NewHolder{SchoolID: s.ID, Number: fmt.Sprintf("B%05d", i),
					Name: fmt.Sprintf("学生%d", i), Kind: ledger.KindStudent, IDLast6: "12345X"})
				if err == nil {
					_, err = l.TopUp(ctx, ledger.TopUp{Key: fmt.Sprintf("bench-topup-%d", i), SchoolID: s.ID, HolderID: h.ID,
						Channel: ledger.Bank, AmountFen: benchTopUpFen})
				}
				if err != nil {
					once.Do(func() { setupErr = err })
					next.Store(benchHolders)
					return
				}
				w.holders[i] = h.ID
			}
		}()
	}
	wg.Wait()
	if setupErr != nil {
		b.Fatalf("setup: %v", setupErr)
	}
	return w
}

// benchPay makes b.N payments from the given number of goroutines: each a
// new key, a random holder and merchant, an amount below the limits.
func benchPay(b *testing.B, l *ledger.Ledger, w benchSchool, payers int) {
	ctx := context.Background()
	limit := w.school.PerPaymentLimitFen
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var payErr error
	b.ResetTimer()
	for g := 0; g < payers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), uint64(benchKeys.Load())))
			for next.Add(1) <= int64(b.N) {
				_, err := l.Pay(ctx, ledger.Payment{
					Key:        fmt.Sprintf("bench-pay-%d", benchKeys.Add(1)),
					SchoolID:   w.school.ID,
					HolderID:   w.holders[r.IntN(len(w.holders))],
					MerchantID: w.merchants[r.IntN(len(w.merchants))],
					TerminalID: "pos-bench",
					AmountFen:  1 + r.Int64N(limit-1),
				})
				if err != nil {
					once.Do(func() { payErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if payErr != nil {
		b.Fatalf("payment: %v", payErr)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "payments/s")
}
