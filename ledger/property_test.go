package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
)

// The property tests drive the ledger through its public API with random
// operation sequences and compare it, after every sequence, with a small
// in-memory model: per holder the four available balances, what was spent
// today and the PIN failures; per payment what it took from subsidy and wallet
// and what was refunded; per hold whether it is open, posted or voided.
//
// Layout of a run on one database kind:
//
//	worker: a goroutine with its own school, two merchants and a pool of
//	        holders, running its share of the sequences one after another.
//	group:  one database, one Ledger and one movable clock, used by one worker
//	        (SQLite: pure Go and CPU-bound under -race, so every worker gets
//	        its own file and the writers run in parallel) or by all of them
//	        (PostgreSQL: one schema; its commits wait on the disk, so many
//	        workers share it). Each worker also knows another school in its
//	        database (a neighbour or a decoy) to check that schools stay apart.
//	round:  every worker runs a few sequences; then all wait, the clocks move
//	        a school day on (the per-day limit resets, every open hold expires
//	        and is voided by VoidExpiredHolds) and every database is verified.
//	epoch:  fresh databases, so that tables stay small: Verify scans them whole.
//
// A sequence is a few operations on the worker's holders, each checked
// against the model (the refusals too, and that they changed nothing); one in
// concurrentOneIn runs its operations from several goroutines at once and
// checks what must hold whatever the interleaving. After every sequence each
// of the worker's holders is compared with the model; Verify of the school
// runs after every concurrent sequence and at least every verifyEvery
// sequences (it costs as much as a few operations: sequential sequences are
// verified in small batches and a failure names the whole batch).
//
// Sequence i runs with seed seedFor(base, i), on worker i % workers; every
// failure names the seed, the sequence, the operation that broke the model
// and the operations before it. Apart from the interleavings of concurrent
// sequences a run is deterministic, so running the test again reproduces a
// failure. A refusal with the wrong error code does not stop the run: it is
// counted and reported, with its first occurrence, when the run ends.
//
// This file holds the runner (parameters, epochs, rounds, the worker's
// sequences); the model and its checks are in property_model_test.go, the
// operations in property_ops_test.go and the concurrent sequences in
// property_concurrency_test.go.

// propParams shape a run on one database kind.
type propParams struct {
	sequences       int // per database; 0 means run until deadline
	deadline        time.Time
	workers         int
	dbPerWorker     bool
	holders         int // per worker
	seqPerRound     int // per worker
	roundsPerEpoch  int
	minOps, maxOps  int
	concurrentOneIn int
	goroutines      int // in concurrent sequences
	verifyEvery     int // sequences
}

// tune overrides parameters from "name=value,..." (workers, holders, round,
// rounds, minops, maxops, concurrent, goroutines, verify), for tuning the cost.
func (p *propParams) tune(t *testing.T, spec string) {
	for _, kv := range strings.Split(spec, ",") {
		name, value, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(value)
		if err != nil || n <= 0 {
			t.Fatalf("ECARD_PROPERTY_PARAMS: bad %q", kv)
		}
		switch name {
		case "workers":
			p.workers = n
		case "holders":
			p.holders = n
		case "round":
			p.seqPerRound = n
		case "rounds":
			p.roundsPerEpoch = n
		case "minops":
			p.minOps = n
		case "maxops":
			p.maxOps = n
		case "concurrent":
			p.concurrentOneIn = n
		case "goroutines":
			p.goroutines = n
		case "verify":
			p.verifyEvery = n
		default:
			t.Fatalf("ECARD_PROPERTY_PARAMS: unknown %q", name)
		}
	}
	p.maxOps = max(p.maxOps, p.minOps)
}

// propertyBaseSeed fixes TestProperty's seeds: sequence i runs with
// seedFor(propertyBaseSeed, i).
const propertyBaseSeed uint64 = 0x5eed_ec4d_2026

func seedFor(base uint64, i int) uint64 {
	// splitmix64: distinct, well-spread seeds from consecutive indices.
	z := base + uint64(i+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// raceEnabled says the test binary was built with -race.
var raceEnabled = func() bool {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" && s.Value == "true" {
				return true
			}
		}
	}
	return false
}()

