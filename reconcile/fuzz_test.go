package reconcile_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ecard/ecard/reconcile"
)

// Seeds beyond these live in testdata/fuzz/<FuzzName>.

func FuzzParseWeChatBill(f *testing.F) {
	f.Add(readSample(f, "wechat_all.csv"))
	f.Fuzz(func(t *testing.T, b []byte) {
		lines, err := reconcile.ParseWeChatBill(bytes.NewReader(b))
		checkParsed(t, lines, err)
	})
}

func FuzzParseAlipayBill(f *testing.F) {
	f.Add(readSample(f, "alipay_trade.csv"))
	f.Add([]byte(alipayUTF8(f)))
	f.Fuzz(func(t *testing.T, b []byte) {
		lines, err := reconcile.ParseAlipayBill(bytes.NewReader(b))
		checkParsed(t, lines, err)
	})
}

// checkParsed holds for every input: a refusal is a bad bill and carries no
// lines; accepted lines are well formed, in file order, and match themselves.
func checkParsed(t *testing.T, lines []reconcile.Line, err error) {
	if err != nil {
		if !errors.Is(err, reconcile.ErrBadBill) || lines != nil {
			t.Fatalf("refusal %v (lines %v) is not a bad bill", err, lines)
		}
		return
	}
	if len(lines) > reconcile.MaxDataLines {
		t.Fatalf("%d lines", len(lines))
	}
	ledger := make([]reconcile.Record, 0, len(lines))
	for i, l := range lines {
		if l.Kind != reconcile.KindPayment && l.Kind != reconcile.KindRefund {
			t.Fatalf("line %d: kind %q", i, l.Kind)
		}
		if l.Kind == reconcile.KindPayment && l.RefundNo != "" {
			t.Fatalf("line %d: a payment with refund number %q", i, l.RefundNo)
		}
		if l.AmountFen < 0 || l.AmountFen > reconcile.MaxAmountFen {
			t.Fatalf("line %d: amount %d", i, l.AmountFen)
		}
		if l.Row < 1 || (i > 0 && l.Row <= lines[i-1].Row) {
			t.Fatalf("line %d: row %d after %v", i, l.Row, lines[:i])
		}
		if _, offset := l.At.Zone(); offset != 8*60*60 || l.At.IsZero() {
			t.Fatalf("line %d: time %v", i, l.At)
		}
		ledger = append(ledger, recordOf(l))
	}
	if rep := reconcile.Match("fuzz", "2026-11-21", lines, ledger); !rep.OK() || rep.Matched != len(lines) {
		t.Fatalf("a bill does not match itself: %+v", rep)
	}
}
