package reconcile

import (
	"cmp"
	"math"
	"slices"
)

// Mismatch is a bill line and a ledger record with the same key but
// different amounts.
type Mismatch struct {
	OrderNo   string `json:"order_no"`
	RefundNo  string `json:"refund_no,omitempty"`
	Kind      Kind   `json:"kind"`
	BillFen   int64  `json:"bill_amount"`
	LedgerFen int64  `json:"ledger_amount"`
	Row       int    `json:"row"` // the bill line's
}

// Report is the outcome of matching one provider's bill for one day.
type Report struct {
	Provider      string `json:"provider"`
	Date          string `json:"date"`
	BillLines     int    `json:"bill_lines"`
	LedgerRecords int    `json:"ledger_records"`
	Matched       int    `json:"matched"`
	// Totals are net: payments minus refunds.
	BillTotalFen   int64 `json:"bill_total"`
	LedgerTotalFen int64 `json:"ledger_total"`
	// MissingHere are in the bill but not in the ledger, in bill order.
	MissingHere []Line `json:"missing_here"`
	// MissingThere are in the ledger but not in the bill, ordered by key and time.
	MissingThere []Record   `json:"missing_there"`
	Mismatches   []Mismatch `json:"mismatches"` // in bill order
}

// OK says the bill and the ledger agree line for line.
func (r Report) OK() bool {
	return len(r.MissingHere) == 0 && len(r.MissingThere) == 0 && len(r.Mismatches) == 0 &&
		r.BillTotalFen == r.LedgerTotalFen
}

type matchKey struct {
	kind            Kind
	order, refundNo string
}

func (k matchKey) compare(o matchKey) int {
	return cmp.Or(cmp.Compare(k.kind, o.kind), cmp.Compare(k.order, o.order), cmp.Compare(k.refundNo, o.refundNo))
}

// Match pairs bill lines with ledger records on (Kind, OrderNo, RefundNo):
// a payment by its order number, a refund by its refund number. Under one
// key, lines and records of equal amount pair first, the rest pair in order
// as mismatches, and what is left over on either side is missing on the
// other — so a line the bill holds twice and the ledger once is missing here
// once. Nothing depends on the order of the inputs: the same bill and ledger
// always give the same report. Every line and record lands in exactly one of
// Matched, Mismatches, MissingHere and MissingThere.
func Match(provider, date string, bill []Line, ledger []Record) Report {
	rep := Report{
		Provider: provider, Date: date, BillLines: len(bill), LedgerRecords: len(ledger),
		MissingHere: []Line{}, MissingThere: []Record{}, Mismatches: []Mismatch{},
	}
	bills := map[matchKey][]Line{}
	for _, l := range bill {
		k := matchKey{l.Kind, l.OrderNo, l.RefundNo}
		bills[k] = append(bills[k], l)
		rep.BillTotalFen = addNet(rep.BillTotalFen, l.Kind, l.AmountFen)
	}
	records := map[matchKey][]Record{}
	for _, r := range ledger {
		k := matchKey{r.Kind, r.OrderNo, r.RefundNo}
		records[k] = append(records[k], r)
		rep.LedgerTotalFen = addNet(rep.LedgerTotalFen, r.Kind, r.AmountFen)
	}
	keys := make([]matchKey, 0, len(bills)+len(records))
	for k := range bills {
		keys = append(keys, k)
	}
	for k := range records {
		if _, seen := bills[k]; !seen {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, matchKey.compare)
	for _, k := range keys {
		settle(&rep, k, bills[k], records[k])
	}
	slices.SortStableFunc(rep.MissingHere, compareLines)
	slices.SortStableFunc(rep.MissingThere, compareRecords)
	slices.SortStableFunc(rep.Mismatches, func(a, b Mismatch) int {
		return cmp.Or(cmp.Compare(a.Row, b.Row),
			matchKey{a.Kind, a.OrderNo, a.RefundNo}.compare(matchKey{b.Kind, b.OrderNo, b.RefundNo}),
			cmp.Compare(a.BillFen, b.BillFen), cmp.Compare(a.LedgerFen, b.LedgerFen))
	})
	return rep
}

// settle pairs the lines and records of one key.
func settle(rep *Report, k matchKey, ls []Line, rs []Record) {
	slices.SortFunc(ls, compareLines)
	slices.SortFunc(rs, compareRecords)
	// Equal amounts pair first, each line with the earliest unused record.
	byAmount := map[int64][]int{}
	for i, r := range rs {
		byAmount[r.AmountFen] = append(byAmount[r.AmountFen], i)
	}
	used := make([]bool, len(rs))
	var restLines []Line
	for _, l := range ls {
		if q := byAmount[l.AmountFen]; len(q) > 0 {
			used[q[0]] = true
			byAmount[l.AmountFen] = q[1:]
			rep.Matched++
			continue
		}
		restLines = append(restLines, l)
	}
	var restRecords []Record
	for i, r := range rs {
		if !used[i] {
			restRecords = append(restRecords, r)
		}
	}
	n := min(len(restLines), len(restRecords))
	for i := range n {
		rep.Mismatches = append(rep.Mismatches, Mismatch{
			OrderNo: k.order, RefundNo: k.refundNo, Kind: k.kind,
			BillFen: restLines[i].AmountFen, LedgerFen: restRecords[i].AmountFen, Row: restLines[i].Row,
		})
	}
	rep.MissingHere = append(rep.MissingHere, restLines[n:]...)
	rep.MissingThere = append(rep.MissingThere, restRecords[n:]...)
}

func compareLines(a, b Line) int {
	return cmp.Or(cmp.Compare(a.Row, b.Row),
		matchKey{a.Kind, a.OrderNo, a.RefundNo}.compare(matchKey{b.Kind, b.OrderNo, b.RefundNo}),
		cmp.Compare(a.AmountFen, b.AmountFen), a.At.Compare(b.At),
		cmp.Compare(a.ProviderTxnID, b.ProviderTxnID), cmp.Compare(a.Status, b.Status))
}

func compareRecords(a, b Record) int {
	return cmp.Or(matchKey{a.Kind, a.OrderNo, a.RefundNo}.compare(matchKey{b.Kind, b.OrderNo, b.RefundNo}),
		a.At.Compare(b.At), cmp.Compare(a.AmountFen, b.AmountFen), cmp.Compare(a.ProviderTxnID, b.ProviderTxnID))
}

// addNet adds a payment and subtracts a refund. Parsed bills stay far inside
// int64, but records come from the caller: absurd amounts saturate instead of
// wrapping around to a plausible total.
func addNet(total int64, kind Kind, amount int64) int64 {
	if kind == KindRefund {
		if amount == math.MinInt64 {
			return addSat(addSat(total, math.MaxInt64), 1)
		}
		amount = -amount
	}
	return addSat(total, amount)
}

func addSat(a, b int64) int64 {
	switch {
	case b > 0 && a > math.MaxInt64-b:
		return math.MaxInt64
	case b < 0 && a < math.MinInt64-b:
		return math.MinInt64
	}
	return a + b
}