// propertyParams are TestProperty's: 10,000 sequences on each database, as
// short as it takes for `go test -race ./ledger/` to stay within a few
// minutes on two cores. The model carries over from one sequence to the next
// of a worker, so short sequences still add up to long random walks, checked
// after every step.
//
// The exception is SQLite under -race: the race detector also turns on
// checkptr, and the pure-Go SQLite does pointer arithmetic on every memory
// access, so each operation costs some 10 ms of CPU and each Verify 20 ms
// (a tenth of that without -race). There the run takes the first
// raceSQLiteSequences seeds of the same list; ECARD_PROPERTY_SEQUENCES=10000
// runs them all.
func propertyParams(postgres bool) propParams {
	p := propParams{
		sequences:       10000,
		workers:         4,
		dbPerWorker:     true,
		holders:         4,
		seqPerRound:     25,
		roundsPerEpoch:  10,
		minOps:          1,
		maxOps:          5,
		concurrentOneIn: 10,
		goroutines:      8,
		verifyEvery:     4,
	}
	switch {
	case postgres && raceEnabled:
		p.workers, p.dbPerWorker, p.holders, p.seqPerRound, p.roundsPerEpoch = 16, false, 3, 25, 5
		p.maxOps, p.verifyEvery = 3, 8
	case postgres:
		p.workers, p.dbPerWorker, p.seqPerRound, p.roundsPerEpoch = 16, false, 15, 8
	case raceEnabled:
		p.sequences = raceSQLiteSequences
		p.workers, p.holders, p.seqPerRound, p.roundsPerEpoch = 8, 2, 25, 5
		p.maxOps, p.goroutines, p.verifyEvery = 2, 4, 16
	}
	return p
}

// raceSQLiteSequences is how many sequences TestProperty runs on SQLite
// under -race (see propertyParams).
const raceSQLiteSequences = 4000

func TestProperty(t *testing.T) {
	if testing.Short() {
		t.Skip("property test skipped in -short mode")
	}
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		t.Parallel() // SQLite is CPU-bound, PostgreSQL waits on its disk: together they use the machine
		p := propertyParams(db.Dialector.Name() == "postgres")
		if n, err := strconv.Atoi(os.Getenv("ECARD_PROPERTY_SEQUENCES")); err == nil && n > 0 {
			p.sequences = n // a quicker or longer run; the seeds stay the same
		}
		p.tune(t, os.Getenv("ECARD_PROPERTY_PARAMS"))
		runProperty(t, db, p, propertyBaseSeed)
	})
}

// TestSoak runs random sequences for ECARD_SOAK_SECONDS seconds on every
// available database. The base seed is printed; ECARD_SOAK_SEED replays it.
func TestSoak(t *testing.T) {
	secs, err := strconv.Atoi(os.Getenv("ECARD_SOAK_SECONDS"))
	if err != nil || secs <= 0 {
		t.Skip("set ECARD_SOAK_SECONDS to soak the ledger")
	}
	base := uint64(time.Now().UnixNano())
	if s := os.Getenv("ECARD_SOAK_SEED"); s != "" {
		if base, err = strconv.ParseUint(s, 0, 64); err != nil {
			t.Fatalf("ECARD_SOAK_SEED: %v", err)
		}
	}
	t.Logf("soak: base seed %#x (replay with ECARD_SOAK_SEED=%#x), %d seconds per database", base, base, secs)
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		pg := db.Dialector.Name() == "postgres"
		p := propParams{
			deadline:        time.Now().Add(time.Duration(secs) * time.Second),
			workers:         4,
			dbPerWorker:     !pg,
			holders:         6,
			seqPerRound:     30,
			roundsPerEpoch:  6,
			minOps:          5,
			maxOps:          40,
			concurrentOneIn: 4,
			goroutines:      16,
			verifyEvery:     1,
		}
		if pg {
			p.workers = 12
		}
		p.tune(t, os.Getenv("ECARD_PROPERTY_PARAMS"))
		t.Logf("soak %s: base seed %#x, %+v", db.Dialector.Name(), base, p)
		runProperty(t, db, p, base)
	})
}

