package terminalgw_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
	"github.com/ecard/ecard/terminalgw"
)

func TestPaymentApprovedOnceAndRetriesAnswerTheSame(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		token := w.login("2024001", "123456")
		code := w.payCode(token)
		first := w.pay("pos-1", "r-1", code, 1250)
		holder, _ := first.json["holder"].(map[string]any)
		if first.status != 200 || first.str("status") != "approved" || first.num("amount") != 1250 || first.num("balance_after") != 8750 ||
			holder["name_masked"] != "张*" || holder["number"] != "2024001" {
			t.Fatalf("approve: %s", first.body)
		}
		// The till lost the answer: the same request gets the same answer, one debit.
		again := w.pay("pos-1", "r-1", code, 1250)
		if again.body != first.body {
			t.Fatalf("retry: %s vs %s", again.body, first.body)
		}
		// Another request with the same code is refused.
		w.expect(w.pay("pos-1", "r-2", code, 1250), 409, "CODE_USED")
		w.expect(w.pay("pos-2", "r-1", code, 1250), 409, "CODE_USED")
		if w.balance(w.zhang) != 8750 {
			t.Fatalf("charged more than once: %d", w.balance(w.zhang))
		}
		// A new code retires the previous one, even unused.
		old := w.payCode(token)
		fresh := w.payCode(token)
		w.expect(w.pay("pos-1", "r-3", old, 100), 409, "CODE_USED")
		if r := w.pay("pos-1", "r-4", fresh, 100); r.status != 200 {
			t.Fatalf("fresh code: %s", r.body)
		}
		w.verify()
	})
}

func TestEveryDecline(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		zhang := w.login("2024001", "123456")
		li := w.login("2024002", "654320")

		w.expect(w.pay("pos-1", "d-1", "EC1:NOTACODE", 100), 422, "CODE_INVALID")
		good := w.payCode(zhang)
		tampered := good[:len(good)-3] + map[bool]string{true: "AAA", false: "BBB"}[!strings.HasSuffix(good, "AAA")]
		w.expect(w.pay("pos-1", "d-2", tampered, 100), 422, "CODE_INVALID")
		identity := w.code(zhang, "identity").str("code")
		w.expect(w.pay("pos-1", "d-3", identity, 100), 422, "CODE_KIND")
		w.expect(w.pay("pos-1", "d-4", w.payCode(li), 100), 402, "INSUFFICIENT_FUNDS")
		w.expect(w.pay("pos-1", "d-5", w.payCode(zhang), 3001), 402, "LIMIT_EXCEEDED")
		w.expect(w.pay("pos-1", "d-6", w.payCode(zhang), 3001, "pin", "000000"), 403, "WRONG_PIN")
		if r := w.pay("pos-1", "d-7", w.payCode(zhang), 3001, "pin", "123456"); r.status != 200 {
			t.Fatalf("with the PIN: %s", r.body)
		}
		// The right PIN reset the count: five wrong ones in a row lock it.
		for i := 0; i < 4; i++ {
			w.expect(w.pay("pos-1", fmt.Sprint("d-8-", i), w.payCode(zhang), 3001, "pin", "999999"), 403, "WRONG_PIN")
		}
		w.expect(w.pay("pos-1", "d-8-5", w.payCode(zhang), 3001, "pin", "999999"), 403, "PIN_LOCKED")
		w.expect(w.pay("pos-1", "d-9", w.payCode(zhang), 3001, "pin", "123456"), 403, "PIN_LOCKED")

		expired := w.payCode(zhang)
		w.clock.Advance(66 * time.Second)
		w.expect(w.pay("pos-1", "d-10", expired, 100), 422, "CODE_EXPIRED")
		zhang = w.login("2024001", "123456")

		// Loss report: codes already shown are refused at once.
		lostCode := w.payCode(zhang)
		r := w.send("POST", "/api/v1/me/loss", []byte(`{"password":"123456"}`), map[string]string{"Authorization": "Bearer " + zhang})
		if r.status != 200 {
			t.Fatalf("loss: %s", r.body)
		}
		w.expect(w.pay("pos-1", "d-11", lostCode, 100), 403, "CARD_LOST")
		w.expect(w.code(zhang, "pay"), 403, "CARD_LOST")
		w.send("DELETE", "/api/v1/me/loss", []byte(`{"password":"123456"}`), map[string]string{"Authorization": "Bearer " + zhang})

		for status, code := range map[string]string{"frozen": "ACCOUNT_FROZEN", "closed": "ACCOUNT_CLOSED"} {
			c := w.payCode(zhang)
			db.Exec("UPDATE holders SET status = ? WHERE id = ?", status, w.zhang.ID)
			w.expect(w.pay("pos-1", "d-"+status, c, 100), 403, code)
			db.Exec("UPDATE holders SET status = 'active' WHERE id = ?", w.zhang.ID)
		}
		// A code of another school is refused.
		other, _ := w.ledger.CreateSchool(ctx, ledger.NewSchool{Code: "other", Name: "另一所", Policies: ledger.DefaultPolicies()})
		stranger, _ := w.ledger.CreateHolder(ctx, ledger.NewHolder{SchoolID: other.ID, Number: "1", Name: "外校", Kind: "student", IDLast6: "111111"})
		_, _ = stranger, other
		w.verify()
	})
}

