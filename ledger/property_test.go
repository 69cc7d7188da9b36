package ledger_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
)

func TestScratchMeasure(t *testing.T) {
	workers, _ := strconv.Atoi(os.Getenv("W"))
	testdb.Each(t, func(t *testing.T, db0 *gorm.DB) {
		ctx := context.Background()
		pg := db0.Dialector.Name() == "postgres"
		var wg sync.WaitGroup
		start := time.Now()
		var mu sync.Mutex
		var ops int
		var vtime, dbtime time.Duration
		var nv int
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t.Run(fmt.Sprint("w", w), func(t *testing.T) {
					s := time.Now()
					var db *gorm.DB
					if pg {
						db = testdb.Postgres(t)
					} else {
						db = testdb.SQLite(t)
					}
					dbt := time.Since(s)
					l, _ := newLedger(t, db)
					wd := newWorld(t, l, fmt.Sprintf("m%d", w), 3)
					n := 0
					var vt time.Duration
					for i := 0; i < 300; i++ {
						h := wd.holders[i%3]
						if _, err := l.TopUp(ctx, ledger.TopUp{Key: fmt.Sprintf("k%d_%d", w, i), SchoolID: wd.school.ID, HolderID: h.ID, Channel: ledger.Cash, AmountFen: 100}); err != nil {
							t.Error(err)
							return
						}
						if _, err := l.Pay(ctx, ledger.Payment{Key: fmt.Sprintf("p%d_%d", w, i), SchoolID: wd.school.ID, HolderID: h.ID, MerchantID: wd.merchant.ID, AmountFen: 1}); err != nil {
							t.Error(err)
							return
						}
						if _, err := l.HolderBalances(ctx, h.ID); err != nil {
							t.Error(err)
							return
						}
						n += 3
						if i%3 == 0 {
							vs := time.Now()
							r, err := l.Verify(ctx, wd.school.ID)
							if err != nil || !r.OK {
								t.Error(err, r)
								return
							}
							vt += time.Since(vs)
						}
					}
					mu.Lock()
					ops += n
					vtime += vt
					nv += 100
					dbtime += dbt
					mu.Unlock()
				})
			}()
		}
		wg.Wait()
		el := time.Since(start)
		t.Logf("workers %d: %d ops + %d verify in %v (%.0f ops/s); verify avg %v, db create avg %v", workers, ops, nv, el, float64(ops)/el.Seconds(), vtime/time.Duration(nv), dbtime/time.Duration(workers))
	})
}
