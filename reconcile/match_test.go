package reconcile_test

import (
	"bytes"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/ecard/ecard/reconcile"
)

const (
	pay    = reconcile.KindPayment
	refund = reconcile.KindRefund
)

func line(row int, kind reconcile.Kind, order, refundNo string, fen int64) reconcile.Line {
	return reconcile.Line{Row: row, Kind: kind, OrderNo: order, RefundNo: refundNo, AmountFen: fen,
		ProviderTxnID: "tx-" + order, At: at("2026-11-21 10:00:00").Add(time.Duration(row) * time.Minute), Status: "SUCCESS"}
}

func record(kind reconcile.Kind, order, refundNo string, fen int64) reconcile.Record {
	return reconcile.Record{Kind: kind, OrderNo: order, RefundNo: refundNo, AmountFen: fen,
		ProviderTxnID: "tx-" + order, At: at("2026-11-21 10:00:00")}
}

// recordOf is what the ledger would hold for a bill line.
func recordOf(l reconcile.Line) reconcile.Record {
	return reconcile.Record{OrderNo: l.OrderNo, ProviderTxnID: l.ProviderTxnID, RefundNo: l.RefundNo,
		Kind: l.Kind, AmountFen: l.AmountFen, At: l.At}
}

func TestMatchSampleBills(t *testing.T) {
	for _, c := range []struct{ provider, file string }{{"wechatpay", "wechat_all.csv"}, {"alipay", "alipay_trade.csv"}} {
		bill, err := reconcile.Parse(c.provider, bytes.NewReader(readSample(t, c.file)))
		if err != nil {
			t.Fatal(err)
		}
		var ledger []reconcile.Record
		for i := len(bill) - 1; i >= 0; i-- { // in another order than the bill
			ledger = append(ledger, recordOf(bill[i]))
		}
		rep := reconcile.Match(c.provider, "2026-11-21", bill, ledger)
		if !rep.OK() || rep.Matched != len(bill) || rep.BillLines != len(bill) || rep.LedgerRecords != len(bill) {
			t.Errorf("%s: report = %+v", c.provider, rep)
		}
		if rep.Provider != c.provider || rep.Date != "2026-11-21" {
			t.Errorf("%s: report names %s %s", c.provider, rep.Provider, rep.Date)
		}
	}
	// WeChat: 180.01 paid, 120.00 refunded. Alipay: 180.00 paid, 20.00 refunded.
	wx, _ := reconcile.ParseWeChatBill(bytes.NewReader(readSample(t, "wechat_all.csv")))
	if rep := reconcile.Match("wechatpay", "2026-11-21", wx, nil); rep.BillTotalFen != 6001 || rep.LedgerTotalFen != 0 || rep.OK() {
		t.Errorf("wechat totals: %+v", rep)
	}
	ap, _ := reconcile.ParseAlipayBill(bytes.NewReader(readSample(t, "alipay_trade.csv")))
	if rep := reconcile.Match("alipay", "2026-11-21", ap, nil); rep.BillTotalFen != 16000 || len(rep.MissingHere) != 4 {
		t.Errorf("alipay totals: %+v", rep)
	}
}

