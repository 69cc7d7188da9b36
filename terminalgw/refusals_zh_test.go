package terminalgw_test

import (
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
)

// TestOverRefundSaysSo: a till asking back more than remains of a payment
// hears that in Chinese (its default language), not "conflicts with an earlier request".
func TestOverRefundSaysSo(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		paid := w.pay("pos-1", "p-1", w.payCode(w.login("2024001", "123456")), 2000)
		r := w.signed("pos-1", "POST", "/tgw/v1/refunds", map[string]any{"request_id": "rf-1", "transaction_id": paid.num("transaction_id"), "amount": 2001})
		w.expect(r, 409, "CONFLICT")
		if !strings.Contains(string(r.body), "退款金额超过消费") || strings.Contains(string(r.body), "与已有请求冲突") {
			t.Fatalf("over-refund: %s", r.body)
		}
	})
}
