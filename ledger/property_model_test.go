package ledger_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/ecard/ecard/ledger"
)

// The model of the property tests (see property_test.go): what a holder,
// payment and hold should look like, and the checks of the ledger against it.

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