func TestMatch(t *testing.T) {
	cases := []struct {
		name         string
		bill         []reconcile.Line
		ledger       []reconcile.Record
		matched      int
		missingHere  []reconcile.Line
		missingThere []reconcile.Record
		mismatches   []reconcile.Mismatch
		billTotal    int64
		ledgerTotal  int64
	}{
		{name: "nothing on either side"},
		{
			name:    "all matched",
			bill:    []reconcile.Line{line(2, pay, "A", "", 5000), line(3, pay, "B", "", 100), line(4, refund, "A", "R1", 2000)},
			ledger:  []reconcile.Record{record(refund, "A", "R1", 2000), record(pay, "B", "", 100), record(pay, "A", "", 5000)},
			matched: 3, billTotal: 3100, ledgerTotal: 3100,
		},
		{
			name:        "missing here: the provider took money the ledger never credited",
			bill:        []reconcile.Line{line(2, pay, "A", "", 5000), line(3, pay, "B", "", 100)},
			ledger:      []reconcile.Record{record(pay, "A", "", 5000)},
			matched:     1,
			missingHere: []reconcile.Line{line(3, pay, "B", "", 100)},
			billTotal:   5100, ledgerTotal: 5000,
		},
		{
			name:         "missing there: the ledger credited money the provider never took",
			bill:         []reconcile.Line{line(2, pay, "A", "", 5000)},
			ledger:       []reconcile.Record{record(pay, "A", "", 5000), record(pay, "C", "", 300)},
			matched:      1,
			missingThere: []reconcile.Record{record(pay, "C", "", 300)},
			billTotal:    5000, ledgerTotal: 5300,
		},
		{
			name:       "mismatch",
			bill:       []reconcile.Line{line(2, pay, "A", "", 4900), line(3, refund, "A", "R1", 1000)},
			ledger:     []reconcile.Record{record(pay, "A", "", 5000), record(refund, "A", "R1", 1100)},
			mismatches: []reconcile.Mismatch{{OrderNo: "A", Kind: pay, BillFen: 4900, LedgerFen: 5000, Row: 2}, {OrderNo: "A", RefundNo: "R1", Kind: refund, BillFen: 1000, LedgerFen: 1100, Row: 3}},
			billTotal:  3900, ledgerTotal: 3900,
		},
		{
			name:        "a line twice in the bill, once in the ledger",
			bill:        []reconcile.Line{line(2, pay, "A", "", 5000), line(3, pay, "A", "", 5000)},
			ledger:      []reconcile.Record{record(pay, "A", "", 5000)},
			matched:     1,
			missingHere: []reconcile.Line{line(3, pay, "A", "", 5000)},
			billTotal:   10000, ledgerTotal: 5000,
		},
		{
			name:         "a record twice in the ledger, once in the bill",
			bill:         []reconcile.Line{line(2, refund, "A", "R1", 700)},
			ledger:       []reconcile.Record{record(refund, "A", "R1", 700), record(refund, "A", "R1", 700)},
			matched:      1,
			missingThere: []reconcile.Record{record(refund, "A", "R1", 700)},
			billTotal:    -700, ledgerTotal: -1400,
		},
		{
			name:        "duplicates pair equal amounts before reporting a mismatch",
			bill:        []reconcile.Line{line(2, pay, "A", "", 100), line(3, pay, "A", "", 200)},
			ledger:      []reconcile.Record{record(pay, "A", "", 200)},
			matched:     1,
			missingHere: []reconcile.Line{line(2, pay, "A", "", 100)},
			billTotal:   300, ledgerTotal: 200,
		},
		{
			name:        "duplicates with no equal amounts pair in order",
			bill:        []reconcile.Line{line(2, pay, "A", "", 100), line(3, pay, "A", "", 200)},
			ledger:      []reconcile.Record{record(pay, "A", "", 300)},
			mismatches:  []reconcile.Mismatch{{OrderNo: "A", Kind: pay, BillFen: 100, LedgerFen: 300, Row: 2}},
			missingHere: []reconcile.Line{line(3, pay, "A", "", 200)},
			billTotal:   300, ledgerTotal: 300,
		},
		{
			name:         "refunds are told apart by refund number, and never pair with payments",
			bill:         []reconcile.Line{line(2, refund, "A", "R1", 500), line(3, refund, "A", "R2", 500), line(4, pay, "B", "", 500)},
			ledger:       []reconcile.Record{record(refund, "A", "R1", 500), record(refund, "A", "R3", 500), record(refund, "B", "", 500)},
			matched:      1,
			missingHere:  []reconcile.Line{line(3, refund, "A", "R2", 500), line(4, pay, "B", "", 500)},
			missingThere: []reconcile.Record{record(refund, "A", "R3", 500), record(refund, "B", "", 500)},
			billTotal:    -500, ledgerTotal: -1500,
		},
		{
			name:         "a payment and its refund the same day",
			bill:         []reconcile.Line{line(2, pay, "A", "", 5000), line(9, refund, "A", "R1", 5000)},
			ledger:       []reconcile.Record{record(pay, "A", "", 5000)},
			matched:      1,
			missingHere:  []reconcile.Line{line(9, refund, "A", "R1", 5000)},
			missingThere: []reconcile.Record{},
			billTotal:    0, ledgerTotal: 5000,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rep := reconcile.Match("wechatpay", "2026-11-21", c.bill, c.ledger)
			want := reconcile.Report{
				Provider: "wechatpay", Date: "2026-11-21", BillLines: len(c.bill), LedgerRecords: len(c.ledger),
				Matched: c.matched, BillTotalFen: c.billTotal, LedgerTotalFen: c.ledgerTotal,
				MissingHere: nonNil(c.missingHere), MissingThere: nonNil(c.missingThere), Mismatches: nonNil(c.mismatches),
			}
			if !reflect.DeepEqual(rep, want) {
				t.Fatalf("report:\n got %+v\nwant %+v", rep, want)
			}
			ok := len(c.missingHere)+len(c.missingThere)+len(c.mismatches) == 0
			if rep.OK() != ok {
				t.Errorf("OK() = %v, want %v", rep.OK(), ok)
			}
		})
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// TestMatchAccountsForEverything matches random bills against random ledgers
// with many shared and duplicated keys: every line and record lands in
// exactly one place, and shuffling either side changes nothing.
func TestMatchAccountsForEverything(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	for range 300 {
		var bill []reconcile.Line
		var ledger []reconcile.Record
		n := rng.IntN(40)
		for i := range n {
			kind, refundNo := pay, ""
			if rng.IntN(3) == 0 {
				kind, refundNo = refund, "R"+strconv.Itoa(rng.IntN(3))
			}
			l := line(i+2, kind, "O"+strconv.Itoa(rng.IntN(6)), refundNo, int64(rng.IntN(4))*100)
			if rng.IntN(4) > 0 {
				bill = append(bill, l)
			}
			if rng.IntN(4) > 0 {
				r := recordOf(l)
				if rng.IntN(8) == 0 {
					r.AmountFen++
				}
				ledger = append(ledger, r)
			}
		}
		rep := reconcile.Match("alipay", "2026-11-21", bill, ledger)
		if got := rep.Matched + len(rep.Mismatches) + len(rep.MissingHere); got != len(bill) {
			t.Fatalf("bill side accounts for %d of %d lines: %+v", got, len(bill), rep)
		}
		if got := rep.Matched + len(rep.Mismatches) + len(rep.MissingThere); got != len(ledger) {
			t.Fatalf("ledger side accounts for %d of %d records: %+v", got, len(ledger), rep)
		}
		rng.Shuffle(len(bill), func(i, j int) { bill[i], bill[j] = bill[j], bill[i] })
		rng.Shuffle(len(ledger), func(i, j int) { ledger[i], ledger[j] = ledger[j], ledger[i] })
		if again := reconcile.Match("alipay", "2026-11-21", bill, ledger); !reflect.DeepEqual(again, rep) {
			t.Fatalf("shuffled inputs changed the report:\n%+v\n%+v", rep, again)
		}
	}
}

func TestMatchTotalsSaturate(t *testing.T) {
	ledger := []reconcile.Record{record(pay, "A", "", math.MaxInt64), record(pay, "B", "", math.MaxInt64)}
	rep := reconcile.Match("alipay", "2026-11-21", nil, ledger)
	if rep.LedgerTotalFen != math.MaxInt64 || rep.OK() {
		t.Fatalf("report = %+v", rep)
	}
	rep = reconcile.Match("alipay", "2026-11-21", nil, []reconcile.Record{record(refund, "A", "R", math.MinInt64)})
	if rep.LedgerTotalFen != math.MaxInt64 {
		t.Fatalf("report = %+v", rep)
	}
}
