package terminalgw_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"github.com/ecard/ecard/bff"
	"github.com/ecard/ecard/internal/codes"
	"github.com/ecard/ecard/internal/seal"
	"github.com/ecard/ecard/internal/testclock"
	"github.com/ecard/ecard/internal/testredis"
	"github.com/ecard/ecard/ledger"
	"github.com/ecard/ecard/qrcode"
	qrredis "github.com/ecard/ecard/qrcode/redis"
	"github.com/ecard/ecard/qrcode/sqlkeys"
	"github.com/ecard/ecard/terminalgw"
)

// clock is moved by hand in tests.
type clock = testclock.Clock

// world is the whole server (holder API and gateway) over a test database and
// Redis, with a school, holders, a canteen till, gates and a kiosk.
type world struct {
	t        testing.TB
	app      *fiber.App
	ledger   *ledger.Ledger
	clock    *clock
	school   ledger.School
	zhang    ledger.Holder // 2024001, dorm 1, 100 yuan, password and PIN 123456
	li       ledger.Holder // 2024002, dorm 2, no money, 654320
	merchant ledger.Merchant
	secrets  map[string]string
	redis    testredis.Conn
}

func newWorld(t testing.TB, db *gorm.DB) *world {
	t.Helper()
	return newWorldOn(t, db, testredis.Open(t))
}

