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

// Indices of a holder's accounts in the model.
const (
	iWallet = iota
	iSubsidy
	iPending
	iPurse
)

var (
	acctKinds = [4]ledger.AccountKind{ledger.Wallet, ledger.Subsidy, ledger.Pending, ledger.Purse}
	channels  = []ledger.AccountKind{ledger.WeChatPay, ledger.Alipay, ledger.Sandbox, ledger.Bank, ledger.Cash}
)

func kindIndex(k ledger.AccountKind) int {
	for i, a := range acctKinds {
		if a == k {
			return i
		}
	}
	return -1
}

const (
	goodPIN  = "123450" // IDLast6 12345X
	farAway  = int64(1) << 40
	maxHoldT = 24 * time.Hour
)

type mHolder struct {
	h           ledger.Holder
	acct        [4]int64 // account ids, learned from the setup entries' transfers
	bal         [4]int64 // available: balance less holds
	day         string
	spent       int64
	pinFailures int
}

func (h *mHolder) spendable() int64 { return h.bal[iWallet] + h.bal[iSubsidy] }

func (h *mHolder) index(accountID int64) int {
	for i, id := range h.acct {
		if id == accountID {
			return i
		}
	}
	return -1
}

// effect is what a successful entry does to the holder's available balances.
func (h *mHolder) effect(e ledger.Entry) [4]int64 {
	var d [4]int64
	switch e.Kind {
	case ledger.EntryReserve, ledger.EntryVoid, ledger.EntryPost:
		from, to, _ := strings.Cut(e.Channel, ">")
		switch e.Kind {
		case ledger.EntryReserve:
			d[kindIndex(ledger.AccountKind(from))] -= e.AmountFen
		case ledger.EntryVoid:
			d[kindIndex(ledger.AccountKind(from))] += e.AmountFen
		case ledger.EntryPost:
			d[kindIndex(ledger.AccountKind(to))] += e.AmountFen
		}
	default:
		for _, tr := range e.Transfers {
			if i := h.index(tr.FromAccountID); i >= 0 {
				d[i] -= tr.AmountFen
			}
			if i := h.index(tr.ToAccountID); i >= 0 {
				d[i] += tr.AmountFen
			}
		}
	}
	return d
}

type mPayment struct {
	e                     ledger.Entry
	req                   ledger.Payment
	h                     *mHolder
	fromSubsidy, fromWall int64
	refunded              int64
}

const (
	holdOpen = iota
	holdPosted
	holdVoided
)

type mHold struct {
	e     ledger.Entry
	req   ledger.Reserve
	h     *mHolder
	state int
}

// done is a successful request that can be sent again.
type done struct {
	what     string
	first    ledger.Entry
	again    func(r *rand.Rand) (ledger.Entry, error)
	conflict func(r *rand.Rand) (ledger.Entry, error) // same key, different request
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

func (w *worker) holder() *mHolder {
	h := w.holders[w.r.IntN(len(w.holders))]
	w.touched[h] = true
	return h
}

// key returns a new idempotency key, or now and then one a refused request
// left unused.
func (w *worker) key() string {
	if len(w.freeKeys) > 0 && w.r.IntN(6) == 0 {
		i := w.r.IntN(len(w.freeKeys))
		k := w.freeKeys[i]
		w.freeKeys = append(w.freeKeys[:i], w.freeKeys[i+1:]...)
		return k
	}
	w.nkey++
	return fmt.Sprintf("%s-s%d-%d", w.tag, w.seqIdx, w.nkey)
}

func (w *worker) refused(key string) {
	if len(w.freeKeys) < 32 {
		w.freeKeys = append(w.freeKeys, key)
	}
}

func (w *worker) remember(d done) {
	if len(w.done) >= 64 {
		i := w.r.IntN(len(w.done))
		w.done = append(w.done[:i], w.done[i+1:]...)
	}
	w.done = append(w.done, d)
}

func amountIn(r *rand.Rand, lo, hi int64) int64 {
	lo = max(lo, 1)
	if hi <= lo {
		return lo
	}
	return lo + r.Int64N(hi-lo+1)
}

// someAmount is a plausible amount, now and then a large one.
func (w *worker) someAmount() int64 {
	switch w.r.IntN(20) {
	case 0:
		return amountIn(w.r, 10000, 100000)
	case 1:
		return 1
	}
	return amountIn(w.r, 1, 3000)
}

func (w *worker) wantOK(what string, e ledger.Entry, err error) {
	if err != nil {
		w.failf("%s: want success, got %v", what, err)
	}
	if e.ID == 0 {
		w.failf("%s: success without an entry id: %+v", what, e)
	}
}

// wantCode checks a refusal. Success where the model refuses breaks the
// sequence; a refusal with the wrong code is recorded and the sequence goes on
// (the caller checks that nothing changed).
func (w *worker) wantCode(what string, err error, code string) {
	if err == nil {
		w.failf("%s: want %s, got success", what, code)
	}
	if got := ledger.ErrorCode(err); got != code {
		op, _, _ := strings.Cut(what, " of ")
		kind := fmt.Sprintf("%s: want %s, got %s", op, code, errClass(err))
		w.run.discrepancy(kind, fmt.Sprintf("seed %#x (sequence %d, worker %s), operation #%d: %s: %v",
			w.seed, w.seqIdx, w.tag, len(w.log), lastOr(w.log), err))
	}
}

// errClass names an error without its ids: its code, or its text with digits dropped.
func errClass(err error) string {
	if c := ledger.ErrorCode(err); c != "" {
		return c
	}
	msg := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return -1
		}
		return r
	}, err.Error())
	if len(msg) > 90 {
		msg = msg[:90]
	}
	return fmt.Sprintf("%q", msg)
}

// leg is an expected transfer; 0 stands for an account outside the holder
// (a provider, the subsidy fund, a merchant).
type leg struct{ from, to, amount int64 }

func (w *worker) checkEntry(what string, e ledger.Entry, kind string, amount int64, h *mHolder, legs []leg) {
	if e.Kind != kind || e.AmountFen != amount || e.SchoolID != w.school.ID {
		w.failf("%s: entry %+v, want kind %s amount %d school %d", what, e, kind, amount, w.school.ID)
	}
	if h != nil && (e.HolderID == nil || *e.HolderID != h.h.ID) {
		w.failf("%s: entry for holder %v, want %d", what, e.HolderID, h.h.ID)
	}
	if len(e.Transfers) != len(legs) {
		w.failf("%s: %d transfers %+v, want %d %+v", what, len(e.Transfers), e.Transfers, len(legs), legs)
	}
	for i, g := range legs {
		tr := e.Transfers[i]
		if tr.EntryID != e.ID || tr.AmountFen != g.amount || (g.from != 0 && tr.FromAccountID != g.from) ||
			(g.to != 0 && tr.ToAccountID != g.to) || tr.FromAccountID == tr.ToAccountID {
			w.failf("%s: transfer %d is %+v, want %+v", what, i, tr, g)
		}
		if h != nil && g.from == 0 && h.index(tr.FromAccountID) >= 0 || h != nil && g.to == 0 && h.index(tr.ToAccountID) >= 0 {
			w.failf("%s: transfer %d is %+v: unexpected holder account", what, i, tr)
		}
	}
	if h != nil && (e.BalanceAfterFen < h.spendable() || e.BalanceAfterFen > h.spendable()+w.shortHeld) {
		w.failf("%s: balance after %d, model says %d (wallet %d + subsidy %d)", what, e.BalanceAfterFen, h.spendable(), h.bal[iWallet], h.bal[iSubsidy])
	}
}

func sameEntry(a, b ledger.Entry) bool {
	if a.ID != b.ID || a.Kind != b.Kind || a.AmountFen != b.AmountFen || a.BalanceAfterFen != b.BalanceAfterFen ||
		a.IdempotencyKey != b.IdempotencyKey || len(a.Transfers) != len(b.Transfers) {
		return false
	}
	for i := range a.Transfers {
		x, y := a.Transfers[i], b.Transfers[i]
		if x.ID != y.ID || x.FromAccountID != y.FromAccountID || x.ToAccountID != y.ToAccountID || x.AmountFen != y.AmountFen {
			return false
		}
	}
	return true
}

// checkHolder compares one holder with the model: a refused operation must
// have changed nothing.
func (w *worker) checkHolder(what string, h *mHolder) {
	b, err := w.l.HolderBalances(w.ctx, h.h.ID)
	if err != nil {
		w.failf("%s: HolderBalances(%d): %v", what, h.h.ID, err)
	}
	if got := balArray(b); got != h.bal {
		w.failf("%s: holder %d balances [wallet subsidy pending purse] %v, model %v", what, h.h.ID, got, h.bal)
	}
}

