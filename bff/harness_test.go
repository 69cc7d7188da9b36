package bff_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"github.com/ecard/ecard/bff"
	"github.com/ecard/ecard/bff/wechat"
	"github.com/ecard/ecard/internal/seal"
	"github.com/ecard/ecard/internal/testclock"
	"github.com/ecard/ecard/internal/testredis"
	"github.com/ecard/ecard/ledger"
)

// clock is moved by hand in tests.
type clock = testclock.Clock

// harness is a server over a test database and Redis, with a demo school:
// holders 2024001 (password and PIN 123456, 100 yuan) and 2024002 (654320).
type harness struct {
	t        testing.TB
	srv      *bff.Server
	ledger   *ledger.Ledger
	redis    testredis.Conn
	clock    *clock
	school   ledger.School
	holder   ledger.Holder
	other    ledger.Holder
	merchant ledger.Merchant
}

type harnessOption func(*bff.Deps)

func withWeChat(w bff.WeChat) harnessOption { return func(d *bff.Deps) { d.WeChat = w } }

func newHarness(t testing.TB, db *gorm.DB, opts ...harnessOption) *harness {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, _ := seal.New(key)
	clk := testclock.New(time.Date(2026, 9, 1, 4, 0, 0, 0, time.UTC))
	l, err := ledger.New(db, ledger.Options{Now: clk.Now, Argon2: ledger.Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}, Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	r := testredis.Open(t)
	h := &harness{t: t, ledger: l, redis: r, clock: clk}
	h.srv = h.server(opts...)
	ctx := context.Background()
	if h.school, err = l.CreateSchool(ctx, ledger.NewSchool{Code: "demo", Name: "演示大学", Pinyin: "ysdx", Policies: ledger.DefaultPolicies()}); err != nil {
		t.Fatal(err)
	}
	if h.holder, err = l.CreateHolder(ctx, ledger.NewHolder{SchoolID: h.school.ID, Number: "2024001", Name: "张三", Kind: ledger.KindStudent, IDLast6: "123456"}); err != nil {
		t.Fatal(err)
	}
	if h.other, err = l.CreateHolder(ctx, ledger.NewHolder{SchoolID: h.school.ID, Number: "2024002", Name: "李四", Kind: ledger.KindStudent, IDLast6: "65432X"}); err != nil {
		t.Fatal(err)
	}
	if h.merchant, err = l.CreateMerchant(ctx, h.school.ID, "canteen1", "第一食堂"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.TopUp(ctx, ledger.TopUp{Key: "seed", SchoolID: h.school.ID, HolderID: h.holder.ID, Channel: ledger.Sandbox, AmountFen: 10000}); err != nil {
		t.Fatal(err)
	}
	return h
}

// server builds another node over the same database and Redis.
func (h *harness) server(opts ...harnessOption) *bff.Server {
	d := bff.Deps{Ledger: h.ledger, Redis: h.redis.Client, Metrics: prometheus.NewRegistry(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: h.clock.Now, KeyPrefix: h.redis.Prefix,
		JWTKey: []byte("test-jwt-key-0123456789-0123456789"), BodyLimitBytes: 1 << 16,
		ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second}
	for _, o := range opts {
		o(&d)
	}
	return bff.New(d)
}

// response is an answer with its JSON decoded loosely.
type response struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

func (r response) code() string {
	if e, ok := r.json["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

func (r response) str(key string) string { s, _ := r.json[key].(string); return s }
func (r response) num(key string) int64  { f, _ := r.json[key].(float64); return int64(f) }

// do sends a request through app.Test; body may be a string (sent raw) or a value (sent as JSON).
func (h *harness) do(method, path, token string, body any, headers ...string) response {
	h.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		raw, _ = json.Marshal(b)
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(raw))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := h.srv.App().Test(req, fiber.TestConfig{Timeout: 0}) // no timeout: -race on SQLite is slow
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	out := response{status: resp.StatusCode, header: resp.Header}
	out.body, _ = io.ReadAll(resp.Body)
	_ = json.Unmarshal(out.body, &out.json)
	return out
}

func (h *harness) expect(r response, status int, code string) {
	h.t.Helper()
	if r.status != status || r.code() != code {
		h.t.Fatalf("want %d %s, got %d %s", status, code, r.status, r.body)
	}
}

// login signs in and returns the access and refresh tokens.
func (h *harness) login(number, password string) (string, string) {
	h.t.Helper()
	r := h.do("POST", "/api/v1/auth/login", "", map[string]string{"school": "demo", "number": number, "password": password})
	if r.status != 200 {
		h.t.Fatalf("login %s: %d %s", number, r.status, r.body)
	}
	return r.str("access_token"), r.str("refresh_token")
}

func (h *harness) verify() {
	h.t.Helper()
	rep, err := h.ledger.Verify(context.Background(), 0)
	if err != nil || !rep.OK {
		h.t.Fatalf("ledger verify: %+v %v", rep, err)
	}
}

func newHarnessRedis(t testing.TB) testredis.Conn { return testredis.Open(t) }

// failingSender is a WeChat whose messages always fail.
type failingSender struct{ bff.WeChat }

func (failingSender) SendSubscribe(context.Context, wechat.Subscribe) error {
	return errors.New("wechat down")
}
