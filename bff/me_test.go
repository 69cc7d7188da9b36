package bff_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	"gorm.io/gorm"

	"github.com/ecard/ecard/bff"
	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
)

func (h *harness) pay(key string, amount int64) ledger.Entry {
	h.t.Helper()
	e, err := h.ledger.Pay(context.Background(), ledger.Payment{Key: key, SchoolID: h.school.ID, HolderID: h.holder.ID,
		MerchantID: h.merchant.ID, TerminalID: "pos-1", AmountFen: amount})
	if err != nil {
		h.t.Fatal(err)
	}
	return e
}

func TestMeAndHistory(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		access, _ := h.login("2024001", "123456")
		if _, err := h.ledger.Grant(ctx, ledger.Grant{Key: "g", SchoolID: h.school.ID, HolderID: h.holder.ID, AmountFen: 500}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			h.pay(fmt.Sprint("p", i), 300)
		}
		me := h.do("GET", "/api/v1/me", access, nil)
		if me.status != 200 || me.num("balance") != 9000 || me.num("subsidy") != 0 || me.num("spent_today") != 1500 ||
			me.str("status") != "active" || me.str("number") != "2024001" || me.str("kind") != "student" {
			t.Fatalf("me: %s", me.body)
		}
		lim := me.json["limits"].(map[string]any)
		if lim["per_payment"] != float64(3000) || lim["per_day"] != float64(5000) {
			t.Fatalf("limits: %v", lim)
		}
		// Pages of 3, newest first; payments are negative.
		r := h.do("GET", "/api/v1/me/transactions?limit=3", access, nil)
		items := r.json["items"].([]any)
		first := items[0].(map[string]any)
		if len(items) != 3 || first["kind"] != "payment" || first["amount"] != float64(-300) || first["merchant"] != "第一食堂" ||
			first["terminal"] != "pos-1" || first["balance_after"] != float64(9000) || r.str("next_cursor") == "" {
			t.Fatalf("page 1: %s", r.body)
		}
		seen := 3
		for cursor := r.str("next_cursor"); cursor != ""; {
			r = h.do("GET", "/api/v1/me/transactions?limit=3&cursor="+cursor, access, nil)
			seen += len(r.json["items"].([]any))
			cursor = r.str("next_cursor")
		}
		if seen != 7 {
			t.Fatalf("5 payments, a grant and a top-up: saw %d", seen)
		}
		r = h.do("GET", "/api/v1/me/transactions?kind=topup,grant", access, nil)
		if n := len(r.json["items"].([]any)); n != 2 {
			t.Fatalf("kind filter: %s", r.body)
		}
		r = h.do("GET", "/api/v1/me/transactions?from=2026-09-02", access, nil)
		if n := len(r.json["items"].([]any)); n != 0 {
			t.Fatalf("date filter: %s", r.body)
		}
		r = h.do("GET", "/api/v1/me/transactions?from=2026-09-01&to=2026-09-02", access, nil)
		if n := len(r.json["items"].([]any)); n != 7 {
			t.Fatalf("date range: %s", r.body)
		}
		// Another holder sees none of it.
		other, _ := h.login("2024002", "654320")
		r = h.do("GET", "/api/v1/me/transactions", other, nil)
		if n := len(r.json["items"].([]any)); n != 0 || r.str("next_cursor") != "" {
			t.Fatalf("other holder: %s", r.body)
		}
	})
}

