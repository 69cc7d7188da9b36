package chaos

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
)

// payment is one request a till made, by request_id.
type payment struct {
	card   string
	amount int64
	tx     int64 // the transaction_id the till heard approved; 0 until then
}

// load is tills paying by card against a site, remembering what each heard:
// approved (acked), declined, or nothing (unheard, to retry with the same
// request_id, as a till does after a lost answer).
type load struct {
	till      till
	mu        sync.Mutex
	acked     map[string]payment
	unheard   map[string]payment
	declined  map[string]payment
	double    int    // a retry answered with another transaction, or a charge nobody was told of
	lost      int    // approved, but not in the ledger
	retried   int    // requests sent again with their request_id after a lost answer
	pattern   string // the request ids check looks at in the ledger (LIKE)
	status5xx int    // answers 500 and above (retried like no answer)
}

func newLoad(base string) *load {
	return &load{till: demoTill(base), acked: map[string]payment{}, unheard: map[string]payment{}, declined: map[string]payment{}, pattern: "c%"}
}

var demoCards = []string{"DE000001", "DE000002"}

// send pays once with request_id rid and files the answer.
func (l *load) send(rid string, p payment) {
	a := l.till.post("/tgw/v1/payments", map[string]any{"request_id": rid, "amount": p.amount, "card_uid": p.card})
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case a.approved():
		delete(l.unheard, rid)
		if first, ok := l.acked[rid]; ok && first.tx != a.transaction() {
			l.double++
		}
		p.tx = a.transaction()
		l.acked[rid] = p
	case a.status == 0 || a.status >= 500 || a.code() == "CONFLICT":
		// No answer, or "the same request is still being processed: retry"
		// (a first attempt cut off by the crash holds it until its lock expires).
		if a.status >= 500 {
			l.status5xx++
		}
		if _, ok := l.acked[rid]; !ok {
			l.unheard[rid] = p
		}
	default:
		delete(l.unheard, rid)
		l.declined[rid] = p
	}
}

// run pays with workers tills until stop closes; the returned channel closes
// when they have all stopped.
func (l *load) run(stop <-chan struct{}, workers int) <-chan struct{} {
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				l.send("c"+randomID(), payment{card: demoCards[rand.IntN(len(demoCards))], amount: 1 + rand.Int64N(3)})
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	return done
}

// settle retries every unheard request with its request_id until it has an
// answer, and repeats a sample of approved ones: each must answer the same
// transaction.
func (l *load) settle(t *testing.T, sample int) {
	t.Helper()
	for try := 0; ; try++ {
		l.mu.Lock()
		pending := make(map[string]payment, len(l.unheard))
		for rid, p := range l.unheard {
			pending[rid] = p
		}
		l.mu.Unlock()
		if len(pending) == 0 {
			break
		}
		if try == 60 {
			t.Fatalf("%d requests still without an answer after 60 retries", len(pending))
		}
		if try > 0 {
			time.Sleep(time.Second)
		}
		for rid, p := range pending {
			l.mu.Lock()
			l.retried++
			l.mu.Unlock()
			l.send(rid, p)
		}
	}
	l.mu.Lock()
	again := map[string]payment{}
	for rid, p := range l.acked {
		if len(again) == sample {
			break
		}
		again[rid] = p
	}
	l.mu.Unlock()
	for rid, p := range again {
		l.send(rid, p)
	}
}

// checkAll is check over every request of the till, not only the load's.
func (l *load) checkAll(t *testing.T, db *gorm.DB) {
	t.Helper()
	l.pattern = "%"
	l.check(t, db)
}

// check compares what the tills heard with the ledger: every approved payment
// is there under its request_id with the transaction the till heard, and no
// payment is there that the till was not told of.
func (l *load) check(t *testing.T, db *gorm.DB) {
	t.Helper()
	var rows []struct {
		ID             int64
		IdempotencyKey string
		AmountFen      int64
	}
	prefix := "tgw:" + l.till.id + ":"
	if err := db.Raw("SELECT id, idempotency_key, amount_fen FROM entries WHERE kind = 'payment' AND idempotency_key LIKE ?", prefix+l.pattern).
		Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	inLedger := map[string]int64{}
	for _, r := range rows {
		rid := strings.TrimPrefix(r.IdempotencyKey, prefix)
		inLedger[rid] = r.ID
		p, ok := l.acked[rid]
		if !ok || p.amount != r.AmountFen {
			l.double++
			t.Errorf("payment %d (%s, %d fen) in the ledger, but the till was not told it was approved", r.ID, rid, r.AmountFen)
		}
	}
	l.lost = 0
	for rid, p := range l.acked {
		if inLedger[rid] != p.tx {
			l.lost++
			t.Errorf("payment %s was approved as transaction %d; the ledger has %d", rid, p.tx, inLedger[rid])
		}
	}
}

func (l *load) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintf("payments acknowledged %d, retried after a lost answer %d, declined %d, answers 5xx %d, lost %d, double %d",
		len(l.acked), l.retried, len(l.declined), l.status5xx, l.lost, l.double)
}