// checkAll ends every sequence: every holder's balances, the day's spending
// and PIN failures of the holders it touched.
func (w *worker) checkAll() {
	w.logf("check all holders")
	today := ledger.SchoolDay(w.school.Timezone, w.clk.Now())
	for _, h := range w.holders {
		w.checkHolder("end of sequence", h)
		if !w.touched[h] {
			continue
		}
		spent, err := w.l.SpentToday(w.ctx, h.h, w.school.Timezone)
		if err != nil {
			w.failf("SpentToday: %v", err)
		}
		want := h.spent
		if h.day != today {
			want = 0
		}
		if spent != want {
			w.failf("holder %d spent %d today, model %d", h.h.ID, spent, want)
		}
		hh, err := w.l.HolderByID(w.ctx, h.h.ID)
		if err != nil {
			w.failf("HolderByID: %v", err)
		}
		if hh.PINFailures != h.pinFailures {
			w.failf("holder %d has %d PIN failures, model %d", h.h.ID, hh.PINFailures, h.pinFailures)
		}
	}
}

// ---- operations checked one by one against the model ----

func (w *worker) opTopUp() {
	r := w.r
	h := w.holder()
	req := ledger.TopUp{Key: w.key(), SchoolID: w.school.ID, HolderID: h.h.ID, Channel: channels[r.IntN(len(channels))],
		AmountFen: w.someAmount(), ToCard: r.IntN(3) == 0, Memo: "充值"}
	if r.IntN(200) == 0 {
		req.AmountFen = ledger.MaxAmountFen // the largest valid amount
	}
	w.logf("TopUp %+v", req)
	e, err := w.l.TopUp(w.ctx, req)
	w.wantOK("top-up", e, err)
	dst := iWallet
	if req.ToCard {
		dst = iPending
	}
	h.bal[dst] += req.AmountFen
	w.checkEntry("top-up", e, ledger.EntryTopup, req.AmountFen, h, []leg{{0, h.acct[dst], req.AmountFen}})
	if e.Channel != string(req.Channel) {
		w.failf("top-up channel %q, want %q", e.Channel, req.Channel)
	}
	w.remember(done{what: fmt.Sprintf("TopUp %+v", req), first: e,
		again: func(*rand.Rand) (ledger.Entry, error) { return w.l.TopUp(w.ctx, req) },
		conflict: func(r *rand.Rand) (ledger.Entry, error) {
			c := req
			switch r.IntN(4) {
			case 0:
				c.ToCard = !c.ToCard
			case 1:
				c.Channel = channels[(kindIndexCh(c.Channel)+1)%len(channels)]
			case 2:
				c.HolderID = w.holders[(indexOf(w.holders, h)+1)%len(w.holders)].h.ID
				if c.HolderID == req.HolderID {
					c.AmountFen = otherAmount(c.AmountFen)
				}
			default:
				c.AmountFen = otherAmount(c.AmountFen)
			}
			return w.l.TopUp(w.ctx, c)
		}})
	w.maybeRetryNow()
}

func kindIndexCh(k ledger.AccountKind) int {
	for i, c := range channels {
		if c == k {
			return i
		}
	}
	return 0
}

func indexOf(hs []*mHolder, h *mHolder) int {
	for i, x := range hs {
		if x == h {
			return i
		}
	}
	return -1
}

func otherAmount(a int64) int64 {
	if a >= ledger.MaxAmountFen {
		return a - 1
	}
	return a + 1
}

// maybeRetryNow sends the last successful request again at once, as a
// client whose answer got lost would.
func (w *worker) maybeRetryNow() {
	if w.r.IntN(4) == 0 {
		w.retry(w.done[len(w.done)-1])
	}
}

func (w *worker) retry(d done) {
	if w.r.IntN(3) == 0 && d.conflict != nil {
		w.logf("same key, different request: %s", d.what)
		_, err := d.conflict(w.r)
		w.wantCode("reused key", err, ledger.CodeConflict)
		return
	}
	w.logf("retry %s", d.what)
	e, err := d.again(w.r)
	if err != nil {
		w.failf("retry: want the first result (entry %d), got %v", d.first.ID, err)
	}
	if !sameEntry(e, d.first) {
		w.failf("retry answered %+v, first answer was %+v", e, d.first)
	}
}

func (w *worker) opRetry() {
	if len(w.done) == 0 {
		w.opTopUp()
		return
	}
	w.retry(w.done[w.r.IntN(len(w.done))])
}

func (w *worker) opGrant() {
	h := w.holder()
	req := ledger.Grant{Key: w.key(), SchoolID: w.school.ID, HolderID: h.h.ID, AmountFen: amountIn(w.r, 1, 3000), Memo: "补助"}
	w.logf("Grant %+v", req)
	e, err := w.l.Grant(w.ctx, req)
	w.wantOK("grant", e, err)
	h.bal[iSubsidy] += req.AmountFen
	w.checkEntry("grant", e, ledger.EntryGrant, req.AmountFen, h, []leg{{0, h.acct[iSubsidy], req.AmountFen}})
	w.remember(done{what: fmt.Sprintf("Grant %+v", req), first: e,
		again: func(*rand.Rand) (ledger.Entry, error) { return w.l.Grant(w.ctx, req) },
		conflict: func(*rand.Rand) (ledger.Entry, error) {
			c := req
			c.AmountFen = otherAmount(c.AmountFen)
			return w.l.Grant(w.ctx, c)
		}})
	w.maybeRetryNow()
}

// payExpect is what the model says a payment does.
type payExpect struct {
	code                  string
	fromSubsidy, fromWall int64
	pinOK                 bool
}

// expectPay predicts a payment and updates the PIN failures and the day.
func (w *worker) expectPay(h *mHolder, amount int64, pin string) payExpect {
	var x payExpect
	if amount <= 0 || amount > ledger.MaxAmountFen {
		x.code = ledger.CodeInvalidRequest
		return x
	}
	day := ledger.SchoolDay(w.school.Timezone, w.clk.Now())
	if h.day != day {
		h.day, h.spent = day, 0
	}
	if pin != "" {
		maxF := w.school.PINMaxFailures
		switch {
		case !isPIN(pin):
			x.code = ledger.CodeInvalidRequest
		case h.pinFailures >= maxF:
			x.code = ledger.CodePINLocked
		case pin == goodPIN:
			x.pinOK = true
			h.pinFailures = 0
		default:
			h.pinFailures++
			x.code = ledger.CodeWrongPIN
			if h.pinFailures >= maxF {
				x.code = ledger.CodePINLocked
			}
		}
		if x.code != "" {
			return x
		}
	}
	perPay, perDay := w.school.PerPaymentLimitFen, w.school.PerDayLimitFen
	if !x.pinOK && (amount > perPay || amount > perDay || h.spent+amount > perDay) {
		x.code = ledger.CodeLimitExceeded
		return x
	}
	x.fromSubsidy = min(amount, h.bal[iSubsidy])
	x.fromWall = amount - x.fromSubsidy
	if x.fromWall > h.bal[iWallet] {
		x.code = ledger.CodeInsufficientFunds
	}
	return x
}

// tooMuch is the refusal of an amount over the funds: no amount is valid
// above MaxAmountFen.
func tooMuch(amount int64) string {
	if amount > ledger.MaxAmountFen {
		return ledger.CodeInvalidRequest
	}
	return ledger.CodeInsufficientFunds
}