func TestPasswordsLimitsAndLoss(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db)
		access, _ := h.login("2024001", "123456")
		put := func(path string, body any) response { return h.do("PUT", path, access, body) }

		h.expect(put("/api/v1/me/password", map[string]string{"kind": "login", "old": "bad", "new": "abc12345"}), 401, "INVALID_CREDENTIALS")
		h.expect(put("/api/v1/me/password", map[string]string{"kind": "login", "old": "123456", "new": "short1"}), 400, "INVALID_REQUEST")
		h.expect(put("/api/v1/me/password", map[string]string{"kind": "login", "old": "123456", "new": "onlyletters"}), 400, "INVALID_REQUEST")
		if r := put("/api/v1/me/password", map[string]string{"kind": "login", "old": "123456", "new": "campus2026"}); r.status != 204 {
			t.Fatalf("password: %d %s", r.status, r.body)
		}
		if h.do("GET", "/api/v1/me", access, nil).json["must_change_password"] != false {
			t.Fatal("must_change_password clears")
		}
		h.login("2024001", "campus2026")

		for _, trivial := range []string{"111111", "123456", "987654", "12345"} {
			h.expect(put("/api/v1/me/password", map[string]string{"kind": "pin", "old": "123456", "new": trivial}), 400, "INVALID_REQUEST")
		}
		h.expect(put("/api/v1/me/password", map[string]string{"kind": "pin", "old": "000000", "new": "258369"}), 403, "WRONG_PIN")
		if r := put("/api/v1/me/password", map[string]string{"kind": "pin", "old": "123456", "new": "258369"}); r.status != 204 {
			t.Fatalf("pin: %d %s", r.status, r.body)
		}
		h.expect(put("/api/v1/me/password", map[string]string{"kind": "face", "old": "258369", "new": "147258"}), 400, "INVALID_REQUEST")

		h.expect(put("/api/v1/me/limits", map[string]any{"per_payment": 3001, "per_day": 5000, "pin": "258369"}), 400, "INVALID_REQUEST")
		h.expect(put("/api/v1/me/limits", map[string]any{"per_payment": 1000, "per_day": 2000, "pin": "123456"}), 403, "WRONG_PIN")
		r := put("/api/v1/me/limits", map[string]any{"per_payment": 1000, "per_day": 2000, "pin": "258369"})
		if lim := r.json["limits"].(map[string]any); r.status != 200 || lim["per_payment"] != float64(1000) || lim["per_day"] != float64(2000) {
			t.Fatalf("limits: %d %s", r.status, r.body)
		}
		_, err := h.ledger.Pay(context.Background(), ledger.Payment{Key: "over-own", SchoolID: h.school.ID, HolderID: h.holder.ID, MerchantID: h.merchant.ID, AmountFen: 1001})
		if ledger.ErrorCode(err) != ledger.CodeLimitExceeded {
			t.Fatalf("own limit applies: %v", err)
		}

		h.expect(h.do("POST", "/api/v1/me/loss", access, map[string]string{"password": "nope"}), 401, "INVALID_CREDENTIALS")
		r = h.do("POST", "/api/v1/me/loss", access, map[string]string{"password": "campus2026"})
		if r.status != 200 || r.str("status") != "lost" {
			t.Fatalf("loss: %d %s", r.status, r.body)
		}
		_, err = h.ledger.Pay(context.Background(), ledger.Payment{Key: "while-lost", SchoolID: h.school.ID, HolderID: h.holder.ID, MerchantID: h.merchant.ID, AmountFen: 100})
		if ledger.ErrorCode(err) != ledger.CodeCardLost {
			t.Fatalf("a lost holder cannot pay: %v", err)
		}
		r = h.do("DELETE", "/api/v1/me/loss", access, map[string]string{"password": "campus2026"})
		if r.status != 200 || r.str("status") != "active" {
			t.Fatalf("cancel loss: %d %s", r.status, r.body)
		}
		h.pay("after-loss", 100)
		h.verify()
	})
}

// TestEventsCrossNodes streams from one node while another delivers the notice.
func TestEventsCrossNodes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db)
		access, _ := h.login("2024001", "123456")
		nodeB := h.server()
		base := listen(t, h.srv)

		lines := openEvents(t, base, access)
		e := h.pay("sse-1", 1250)
		if n, err := nodeB.Notifier(nil).DeliverDue(context.Background()); err != nil || n == 0 {
			t.Fatalf("delivered %d: %v", n, err)
		}
		// The seed top-up's event comes first; read until the payment's.
		var got []string
		for lines.Scan() {
			got = append(got, lines.Text())
			if strings.HasPrefix(lines.Text(), "data:") && strings.Contains(lines.Text(), `"kind":"payment"`) {
				break
			}
		}
		joined := strings.Join(got, "\n")
		if !strings.Contains(joined, "event: payment") || !strings.Contains(joined, `"amount":-1250`) ||
			!strings.Contains(joined, `"merchant":"第一食堂"`) || !strings.Contains(joined, fmt.Sprintf(`"entry_id":%d`, e.ID)) {
			t.Fatalf("event: %s (stream error %v)", joined, lines.Err())
		}
		// Delivered once: nothing is due any more.
		if n, _ := nodeB.Notifier(nil).DeliverDue(context.Background()); n != 0 {
			t.Fatalf("redelivered %d", n)
		}
	})
}

func TestFailingSenderNeverBlocksMoney(t *testing.T) {
	h := newHarness(t, testdb.SQLite(t), withWeChat(failingSender{}))
	if err := h.ledger.BindWeChat(context.Background(), h.holder.ID, "openid-1"); err != nil {
		t.Fatal(err)
	}
	h.pay("p-1", 100)
	n := h.srv.Notifier(map[string]string{"payment": "tmpl-1"})
	// The seed top-up has no template and is only logged; the payment's
	// WeChat message fails.
	if sent, err := n.DeliverDue(context.Background()); err != nil || sent != 1 {
		t.Fatalf("sent %d, %v", sent, err)
	}
	// The money moved; the notice waits for another attempt.
	h.pay("p-2", 100)
	h.verify()
	var pending int64
	h.ledger.DB().Table("notices").Where("sent_at IS NULL AND attempts = 1").Count(&pending)
	if pending != 1 {
		t.Fatalf("the failed notice is kept for retry: %d", pending)
	}
}

func listen(t *testing.T, srv *bff.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.App().Listener(ln, fiber.ListenConfig{DisableStartupMessage: true}) }()
	t.Cleanup(func() { _ = srv.App().ShutdownWithTimeout(time.Second); _ = ln.Close() })
	return "http://" + ln.Addr().String()
}