func TestTerminalAuthentication(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		body := []byte(`{}`)
		ts := strconv.FormatInt(w.clock.Now().Unix(), 10)
		sign := func(id, secret, ts, n string) map[string]string {
			return map[string]string{"X-Ecard-Terminal": id, "X-Ecard-Timestamp": ts, "X-Ecard-Nonce": n,
				"X-Ecard-Signature": terminalgw.Signature([]byte(secret), "POST", "/tgw/v1/heartbeat", ts, n, body)}
		}
		ok := sign("pos-1", w.secrets["pos-1"], ts, "nonce0000000000001")
		if r := w.send("POST", "/tgw/v1/heartbeat", body, ok); r.status != 200 || r.str("server_time") == "" {
			t.Fatalf("heartbeat: %s", r.body)
		}
		w.expect(w.send("POST", "/tgw/v1/heartbeat", body, ok), 409, "REPLAYED")
		cases := map[string]map[string]string{
			"wrong secret":     sign("pos-1", "not-the-secret-at-all", ts, nonce()),
			"unknown terminal": sign("pos-9", w.secrets["pos-1"], ts, nonce()),
			"old timestamp":    sign("pos-1", w.secrets["pos-1"], strconv.FormatInt(w.clock.Now().Unix()-301, 10), nonce()),
			"future timestamp": sign("pos-1", w.secrets["pos-1"], strconv.FormatInt(w.clock.Now().Unix()+301, 10), nonce()),
			"short nonce":      sign("pos-1", w.secrets["pos-1"], ts, "abc"),
			"bad nonce":        sign("pos-1", w.secrets["pos-1"], ts, "nonce-with-dashes-123"),
			"no headers":       {},
		}
		for name, h := range cases {
			if r := w.send("POST", "/tgw/v1/heartbeat", body, h); r.status != 401 || r.code() != "TERMINAL_AUTH" {
				t.Errorf("%s: %d %s", name, r.status, r.body)
			}
		}
		// The body and the path are signed: changing either breaks the signature.
		h := sign("pos-1", w.secrets["pos-1"], ts, nonce())
		w.expect(w.send("POST", "/tgw/v1/heartbeat", []byte(`{"x":1}`), h), 401, "TERMINAL_AUTH")
		h = sign("pos-1", w.secrets["pos-1"], ts, nonce())
		w.expect(w.send("GET", "/tgw/v1/keys", nil, h), 401, "TERMINAL_AUTH")
		// A disabled terminal is refused (after the short cache).
		db.Exec("UPDATE terminals SET status = 'disabled' WHERE id = 'pos-2'")
		w.clock.Advance(31 * time.Second)
		w.expect(w.signed("pos-2", "POST", "/tgw/v1/heartbeat", map[string]any{}), 401, "TERMINAL_AUTH")
		// Gates do not take payments.
		w.expect(w.signed("gate-dorm1", "POST", "/tgw/v1/payments", map[string]any{"request_id": "x", "amount": 1, "code": "c"}), 403, "FORBIDDEN")
	})
}

func TestConcurrentReplayApprovesOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		code := w.payCode(w.login("2024001", "123456"))
		const tills = 50
		var wg sync.WaitGroup
		results := make([]reply, tills)
		for i := 0; i < tills; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = w.pay([]string{"pos-1", "pos-2"}[i%2], fmt.Sprint("replay-", i), code, 500)
			}()
		}
		wg.Wait()
		approved := 0
		for _, r := range results {
			switch {
			case r.status == 200:
				approved++
			case r.code() != "CODE_USED":
				t.Errorf("unexpected answer: %d %s", r.status, r.body)
			}
		}
		if approved != 1 || w.balance(w.zhang) != 9500 {
			t.Fatalf("approved %d, balance %d", approved, w.balance(w.zhang))
		}
		w.verify()
	})
}

func TestRefunds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		paid := w.pay("pos-1", "p-1", w.payCode(w.login("2024001", "123456")), 2000)
		id := paid.num("transaction_id")
		refund := func(terminal, req string, amount int64) reply {
			return w.signed(terminal, "POST", "/tgw/v1/refunds", map[string]any{"request_id": req, "transaction_id": id, "amount": amount})
		}
		r := refund("pos-2", "rf-1", 500)
		if r.status != 200 || r.str("status") != "refunded" || r.num("balance_after") != 8500 {
			t.Fatalf("refund: %s", r.body)
		}
		if again := refund("pos-2", "rf-1", 500); again.body != r.body {
			t.Fatalf("retried refund: %s", again.body)
		}
		w.expect(refund("shop-1", "rf-2", 100), 404, "NOT_FOUND")
		w.expect(refund("pos-1", "rf-3", 1501), 409, "CONFLICT")
		if r := refund("pos-1", "rf-4", 1500); r.status != 200 {
			t.Fatalf("the rest: %s", r.body)
		}
		w.expect(refund("pos-1", "rf-5", 1), 409, "CONFLICT")
		if w.balance(w.zhang) != 10000 {
			t.Fatalf("balance %d", w.balance(w.zhang))
		}
		w.verify()
	})
}

func TestAccessGates(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newWorld(t, db)
		zhang, li := w.login("2024001", "123456"), w.login("2024002", "654320")
		access := func(gate, req, code string) reply {
			return w.signed(gate, "POST", "/tgw/v1/access", map[string]any{"request_id": req, "code": code})
		}
		id := w.code(zhang, "identity").str("code")
		if r := access("gate-dorm1", "a-1", id); r.str("decision") != "allow" {
			t.Fatalf("own dorm: %s", r.body)
		}
		if r := access("gate-dorm1", "a-2", w.code(li, "identity").str("code")); r.str("decision") != "deny" || r.str("reason") != "NOT_ADMITTED" {
			t.Fatalf("other dorm: %s", r.body)
		}
		if r := access("gate-library", "a-3", id); r.str("decision") != "allow" {
			t.Fatalf("library: %s", r.body)
		}
		w.expect(access("gate-library", "a-4", w.payCode(zhang)), 422, "CODE_KIND")
		if r := w.signed("gate-library", "POST", "/tgw/v1/access", map[string]any{"request_id": "a-5", "card_uid": "04A1B2C3"}); r.str("decision") != "deny" {
			t.Fatalf("unknown card: %s", r.body)
		}
		w.send("POST", "/api/v1/me/loss", []byte(`{"password":"123456"}`), map[string]string{"Authorization": "Bearer " + zhang})
		if r := access("gate-library", "a-6", id); r.str("decision") != "deny" || r.str("reason") != "CARD_LOST" {
			t.Fatalf("lost: %s", r.body)
		}
		// The loss is on the denylist for offline terminals.
		r := w.signed("gate-library", "GET", "/tgw/v1/denylist?since=0", nil)
		added, _ := r.json["added"].([]any)
		if r.status != 200 || len(added) != 1 || r.num("version") == 0 {
			t.Fatalf("denylist: %s", r.body)
		}
		if r := w.signed("gate-library", "GET", "/tgw/v1/denylist?since="+strconv.FormatInt(r.num("version"), 10), nil); len(r.json["added"].([]any)) != 0 {
			t.Fatalf("denylist since: %s", r.body)
		}
		keys := w.signed("gate-library", "GET", "/tgw/v1/keys", nil)
		if list, _ := keys.json["keys"].([]any); keys.status != 200 || len(list) != 1 {
			t.Fatalf("keys: %s", keys.body)
		}
		var passages int64
		db.Table("passages").Count(&passages)
		if passages != 5 {
			t.Fatalf("every decision is logged: %d", passages)
		}
	})
}

