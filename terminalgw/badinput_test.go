package terminalgw_test

import (
	"strconv"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/terminalgw"
)

// TestBadInputChangesNothing sends correctly signed requests with malformed,
// hostile or out-of-range bodies: each is refused with INVALID_REQUEST and no
// money moves.
func TestBadInputChangesNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		code := w.payCode(w.login("2024001", "123456"))
		raw := func(id, method, path, body string) reply {
			ts, n := strconv.FormatInt(w.clock.Now().Unix(), 10), nonce()
			return w.send(method, path, []byte(body), map[string]string{
				"X-Ecard-Terminal": id, "X-Ecard-Timestamp": ts, "X-Ecard-Nonce": n,
				"X-Ecard-Signature": terminalgw.Signature([]byte(w.secrets[id]), method, path, ts, n, []byte(body))})
		}
		long := strings.Repeat("x", 300)
		cases := []struct{ id, path, body string }{
			{"pos-1", "/tgw/v1/payments", ``},
			{"pos-1", "/tgw/v1/payments", `{`},
			{"pos-1", "/tgw/v1/payments", `[]`},
			{"pos-1", "/tgw/v1/payments", `{"request_id":"a","amount":100,"code":"` + code + `","tip":1}`},
			{"pos-1", "/tgw/v1/payments", `{"request_id":"a","amount":"100","code":"` + code + `"}`},
			{"pos-1", "/tgw/v1/payments", `{"request_id":"a","amount":12.5,"code":"` + code + `"}`},
			{"pos-1", "/tgw/v1/payments", `{"request_id":"a","amount":-100,"code":"` + code + `"}`},
			{"pos-1", "/tgw/v1/payments", `{"request_id":"a","amount":0,"code":"` + code + `"}`},
			{"pos-1", "/tgw/v1/payments", `{"request_id":"a","amount":100000001,"code":"` + code + `"}`},
			{"pos-1", "/tgw/v1/payments", `{"request_id":"a","amount":99999999999999999999,"code":"` + code + `"}`},
			{"pos-1", "/tgw/v1/payments", `{"request_id":"a","amount":100}`},
			{"pos-1", "/tgw/v1/payments", `{"request_id":"a","amount":100,"code":"` + code + `","card_uid":"04AB"}`},
			{"pos-1", "/tgw/v1/payments", `{"request_id":"a","amount":100,"code":"` + long + `"}`},
			{"pos-1", "/tgw/v1/payments", `{"request_id":"a","amount":100,"code":"` + code + `","pin":"12ab56"}`},
			{"pos-1", "/tgw/v1/payments", `{"request_id":"","amount":100,"code":"` + code + `"}`},
			{"pos-1", "/tgw/v1/payments", `{"request_id":"` + long + `","amount":100,"code":"` + code + `"}`},
			{"pos-1", "/tgw/v1/payments", `{"request_id":"a b","amount":100,"code":"` + code + `"}`},
			{"pos-1", "/tgw/v1/refunds", `{"request_id":"r","transaction_id":-1,"amount":100}`},
			{"pos-1", "/tgw/v1/refunds", `{"request_id":"r","transaction_id":1,"amount":0}`},
			{"pos-1", "/tgw/v1/refunds", `{"request_id":"r","transaction_id":"1","amount":10}`},
			{"gate-dorm1", "/tgw/v1/access", `{"request_id":"g"}`},
			{"gate-dorm1", "/tgw/v1/access", `{"request_id":"g","code":"c","card_uid":"u"}`},
			{"gate-dorm1", "/tgw/v1/access", `{"request_id":"g","code":"c","door":1}`},
			{"gate-dorm1", "/tgw/v1/denylist?since=-1", ``},
			{"gate-dorm1", "/tgw/v1/denylist?since=abc", ``},
			{"gate-dorm1", "/tgw/v1/heartbeat", `{"x":1}`},
		}
		before := w.balance(w.zhang)
		for _, c := range cases {
			method := "POST"
			if strings.HasPrefix(c.path, "/tgw/v1/denylist") {
				method = "GET"
			}
			if r := raw(c.id, method, c.path, c.body); r.status != 400 || r.code() != "INVALID_REQUEST" {
				t.Errorf("%s %s %q: %d %s", method, c.path, c.body, r.status, r.body)
			}
		}
		if w.balance(w.zhang) != before {
			t.Fatal("bad input moved money")
		}
		// The code was never spent: it still pays.
		if r := w.pay("pos-1", "after", code, 100); r.status != 200 {
			t.Fatalf("code after bad input: %s", r.body)
		}
		w.verify()
	})
}