// propRun is one run on one database kind.
type propRun struct {
	p        propParams
	base     uint64
	postgres bool
	stop     atomic.Bool
	mu       sync.Mutex
	wrong    map[string]*discrepancy // refusals with the wrong code, by kind
	seqs     atomic.Int64
	ops      atomic.Int64
	conc     atomic.Int64
	verifies atomic.Int64
}

// discrepancy is a request refused, as it should be, but with the wrong
// error code. Nothing moved, so the run goes on; the test fails at its end.
type discrepancy struct {
	count   int
	example string
}

func (run *propRun) discrepancy(kind, example string) {
	run.mu.Lock()
	defer run.mu.Unlock()
	if run.wrong == nil {
		run.wrong = map[string]*discrepancy{}
	}
	d := run.wrong[kind]
	if d == nil {
		d = &discrepancy{example: example}
		run.wrong[kind] = d
	}
	d.count++
}

func (run *propRun) expired() bool {
	return run.p.sequences == 0 && !time.Now().Before(run.p.deadline)
}

func runProperty(t *testing.T, db *gorm.DB, p propParams, base uint64) {
	run := &propRun{p: p, base: base, postgres: db.Dialector.Name() == "postgres"}
	start := time.Now()
	defer func() {
		t.Logf("%d sequences (%d concurrent), %d operations, %d Verify calls in %s; base seed %#x",
			run.seqs.Load(), run.conc.Load(), run.ops.Load(), run.verifies.Load(), time.Since(start).Round(time.Millisecond), base)
		run.mu.Lock()
		defer run.mu.Unlock()
		for kind, d := range run.wrong {
			t.Errorf("%d× %s; first seen at %s", d.count, kind, d.example)
		}
	}()
	next := 0
	perEpoch := p.workers * p.seqPerRound * p.roundsPerEpoch
	for epoch := 0; !run.stop.Load() && !run.expired(); epoch++ {
		if p.sequences > 0 && next >= p.sequences {
			break
		}
		n := perEpoch
		if p.sequences > 0 {
			n = min(n, p.sequences-next)
		}
		first := next
		ok := t.Run(fmt.Sprintf("epoch%03d", epoch), func(t *testing.T) {
			run.epoch(t, db, epoch, first, n)
		})
		next += n
		if !ok {
			break
		}
	}
}

// group is one database with its ledger, clock and workers.
type group struct {
	db      *gorm.DB
	l       *ledger.Ledger
	clk     *clock
	workers []*worker
}