func TestMaskName(t *testing.T) {
	for in, want := range map[string]string{"王小明": "王*明", "张三": "张*", "欧阳娜娜": "欧**娜", "A": "*", "": "*"} {
		if got := terminalgw.MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDeclineKeepsTheCode: a till told LIMIT_EXCEEDED asks for the PIN and
// sends the same code again, with a new request id.
func TestDeclineKeepsTheCode(t *testing.T) {
	w := newWorld(t, testdb.SQLite(t))
	code := w.payCode(w.login("2024001", "123456"))
	w.expect(w.pay("pos-1", "k-1", code, 3500), 402, "LIMIT_EXCEEDED")
	w.expect(w.pay("pos-1", "k-2", code, 3500, "pin", "000000"), 403, "WRONG_PIN")
	w.expect(w.pay("pos-1", "k-3", code, 20000, "pin", "123456"), 402, "INSUFFICIENT_FUNDS")
	if r := w.pay("pos-1", "k-4", code, 3500, "pin", "123456"); r.status != 200 {
		t.Fatalf("with the PIN: %s", r.body)
	}
	w.expect(w.pay("pos-1", "k-5", code, 100), 409, "CODE_USED")
	// The first decline is still the answer to its own request id.
	w.expect(w.pay("pos-1", "k-1", code, 3500), 402, "LIMIT_EXCEEDED")
	w.verify()
}

// TestOneConnectionManyTerminals: a proxy that carries several terminals'
// requests on one keep-alive connection gets every one authenticated.
func TestOneConnectionManyTerminals(t *testing.T) {
	w := newWorld(t, testdb.SQLite(t))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = w.app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true}) }()
	defer func() { _ = w.app.ShutdownWithTimeout(time.Second) }()
	var ids []string
	for i := 0; i < 24; i++ {
		id := fmt.Sprintf("gate-%02d", i)
		_, secret, err := w.ledger.CreateTerminal(context.Background(), ledger.NewTerminal{SchoolID: w.school.ID, ID: id, Kind: "gate", Place: "library"})
		if err != nil {
			t.Fatal(err)
		}
		w.secrets[id], ids = secret, append(ids, id)
	}
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	for i := 0; i < 1000; i++ {
		id := ids[(i*7)%len(ids)]
		if i%40 == 39 {
			w.clock.Advance(31 * time.Second) // let cached terminals expire and reload
		}
		ts, n := strconv.FormatInt(w.clock.Now().Unix(), 10), nonce()
		req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/tgw/v1/heartbeat", strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Ecard-Terminal", id)
		req.Header.Set("X-Ecard-Timestamp", ts)
		req.Header.Set("X-Ecard-Nonce", n)
		req.Header.Set("X-Ecard-Signature", terminalgw.Signature([]byte(w.secrets[id]), "POST", "/tgw/v1/heartbeat", ts, n, []byte("{}")))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("request %d from %s: %d %s", i, id, resp.StatusCode, body)
		}
	}
}
