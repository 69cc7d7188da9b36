package terminalgw_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
)

// issue gives a holder a card through the ledger, as the office does.
func (w *world) issue(h ledger.Holder, uid string) {
	w.t.Helper()
	if _, err := w.ledger.IssueCard(context.Background(), w.school.ID, h.ID, uid); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) tap(terminal, requestID, uid string, amount int64, extra ...string) reply {
	w.t.Helper()
	body := map[string]any{"request_id": requestID, "amount": amount, "card_uid": uid}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i]] = extra[i+1]
	}
	return w.signed(terminal, "POST", "/tgw/v1/payments", body)
}

func (w *world) balances(h ledger.Holder) ledger.Balances {
	w.t.Helper()
	b, err := w.ledger.HolderBalances(context.Background(), h.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return b
}

func (w *world) confirm(terminal, requestID string, holdID int64, written bool) reply {
	w.t.Helper()
	return w.signed(terminal, "POST", "/tgw/v1/cards/claim/confirm", map[string]any{"request_id": requestID, "hold_id": holdID, "written": written})
}

func TestCardTapPaysLikeACodeAndRefusesLostAndReplacedCards(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		w.issue(w.zhang, "a1b2c3d4")
		r := w.tap("pos-1", "c-1", "A1B2C3D4", 1200)
		if r.status != 200 || r.num("balance_after") != 8800 || r.json["pending"] != nil {
			t.Fatalf("card payment: %s", r.body)
		}
		if again := w.tap("pos-1", "c-1", "A1B2C3D4", 1200); again.body != r.body {
			t.Fatalf("retry: %s", again.body)
		}
		w.expect(w.tap("pos-1", "c-2", "FFFF0000", 100), 422, "CARD_INVALID")
		w.expect(w.tap("pos-1", "c-3", "a1b2c3d4", 3001), 402, "LIMIT_EXCEEDED")
		if r := w.tap("pos-1", "c-4", "a1b2c3d4", 3001, "pin", "123456"); r.status != 200 {
			t.Fatalf("with the PIN: %s", r.body)
		}
		// A gate admits the card like an identity code.
		a := w.signed("gate-dorm1", "POST", "/tgw/v1/access", map[string]any{"request_id": "g-1", "card_uid": "a1b2c3d4"})
		if a.str("decision") != "allow" {
			t.Fatalf("gate: %s", a.body)
		}
		// Loss report: refused everywhere at once.
		ctx := context.Background()
		if _, err := w.ledger.SetLost(ctx, w.zhang.ID, "123456", true); err != nil {
			t.Fatal(err)
		}
		w.expect(w.tap("pos-1", "c-5", "a1b2c3d4", 100), 403, "CARD_LOST")
		if a := w.signed("gate-dorm1", "POST", "/tgw/v1/access", map[string]any{"request_id": "g-2", "card_uid": "a1b2c3d4"}); a.str("reason") != "CARD_LOST" {
			t.Fatalf("lost at the gate: %s", a.body)
		}
		// Replacement: the new card works (the loss report is over), the old one is refused at once.
		w.issue(w.zhang, "NEWCARD1")
		w.expect(w.tap("pos-1", "c-6", "a1b2c3d4", 100), 422, "CARD_INVALID")
		if a := w.signed("gate-dorm1", "POST", "/tgw/v1/access", map[string]any{"request_id": "g-3", "card_uid": "a1b2c3d4"}); a.str("reason") != "CARD_INVALID" {
			t.Fatalf("replaced at the gate: %s", a.body)
		}
		if a := w.signed("gate-dorm1", "POST", "/tgw/v1/access", map[string]any{"request_id": "g-4", "card_uid": "00000000"}); a.str("reason") != "CARD_UNKNOWN" {
			t.Fatalf("unknown at the gate: %s", a.body)
		}
		if r := w.tap("pos-1", "c-7", "newcard1", 100); r.status != 200 {
			t.Fatalf("new card: %s", r.body)
		}
		d := w.signed("pos-1", "GET", "/tgw/v1/denylist?since=0", nil)
		added, _ := d.json["added"].([]any)
		found := false
		for _, a := range added {
			if m, _ := a.(map[string]any); m["card_uid"] == "A1B2C3D4" {
				found = true
			}
		}
		if !found {
			t.Fatalf("denylist lacks the replaced card: %s", d.body)
		}
		// A closed holder's card is refused as closed.
		if err := db.Exec(`UPDATE holders SET status = 'closed' WHERE id = ?`, w.zhang.ID).Error; err != nil {
			t.Fatal(err)
		}
		w.expect(w.tap("pos-1", "c-8", "newcard1", 100), 403, "ACCOUNT_CLOSED")
		w.verify()
	})
}