// epoch runs sequences first..first+n-1 on fresh databases; the first epoch
// starts on the database testdb.Each gave.
func (run *propRun) epoch(t *testing.T, db *gorm.DB, epoch, first, n int) {
	ctx := context.Background()
	p := run.p
	ngroups := 1
	if p.dbPerWorker {
		ngroups = p.workers
	}
	groups := make([]*group, ngroups)
	workers := make([]*worker, p.workers)
	var wg sync.WaitGroup
	errs := make([]error, p.workers)
	for g := range groups {
		gdb := db
		if epoch > 0 || g > 0 {
			if run.postgres {
				gdb = testdb.Postgres(t)
			} else {
				gdb = testdb.SQLite(t)
			}
		}
		l, clk := newLedger(t, gdb)
		groups[g] = &group{db: gdb, l: l, clk: clk}
	}
	decoys := p.dbPerWorker || p.workers == 1
	for i := range workers {
		g := groups[i%ngroups]
		w := &worker{run: run, id: i, epoch: epoch, l: g.l, clk: g.clk, tag: fmt.Sprintf("e%d-w%d", epoch, i)}
		workers[i] = w
		g.workers = append(g.workers, w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = w.setup(ctx, p.holders); errs[i] != nil || !decoys {
				return
			}
			// Alone in its database: a decoy school to keep apart from.
			decoy := &worker{run: run, id: i + 1, epoch: epoch, l: g.l, clk: g.clk, tag: w.tag + "-decoy"}
			errs[i] = decoy.setup(ctx, 1)
			w.foreign = decoy
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("setup: %v", err)
		}
	}
	for _, g := range groups {
		for i, w := range g.workers {
			if len(g.workers) > 1 {
				w.foreign = g.workers[(i+1)%len(g.workers)]
			}
		}
	}
	// Sequence first+k belongs to worker k % workers, in order.
	mine := make([][]int, p.workers)
	for k := 0; k < n; k++ {
		mine[k%p.workers] = append(mine[k%p.workers], first+k)
	}
	for round := 0; ; round++ {
		lo := round * p.seqPerRound
		if lo >= len(mine[0]) || run.stop.Load() || run.expired() {
			break
		}
		for i, w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				seqs := mine[i][min(lo, len(mine[i])):min(lo+p.seqPerRound, len(mine[i]))]
				for _, idx := range seqs {
					if run.stop.Load() || run.expired() {
						break
					}
					if errs[i] = w.sequence(ctx, idx); errs[i] != nil {
						run.stop.Store(true)
						return
					}
				}
				errs[i] = w.verifyBatch(ctx)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for gi, g := range groups {
			if err := g.newDay(ctx); err != nil {
				t.Fatalf("epoch %d round %d database %d: %v", epoch, round, gi, err)
			}
		}
	}
}

// newDay moves the clock a school day on: limits reset, every open hold
// expires and is voided by the job; then the whole database is verified.
func (g *group) newDay(ctx context.Context) error {
	g.clk.Advance(24 * time.Hour)
	for {
		voided, err := g.l.VoidExpiredHolds(ctx, 10000)
		if err != nil {
			return fmt.Errorf("VoidExpiredHolds: %w", err)
		}
		if voided == 0 {
			break
		}
	}
	for _, w := range g.workers {
		if err := w.newDay(ctx); err != nil {
			return fmt.Errorf("after the day changed: %w", err)
		}
	}
	r, err := g.l.Verify(ctx, 0)
	if err != nil {
		return err
	}
	if !r.OK {
		return fmt.Errorf("Verify of the whole database failed after the day changed: %s", failedChecks(r))
	}
	return nil
}

func failedChecks(r ledger.Report) string {
	var b strings.Builder
	for _, c := range r.Checks {
		if !c.OK {
			fmt.Fprintf(&b, "\n  %s: %s", c.Name, strings.Join(c.Problems, "; "))
		}
	}
	return b.String()
}

type worker struct {
	run       *propRun
	id, epoch int
	tag       string
	l         *ledger.Ledger
	clk       *clock
	school    ledger.School
	merchants [2]ledger.Merchant
	holders   []*mHolder
	payments  []*mPayment
	holds     []*mHold
	done      []done
	freeKeys  []string // keys of refused requests: still unused
	foreign   *worker  // another school in the same database
	setupKeys []string

	// the current sequence
	seed    uint64
	seqIdx  int
	r       *rand.Rand
	ctx     context.Context
	nkey    int
	log     []string
	touched map[*mHolder]bool

	unverified []string // sequences since the last Verify, with their operations
	// shortHeld is what this operation's short holds took from the wallet:
	// another worker's VoidExpiredHolds may give it back at any moment.
	shortHeld int64
}

// propFailure carries a broken expectation out of a sequence.
type propFailure struct{ msg string }

func (w *worker) failf(format string, args ...any) {
	panic(propFailure{fmt.Sprintf(format, args...)})
}

func (w *worker) logf(format string, args ...any) {
	w.log = append(w.log, fmt.Sprintf(format, args...))
	w.run.ops.Add(1)
}

// policies differ by worker so that limits bite at different amounts.
func workerPolicies(id int) ledger.Policies {
	p := ledger.DefaultPolicies()
	switch id % 4 {
	case 1:
		p.PerPaymentLimitFen, p.PerDayLimitFen, p.PINMaxFailures = 500, 1500, 3
	case 2:
		p.PerPaymentLimitFen, p.PerDayLimitFen = 20000, 1_000_000
	case 3:
		p.PerDayLimitFen = 200_000 // the per-payment limit decides
	}
	return p
}