func isPIN(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (w *worker) wrongPIN() string {
	for {
		p := fmt.Sprintf("%06d", w.r.IntN(1000000))
		if p != goodPIN {
			return p
		}
	}
}

func (w *worker) opPay() {
	r := w.r
	h := w.holder()
	perPay, perDay := w.school.PerPaymentLimitFen, w.school.PerDayLimitFen
	day := ledger.SchoolDay(w.school.Timezone, w.clk.Now())
	spent := h.spent
	if h.day != day {
		spent = 0
	}
	// Limits and funds are probed at their edges: one fen over, exactly at.
	edge := func(limit int64) int64 {
		switch r.IntN(3) {
		case 0:
			return max(1, limit)
		case 1:
			return max(1, limit+1)
		}
		return amountIn(r, limit+1, limit+300)
	}
	var amount int64
	switch r.IntN(10) {
	case 0:
		amount = edge(perPay) // the per-payment limit
	case 1:
		amount = edge(perDay - spent) // what is left of the day
	case 2:
		amount = edge(h.spendable()) // what there is
	case 3:
		amount = min(max(1, h.spendable()), ledger.MaxAmountFen) // everything
	default:
		amount = amountIn(r, 1, min(perPay, 1500))
	}
	pin := ""
	switch x := r.IntN(40); {
	case x < 8:
		pin = goodPIN
	case x < 10 && h.pinFailures < 2:
		pin = w.wrongPIN()
	case x == 10:
		pin = "12a45"
	}
	m := w.merchants[r.IntN(2)]
	req := ledger.Payment{Key: w.key(), SchoolID: w.school.ID, HolderID: h.h.ID, MerchantID: m.ID, AmountFen: amount, PIN: pin, Memo: "午餐"}
	if r.IntN(2) == 0 {
		req.TerminalID = fmt.Sprintf("pos-%d", r.IntN(3))
	}
	w.logf("Pay %+v (holder spent %d today, balances %v, %d PIN failures)", req, spent, h.bal, h.pinFailures)
	x := w.expectPay(h, amount, pin)
	e, err := w.l.Pay(w.ctx, req)
	if x.code != "" {
		w.wantCode("payment", err, x.code)
		w.refused(req.Key)
		w.checkHolder("refused payment", h)
		return
	}
	w.wantOK("payment", e, err)
	h.bal[iSubsidy] -= x.fromSubsidy
	h.bal[iWallet] -= x.fromWall
	h.spent += amount
	var legs []leg
	if x.fromSubsidy > 0 {
		legs = append(legs, leg{h.acct[iSubsidy], 0, x.fromSubsidy})
	}
	if x.fromWall > 0 {
		legs = append(legs, leg{h.acct[iWallet], 0, x.fromWall})
	}
	w.checkEntry("payment", e, ledger.EntryPayment, amount, h, legs)
	if e.MerchantID == nil || *e.MerchantID != m.ID || e.RefundedFen != 0 {
		w.failf("payment entry %+v: want merchant %d, nothing refunded", e, m.ID)
	}
	p := &mPayment{e: e, req: req, h: h, fromSubsidy: x.fromSubsidy, fromWall: x.fromWall}
	w.payments = append(w.payments, p)
	w.remember(done{what: fmt.Sprintf("Pay %+v", req), first: e,
		again: func(r *rand.Rand) (ledger.Entry, error) {
			c := req
			if r.IntN(3) == 0 {
				c.PIN = w.wrongPIN() // a retry answers before the PIN is looked at
			}
			return w.l.Pay(w.ctx, c)
		},
		conflict: func(r *rand.Rand) (ledger.Entry, error) {
			c := req
			switch r.IntN(3) {
			case 0:
				c.MerchantID = w.merchants[0].ID + w.merchants[1].ID - c.MerchantID
			case 1:
				c.TerminalID += "x"
			default:
				c.AmountFen = otherAmount(c.AmountFen)
			}
			return w.l.Pay(w.ctx, c)
		}})
	w.maybeRetryNow()
}

func (w *worker) payment() *mPayment {
	if len(w.payments) == 0 {
		return nil
	}
	p := w.payments[w.r.IntN(len(w.payments))]
	w.touched[p.h] = true
	return p
}

// expectRefund is where a refund's money goes: the wallet first, as far as
// the payment took from it, then the subsidy.
func expectRefund(p *mPayment, amount int64) (toWallet, toSubsidy int64) {
	toWallet = min(amount, max(0, p.fromWall-p.refunded))
	return toWallet, amount - toWallet
}

func (w *worker) opRefund() {
	r := w.r
	p := w.payment()
	if p == nil {
		w.opPay()
		return
	}
	left := p.e.AmountFen - p.refunded
	req := ledger.Refund{Key: w.key(), PaymentID: p.e.ID, Memo: "退款"}
	code := ""
	switch x := r.IntN(10); {
	case x < 4 && left > 1:
		req.AmountFen = amountIn(r, 1, left-1)
	case x < 7:
		req.AmountFen = max(left, 1)
	case x < 9:
		req.AmountFen = amountIn(r, left+1, left+500)
	default:
		req.AmountFen = max(left, 1)
		req.MerchantID = w.merchants[0].ID + w.merchants[1].ID - *p.e.MerchantID
		code = ledger.CodeNotFound
	}
	if r.IntN(2) == 0 && code == "" {
		req.MerchantID = *p.e.MerchantID
	}
	if r.IntN(3) == 0 {
		req.TerminalID = "pos-r"
	}
	if code == "" && req.AmountFen > left {
		code = ledger.CodeConflict
	}
	if req.AmountFen > ledger.MaxAmountFen {
		code = ledger.CodeInvalidRequest // checked before anything else
	}
	h := p.h
	w.logf("Refund %+v of payment %d (amount %d, refunded %d, from wallet %d, subsidy %d)", req, p.e.ID, p.e.AmountFen, p.refunded, p.fromWall, p.fromSubsidy)
	e, err := w.l.Refund(w.ctx, req)
	if code != "" {
		w.wantCode("refund", err, code)
		w.refused(req.Key)
		w.checkHolder("refused refund", h)
		return
	}
	w.wantOK("refund", e, err)
	toWallet, toSubsidy := expectRefund(p, req.AmountFen)
	p.refunded += req.AmountFen
	h.bal[iWallet] += toWallet
	h.bal[iSubsidy] += toSubsidy
	var legs []leg
	if toWallet > 0 {
		legs = append(legs, leg{0, h.acct[iWallet], toWallet})
	}
	if toSubsidy > 0 {
		legs = append(legs, leg{0, h.acct[iSubsidy], toSubsidy})
	}
	w.checkEntry("refund", e, ledger.EntryRefund, req.AmountFen, h, legs)
	if e.RefundOf == nil || *e.RefundOf != p.e.ID || e.MerchantID == nil || *e.MerchantID != *p.e.MerchantID {
		w.failf("refund entry %+v: want refund of %d to merchant %d", e, p.e.ID, *p.e.MerchantID)
	}
	w.remember(done{what: fmt.Sprintf("Refund %+v", req), first: e,
		again: func(*rand.Rand) (ledger.Entry, error) { return w.l.Refund(w.ctx, req) },
		conflict: func(r *rand.Rand) (ledger.Entry, error) {
			c := req
			if r.IntN(2) == 0 && c.MerchantID != 0 {
				c.MerchantID = 0
			} else {
				c.AmountFen = otherAmount(c.AmountFen)
			}
			return w.l.Refund(w.ctx, c)
		}})
	w.maybeRetryNow()
}

var movable = [3]int{iWallet, iPending, iPurse}

func (w *worker) movePair() (int, int) {
	from := movable[w.r.IntN(3)]
	to := movable[w.r.IntN(3)]
	for to == from {
		to = movable[w.r.IntN(3)]
	}
	return from, to
}

func (w *worker) opMove() {
	r := w.r
	h := w.holder()
	from, to := w.movePair()
	amount := amountIn(r, 1, min(max(1, h.bal[from]), ledger.MaxAmountFen))
	if r.IntN(5) == 0 {
		amount = h.bal[from] + amountIn(r, 1, 1000)
	}
	req := ledger.Move{Key: w.key(), SchoolID: w.school.ID, HolderID: h.h.ID, From: acctKinds[from], To: acctKinds[to], AmountFen: amount, Memo: "圈存"}
	w.logf("Move %+v (balances %v)", req, h.bal)
	e, err := w.l.Move(w.ctx, req)
	if amount > h.bal[from] {
		w.wantCode("move", err, tooMuch(amount))
		w.refused(req.Key)
		w.checkHolder("refused move", h)
		return
	}
	w.wantOK("move", e, err)
	h.bal[from] -= amount
	h.bal[to] += amount
	w.checkEntry("move", e, ledger.EntryMove, amount, h, []leg{{h.acct[from], h.acct[to], amount}})
	w.remember(done{what: fmt.Sprintf("Move %+v", req), first: e,
		again: func(*rand.Rand) (ledger.Entry, error) { return w.l.Move(w.ctx, req) },
		conflict: func(r *rand.Rand) (ledger.Entry, error) {
			c := req
			if r.IntN(2) == 0 {
				c.From, c.To = c.To, c.From
			} else {
				c.AmountFen = otherAmount(c.AmountFen)
			}
			return w.l.Move(w.ctx, c)
		}})
	w.maybeRetryNow()
}

// reserve reserves with the given TTL and updates the model; it returns nil
// when the model says the funds are not there (and checks the refusal).
func (w *worker) reserve(h *mHolder, ttl time.Duration, mayFail bool) *mHold {
	r := w.r
	from, to := w.movePair()
	amount := amountIn(r, 1, min(max(1, h.bal[from]/2), ledger.MaxAmountFen))
	if r.IntN(6) == 0 && mayFail {
		amount = h.bal[from] + amountIn(r, 1, 500)
	}
	if !mayFail && amount > h.bal[from] {
		// Short holds of other workers' may be voided at any moment, which
		// makes a refusal uncertain: only reserve what surely is there.
		return nil
	}
	req := ledger.Reserve{Key: w.key(), SchoolID: w.school.ID, HolderID: h.h.ID, From: acctKinds[from], To: acctKinds[to],
		AmountFen: amount, TTL: ttl, Memo: "写卡"}
	w.logf("Reserve %+v (balances %v)", req, h.bal)
	e, err := w.l.Reserve(w.ctx, req)
	if amount > h.bal[from] {
		w.wantCode("reserve", err, tooMuch(amount))
		w.refused(req.Key)
		w.checkHolder("refused reserve", h)
		return nil
	}
	w.wantOK("reserve", e, err)
	h.bal[from] -= amount
	w.checkEntry("reserve", e, ledger.EntryReserve, amount, h, nil)
	hd := &mHold{e: e, req: req, h: h}
	w.holds = append(w.holds, hd)
	if !mayFail && from == iWallet {
		w.shortHeld += amount
	}
	w.remember(done{what: fmt.Sprintf("Reserve %+v", req), first: e,
		again: func(*rand.Rand) (ledger.Entry, error) { return w.l.Reserve(w.ctx, req) },
		conflict: func(r *rand.Rand) (ledger.Entry, error) {
			c := req
			if r.IntN(2) == 0 {
				c.TTL += time.Second
				if c.TTL > maxHoldT {
					c.TTL -= 2 * time.Second
				}
			} else {
				c.AmountFen = otherAmount(c.AmountFen)
			}
			return w.l.Reserve(w.ctx, c)
		}})
	return hd
}

func (w *worker) opReserve() {
	h := w.holder()
	// Long enough never to expire before the round ends.
	ttl := time.Duration(2+w.r.IntN(22))*time.Hour + time.Duration(w.r.IntN(3600))*time.Second
	if w.r.IntN(10) == 0 {
		ttl = maxHoldT
	}
	if w.reserve(h, ttl, true) != nil {
		w.maybeRetryNow()
	}
}

func (w *worker) resolve(hd *mHold, post bool, key string) (ledger.Entry, error) {
	if post {
		return w.l.Post(w.ctx, key, hd.e.ID)
	}
	return w.l.Void(w.ctx, key, hd.e.ID)
}

func verb(post bool) string {
	if post {
		return "Post"
	}
	return "Void"
}

func (w *worker) opResolve() {
	r := w.r
	var open, closed []*mHold
	for _, hd := range w.holds {
		if hd.state == holdOpen {
			open = append(open, hd)
		} else {
			closed = append(closed, hd)
		}
	}
	if len(closed) > 0 && (len(open) == 0 || r.IntN(5) == 0) {
		hd := closed[r.IntN(len(closed))]
		w.touched[hd.h] = true
		post := r.IntN(2) == 0
		key := w.key()
		w.logf("%s(%s) of hold %d, already resolved (%d)", verb(post), key, hd.e.ID, hd.state)
		_, err := w.resolve(hd, post, key)
		w.wantCode("second resolution", err, ledger.CodeConflict)
		w.refused(key)
		w.checkHolder("refused resolution", hd.h)
		return
	}
	if len(open) == 0 {
		w.opReserve()
		return
	}
	hd := open[r.IntN(len(open))]
	h := hd.h
	w.touched[h] = true
	post := r.IntN(2) == 0
	key := w.key()
	w.logf("%s(%s) of hold %d %+v", verb(post), key, hd.e.ID, hd.req)
	e, err := w.resolve(hd, post, key)
	w.wantOK("resolve", e, err)
	from, to := kindIndex(hd.req.From), kindIndex(hd.req.To)
	if post {
		hd.state = holdPosted
		h.bal[to] += hd.req.AmountFen
		w.checkEntry("post", e, ledger.EntryPost, hd.req.AmountFen, h, []leg{{h.acct[from], h.acct[to], hd.req.AmountFen}})
	} else {
		hd.state = holdVoided
		h.bal[from] += hd.req.AmountFen
		w.checkEntry("void", e, ledger.EntryVoid, hd.req.AmountFen, h, nil)
	}
	if e.HoldOf == nil || *e.HoldOf != hd.e.ID {
		w.failf("resolution %+v does not name hold %d", e, hd.e.ID)
	}
	w.remember(done{what: fmt.Sprintf("%s(%s) of hold %d", verb(post), key, hd.e.ID), first: e,
		again:    func(*rand.Rand) (ledger.Entry, error) { return w.resolve(hd, post, key) },
		conflict: func(*rand.Rand) (ledger.Entry, error) { return w.resolve(hd, !post, key) }})
	switch r.IntN(4) {
	case 0:
		w.maybeRetryNow()
	case 1:
		// Resolving again under another key is refused.
		k2 := w.key()
		p2 := r.IntN(2) == 0
		w.logf("%s(%s) of hold %d again", verb(p2), k2, hd.e.ID)
		_, err := w.resolve(hd, p2, k2)
		w.wantCode("double resolution", err, ledger.CodeConflict)
		w.refused(k2)
		w.checkHolder("refused double resolution", h)
	}
}

// opExpire reserves short holds, lets the clock pass them and has
// VoidExpiredHolds void them. Other workers share the clock, so until the
// job has run the holds may already be gone; only the end state is certain.
func (w *worker) opExpire() {
	h := w.holder()
	defer func() { w.shortHeld = 0 }()
	var short []*mHold
	for i := 0; i < 1+w.r.IntN(2); i++ {
		if hd := w.reserve(h, time.Duration(1+w.r.IntN(3))*time.Second, false); hd != nil {
			short = append(short, hd)
		}
	}
	// Exactly to the latest expiry: a hold cannot be posted at its expiry instant.
	step := time.Duration(0)
	for _, hd := range short {
		step = max(step, hd.req.TTL)
	}
	if step == 0 || w.r.IntN(3) == 0 {
		step += time.Duration(1+w.r.IntN(5)) * time.Second
	}
	w.logf("clock +%s, Post of %d short holds, VoidExpiredHolds", step, len(short))
	w.clk.Advance(step)
	for _, hd := range short {
		k := w.key()
		_, err := w.l.Post(w.ctx, k, hd.e.ID)
		w.wantCode("post of an expired hold", err, ledger.CodeConflict)
		w.refused(k)
	}
	if _, err := w.l.VoidExpiredHolds(w.ctx, 1+w.r.IntN(10000)); err != nil {
		w.failf("VoidExpiredHolds: %v", err)
	}
	for _, hd := range short {
		// The job's key answers with its void.
		e, err := w.l.Void(w.ctx, fmt.Sprintf("hold-expired:%d", hd.e.ID), hd.e.ID)
		if err != nil || e.Kind != ledger.EntryVoid || e.HoldOf == nil || *e.HoldOf != hd.e.ID || len(e.Transfers) != 0 {
			w.failf("expired hold %d was not voided by the job: %+v %v", hd.e.ID, e, err)
		}
		hd.state = holdVoided
		h.bal[kindIndex(hd.req.From)] += hd.req.AmountFen
		k := w.key()
		_, err = w.l.Void(w.ctx, k, hd.e.ID)
		w.wantCode("void of a voided hold", err, ledger.CodeConflict)
		w.refused(k)
	}
	w.checkHolder("after expiry", h)
}

// opInvalid sends a request that must be refused and must change nothing.
func (w *worker) opInvalid() {
	r := w.r
	h := w.holder()
	ctx := w.ctx
	sid := w.school.ID
	bad := []int64{0, -1, ledger.MaxAmountFen + 1, -ledger.MaxAmountFen}[r.IntN(4)]
	key := w.key()
	var err error
	want := ledger.CodeInvalidRequest
	var what string
	switch r.IntN(22) {
	case 0:
		what = fmt.Sprintf("TopUp of %d", bad)
		_, err = w.l.TopUp(ctx, ledger.TopUp{Key: key, SchoolID: sid, HolderID: h.h.ID, Channel: ledger.Cash, AmountFen: bad})
	case 1:
		what = fmt.Sprintf("Grant of %d", bad)
		_, err = w.l.Grant(ctx, ledger.Grant{Key: key, SchoolID: sid, HolderID: h.h.ID, AmountFen: bad})
	case 2:
		what = fmt.Sprintf("Pay of %d", bad)
		_, err = w.l.Pay(ctx, ledger.Payment{Key: key, SchoolID: sid, HolderID: h.h.ID, MerchantID: w.merchants[0].ID, AmountFen: bad, PIN: goodPIN})
	case 3:
		if p := w.payment(); p != nil {
			h = p.h
			what = fmt.Sprintf("Refund of %d of payment %d", bad, p.e.ID)
			_, err = w.l.Refund(ctx, ledger.Refund{Key: key, PaymentID: p.e.ID, AmountFen: bad})
		} else {
			what = "Refund of an unknown payment"
			_, err = w.l.Refund(ctx, ledger.Refund{Key: key, PaymentID: farAway, AmountFen: 1})
			want = ledger.CodeNotFound
		}
	case 4:
		what = fmt.Sprintf("Move of %d", bad)
		_, err = w.l.Move(ctx, ledger.Move{Key: key, SchoolID: sid, HolderID: h.h.ID, From: ledger.Wallet, To: ledger.Purse, AmountFen: bad})
	case 5:
		what = fmt.Sprintf("Reserve of %d", bad)
		_, err = w.l.Reserve(ctx, ledger.Reserve{Key: key, SchoolID: sid, HolderID: h.h.ID, From: ledger.Pending, To: ledger.Purse, AmountFen: bad, TTL: time.Hour})
	case 6:
		ttl := []time.Duration{0, -time.Second, maxHoldT + time.Nanosecond}[r.IntN(3)]
		what = fmt.Sprintf("Reserve with TTL %s", ttl)
		_, err = w.l.Reserve(ctx, ledger.Reserve{Key: key, SchoolID: sid, HolderID: h.h.ID, From: ledger.Wallet, To: ledger.Purse, AmountFen: 1, TTL: ttl})
	case 7:
		from := []ledger.AccountKind{ledger.Subsidy, ledger.Wallet, ledger.Purse, ledger.MerchantAccount}[r.IntN(4)]
		to := []ledger.AccountKind{ledger.Subsidy, from, ledger.Cash}[r.IntN(3)]
		what = fmt.Sprintf("Move %s>%s", from, to)
		_, err = w.l.Move(ctx, ledger.Move{Key: key, SchoolID: sid, HolderID: h.h.ID, From: from, To: to, AmountFen: 1})
	case 8:
		ch := []ledger.AccountKind{ledger.Fees, ledger.SubsidyFund, ledger.Wallet, "paypal", ""}[r.IntN(5)]
		what = fmt.Sprintf("TopUp through %q", ch)
		_, err = w.l.TopUp(ctx, ledger.TopUp{Key: key, SchoolID: sid, HolderID: h.h.ID, Channel: ch, AmountFen: 100})
	case 9:
		k := []string{"", strings.Repeat("k", 201)}[r.IntN(2)]
		what = fmt.Sprintf("Pay with a key of %d bytes", len(k))
		_, err = w.l.Pay(ctx, ledger.Payment{Key: k, SchoolID: sid, HolderID: h.h.ID, MerchantID: w.merchants[0].ID, AmountFen: 1})
	case 10:
		what = "TopUp of an unknown holder"
		want = ledger.CodeNotFound
		_, err = w.l.TopUp(ctx, ledger.TopUp{Key: key, SchoolID: sid, HolderID: farAway, Channel: ledger.Alipay, AmountFen: 100})
	case 11:
		what = "Pay to an unknown merchant"
		want = ledger.CodeNotFound
		_, err = w.l.Pay(ctx, ledger.Payment{Key: key, SchoolID: sid, HolderID: h.h.ID, MerchantID: farAway, AmountFen: 1})
	case 12:
		what = "Pay by an unknown holder"
		want = ledger.CodeNotFound
		_, err = w.l.Pay(ctx, ledger.Payment{Key: key, SchoolID: sid, HolderID: farAway, MerchantID: w.merchants[0].ID, AmountFen: 1})
	case 13:
		post := r.IntN(2) == 0
		id := farAway
		if len(w.payments) > 0 && r.IntN(2) == 0 {
			id = w.payments[r.IntN(len(w.payments))].e.ID // an entry, but not a hold
		}
		what = fmt.Sprintf("%s of hold %d that does not exist", verb(post), id)
		want = ledger.CodeNotFound
		if post {
			_, err = w.l.Post(ctx, key, id)
		} else {
			_, err = w.l.Void(ctx, key, id)
		}
	case 14:
		what = "Refund of an entry that is not a payment"
		want = ledger.CodeNotFound
		id := farAway
		if len(w.done) > 0 && w.done[0].first.Kind != ledger.EntryPayment {
			id = w.done[0].first.ID
		}
		_, err = w.l.Refund(ctx, ledger.Refund{Key: key, PaymentID: id, AmountFen: 1})
	case 15:
		what = "HolderBalances of an unknown holder"
		want = ledger.CodeNotFound
		_, err = w.l.HolderBalances(ctx, farAway)
	case 16, 17:
		if w.foreign == nil {
			what = "Grant to an unknown holder"
			want = ledger.CodeNotFound
			_, err = w.l.Grant(ctx, ledger.Grant{Key: key, SchoolID: sid, HolderID: farAway, AmountFen: 1})
			break
		}
		// Another school's holder, merchant or key.
		f := w.foreign
		fh := f.holders[r.IntN(len(f.holders))].h
		switch r.IntN(5) {
		case 0:
			what = fmt.Sprintf("TopUp of holder %d of school %d at school %d", fh.ID, fh.SchoolID, sid)
			want = ledger.CodeNotFound
			_, err = w.l.TopUp(ctx, ledger.TopUp{Key: key, SchoolID: sid, HolderID: fh.ID, Channel: ledger.Bank, AmountFen: 100})
		case 1:
			what = fmt.Sprintf("Pay by my holder at merchant %d of school %d", f.merchants[0].ID, f.school.ID)
			want = ledger.CodeNotFound
			_, err = w.l.Pay(ctx, ledger.Payment{Key: key, SchoolID: sid, HolderID: h.h.ID, MerchantID: f.merchants[0].ID, AmountFen: 1})
		case 2:
			what = fmt.Sprintf("Pay by my holder %d with school id %d", h.h.ID, f.school.ID)
			want = ledger.CodeNotFound
			_, err = w.l.Pay(ctx, ledger.Payment{Key: key, SchoolID: f.school.ID, HolderID: h.h.ID, MerchantID: f.merchants[0].ID, AmountFen: 1})
		case 3:
			what = fmt.Sprintf("Move of holder %d of school %d at school %d", fh.ID, fh.SchoolID, sid)
			want = ledger.CodeNotFound
			_, err = w.l.Move(ctx, ledger.Move{Key: key, SchoolID: sid, HolderID: fh.ID, From: ledger.Pending, To: ledger.Purse, AmountFen: 1})
		default:
			// Idempotency keys are unique across schools: another school's
			// key is refused, never answered with that school's entry.
			k := f.setupKeys[r.IntN(len(f.setupKeys))]
			what = fmt.Sprintf("TopUp reusing school %d's key %s", f.school.ID, k)
			want = ledger.CodeConflict
			_, err = w.l.TopUp(ctx, ledger.TopUp{Key: k, SchoolID: sid, HolderID: h.h.ID, Channel: ledger.Bank, AmountFen: 100})
			key = ""
		}
	case 18:
		what = "Pay with a malformed PIN"
		_, err = w.l.Pay(ctx, ledger.Payment{Key: key, SchoolID: sid, HolderID: h.h.ID, MerchantID: w.merchants[0].ID, AmountFen: 1, PIN: "1234567"})
	default:
		// More than there is, in an account the holder cannot overdraw.
		from := movable[r.IntN(3)]
		amount := h.bal[from] + amountIn(r, 1, 100)
		what = fmt.Sprintf("Move of %d from %s holding %d", amount, acctKinds[from], h.bal[from])
		want = tooMuch(amount)
		to := iPurse
		if from == iPurse {
			to = iWallet
		}
		_, err = w.l.Move(ctx, ledger.Move{Key: key, SchoolID: sid, HolderID: h.h.ID, From: acctKinds[from], To: acctKinds[to], AmountFen: amount})
	}
	w.logf("must fail with %s: %s (key %q)", want, what, key)
	w.wantCode(what, err, want)
	if key != "" {
		w.refused(key)
	}
	w.checkHolder("refused request", h)
}

// pinLock is the one sequence that locks a PIN: wrong PINs until locked, the
// right PIN refused while locked, payments without a PIN still fine, then a
// PIN reset unlocks it.
func (w *worker) pinLock() {
	h := w.holder()
	maxF := w.school.PINMaxFailures
	for i := h.pinFailures; i < maxF+1; i++ {
		req := ledger.Payment{Key: w.key(), SchoolID: w.school.ID, HolderID: h.h.ID, MerchantID: w.merchants[0].ID, AmountFen: 1, PIN: w.wrongPIN()}
		w.logf("Pay %+v (%d PIN failures before)", req, h.pinFailures)
		x := w.expectPay(h, 1, req.PIN)
		_, err := w.l.Pay(w.ctx, req)
		w.wantCode("wrong PIN", err, x.code)
		w.refused(req.Key)
	}
	if h.pinFailures != maxF {
		w.failf("model: %d PIN failures, want %d", h.pinFailures, maxF)
	}
	req := ledger.Payment{Key: w.key(), SchoolID: w.school.ID, HolderID: h.h.ID, MerchantID: w.merchants[1].ID, AmountFen: 1, PIN: goodPIN}
	w.logf("Pay %+v with the right PIN while locked", req)
	_, err := w.l.Pay(w.ctx, req)
	w.wantCode("right PIN while locked", err, ledger.CodePINLocked)
	w.refused(req.Key)
	w.checkHolder("locked PIN", h)
	w.opPayFor(h, "") // no PIN: only the limits apply
	w.logf("SetPIN(%d, %s)", h.h.ID, goodPIN)
	if err := w.l.SetPIN(w.ctx, h.h.ID, goodPIN); err != nil {
		w.failf("SetPIN: %v", err)
	}
	h.pinFailures = 0
	w.opPayFor(h, goodPIN)
}

// opPayFor pays a small amount for h with the given PIN, as the model says.
func (w *worker) opPayFor(h *mHolder, pin string) {
	amount := amountIn(w.r, 1, min(w.school.PerPaymentLimitFen, 300))
	req := ledger.Payment{Key: w.key(), SchoolID: w.school.ID, HolderID: h.h.ID, MerchantID: w.merchants[0].ID, AmountFen: amount, PIN: pin}
	w.logf("Pay %+v (spent %d, balances %v)", req, h.spent, h.bal)
	x := w.expectPay(h, amount, pin)
	e, err := w.l.Pay(w.ctx, req)
	if x.code != "" {
		w.wantCode("payment", err, x.code)
		w.refused(req.Key)
		return
	}
	w.wantOK("payment", e, err)
	h.bal[iSubsidy] -= x.fromSubsidy
	h.bal[iWallet] -= x.fromWall
	h.spent += amount
	if e.BalanceAfterFen != h.spendable() {
		w.failf("balance after %d, model %d", e.BalanceAfterFen, h.spendable())
	}
	w.payments = append(w.payments, &mPayment{e: e, req: req, h: h, fromSubsidy: x.fromSubsidy, fromWall: x.fromWall})
}

// ---- concurrent sequences: invariants whatever the interleaving ----

// outcome is one call made from a goroutine.
type outcome struct {
	what string
	e    ledger.Entry
	err  error
}

// parallel runs each function in its own goroutine, all released at once.
func (w *worker) parallel(fns []func() []outcome) [][]outcome {
	out := make([][]outcome, len(fns))
	panics := make([]string, len(fns))
	var ready, wg sync.WaitGroup
	start := make(chan struct{})
	for i, fn := range fns {
		ready.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					panics[i] = fmt.Sprintf("goroutine %d panicked: %v\n%s", i, p, debug.Stack())
				}
			}()
			ready.Done()
			<-start
			out[i] = fn()
		}()
	}
	ready.Wait()
	close(start)
	wg.Wait()
	for _, p := range panics {
		if p != "" {
			w.failf("%s", p)
		}
	}
	for i, os := range out {
		for _, o := range os {
			w.logf("  goroutine %d: %s -> entry %d %v", i, o.what, o.e.ID, o.err)
		}
	}
	return out
}

