package ledger_test

import (
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/ecard/ecard/ledger"
)

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
