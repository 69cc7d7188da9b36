package terminalgw_test

import (
	"strconv"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/terminalgw"
)

// TestCardRoutesRefuseBadInput sends correctly signed but malformed bodies to
// the card routes: each is INVALID_REQUEST and nothing moves.
func TestCardRoutesRefuseBadInput(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		w.issue(w.zhang, "BAD00001")
		raw := func(id, path, body string) reply {
			ts, n := strconv.FormatInt(w.clock.Now().Unix(), 10), nonce()
			return w.send("POST", path, []byte(body), map[string]string{
				"X-Ecard-Terminal": id, "X-Ecard-Timestamp": ts, "X-Ecard-Nonce": n,
				"X-Ecard-Signature": terminalgw.Signature([]byte(w.secrets[id]), "POST", path, ts, n, []byte(body))})
		}
		long := strings.Repeat("A", 40)
		auth := `"card_uid":"BAD00001","pin":"123456"`
		cases := []struct{ id, path, body string }{
			{"pos-1", "/tgw/v1/payments", `{"request_id":"a","amount":100,"card_uid":"BAD00001","chip_hold_id":-1}`},
			{"pos-1", "/tgw/v1/payments", `{"request_id":"a","amount":100,"card_uid":"` + long + `"}`},
			{"pos-1", "/tgw/v1/cards/claim", `{"request_id":"c"}`},
			{"pos-1", "/tgw/v1/cards/claim", `{"request_id":"c","card_uid":"BAD00001","chip_hold_id":-5}`},
			{"pos-1", "/tgw/v1/cards/claim", `{"request_id":"c","card_uid":"BAD00001","x":1}`},
			{"pos-1", "/tgw/v1/cards/claim/confirm", `{"request_id":"c","hold_id":1}`},
			{"pos-1", "/tgw/v1/cards/claim/confirm", `{"request_id":"c","hold_id":0,"written":true}`},
			{"pos-1", "/tgw/v1/cards/claim/confirm", `{"request_id":"c","hold_id":1,"written":"yes"}`},
			{"pos-1", "/tgw/v1/offline", `{}`},
			{"pos-1", "/tgw/v1/offline", `{"records":[{"card_uid":"BAD00001","counter":1,"amount":10}]}`},
			{"pos-1", "/tgw/v1/offline", `{"records":[{"card_uid":"BAD 0001","counter":1,"amount":10,"occurred_at":"2026-01-01T00:00:00Z"}]}`},
			{"pos-1", "/tgw/v1/offline", `{"records":[{"card_uid":"BAD00001","counter":1,"amount":10,"occurred_at":"yesterday"}]}`},
			{"kiosk-1", "/tgw/v1/kiosk/holder", `{"request_id":"k","card_uid":"BAD00001"}`},
			{"kiosk-1", "/tgw/v1/kiosk/holder", `{"request_id":"k","card_uid":"BAD00001","pin":"12345"}`},
			{"kiosk-1", "/tgw/v1/kiosk/loss", `{"request_id":"k",` + auth + `,"action":"lose"}`},
			{"kiosk-1", "/tgw/v1/kiosk/password", `{"request_id":"k",` + auth + `,"kind":"email","old":"a","new":"b"}`},
			{"kiosk-1", "/tgw/v1/kiosk/password", `{"request_id":"k",` + auth + `,"kind":"pin","old":"","new":"b"}`},
			{"kiosk-1", "/tgw/v1/kiosk/transfer", `{"request_id":"k",` + auth + `,"direction":"wallet_to_purse","amount":-1}`},
			{"kiosk-1", "/tgw/v1/kiosk/cash", `{"request_id":"k",` + auth + `,"amount":"5"}`},
			{"kiosk-1", "/tgw/v1/kiosk/unfreeze", `{"request_id":"k",` + auth + `}`},
			{"kiosk-1", "/tgw/v1/kiosk/claim", `{"request_id":"k",` + auth + `,"chip_hold_id":-1}`},
			{"kiosk-1", "/tgw/v1/kiosk/transfer", `{"request_id":"k",` + auth + `,"direction":"wallet_to_purse","amount":100,"chip_hold_id":-2}`},
			{"kiosk-1", "/tgw/v1/kiosk/transfer", `{"request_id":"k",` + auth + `,"direction":"wallet_to_purse","amount":100,"chip_hold_id":"7"}`},
			{"pos-1", "/tgw/v1/payments", `{"request_id":"a","amount":100,"code":"123456789012345678","chip_hold_id":0}`},
		}
		before := w.balances(w.zhang)
		for _, c := range cases {
			if r := raw(c.id, c.path, c.body); r.status != 400 || r.code() != "INVALID_REQUEST" {
				t.Errorf("%s %q: %d %s", c.path, c.body, r.status, r.body)
			}
		}
		if w.balances(w.zhang) != before {
			t.Fatal("bad input moved money")
		}
		w.verify()
	})
}