func one(what string, e ledger.Entry, err error) []outcome { return []outcome{{what, e, err}} }

// settle checks the outcomes of a concurrent batch on holder h: the errors
// are among the allowed codes, calls with one key answer with one entry, and
// the holder's balances moved by exactly the effects of the distinct
// successful entries. It applies those effects to the model and returns the
// distinct entries.
func (w *worker) settle(h *mHolder, outs [][]outcome, allowed ...string) map[int64]ledger.Entry {
	entries := map[int64]ledger.Entry{}
	byKey := map[string]int64{}
	for _, os := range outs {
		for _, o := range os {
			if o.err != nil {
				ok := false
				for _, c := range allowed {
					ok = ok || ledger.ErrorCode(o.err) == c
				}
				if !ok {
					w.failf("%s: unexpected error %v (allowed: %v)", o.what, o.err, allowed)
				}
				continue
			}
			if o.e.ID == 0 {
				w.failf("%s: success without an entry: %+v", o.what, o.e)
			}
			if id, seen := byKey[o.e.IdempotencyKey]; seen && id != o.e.ID {
				w.failf("key %s answered with entries %d and %d", o.e.IdempotencyKey, id, o.e.ID)
			}
			byKey[o.e.IdempotencyKey] = o.e.ID
			if prev, seen := entries[o.e.ID]; seen && !sameEntry(prev, o.e) {
				w.failf("entry %d answered differently: %+v and %+v", o.e.ID, prev, o.e)
			}
			entries[o.e.ID] = o.e
		}
	}
	want := h.bal
	for _, e := range entries {
		d := h.effect(e)
		for i := range want {
			want[i] += d[i]
		}
	}
	for i, b := range want {
		if b < 0 {
			w.failf("holder %d: %s would be %d: the successes overdraw it", h.h.ID, acctKinds[i], b)
		}
	}
	h.bal = want
	w.checkHolder("after the concurrent batch", h)
	return entries
}

