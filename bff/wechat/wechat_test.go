package wechat_test

// These tests use wechattest, which sets the SDK's process-global URL hook:
// none of them may call t.Parallel.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ecard/ecard/bff/wechat"
	"github.com/ecard/ecard/bff/wechat/wechattest"
	"github.com/ecard/ecard/internal/testredis"
)

const (
	appID  = "wx0123456789abcdef"
	secret = "s3cr3t0123456789abcdef0123456789"
)

type env struct {
	fake   *wechattest.Server
	redis  testredis.Conn
	client *wechat.Client
}

func setup(t *testing.T) env {
	t.Helper()
	rc := testredis.Open(t)
	fake := wechattest.New(t, appID, secret)
	return env{fake: fake, redis: rc, client: newClient(t, rc, rc.Prefix)}
}

func newClient(t *testing.T, rc testredis.Conn, prefix string) *wechat.Client {
	t.Helper()
	c, err := wechat.New(wechat.Config{AppID: appID, AppSecret: secret, Redis: rc.Client, KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func apiCode(err error) int64 {
	var ae *wechat.APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return 0
}

func TestNewValidates(t *testing.T) {
	rc := testredis.Open(t)
	for _, cfg := range []wechat.Config{
		{AppSecret: secret, Redis: rc.Client},
		{AppID: appID, Redis: rc.Client},
		{AppID: appID, AppSecret: secret},
		{AppID: "wx1&x=y", AppSecret: secret, Redis: rc.Client},
	} {
		if _, err := wechat.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

func TestCode2Session(t *testing.T) {
	e := setup(t)
	e.fake.AddCode("0a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P", "o-openid-1", "u-union-1")
	e.fake.AddCode("code-without-union", "o-openid-2", "")

	s, err := e.client.Code2Session(ctx(t), "0a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P")
	if err != nil {
		t.Fatal(err)
	}
	if s != (wechat.Session{OpenID: "o-openid-1", UnionID: "u-union-1"}) {
		t.Fatalf("session = %+v", s)
	}
	s, err = e.client.Code2Session(ctx(t), "code-without-union")
	if err != nil || s.OpenID != "o-openid-2" || s.UnionID != "" {
		t.Fatalf("session = %+v, %v", s, err)
	}
}

func TestCode2SessionUnknownCode(t *testing.T) {
	e := setup(t)
	_, err := e.client.Code2Session(ctx(t), "unknowncode")
	if !errors.Is(err, wechat.ErrInvalidCode) || apiCode(err) != 40029 {
		t.Fatalf("err = %v", err)
	}
}

func TestCode2SessionReusedCode(t *testing.T) {
	e := setup(t)
	e.fake.AddCode("once", "o1", "")
	if _, err := e.client.Code2Session(ctx(t), "once"); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.Code2Session(ctx(t), "once")
	if !errors.Is(err, wechat.ErrInvalidCode) || apiCode(err) != 40163 {
		t.Fatalf("err = %v", err)
	}
}

func TestCode2SessionRateLimited(t *testing.T) {
	e := setup(t)
	e.fake.AddCode("good", "o1", "")
	e.fake.SetRateLimited(true)
	_, err := e.client.Code2Session(ctx(t), "good")
	if !errors.Is(err, wechat.ErrRateLimited) || apiCode(err) != 45011 {
		t.Fatalf("err = %v", err)
	}
	if errors.Is(err, wechat.ErrInvalidCode) {
		t.Fatalf("rate limit reads as invalid code: %v", err)
	}
	e.fake.SetRateLimited(false)
	if _, err := e.client.Code2Session(ctx(t), "good"); err != nil {
		t.Fatalf("after rate limit: %v", err)
	}
}

// Malformed codes never reach WeChat: with the fake rate limited, a call that
// went out would answer ErrRateLimited.
func TestCode2SessionRejectsBadInput(t *testing.T) {
	e := setup(t)
	e.fake.SetRateLimited(true)
	for _, code := range []string{"", strings.Repeat("a", wechat.MaxCodeLen+1), "a&secret=x", "a b", "a/../b", "码"} {
		_, err := e.client.Code2Session(ctx(t), code)
		if err != wechat.ErrInvalidCode {
			t.Errorf("Code2Session(%q) = %v, want ErrInvalidCode unwrapped", code, err)
		}
	}
	if _, err := e.client.Code2Session(ctx(t), strings.Repeat("a", wechat.MaxCodeLen)); !errors.Is(err, wechat.ErrRateLimited) {
		t.Errorf("longest valid code: %v", err)
	}
}

func TestCode2SessionWrongSecret(t *testing.T) {
	e := setup(t)
	e.fake.AddCode("good", "o1", "")
	c, err := wechat.New(wechat.Config{AppID: appID, AppSecret: "wrong-secret-value", Redis: e.redis.Client, KeyPrefix: e.redis.Prefix})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Code2Session(ctx(t), "good")
	if apiCode(err) != 40125 || errors.Is(err, wechat.ErrInvalidCode) {
		t.Fatalf("err = %v", err)
	}
}

// Transport errors of the SDK carry the full URL; ours must not leak the
// secret, the code or the access token.
func TestTransportErrorsAreRedacted(t *testing.T) {
	e := setup(t)
	e.fake.AddCode("secretcode123", "o1", "")
	// Take a token first so the send below fails on the wire, not on the token.
	if err := e.client.SendSubscribe(ctx(t), wechat.Subscribe{OpenID: "o1", TemplateID: "T1"}); err != nil {
		t.Fatal(err)
	}
	token := e.fake.AccessToken()
	e.fake.Close() // connection refused from now on

	_, err := e.client.Code2Session(ctx(t), "secretcode123")
	if err == nil {
		t.Fatal("no error from a closed server")
	}
	t.Log(err)
	if msg := err.Error(); strings.Contains(msg, secret) || strings.Contains(msg, "secretcode123") {
		t.Fatalf("error leaks: %s", msg)
	}
	err = e.client.SendSubscribe(ctx(t), wechat.Subscribe{OpenID: "o1", TemplateID: "T1"})
	if err == nil {
		t.Fatal("no error from a closed server")
	}
	t.Log(err)
	if msg := err.Error(); strings.Contains(msg, token) || strings.Contains(msg, secret) {
		t.Fatalf("error leaks: %s", msg)
	}
}

func TestSendSubscribeSharesToken(t *testing.T) {
	e := setup(t)
	msg := wechat.Subscribe{
		OpenID:     "o-openid-1",
		TemplateID: "tmpl-pay",
		Page:       "pages/bill/index?id=42",
		Data:       map[string]string{"amount1": "12.50", "thing2": "第一食堂", "time3": "2024-05-01 12:00"},
	}
	for i := 0; i < 2; i++ {
		if err := e.client.SendSubscribe(ctx(t), msg); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if n := e.fake.TokensIssued(); n != 1 {
		t.Fatalf("tokens issued after 2 sends = %d, want 1", n)
	}

	// Another node: same Redis and prefix, new Client.
	other := newClient(t, e.redis, e.redis.Prefix)
	if err := other.SendSubscribe(ctx(t), msg); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.TokensIssued(); n != 1 {
		t.Fatalf("tokens issued after a second client's send = %d, want 1", n)
	}

	sent := e.fake.Sent()
	if len(sent) != 3 {
		t.Fatalf("sent %d messages, want 3", len(sent))
	}
	got := sent[0]
	if got.ToUser != msg.OpenID || got.TemplateID != msg.TemplateID || got.Page != msg.Page {
		t.Fatalf("sent %+v", got)
	}
	if len(got.Data) != len(msg.Data) {
		t.Fatalf("data %v, want %v", got.Data, msg.Data)
	}
	for k, v := range msg.Data {
		if got.Data[k] != v {
			t.Fatalf("data %v, want %v", got.Data, msg.Data)
		}
	}

	// The token is in Redis under the prefix, with a TTL.
	keys, err := e.redis.Client.Keys(ctx(t), e.redis.Prefix+"*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys %v, %v", keys, err)
	}
	ttl, err := e.redis.Client.TTL(ctx(t), keys[0]).Result()
	if err != nil || ttl <= 0 || ttl > 7200*time.Second {
		t.Fatalf("ttl %v, %v", ttl, err)
	}
}

// A stale token in Redis (40001) is dropped and the send retried once.
func TestSendSubscribeRefreshesStaleToken(t *testing.T) {
	e := setup(t)
	msg := wechat.Subscribe{OpenID: "o1", TemplateID: "T1", Data: map[string]string{"thing1": "x"}}
	if err := e.client.SendSubscribe(ctx(t), msg); err != nil {
		t.Fatal(err)
	}
	keys, err := e.redis.Client.Keys(ctx(t), e.redis.Prefix+"*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys %v, %v", keys, err)
	}
	if err := e.redis.Client.Set(ctx(t), keys[0], "stale-token", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if err := e.client.SendSubscribe(ctx(t), msg); err != nil {
		t.Fatalf("send with stale token: %v", err)
	}
	if n := e.fake.TokensIssued(); n != 2 {
		t.Fatalf("tokens issued = %d, want 2", n)
	}
	if got, _ := e.redis.Client.Get(ctx(t), keys[0]).Result(); got != e.fake.AccessToken() {
		t.Fatalf("cached token %q, want %q", got, e.fake.AccessToken())
	}
	if n := len(e.fake.Sent()); n != 2 {
		t.Fatalf("sent %d, want 2", n)
	}
}

func TestSendSubscribeFails(t *testing.T) {
	e := setup(t)
	e.fake.SetSubscribeFails(true)
	err := e.client.SendSubscribe(ctx(t), wechat.Subscribe{OpenID: "o1", TemplateID: "T1", Data: map[string]string{"thing1": "x"}})
	if !errors.Is(err, wechat.ErrSubscribeRefused) || apiCode(err) != 43101 {
		t.Fatalf("err = %v", err)
	}
	if n := len(e.fake.Sent()); n != 0 {
		t.Fatalf("sent %d, want 0", n)
	}
	if err := e.client.SendSubscribe(ctx(t), wechat.Subscribe{TemplateID: "T1"}); err == nil {
		t.Fatal("send without OpenID accepted")
	}
}

func TestSetBaseURL(t *testing.T) {
	fake := wechattest.New(t, appID, secret)
	fake.AddCode("c1", "o1", "")
	rc := testredis.Open(t)
	c := newClient(t, rc, rc.Prefix)
	wechat.SetBaseURL(fake.URL + "/") // trailing slash tolerated
	if _, err := c.Code2Session(ctx(t), "c1"); err != nil {
		t.Fatal(err)
	}
}

func TestRedisCache(t *testing.T) {
	rc := testredis.Open(t)
	c := wechat.NewRedisCache(rc.Client, rc.Prefix)
	if c.Get("k") != nil || c.IsExist("k") {
		t.Fatal("missing key found")
	}
	if err := c.Set("k", "v", time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := c.Get("k"); got != "v" || !c.IsExist("k") {
		t.Fatalf("Get = %v", got)
	}
	ttl, err := rc.Client.PTTL(ctx(t), rc.Prefix+"k").Result()
	if err != nil || ttl <= 0 || ttl > time.Minute {
		t.Fatalf("ttl %v, %v", ttl, err)
	}
	if err := c.Set("j", map[string]int{"a": 1}, 0); err != nil {
		t.Fatal(err)
	}
	if got := c.Get("j"); got != `{"a":1}` {
		t.Fatalf("Get = %v", got)
	}
	if err := c.Delete("k"); err != nil || c.IsExist("k") {
		t.Fatalf("Delete: %v", err)
	}
	if err := c.Delete("k"); err != nil {
		t.Fatalf("Delete missing: %v", err)
	}
	if err := c.Set("j", "x", -time.Second); err != nil || c.IsExist("j") {
		t.Fatalf("negative ttl: %v", err)
	}
}
