package bff_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/ecard/ecard/bff/tencentsms"
	"github.com/ecard/ecard/bff/tencentsms/tencentsmstest"
	"github.com/ecard/ecard/internal/testdb"
)

// TestRechargeSMSAfterCredit: a parent who left a phone gets an SMS through
// Tencent Cloud SMS (a fake checking the TC3 signature) once the recharge is
// credited; the credit never waits for it, a failed send is retried from the
// outbox, and an order without a phone sends none.
func TestRechargeSMSAfterCredit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newPayHarness(t, db).harness
		fake := tencentsmstest.New("AKIDtest", "secret-key-1")
		defer fake.Close()
		fake.FailNext = 1
		sms, err := tencentsms.New(tencentsms.Config{SecretID: "AKIDtest", SecretKey: "secret-key-1", SdkAppID: "1400000001",
			SignName: "演示大学", TemplateID: "100001", Endpoint: strings.TrimPrefix(fake.URL, "http://"), Scheme: "HTTP"})
		if err != nil {
			t.Fatal(err)
		}
		recharge := func(phone string) string {
			r := h.do("POST", "/api/v1/recharge", "", map[string]any{"school": "demo", "number": "2024002", "name": "李四",
				"amount": 5000, "channel": "sandbox", "phone": phone})
			if r.status != 201 {
				t.Fatalf("recharge: %d %s", r.status, r.body)
			}
			if p := h.do("POST", "/sandbox/pay/"+r.str("order_no"), "", nil); p.status != 200 {
				t.Fatalf("pay: %s", p.body)
			}
			return r.str("order_no")
		}
		order := recharge("13800138000")
		recharge("") // no phone, no SMS
		if b, _ := h.ledger.HolderBalances(context.Background(), h.other.ID); b.WalletFen != 10000 {
			t.Fatalf("credited before any SMS: %+v", b)
		}
		n := h.srv.Notifier(nil).WithSMS(sms)
		if _, err := n.DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		if len(fake.Messages()) != 0 {
			t.Fatalf("the first send failed, yet: %+v", fake.Messages())
		}
		h.clock.Advance(time.Minute) // past the retry's backoff
		if _, err := n.DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		m := fake.Messages()
		if len(m) != 1 || m[0].PhoneNumberSet[0] != "+8613800138000" || strings.Join(m[0].TemplateParamSet, ",") != "50.00,"+order ||
			len(fake.Refused()) != 0 {
			t.Fatalf("messages %+v, refused %v", m, fake.Refused())
		}
		h.clock.Advance(time.Hour)
		if _, err := n.DeliverDue(context.Background()); err != nil || len(fake.Messages()) != 1 {
			t.Fatalf("sent again: %v %d", err, len(fake.Messages()))
		}
		h.verify()
	})
}