func (w *worker) setup(ctx context.Context, holders int) error {
	var err error
	w.school, err = w.l.CreateSchool(ctx, ledger.NewSchool{Code: "prop-" + w.tag, Name: "性质大学 " + w.tag, Pinyin: "xzdx",
		Policies: workerPolicies(w.id)})
	if err != nil {
		return err
	}
	for i := range w.merchants {
		if w.merchants[i], err = w.l.CreateMerchant(ctx, w.school.ID, fmt.Sprintf("shop%d", i), fmt.Sprintf("食堂%d", i)); err != nil {
			return err
		}
	}
	r := rand.New(rand.NewPCG(uint64(w.id), uint64(w.epoch)))
	for i := 0; i < holders; i++ {
		h, err := w.l.CreateHolder(ctx, ledger.NewHolder{SchoolID: w.school.ID, Number: fmt.Sprintf("P%04d", i),
			Name: fmt.Sprintf("学生%d", i), Kind: ledger.KindStudent, IDLast6: "12345X"})
		if err != nil {
			return err
		}
		m := &mHolder{h: h}
		// The setup entries fund the holder and reveal its account ids.
		key := func(what string) string {
			k := fmt.Sprintf("%s-setup-%d-%s", w.tag, i, what)
			w.setupKeys = append(w.setupKeys, k)
			return k
		}
		amt := 1000 + r.Int64N(20000)
		e, err := w.l.TopUp(ctx, ledger.TopUp{Key: key("wallet"), SchoolID: w.school.ID, HolderID: h.ID, Channel: ledger.Bank, AmountFen: amt})
		if err != nil {
			return err
		}
		m.acct[iWallet], m.bal[iWallet] = e.Transfers[0].ToAccountID, amt
		amt = 1000 + r.Int64N(5000)
		if e, err = w.l.TopUp(ctx, ledger.TopUp{Key: key("pending"), SchoolID: w.school.ID, HolderID: h.ID, Channel: ledger.Cash, AmountFen: amt, ToCard: true}); err != nil {
			return err
		}
		m.acct[iPending], m.bal[iPending] = e.Transfers[0].ToAccountID, amt
		amt = 100 + r.Int64N(3000)
		if e, err = w.l.Grant(ctx, ledger.Grant{Key: key("grant"), SchoolID: w.school.ID, HolderID: h.ID, AmountFen: amt}); err != nil {
			return err
		}
		m.acct[iSubsidy], m.bal[iSubsidy] = e.Transfers[0].ToAccountID, amt
		amt = 1 + r.Int64N(m.bal[iPending])
		if e, err = w.l.Move(ctx, ledger.Move{Key: key("purse"), SchoolID: w.school.ID, HolderID: h.ID, From: ledger.Pending, To: ledger.Purse, AmountFen: amt}); err != nil {
			return err
		}
		m.acct[iPurse] = e.Transfers[0].ToAccountID
		m.bal[iPurse] += amt
		m.bal[iPending] -= amt
		w.holders = append(w.holders, m)
	}
	return nil
}

// newDay follows the round's clock jump: every open hold was voided on expiry.
func (w *worker) newDay(ctx context.Context) error {
	for _, hd := range w.holds {
		if hd.state == holdOpen {
			hd.state = holdVoided
			hd.h.bal[kindIndex(hd.req.From)] += hd.req.AmountFen
			e, err := w.l.Void(ctx, fmt.Sprintf("hold-expired:%d", hd.e.ID), hd.e.ID)
			if err != nil || e.HoldOf == nil || *e.HoldOf != hd.e.ID || e.Kind != ledger.EntryVoid {
				return fmt.Errorf("%s: hold %d (%+v) should have been voided on expiry: %+v %v", w.tag, hd.e.ID, hd.req, e, err)
			}
		}
	}
	for _, h := range w.holders {
		b, err := w.l.HolderBalances(ctx, h.h.ID)
		if err != nil {
			return err
		}
		if got := balArray(b); got != h.bal {
			return fmt.Errorf("%s: holder %d: balances %v, model %v", w.tag, h.h.ID, got, h.bal)
		}
	}
	// Drop what no longer matters, keep the tables of the model short.
	w.holds = w.holds[:0]
	if len(w.payments) > 40 {
		w.payments = append([]*mPayment(nil), w.payments[len(w.payments)-40:]...)
	}
	return nil
}