func (w *worker) concurrent() {
	switch w.r.IntN(7) {
	case 0:
		w.concTopUp()
	case 1, 2:
		w.concPayments()
	case 3:
		w.concRefunds()
	case 4:
		w.concResolve()
	case 5:
		w.concExpire()
	default:
		w.concMixed()
	}
}

// concTopUp: one provider notification delivered by many goroutines at once,
// and a few with the same key but another amount.
func (w *worker) concTopUp() {
	h := w.holder()
	req := ledger.TopUp{Key: w.key(), SchoolID: w.school.ID, HolderID: h.h.ID, Channel: channels[w.r.IntN(len(channels))],
		AmountFen: w.someAmount(), ToCard: w.r.IntN(3) == 0}
	alt := req
	alt.AmountFen = otherAmount(req.AmountFen)
	nAlt := w.r.IntN(3)
	n := max(8, w.run.p.goroutines)
	w.logf("concurrently %d× TopUp %+v and %d× with amount %d", n, req, nAlt, alt.AmountFen)
	var fns []func() []outcome
	for i := 0; i < n+nAlt; i++ {
		in := req
		if i >= n {
			in = alt
		}
		fns = append(fns, func() []outcome {
			e, err := w.l.TopUp(w.ctx, in)
			return one(fmt.Sprintf("TopUp of %d", in.AmountFen), e, err)
		})
	}
	entries := w.settle(h, w.parallel(fns), ledger.CodeConflict)
	if len(entries) != 1 {
		w.failf("one key must post exactly once, got %d entries", len(entries))
	}
	for _, e := range entries {
		winner := req
		if e.AmountFen == alt.AmountFen {
			winner = alt
		}
		again, err := w.l.TopUp(w.ctx, winner)
		if err != nil || again.ID != e.ID {
			w.failf("retry of the winning top-up: %+v %v, want entry %d", again, err, e.ID)
		}
	}
}

