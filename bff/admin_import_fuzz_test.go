package bff_test

import (
	"context"
	"testing"

	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
)

// FuzzHolderImport posts arbitrary files to the CSV import: it must never
// fail inside (5xx), and the holders it reports created are exactly the
// holders that appeared.
func FuzzHolderImport(f *testing.F) {
	f.Add("number,name,kind,id_last6\n2025001,赵六,student,11223X\n")
	f.Add("number,name,kind,id_last6,dorm_building\n1,a,staff,123456,3\n1,a,staff,123456,3\n,,,\n")
	f.Add("\ufeffnumber,name,kind,id_last6\n\"2\",\"b\"\"\",student,12345x\n")
	f.Add("number,name\n")
	h := newHarness(f, testdb.SQLite(f))
	op := h.office(ledger.RoleOperator)
	count := func() int64 {
		var n int64
		h.ledger.DB().Model(&ledger.Holder{}).Count(&n)
		return n
	}
	f.Fuzz(func(t *testing.T, file string) {
		h.t = t // each fuzz worker calls the target serially
		before := count()
		r := h.csvImport(op, "demo", file)
		if r.status >= 500 {
			t.Fatalf("import failed inside: %d %s", r.status, r.body)
		}
		if got := count() - before; r.status != 200 && got != 0 || r.status == 200 && got != r.num("created") {
			t.Fatalf("%d holders appeared, answer %d %s", got, r.status, r.body)
		}
		if rep, err := h.ledger.Verify(context.Background(), 0); err != nil || !rep.OK {
			t.Fatalf("verify: %+v %v", rep, err)
		}
	})
}