func balArray(b ledger.Balances) [4]int64 {
	return [4]int64{b.WalletFen, b.SubsidyFen, b.PendingFen, b.PurseFen}
}

// sequence runs one sequence and returns what broke, if anything.
func (w *worker) sequence(ctx context.Context, idx int) (err error) {
	w.seed = seedFor(w.run.base, idx)
	w.seqIdx = idx
	w.r = rand.New(rand.NewPCG(w.seed, w.seed^0x6a09e667f3bcc908))
	w.ctx = ctx
	w.nkey = 0
	w.log = w.log[:0]
	w.touched = map[*mHolder]bool{}
	w.run.seqs.Add(1)
	defer func() {
		if p := recover(); p != nil {
			msg := ""
			if f, ok := p.(propFailure); ok {
				msg = f.msg
			} else {
				msg = fmt.Sprintf("panic: %v\n%s", p, debug.Stack())
			}
			ops := w.log
			if len(ops) > 80 {
				ops = ops[len(ops)-80:]
			}
			err = fmt.Errorf("seed %#x (sequence %d, worker %s, school %d, base seed %#x) broke the model at operation #%d:\n  %s\n  %s\noperations of this sequence:\n  %s",
				w.seed, idx, w.tag, w.school.ID, w.run.base, len(w.log), lastOr(w.log), msg, strings.Join(ops, "\n  "))
		}
	}()
	r := w.r
	conc := r.IntN(w.run.p.concurrentOneIn) == 0
	switch {
	case conc:
		w.run.conc.Add(1)
		w.concurrent()
	case r.IntN(50) == 0:
		w.pinLock()
	default:
		n := w.run.p.minOps + r.IntN(w.run.p.maxOps-w.run.p.minOps+1)
		for i := 0; i < n; i++ {
			w.step()
		}
	}
	w.checkAll()
	w.unverified = append(w.unverified, fmt.Sprintf("seed %#x (sequence %d):\n    %s", w.seed, idx, strings.Join(w.log, "\n    ")))
	if conc || len(w.unverified) >= w.run.p.verifyEvery {
		return w.verifyBatch(ctx)
	}
	return nil
}

// verifyBatch runs Verify of the worker's school; a failure names every
// sequence since the last Verify.
func (w *worker) verifyBatch(ctx context.Context) error {
	if len(w.unverified) == 0 {
		return nil
	}
	batch := w.unverified
	w.unverified = nil
	w.run.verifies.Add(1)
	r, err := w.l.Verify(ctx, w.school.ID)
	if err == nil && !r.OK {
		err = errors.New(failedChecks(r))
	}
	if err != nil {
		return fmt.Errorf("Verify(school %d) of worker %s failed after these %d sequences (the one before them verified fine; base seed %#x):%v\n%s",
			w.school.ID, w.tag, len(batch), w.run.base, err, strings.Join(batch, "\n"))
	}
	return nil
}

func lastOr(log []string) string {
	if len(log) == 0 {
		return "(before the first operation)"
	}
	return log[len(log)-1]
}

// step is one random operation.
func (w *worker) step() {
	r := w.r
	switch x := r.IntN(100); {
	case x < 14:
		w.opTopUp()
	case x < 19:
		w.opGrant()
	case x < 42:
		w.opPay()
	case x < 54:
		w.opRefund()
	case x < 62:
		w.opMove()
	case x < 70:
		w.opReserve()
	case x < 78:
		w.opResolve()
	case x < 81:
		w.opExpire()
	case x < 89:
		w.opRetry()
	default:
		w.opInvalid()
	}
}