// concPayments: many payments, some with duplicated keys, some with the PIN,
// on one holder at once.
func (w *worker) concPayments() {
	h := w.holder()
	r := w.r
	day := ledger.SchoolDay(w.school.Timezone, w.clk.Now())
	if h.day != day {
		h.day, h.spent = day, 0
	}
	spent0, spendable0 := h.spent, h.spendable()
	perPay := w.school.PerPaymentLimitFen
	var reqs []ledger.Payment
	usedPIN := false
	for i := 0; i < w.run.p.goroutines; i++ {
		if i > 0 && r.IntN(4) == 0 {
			reqs = append(reqs, reqs[r.IntN(len(reqs))]) // the same request twice
			continue
		}
		req := ledger.Payment{Key: w.key(), SchoolID: w.school.ID, HolderID: h.h.ID, MerchantID: w.merchants[r.IntN(2)].ID,
			AmountFen: amountIn(r, 1, min(perPay, max(50, spendable0/3)))}
		if r.IntN(4) == 0 {
			req.PIN = goodPIN
			usedPIN = true
			if r.IntN(2) == 0 {
				req.AmountFen += perPay // only the PIN lets it through
			}
		}
		reqs = append(reqs, req)
	}
	w.logf("concurrently %d payments on holder %d (spendable %d, spent today %d)", len(reqs), h.h.ID, spendable0, spent0)
	var fns []func() []outcome
	for _, req := range reqs {
		fns = append(fns, func() []outcome {
			e, err := w.l.Pay(w.ctx, req)
			return one(fmt.Sprintf("Pay %s of %d pin=%q", req.Key, req.AmountFen, req.PIN), e, err)
		})
	}
	entries := w.settle(h, w.parallel(fns), ledger.CodeLimitExceeded, ledger.CodeInsufficientFunds)
	withPIN := map[string]bool{}
	for _, req := range reqs {
		withPIN[req.Key] = req.PIN != ""
	}
	var total int64
	for _, e := range entries {
		total += e.AmountFen
		w.addPayment(h, e)
		if e.AmountFen > perPay && !withPIN[e.IdempotencyKey] {
			w.failf("payment %+v over the per-payment limit %d went through without a PIN", e, perPay)
		}
	}
	if h.spendable() != spendable0-total {
		w.failf("spendable %d, want %d - %d", h.spendable(), spendable0, total)
	}
	if !usedPIN && total > 0 && spent0+total > w.school.PerDayLimitFen {
		w.failf("without a PIN the day's spending reached %d + %d, over the limit %d", spent0, total, w.school.PerDayLimitFen)
	}
	h.spent += total
	if usedPIN {
		h.pinFailures = 0
	}
}