func TestPendingMoneyIsWrittenAtTheNextTapOnceAndRewrittenAfterFailure(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		w.issue(w.zhang, "CAFE0001")
		if _, err := w.ledger.TopUp(ctx, ledger.TopUp{Key: "to-card-1", SchoolID: w.school.ID, HolderID: w.zhang.ID,
			Channel: ledger.Sandbox, AmountFen: 5000, ToCard: true}); err != nil {
			t.Fatal(err)
		}
		r := w.tap("pos-1", "p-1", "CAFE0001", 100)
		pending, _ := r.json["pending"].(map[string]any)
		if r.status != 200 || pending == nil || pending["amount"] != float64(5000) {
			t.Fatalf("tap with pending money: %s", r.body)
		}
		hold := int64(pending["hold_id"].(float64))
		// While the write is out, a second tap claims nothing more.
		if r2 := w.tap("pos-2", "p-2", "CAFE0001", 100); r2.json["pending"] != nil {
			t.Fatalf("claimed twice: %s", r2.body)
		}
		// The till could not write: the money stays pending, and the next tap writes it again.
		if c := w.confirm("pos-1", "p-1-c", hold, false); c.str("status") != "voided" || c.num("pending") != 5000 {
			t.Fatalf("void: %s", c.body)
		}
		r = w.tap("pos-1", "p-3", "CAFE0001", 100)
		pending, _ = r.json["pending"].(map[string]any)
		hold = int64(pending["hold_id"].(float64))
		// Another terminal cannot confirm it.
		w.expect(w.confirm("pos-2", "p-3-x", hold, true), 404, "NOT_FOUND")
		c := w.confirm("pos-1", "p-3-c", hold, true)
		if c.str("status") != "posted" || c.num("purse") != 5000 || c.num("pending") != 0 {
			t.Fatalf("post: %s", c.body)
		}
		// A retried confirmation (new request id) changes nothing; a contradicting one is refused.
		if again := w.confirm("pos-1", "p-3-c2", hold, true); again.str("status") != "posted" || again.num("purse") != 5000 {
			t.Fatalf("retry: %s", again.body)
		}
		w.expect(w.confirm("pos-1", "p-3-c3", hold, false), 409, "CONFLICT")
		w.verify()

		// The kiosk claim: the confirmation never arrives, the holds job voids it back to pending.
		if _, err := w.ledger.TopUp(ctx, ledger.TopUp{Key: "to-card-2", SchoolID: w.school.ID, HolderID: w.zhang.ID,
			Channel: ledger.Sandbox, AmountFen: 700, ToCard: true}); err != nil {
			t.Fatal(err)
		}
		k := w.signed("pos-1", "POST", "/tgw/v1/cards/claim", map[string]any{"request_id": "k-1", "card_uid": "cafe0001"})
		if k.num("amount") != 700 || k.num("hold_id") == 0 {
			t.Fatalf("claim: %s", k.body)
		}
		w.clock.Advance(ledger.ChipWriteTTL + time.Second)
		if n, err := w.ledger.VoidExpiredHolds(ctx, 100); err != nil || n != 1 {
			t.Fatalf("holds job: %d %v", n, err)
		}
		if b := w.balances(w.zhang); b.PendingFen != 700 || b.PurseFen != 5000 {
			t.Fatalf("after timeout: %+v", b)
		}
		// It may be on the chip: a till that did not read the chip gets nothing to write.
		if k1 := w.signed("pos-2", "POST", "/tgw/v1/cards/claim", map[string]any{"request_id": "k-1b", "card_uid": "cafe0001"}); k1.status != 200 || k1.num("amount") != 0 {
			t.Fatalf("claim while the last write is unsettled: %s", k1.body)
		}
		// A late "written" for the timed-out hold follows the chip: moved once, not twice.
		late := w.confirm("pos-1", "k-1-c", k.num("hold_id"), true)
		if late.str("status") != "posted" || late.num("purse") != 5700 || late.num("pending") != 0 {
			t.Fatalf("late confirmation: %s", late.body)
		}
		if again := w.confirm("pos-1", "k-1-c2", k.num("hold_id"), true); again.num("purse") != 5700 {
			t.Fatalf("late retry: %s", again.body)
		}
		if k2 := w.signed("pos-1", "POST", "/tgw/v1/cards/claim", map[string]any{"request_id": "k-2", "card_uid": "cafe0001"}); k2.status != 200 || k2.num("amount") != 0 {
			t.Fatalf("nothing left: %s", k2.body)
		}
		w.expect(w.signed("gate-dorm1", "POST", "/tgw/v1/cards/claim", map[string]any{"request_id": "k-3", "card_uid": "cafe0001"}), 403, "FORBIDDEN")

		// A write that times out unmade: the chip's last write is the older one,
		// so the next till that reads it writes the money again.
		if _, err := w.ledger.TopUp(ctx, ledger.TopUp{Key: "to-card-3", SchoolID: w.school.ID, HolderID: w.zhang.ID,
			Channel: ledger.Sandbox, AmountFen: 300, ToCard: true}); err != nil {
			t.Fatal(err)
		}
		k4 := w.signed("pos-1", "POST", "/tgw/v1/cards/claim", map[string]any{"request_id": "k-4", "card_uid": "cafe0001"})
		w.clock.Advance(ledger.ChipWriteTTL + time.Second)
		if _, err := w.ledger.VoidExpiredHolds(ctx, 100); err != nil {
			t.Fatal(err)
		}
		k5 := w.signed("pos-2", "POST", "/tgw/v1/cards/claim", map[string]any{"request_id": "k-5", "card_uid": "cafe0001", "chip_hold_id": k.num("hold_id")})
		if k5.num("amount") != 300 || k5.num("hold_id") <= k4.num("hold_id") {
			t.Fatalf("claim after the chip showed the write before: %s", k5.body)
		}
		w.expect(w.confirm("pos-1", "k-4-c", k4.num("hold_id"), true), 409, "CONFLICT")
		if c := w.confirm("pos-2", "k-5-c", k5.num("hold_id"), true); c.num("purse") != 6000 || c.num("pending") != 0 {
			t.Fatalf("rewritten: %s", c.body)
		}
		w.verify()
	})
}

