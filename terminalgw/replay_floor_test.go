package terminalgw_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/terminalgw"
)

func TestACapturedRequestIsNotAcceptedAgainAfterARedisFlush(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorldOn(t, db, privateRedis(t))
		raw, _ := json.Marshal(map[string]any{"request_id": "cap-1", "card_uid": "04A1B2C3"})
		ts, n := strconv.FormatInt(w.clock.Now().Unix(), 10), nonce()
		captured := map[string]string{"X-Ecard-Terminal": "gate-dorm1", "X-Ecard-Timestamp": ts, "X-Ecard-Nonce": n,
			"X-Ecard-Signature": terminalgw.Signature([]byte(w.secrets["gate-dorm1"]), "POST", "/tgw/v1/access", ts, n, raw)}
		if r := w.send("POST", "/tgw/v1/access", raw, captured); r.status != 200 {
			t.Fatalf("first: %s", r.body)
		}
		w.expect(w.send("POST", "/tgw/v1/access", raw, captured), 409, "REPLAYED")
		w.flushRedis()
		w.clock.Advance(10 * time.Second)
		w.expect(w.send("POST", "/tgw/v1/access", raw, captured), 409, "REPLAYED")
		// Freshly signed requests pass from the next second on.
		w.clock.Advance(time.Second)
		if r := w.signed("gate-dorm1", "POST", "/tgw/v1/access", map[string]any{"request_id": "cap-2", "card_uid": "04A1B2C3"}); r.status != 200 {
			t.Fatalf("fresh request after the flush: %s", r.body)
		}
	})
}