// addPayment records a payment made concurrently, its split read from its transfers.
func (w *worker) addPayment(h *mHolder, e ledger.Entry) {
	p := &mPayment{e: e, h: h}
	for _, tr := range e.Transfers {
		switch h.index(tr.FromAccountID) {
		case iSubsidy:
			p.fromSubsidy += tr.AmountFen
		case iWallet:
			p.fromWall += tr.AmountFen
		default:
			w.failf("payment %d transfer %+v is not from the holder's wallet or subsidy", e.ID, tr)
		}
	}
	if p.fromSubsidy+p.fromWall != e.AmountFen {
		w.failf("payment %+v: transfers add up to %d", e, p.fromSubsidy+p.fromWall)
	}
	w.payments = append(w.payments, p)
}

// payWithPIN makes a payment for h sequentially, topping the wallet up first
// if needed; it returns the payment.
func (w *worker) payWithPIN(h *mHolder, amount int64) *mPayment {
	if h.spendable() < amount {
		req := ledger.TopUp{Key: w.key(), SchoolID: w.school.ID, HolderID: h.h.ID, Channel: ledger.Alipay, AmountFen: amount}
		w.logf("TopUp %+v", req)
		e, err := w.l.TopUp(w.ctx, req)
		w.wantOK("top-up", e, err)
		h.bal[iWallet] += amount
	}
	req := ledger.Payment{Key: w.key(), SchoolID: w.school.ID, HolderID: h.h.ID, MerchantID: w.merchants[w.r.IntN(2)].ID, AmountFen: amount, PIN: goodPIN}
	w.logf("Pay %+v", req)
	x := w.expectPay(h, amount, goodPIN)
	if x.code != "" {
		w.failf("model refuses a PIN payment it funded: %s", x.code)
	}
	e, err := w.l.Pay(w.ctx, req)
	w.wantOK("payment", e, err)
	h.bal[iSubsidy] -= x.fromSubsidy
	h.bal[iWallet] -= x.fromWall
	h.spent += amount
	p := &mPayment{e: e, req: req, h: h, fromSubsidy: x.fromSubsidy, fromWall: x.fromWall}
	w.payments = append(w.payments, p)
	return p
}

// concRefunds: many refunds of one payment at once never return more than it was.
func (w *worker) concRefunds() {
	h := w.holder()
	r := w.r
	p := w.payWithPIN(h, amountIn(r, 100, 5000))
	left := p.e.AmountFen
	var reqs []ledger.Refund
	for i := 0; i < w.run.p.goroutines; i++ {
		if i > 0 && r.IntN(4) == 0 {
			reqs = append(reqs, reqs[r.IntN(len(reqs))])
			continue
		}
		req := ledger.Refund{Key: w.key(), PaymentID: p.e.ID, AmountFen: amountIn(r, 1, left/3)}
		if r.IntN(5) == 0 {
			req.AmountFen = left
		}
		if r.IntN(2) == 0 {
			req.MerchantID = *p.e.MerchantID
		}
		reqs = append(reqs, req)
	}
	w.logf("concurrently %d refunds of payment %d of %d (wallet %d, subsidy %d)", len(reqs), p.e.ID, p.e.AmountFen, p.fromWall, p.fromSubsidy)
	var fns []func() []outcome
	for _, req := range reqs {
		fns = append(fns, func() []outcome {
			e, err := w.l.Refund(w.ctx, req)
			return one(fmt.Sprintf("Refund %s of %d", req.Key, req.AmountFen), e, err)
		})
	}
	before := h.bal
	entries := w.settle(h, w.parallel(fns), ledger.CodeConflict)
	var total int64
	for _, e := range entries {
		if e.Kind != ledger.EntryRefund || e.RefundOf == nil || *e.RefundOf != p.e.ID {
			w.failf("refund entry %+v", e)
		}
		total += e.AmountFen
	}
	if total > p.e.AmountFen {
		w.failf("refunded %d of a payment of %d", total, p.e.AmountFen)
	}
	// Wallet first, whatever the order: the wallet gets back what it paid.
	toWallet := min(total, p.fromWall)
	if h.bal[iWallet]-before[iWallet] != toWallet || h.bal[iSubsidy]-before[iSubsidy] != total-toWallet {
		w.failf("refunds of %d returned %d to the wallet and %d to the subsidy; want %d and %d",
			total, h.bal[iWallet]-before[iWallet], h.bal[iSubsidy]-before[iSubsidy], toWallet, total-toWallet)
	}
	p.refunded = total
	// What is left can be refunded, one fen more cannot.
	rest := p.e.AmountFen - total
	k := w.key()
	w.logf("Refund %s of %d (one more than is left)", k, rest+1)
	_, err := w.l.Refund(w.ctx, ledger.Refund{Key: k, PaymentID: p.e.ID, AmountFen: rest + 1})
	w.wantCode("refund over what is left", err, ledger.CodeConflict)
	w.refused(k)
	if rest > 0 {
		req := ledger.Refund{Key: w.key(), PaymentID: p.e.ID, AmountFen: rest}
		w.logf("Refund %+v (the rest)", req)
		e, err := w.l.Refund(w.ctx, req)
		w.wantOK("refund of the rest", e, err)
		toW, toS := expectRefund(p, rest)
		p.refunded += rest
		h.bal[iWallet] += toW
		h.bal[iSubsidy] += toS
		if e.BalanceAfterFen != h.spendable() {
			w.failf("balance after %d, model %d", e.BalanceAfterFen, h.spendable())
		}
	}
	h.pinFailures = 0
}

// concResolve: Post and Void of one hold race; exactly one wins.
func (w *worker) concResolve() {
	h := w.holder()
	var hd *mHold
	for i := 0; i < 3 && hd == nil; i++ {
		hd = w.reserve(h, time.Hour, true)
	}
	if hd == nil {
		return
	}
	keys := []string{w.key(), w.key(), w.key(), w.key()}
	w.logf("concurrently Post and Void of hold %d %+v", hd.e.ID, hd.req)
	var fns []func() []outcome
	for i := 0; i < w.run.p.goroutines; i++ {
		post := i%2 == 0
		key := keys[w.r.IntN(len(keys))]
		fns = append(fns, func() []outcome {
			e, err := w.resolve(hd, post, key)
			return one(fmt.Sprintf("%s(%s)", verb(post), key), e, err)
		})
	}
	entries := w.settle(h, w.parallel(fns), ledger.CodeConflict)
	if len(entries) != 1 {
		w.failf("hold %d resolved %d times", hd.e.ID, len(entries))
	}
	for _, e := range entries {
		if e.HoldOf == nil || *e.HoldOf != hd.e.ID {
			w.failf("resolution %+v", e)
		}
		if e.Kind == ledger.EntryPost {
			hd.state = holdPosted
		} else {
			hd.state = holdVoided
		}
	}
}