func (w *world) offline(terminal string, records ...map[string]any) reply {
	w.t.Helper()
	return w.signed(terminal, "POST", "/tgw/v1/offline", map[string]any{"records": records})
}

func rec(uid string, counter, amount int64, at time.Time) map[string]any {
	return map[string]any{"card_uid": uid, "counter": counter, "amount": amount, "occurred_at": at.UTC().Format(time.RFC3339)}
}

func TestOfflineUploadSettlesOnceWithinTheCapAndReportsAnomalies(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		w.issue(w.zhang, "BEEF0001")
		if _, err := w.ledger.Move(ctx, ledger.Move{Key: "to-purse", SchoolID: w.school.ID, HolderID: w.zhang.ID,
			From: ledger.Wallet, To: ledger.Purse, AmountFen: 1000}); err != nil {
			t.Fatal(err)
		}
		now := w.clock.Now()
		r := w.offline("pos-1", rec("BEEF0001", 1, 600, now), rec("BEEF0001", 2, 300, now), rec("DEAD0000", 1, 100, now))
		results, _ := r.json["results"].([]any)
		status := func(i int) string { m, _ := results[i].(map[string]any); s, _ := m["status"].(string); return s }
		if r.status != 200 || len(results) != 3 || status(0) != "settled" || status(1) != "settled" || status(2) != "refused" {
			t.Fatalf("upload: %s", r.body)
		}
		// Uploaded again: duplicates, charged once.
		r = w.offline("pos-1", rec("BEEF0001", 1, 600, now), rec("BEEF0001", 2, 300, now))
		results, _ = r.json["results"].([]any)
		if status(0) != "duplicate" || status(1) != "duplicate" || w.balances(w.zhang).PurseFen != 100 {
			t.Fatalf("re-upload: %s %+v", r.body, w.balances(w.zhang))
		}
		// Below zero within the cap (2000 per payment, 5000 per holder): recorded as debt.
		r = w.offline("pos-1", rec("BEEF0001", 5, 1500, now))
		results, _ = r.json["results"].([]any)
		if status(0) != "settled" || w.balances(w.zhang).PurseFen != -1400 {
			t.Fatalf("overdraft: %s %+v", r.body, w.balances(w.zhang))
		}
		w.verify()
		// Beyond the per-payment cap, or the per-holder cap: refused.
		r = w.offline("pos-1", rec("BEEF0001", 6, 2500, now), rec("BEEF0001", 7, 2000, now), rec("BEEF0001", 8, 2000, now))
		results, _ = r.json["results"].([]any)
		if status(0) != "refused" || status(1) != "settled" || status(2) != "refused" || w.balances(w.zhang).PurseFen != -3400 {
			t.Fatalf("caps: %s %+v", r.body, w.balances(w.zhang))
		}
		// The same counter from another till settles (its key is that till's)
		// but is reported as a repeat: a cloned card looks like this.
		w.offline("pos-2", rec("BEEF0001", 2, 300, now))
		as, err := w.ledger.OfflineAnomalies(ctx, w.school.ID, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, a := range as {
			kinds[a.Kind]++
		}
		// Gaps: 3-4 never uploaded; 6 uploaded but refused, so not settled either.
		if kinds["gap"] != 2 || kinds["repeat"] != 1 {
			t.Fatalf("anomalies: %+v", as)
		}
		// Bad uploads change nothing.
		w.expect(w.signed("pos-1", "POST", "/tgw/v1/offline", map[string]any{"records": []any{}}), 400, "INVALID_REQUEST")
		w.expect(w.offline("pos-1", rec("BEEF0001", 9, -1, now)), 400, "INVALID_REQUEST")
		w.expect(w.offline("pos-1", rec("BEEF0001", 9, 1, now.Add(48*time.Hour))), 400, "INVALID_REQUEST")
		many := make([]map[string]any, 501)
		for i := range many {
			many[i] = rec("BEEF0001", int64(100+i), 1, now)
		}
		w.expect(w.offline("pos-1", many...), 400, "INVALID_REQUEST")
		w.expect(w.offline("kiosk-1", rec("BEEF0001", 9, 1, now)), 403, "FORBIDDEN")
		if w.balances(w.zhang).PurseFen != -3700 {
			t.Fatalf("bad upload changed money: %+v", w.balances(w.zhang))
		}
		w.verify()
	})
}

