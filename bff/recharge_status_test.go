package bff_test

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
)

func TestRechargeStatusOnlyForThePayerOrTheHolder(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newPayHarness(t, db)
		if _, err := h.ledger.CreateHolder(context.Background(), ledger.NewHolder{SchoolID: h.school.ID, Number: "2024003",
			Name: "王小明", Kind: ledger.KindStudent, IDLast6: "246810"}); err != nil {
			t.Fatal(err)
		}
		r := h.do("POST", "/api/v1/recharge", "", map[string]any{"school": "demo", "number": "2024003", "name": "王小明",
			"amount": 2000, "channel": "sandbox", "phone": "13800138000"})
		if r.status != 201 || r.str("status_token") == "" {
			t.Fatalf("recharge: %d %s", r.status, r.body)
		}
		path := "/api/v1/recharge/" + r.str("order_no")
		unknown := h.do("GET", "/api/v1/recharge/NO-SUCH-ORDER", "", nil)
		for _, q := range []string{"", "?phone=13900000000", "?token=forged"} {
			if got := h.do("GET", path+q, "", nil); got.status != 404 || string(got.body) != string(unknown.body) {
				t.Fatalf("%q sees the order: %d %s", q, got.status, got.body)
			}
		}
		other, _ := h.login("2024001", "123456")
		if got := h.do("GET", path, other, nil); got.status != 404 {
			t.Fatalf("another holder sees the order: %s", got.body)
		}
		for _, q := range []string{"?phone=13800138000", "?token=" + r.str("status_token")} {
			if got := h.do("GET", path+q, "", nil); got.status != 200 || got.str("status") != "created" {
				t.Fatalf("%q: %d %s", q, got.status, got.body)
			}
		}
	})
}
