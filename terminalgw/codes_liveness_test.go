package terminalgw_test

import (
	"context"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/redisconn"
	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/internal/testredis"
)

// privateRedis is an embedded Redis this test alone uses, so it may flush it.
func privateRedis(t testing.TB) testredis.Conn {
	t.Helper()
	conn, err := redisconn.Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	return testredis.Conn{Conn: conn, Prefix: "private:"}
}

func (w *world) flushRedis() {
	w.t.Helper()
	if w.redis.URL != "" || !w.redis.Embedded {
		w.t.Fatal("flushRedis needs the test's own Redis")
	}
	if err := w.redis.Client.FlushAll(context.Background()).Err(); err != nil {
		w.t.Fatal(err)
	}
}

func TestConcurrentPayCodesForOneHolderAllSucceed(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		token := w.login("2024001", "123456")
		const n = 8
		replies := make([]reply, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() { defer wg.Done(); replies[i] = w.code(token, "pay") }()
		}
		wg.Wait()
		for _, r := range replies {
			if r.status != 200 || r.str("code") == "" {
				t.Fatalf("concurrent pay code: %d %s", r.status, r.body)
			}
		}
		// The newest one pays; the others were superseded.
		if r := w.pay("pos-1", "c-1", w.payCode(token), 100); r.status != 200 {
			t.Fatalf("fresh code after the race: %s", r.body)
		}
		w.verify()
	})
}

func TestGateRefusesIdentityCodeIssuedBeforeALossReport(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		token := w.login("2024001", "123456")
		old := w.code(token, "identity").str("code")
		loss := func(method string) {
			raw := []byte(`{"password":"123456"}`)
			if r := w.send(method, "/api/v1/me/loss", raw, map[string]string{"Authorization": "Bearer " + token}); r.status != 200 {
				t.Fatalf("%s loss: %s", method, r.body)
			}
		}
		loss("POST")
		loss("DELETE")
		r := w.signed("gate-dorm1", "POST", "/tgw/v1/access", map[string]any{"request_id": "l-1", "code": old})
		if r.str("decision") != "deny" || r.str("reason") != "CODE_EXPIRED" {
			t.Fatalf("a code from before the loss report opened the gate: %s", r.body)
		}
		fresh := w.code(token, "identity").str("code")
		if r := w.signed("gate-dorm1", "POST", "/tgw/v1/access", map[string]any{"request_id": "l-2", "code": fresh}); r.str("decision") != "allow" {
			t.Fatalf("a fresh code after the cancel: %s", r.body)
		}
	})
}

func TestCodesFromBeforeARedisFlushAreDead(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorldOn(t, db, privateRedis(t))
		token := w.login("2024001", "123456")
		identity := w.code(token, "identity").str("code")
		// Several pay codes, one paid: sequences run ahead of the clock.
		retired := w.payCode(token)
		for range 4 {
			w.payCode(token)
		}
		if r := w.pay("pos-1", "f-1", w.payCode(token), 100); r.status != 200 {
			t.Fatalf("pay: %s", r.body)
		}
		w.flushRedis()
		token = w.login("2024001", "123456") // sessions went with Redis
		if r := w.signed("gate-dorm1", "POST", "/tgw/v1/access", map[string]any{"request_id": "f-2", "code": identity}); r.str("decision") != "deny" {
			t.Fatalf("an identity code from before the flush opened the gate: %s", r.body)
		}
		// Fresh codes after the flush pay; the retired one from before does not.
		for i := range 6 {
			fresh := w.payCode(token)
			if i == 0 {
				w.expect(w.pay("pos-1", "f-3", retired, 100), 409, "CODE_USED")
			}
			if r := w.pay("pos-1", "f-4-"+string(rune('a'+i)), fresh, 100); r.status != 200 {
				t.Fatalf("fresh code %d after the flush: %s", i, r.body)
			}
		}
		w.verify()
	})
}
