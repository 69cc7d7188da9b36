package bff_test

import (
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
)

// BenchmarkNotifications measures signed provider notifications credited per
// second through POST /pay/notify/sandbox (signature check, order lookup,
// credit and order update in one transaction), with 1 and 8 concurrent
// deliveries, on SQLite and, when ECARD_TEST_DATABASE_URL is set, PostgreSQL.
// The orders are opened and paid at the sandbox outside the timer; every
// order must be credited exactly once and the ledger must verify afterwards.
//
//	go test ./bff -run '^$' -bench BenchmarkNotifications -benchtime 2s
func BenchmarkNotifications(b *testing.B) {
	dbs := map[string]func(testing.TB) *gorm.DB{"sqlite": testdb.SQLite}
	if os.Getenv(testdb.EnvDatabaseURL) != "" {
		dbs["postgres"] = testdb.Postgres
	}
	for name, open := range dbs {
		for _, senders := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/senders=%d", name, senders), func(b *testing.B) {
				h := newPayHarness(b, open(b))
				holders := []int64{h.holder.ID, h.other.ID}
				before := h.wallet(h.holder.ID) + h.wallet(h.other.ID)
				deliveries := make([]func() int, b.N)
				for i := range deliveries {
					no := h.directOrder(holders[i%len(holders)], 100)
					cb, err := h.sandbox.Pay(no)
					if err != nil {
						b.Fatal(err)
					}
					deliveries[i] = func() int { return notify(b, h.srv, "sandbox", cb) }
				}
				var next atomic.Int64
				deliver := func() {
					if status := deliveries[next.Add(1)-1](); status != 200 {
						b.Errorf("notification answered %d", status)
					}
				}
				b.ResetTimer()
				if senders == 1 {
					for range b.N {
						deliver()
					}
				} else {
					// RunParallel starts parallelism × GOMAXPROCS goroutines.
					b.SetParallelism(max(1, senders/runtime.GOMAXPROCS(0)))
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							deliver()
						}
					})
				}
				b.StopTimer()
				if got := h.wallet(h.holder.ID) + h.wallet(h.other.ID) - before; got != int64(b.N)*100 {
					b.Fatalf("credited %d fen for %d notifications of 100 fen", got, b.N)
				}
				h.verify()
			})
		}
	}
}