func (w *world) kiosk(path string, body map[string]any) reply {
	w.t.Helper()
	body["card_uid"] = "K10SK001"
	if _, ok := body["pin"]; !ok {
		body["pin"] = "123456"
	}
	return w.signed("kiosk-1", "POST", "/tgw/v1/kiosk/"+path, body)
}

func TestKioskOperationsNeedTheCardAndPIN(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		w.issue(w.zhang, "K10SK001")
		w.expect(w.kiosk("holder", map[string]any{"request_id": "h-0", "pin": "000000"}), 403, "WRONG_PIN")
		info := w.kiosk("holder", map[string]any{"request_id": "h-1"})
		if info.status != 200 || info.num("balance") != 10000 || info.str("number") != "2024001" {
			t.Fatalf("holder: %s", info.body)
		}
		// Cash top-up, once per request id, with a receipt.
		cash := w.kiosk("cash", map[string]any{"request_id": "cash-1", "amount": 2000})
		if cash.status != 200 || cash.str("receipt") == "" || cash.num("balance_after") != 12000 {
			t.Fatalf("cash: %s", cash.body)
		}
		if again := w.kiosk("cash", map[string]any{"request_id": "cash-1", "amount": 2000}); again.body != cash.body || w.balance(w.zhang) != 12000 {
			t.Fatalf("cash retry: %s", again.body)
		}
		// Wallet to purse: reserved, written, confirmed.
		tr := w.kiosk("transfer", map[string]any{"request_id": "t-1", "direction": "wallet_to_purse", "amount": 3000})
		if tr.status != 200 || w.balance(w.zhang) != 9000 {
			t.Fatalf("transfer: %s", tr.body)
		}
		if c := w.confirm("kiosk-1", "t-1-c", tr.num("hold_id"), true); c.num("purse") != 3000 {
			t.Fatalf("transfer confirm: %s", c.body)
		}
		// Purse to wallet: the chip debit failed, nothing moves.
		tr = w.kiosk("transfer", map[string]any{"request_id": "t-2", "direction": "purse_to_wallet", "amount": 1000})
		if c := w.confirm("kiosk-1", "t-2-c", tr.num("hold_id"), false); c.num("purse") != 3000 || c.num("balance") != 9000 {
			t.Fatalf("transfer void: %s", c.body)
		}
		w.expect(w.kiosk("transfer", map[string]any{"request_id": "t-3", "direction": "purse_to_wallet", "amount": 3001}), 402, "INSUFFICIENT_FUNDS")
		// Pending money claimed at the kiosk.
		if _, err := w.ledger.TopUp(ctx, ledger.TopUp{Key: "p", SchoolID: w.school.ID, HolderID: w.zhang.ID, Channel: ledger.Sandbox, AmountFen: 500, ToCard: true}); err != nil {
			t.Fatal(err)
		}
		cl := w.kiosk("claim", map[string]any{"request_id": "cl-1"})
		if c := w.confirm("kiosk-1", "cl-1-c", cl.num("hold_id"), true); c.num("purse") != 3500 {
			t.Fatalf("kiosk claim: %s %s", cl.body, c.body)
		}
		// PIN change, then the old PIN no longer works.
		if p := w.kiosk("password", map[string]any{"request_id": "pw-1", "kind": "pin", "old": "123456", "new": "802461"}); p.status != 200 {
			t.Fatalf("pin change: %s", p.body)
		}
		w.expect(w.kiosk("holder", map[string]any{"request_id": "h-2"}), 403, "WRONG_PIN")
		pin := "802461"
		if p := w.kiosk("password", map[string]any{"request_id": "pw-2", "pin": pin, "kind": "login", "old": "123456", "new": "abc123456"}); p.status != 200 {
			t.Fatalf("password change: %s", p.body)
		}
		// Loss report and cancel.
		if l := w.kiosk("loss", map[string]any{"request_id": "l-1", "pin": pin, "action": "report"}); l.str("state") != "lost" {
			t.Fatalf("loss: %s", l.body)
		}
		w.expect(w.kiosk("claim", map[string]any{"request_id": "cl-2", "pin": pin}), 403, "CARD_LOST")
		if l := w.kiosk("loss", map[string]any{"request_id": "l-2", "pin": pin, "action": "cancel"}); l.str("state") != "active" {
			t.Fatalf("cancel: %s", l.body)
		}
		// Unfreeze with the login password.
		if _, err := w.ledger.SetFrozen(ctx, w.zhang.ID, true); err != nil {
			t.Fatal(err)
		}
		w.expect(w.kiosk("unfreeze", map[string]any{"request_id": "u-1", "pin": pin, "password": "wrong-pass1"}), 401, "INVALID_CREDENTIALS")
		if u := w.kiosk("unfreeze", map[string]any{"request_id": "u-2", "pin": pin, "password": "abc123456"}); u.str("state") != "active" {
			t.Fatalf("unfreeze: %s", u.body)
		}
		// Only a kiosk; bad bodies change nothing.
		w.expect(w.signed("pos-1", "POST", "/tgw/v1/kiosk/holder", map[string]any{"request_id": "x", "card_uid": "K10SK001", "pin": pin}), 403, "FORBIDDEN")
		w.expect(w.kiosk("transfer", map[string]any{"request_id": "t-4", "pin": pin, "direction": "sideways", "amount": 1}), 400, "INVALID_REQUEST")
		w.expect(w.kiosk("cash", map[string]any{"request_id": "c-9", "pin": pin, "amount": 0}), 400, "INVALID_REQUEST")
		w.verify()
	})
}