// concExpire: VoidExpiredHolds twice at once and late posts on expired holds.
func (w *worker) concExpire() {
	h := w.holder()
	defer func() { w.shortHeld = 0 }()
	var short []*mHold
	for i := 0; i < 3; i++ {
		if hd := w.reserve(h, time.Second, false); hd != nil {
			short = append(short, hd)
		}
	}
	if len(short) == 0 {
		return
	}
	w.clk.Advance(3 * time.Second)
	w.logf("clock +3s; concurrently VoidExpiredHolds, Post and Void of %d expired holds", len(short))
	var fns []func() []outcome
	for i := 0; i < 2; i++ {
		fns = append(fns, func() []outcome {
			n, err := w.l.VoidExpiredHolds(w.ctx, 10000)
			return one(fmt.Sprintf("VoidExpiredHolds (%d)", n), ledger.Entry{}, err)
		})
	}
	for _, hd := range short {
		kp, kv := w.key(), w.key()
		fns = append(fns, func() []outcome {
			var o []outcome
			e, err := w.l.Post(w.ctx, kp, hd.e.ID)
			if err == nil {
				o = append(o, outcome{"Post of an expired hold succeeded", e, fmt.Errorf("expired hold %d posted: %+v", hd.e.ID, e)})
			} else {
				o = append(o, outcome{"Post of an expired hold", ledger.Entry{}, err})
			}
			e, err = w.l.Void(w.ctx, kv, hd.e.ID)
			return append(o, outcome{"Void " + kv, e, err})
		})
	}
	outs := w.parallel(fns)
	for _, o := range outs[:2] {
		if o[0].err != nil {
			w.failf("VoidExpiredHolds: %v", o[0].err)
		}
	}
	// Each hold is voided once: by its explicit Void, or else by the job.
	for _, hd := range short {
		voids := 0
		for _, o := range outs[2:] {
			for _, x := range o {
				if x.err == nil && x.e.HoldOf != nil && *x.e.HoldOf == hd.e.ID {
					voids++
				}
			}
		}
		e, err := w.l.Void(w.ctx, fmt.Sprintf("hold-expired:%d", hd.e.ID), hd.e.ID)
		switch {
		case voids == 0 && (err != nil || e.HoldOf == nil || *e.HoldOf != hd.e.ID):
			w.failf("hold %d neither voided by Void nor by the job: %+v %v", hd.e.ID, e, err)
		case voids == 0:
			h.bal[kindIndex(hd.req.From)] += hd.req.AmountFen // the job's void
		case voids > 0 && err == nil:
			w.failf("hold %d voided by Void and by the job (%+v)", hd.e.ID, e)
		}
		hd.state = holdVoided
	}
	w.settle(h, outs[2:], ledger.CodeConflict)
}

// concMixed: payments, refunds, moves, top-ups, grants and holds on one
// holder at once.
func (w *worker) concMixed() {
	h := w.holder()
	r := w.r
	day := ledger.SchoolDay(w.school.Timezone, w.clk.Now())
	if h.day != day {
		h.day, h.spent = day, 0
	}
	var mine []*mPayment
	for _, p := range w.payments {
		if p.h == h && p.refunded < p.e.AmountFen {
			mine = append(mine, p)
		}
	}
	if len(mine) == 0 {
		mine = append(mine, w.payWithPIN(h, amountIn(r, 50, 2000)))
	}
	sid := w.school.ID
	var fns []func() []outcome
	usedPIN := false
	for i := 0; i < w.run.p.goroutines; i++ {
		switch r.IntN(7) {
		case 0, 1:
			req := ledger.Payment{Key: w.key(), SchoolID: sid, HolderID: h.h.ID, MerchantID: w.merchants[r.IntN(2)].ID,
				AmountFen: amountIn(r, 1, min(w.school.PerPaymentLimitFen, 800))}
			if r.IntN(3) == 0 {
				req.PIN = goodPIN
				usedPIN = true
			}
			fns = append(fns, func() []outcome {
				a, err := w.l.Pay(w.ctx, req)
				b, err2 := w.l.Pay(w.ctx, req)
				return []outcome{{"Pay " + req.Key, a, err}, {"Pay again " + req.Key, b, err2}}
			})
		case 2:
			p := mine[r.IntN(len(mine))]
			req := ledger.Refund{Key: w.key(), PaymentID: p.e.ID, AmountFen: amountIn(r, 1, p.e.AmountFen/2+1)}
			fns = append(fns, func() []outcome {
				e, err := w.l.Refund(w.ctx, req)
				return one(fmt.Sprintf("Refund %s of %d of payment %d", req.Key, req.AmountFen, p.e.ID), e, err)
			})
		case 3:
			from, to := w.movePair()
			req := ledger.Move{Key: w.key(), SchoolID: sid, HolderID: h.h.ID, From: acctKinds[from], To: acctKinds[to], AmountFen: amountIn(r, 1, 1500)}
			fns = append(fns, func() []outcome {
				e, err := w.l.Move(w.ctx, req)
				return one(fmt.Sprintf("Move %s>%s %d", req.From, req.To, req.AmountFen), e, err)
			})
		case 4:
			req := ledger.TopUp{Key: w.key(), SchoolID: sid, HolderID: h.h.ID, Channel: channels[r.IntN(len(channels))], AmountFen: amountIn(r, 1, 2000), ToCard: r.IntN(2) == 0}
			fns = append(fns, func() []outcome {
				a, err := w.l.TopUp(w.ctx, req)
				b, err2 := w.l.TopUp(w.ctx, req)
				return []outcome{{"TopUp " + req.Key, a, err}, {"TopUp again " + req.Key, b, err2}}
			})
		case 5:
			req := ledger.Grant{Key: w.key(), SchoolID: sid, HolderID: h.h.ID, AmountFen: amountIn(r, 1, 1000)}
			fns = append(fns, func() []outcome {
				e, err := w.l.Grant(w.ctx, req)
				return one("Grant "+req.Key, e, err)
			})
		default:
			from, to := w.movePair()
			req := ledger.Reserve{Key: w.key(), SchoolID: sid, HolderID: h.h.ID, From: acctKinds[from], To: acctKinds[to], AmountFen: amountIn(r, 1, 1000), TTL: time.Hour}
			post := r.IntN(2) == 0
			rk := w.key()
			fns = append(fns, func() []outcome {
				e, err := w.l.Reserve(w.ctx, req)
				o := []outcome{{fmt.Sprintf("Reserve %s>%s %d", req.From, req.To, req.AmountFen), e, err}}
				if err != nil {
					return o
				}
				var e2 ledger.Entry
				if post {
					e2, err = w.l.Post(w.ctx, rk, e.ID)
				} else {
					e2, err = w.l.Void(w.ctx, rk, e.ID)
				}
				return append(o, outcome{fmt.Sprintf("%s(%s) of %d", verb(post), rk, e.ID), e2, err})
			})
		}
	}
	w.logf("concurrently %d mixed operations on holder %d (balances %v)", len(fns), h.h.ID, h.bal)
	outs := w.parallel(fns)
	// A reserve that succeeded is resolved by its own goroutine, which
	// cannot lose: nobody else knows the hold.
	for _, os := range outs {
		if len(os) == 2 && os[0].err == nil && os[1].err != nil {
			w.failf("%s: %v after %s succeeded", os[1].what, os[1].err, os[0].what)
		}
		if len(os) == 2 && os[0].err == nil && os[0].e.Kind != ledger.EntryReserve && os[1].e.ID != os[0].e.ID {
			w.failf("%s answered entry %d, the first call %d", os[1].what, os[1].e.ID, os[0].e.ID)
		}
	}
	entries := w.settle(h, outs, ledger.CodeLimitExceeded, ledger.CodeInsufficientFunds, ledger.CodeConflict)
	for _, e := range entries {
		switch e.Kind {
		case ledger.EntryPayment:
			w.addPayment(h, e)
			h.spent += e.AmountFen
		case ledger.EntryRefund:
			for _, p := range mine {
				if p.e.ID == *e.RefundOf {
					p.refunded += e.AmountFen
				}
			}
		case ledger.EntryTopup, ledger.EntryGrant, ledger.EntryMove, ledger.EntryReserve, ledger.EntryPost, ledger.EntryVoid:
		default:
			w.failf("unexpected entry %+v", e)
		}
	}
	for _, p := range mine {
		if p.refunded > p.e.AmountFen {
			w.failf("payment %d of %d refunded %d", p.e.ID, p.e.AmountFen, p.refunded)
		}
	}
	if usedPIN {
		h.pinFailures = 0
	}
}