// newWorldOn is newWorld over a given Redis: tests that flush Redis bring
// their own server.
func newWorldOn(t testing.TB, db *gorm.DB, r testredis.Conn) *world {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, _ := seal.New(key)
	clk := testclock.New(time.Now())
	l, err := ledger.New(db, ledger.Options{Now: clk.Now, Argon2: ledger.Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}, Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	ring := sqlkeys.New(db, sealer, clk.Now)
	svc := codes.New(qrcode.NewIssuer(ring, clk.Now), ring, qrredis.New(r.Client, r.Prefix+"codes:"), l)
	log := slog.New(slog.NewTextHandler(testLogOutput(), nil))
	gw := terminalgw.New(terminalgw.Deps{Ledger: l, Redis: r.Client, Codes: svc, Log: log, Now: clk.Now, KeyPrefix: r.Prefix})
	srv := bff.New(bff.Deps{Ledger: l, Redis: r.Client, Metrics: prometheus.NewRegistry(), Log: log, Now: clk.Now,
		KeyPrefix: r.Prefix, JWTKey: []byte("test-jwt-key-0123456789-0123456789"), Codes: svc,
		Mount: []func(fiber.Router){gw.Register}, BodyLimitBytes: 1 << 16, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second})
	w := &world{t: t, app: srv.App(), ledger: l, clock: clk, secrets: map[string]string{}, redis: r}
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	w.school, err = l.CreateSchool(ctx, ledger.NewSchool{Code: "demo", Name: "演示大学", Policies: ledger.DefaultPolicies()})
	must(err)
	w.zhang, err = l.CreateHolder(ctx, ledger.NewHolder{SchoolID: w.school.ID, Number: "2024001", Name: "张三", Kind: ledger.KindStudent, IDLast6: "123456", DormBuilding: "1"})
	must(err)
	w.li, err = l.CreateHolder(ctx, ledger.NewHolder{SchoolID: w.school.ID, Number: "2024002", Name: "李四", Kind: ledger.KindStudent, IDLast6: "65432X", DormBuilding: "2"})
	must(err)
	w.merchant, err = l.CreateMerchant(ctx, w.school.ID, "canteen1", "第一食堂")
	must(err)
	other, err := l.CreateMerchant(ctx, w.school.ID, "shop", "小卖部")
	must(err)
	for _, term := range []ledger.NewTerminal{
		{ID: "pos-1", Kind: "pos", MerchantID: &w.merchant.ID},
		{ID: "pos-2", Kind: "pos", MerchantID: &w.merchant.ID},
		{ID: "shop-1", Kind: "pos", MerchantID: &other.ID},
		{ID: "gate-dorm1", Kind: "gate", Place: "dorm:1"},
		{ID: "gate-library", Kind: "gate", Place: "library"},
		{ID: "kiosk-1", Kind: "kiosk", Place: "hall"},
	} {
		term.SchoolID = w.school.ID
		_, secret, err := l.CreateTerminal(ctx, term)
		must(err)
		w.secrets[term.ID] = secret
	}
	_, err = l.TopUp(ctx, ledger.TopUp{Key: "seed", SchoolID: w.school.ID, HolderID: w.zhang.ID, Channel: ledger.Sandbox, AmountFen: 10000})
	must(err)
	return w
}

type reply struct {
	status int
	json   map[string]any
	body   string
}

func (r reply) code() string {
	e, _ := r.json["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func (r reply) str(k string) string { s, _ := r.json[k].(string); return s }
func (r reply) num(k string) int64  { f, _ := r.json[k].(float64); return int64(f) }

func (w *world) send(method, path string, body []byte, header map[string]string) reply {
	w.t.Helper()
	r, ok := w.trySend(method, path, body, header)
	if !ok {
		w.t.Fatalf("%s %s: the request could not be read", method, path)
	}
	return r
}

func nonce() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// signed sends a request as terminal id, signed the way API.md says.
func (w *world) signed(id, method, path string, body any) reply {
	w.t.Helper()
	raw, _ := json.Marshal(body)
	if body == nil {
		raw = nil
	}
	ts, n := strconv.FormatInt(w.clock.Now().Unix(), 10), nonce()
	return w.send(method, path, raw, map[string]string{
		"X-Ecard-Terminal": id, "X-Ecard-Timestamp": ts, "X-Ecard-Nonce": n,
		"X-Ecard-Signature": terminalgw.Signature([]byte(w.secrets[id]), method, path, ts, n, raw)})
}

// login signs a holder in and returns the access token.
func (w *world) login(number, password string) string {
	w.t.Helper()
	raw, _ := json.Marshal(map[string]string{"school": "demo", "number": number, "password": password})
	r := w.send("POST", "/api/v1/auth/login", raw, nil)
	if r.status != 200 {
		w.t.Fatalf("login: %s", r.body)
	}
	return r.str("access_token")
}

// code asks for a code through the holder API.
func (w *world) code(token, kind string) reply {
	w.t.Helper()
	raw, _ := json.Marshal(map[string]string{"kind": kind})
	return w.send("POST", "/api/v1/me/codes", raw, map[string]string{"Authorization": "Bearer " + token})
}

func (w *world) payCode(token string) string {
	w.t.Helper()
	r := w.code(token, "pay")
	if r.status != 200 {
		w.t.Fatalf("pay code: %s", r.body)
	}
	return r.str("code")
}

func (w *world) pay(terminal, requestID, code string, amount int64, extra ...string) reply {
	w.t.Helper()
	body := map[string]any{"request_id": requestID, "amount": amount, "code": code}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i]] = extra[i+1]
	}
	return w.signed(terminal, "POST", "/tgw/v1/payments", body)
}

func (w *world) expect(r reply, status int, code string) {
	w.t.Helper()
	if r.status != status || r.code() != code {
		w.t.Fatalf("want %d %s, got %d %s", status, code, r.status, r.body)
	}
}

func (w *world) verify() {
	w.t.Helper()
	rep, err := w.ledger.Verify(context.Background(), 0)
	if err != nil || !rep.OK {
		w.t.Fatalf("ledger verify: %+v %v", rep, err)
	}
}

func (w *world) balance(h ledger.Holder) int64 {
	w.t.Helper()
	b, err := w.ledger.HolderBalances(context.Background(), h.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return b.WalletFen + b.SubsidyFen
}

// testLogOutput shows the server's log when ECARD_TEST_LOG is set.
func testLogOutput() io.Writer {
	if os.Getenv("ECARD_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}
