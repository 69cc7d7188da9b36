package ledger_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/ecard/ecard/ledger"
)

// Operations of the property tests (see property_test.go), each checked one
// by one against the model.

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
