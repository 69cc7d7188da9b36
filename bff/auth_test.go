package bff_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"gorm.io/gorm"

	"github.com/ecard/ecard/bff/wechat"
	"github.com/ecard/ecard/bff/wechat/wechattest"
	"github.com/ecard/ecard/internal/testdb"
)

func TestLoginAndLockout(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db)
		r := h.do("POST", "/api/v1/auth/login", "", map[string]string{"school": "demo", "number": "2024001", "password": "123456"})
		if r.status != 200 || r.str("access_token") == "" || r.str("refresh_token") == "" || r.num("expires_in") != 900 {
			t.Fatalf("login: %d %s", r.status, r.body)
		}
		holder := r.json["holder"].(map[string]any)
		if holder["must_change_password"] != true || holder["name"] != "张三" || holder["school"] != "demo" {
			t.Fatalf("holder: %v", holder)
		}
		// Unknown number and wrong password answer alike.
		wrong := h.do("POST", "/api/v1/auth/login", "", map[string]string{"school": "demo", "number": "2024001", "password": "000000"})
		unknown := h.do("POST", "/api/v1/auth/login", "", map[string]string{"school": "demo", "number": "9999999", "password": "000000"})
		h.expect(wrong, 401, "INVALID_CREDENTIALS")
		h.expect(unknown, 401, "INVALID_CREDENTIALS")
		if string(wrong.body) != string(unknown.body) {
			t.Fatalf("an unknown number must look like a wrong password: %s / %s", wrong.body, unknown.body)
		}
		for i := 2; i <= 9; i++ {
			h.expect(h.do("POST", "/api/v1/auth/login", "", map[string]string{"school": "demo", "number": "2024001", "password": "000000"}), 401, "INVALID_CREDENTIALS")
		}
		// The tenth failure locks, and then even the right password is refused.
		h.expect(h.do("POST", "/api/v1/auth/login", "", map[string]string{"school": "demo", "number": "2024001", "password": "000000"}), 423, "ACCOUNT_LOCKED")
		h.expect(h.do("POST", "/api/v1/auth/login", "", map[string]string{"school": "demo", "number": "2024001", "password": "123456"}), 423, "ACCOUNT_LOCKED")
		// Another holder is not affected.
		h.login("2024002", "654320")
		h.clock.Advance(30*time.Minute + time.Second)
		h.login("2024001", "123456")
	})
}

func TestLoginRateLimitPerIP(t *testing.T) {
	h := newHarness(t, testdb.SQLite(t))
	var last response
	for i := 0; i < 31; i++ {
		last = h.do("POST", "/api/v1/auth/login", "", map[string]string{"school": "demo", "number": "x" + strings.Repeat("1", i%5+1), "password": "whatever"})
	}
	h.expect(last, 429, "RATE_LIMITED")
	if last.header.Get("Retry-After") == "" {
		t.Fatal("RATE_LIMITED carries Retry-After")
	}
}

func TestSessionsRotateAndRevoke(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db)
		access, refresh := h.login("2024001", "123456")
		if r := h.do("GET", "/api/v1/me", access, nil); r.status != 200 {
			t.Fatalf("me: %d %s", r.status, r.body)
		}
		r := h.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh})
		if r.status != 200 || r.str("refresh_token") == refresh {
			t.Fatalf("refresh: %d %s", r.status, r.body)
		}
		access2, refresh2 := r.str("access_token"), r.str("refresh_token")
		if h.do("GET", "/api/v1/me", access2, nil).status != 200 {
			t.Fatal("the new access token works")
		}
		// Reusing the rotated refresh token revokes the whole session.
		h.expect(h.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh}), 401, "UNAUTHENTICATED")
		h.expect(h.do("GET", "/api/v1/me", access2, nil), 401, "UNAUTHENTICATED")
		h.expect(h.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh2}), 401, "UNAUTHENTICATED")

		// Logout revokes at once; other sessions live on.
		a1, _ := h.login("2024001", "123456")
		a2, r2 := h.login("2024001", "123456")
		if r := h.do("POST", "/api/v1/auth/logout", a1, nil); r.status != 204 {
			t.Fatalf("logout: %d %s", r.status, r.body)
		}
		h.expect(h.do("GET", "/api/v1/me", a1, nil), 401, "UNAUTHENTICATED")
		if h.do("GET", "/api/v1/me", a2, nil).status != 200 {
			t.Fatal("another session is untouched")
		}
		// Access tokens expire after 15 minutes; the refresh token still works.
		h.clock.Advance(16 * time.Minute)
		h.expect(h.do("GET", "/api/v1/me", a2, nil), 401, "UNAUTHENTICATED")
		if r := h.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": r2}); r.status != 200 {
			t.Fatalf("refresh after expiry: %d %s", r.status, r.body)
		}
	})
}

func TestAccessTokensAreChecked(t *testing.T) {
	h := newHarness(t, testdb.SQLite(t))
	access, _ := h.login("2024001", "123456")
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(access, claims); err != nil {
		t.Fatal(err)
	}
	forge := func(method jwt.SigningMethod, key any, edit func(jwt.MapClaims)) string {
		c := jwt.MapClaims{}
		for k, v := range claims {
			c[k] = v
		}
		edit(c)
		s, err := jwt.NewWithClaims(method, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	goodKey := []byte("test-jwt-key-0123456789-0123456789")
	bad := map[string]string{
		"none":       forge(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, func(jwt.MapClaims) {}),
		"other key":  forge(jwt.SigningMethodHS256, []byte("another-key-0123456789-0123456789"), func(jwt.MapClaims) {}),
		"HS512":      forge(jwt.SigningMethodHS512, goodKey, func(jwt.MapClaims) {}),
		"issuer":     forge(jwt.SigningMethodHS256, goodKey, func(c jwt.MapClaims) { c["iss"] = "evil" }),
		"audience":   forge(jwt.SigningMethodHS256, goodKey, func(c jwt.MapClaims) { c["aud"] = "ecard-bind" }),
		"no expiry":  forge(jwt.SigningMethodHS256, goodKey, func(c jwt.MapClaims) { delete(c, "exp") }),
		"expired":    forge(jwt.SigningMethodHS256, goodKey, func(c jwt.MapClaims) { c["exp"] = h.clock.Now().Add(-time.Hour).Unix() }),
		"no session": forge(jwt.SigningMethodHS256, goodKey, func(c jwt.MapClaims) { c["sid"] = "nosuchsession" }),
		"garbage":    "not.a.jwt",
	}
	for name, token := range bad {
		if r := h.do("GET", "/api/v1/me", token, nil); r.status != 401 || r.code() != "UNAUTHENTICATED" {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	h.expect(h.do("GET", "/api/v1/me", "", nil), 401, "UNAUTHENTICATED")
}

func TestWeChatSignInAndBinding(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		fake := wechattest.New(t, "wxapp123", "appsecret456")
		r := newHarnessRedis(t)
		client, err := wechat.New(wechat.Config{AppID: "wxapp123", AppSecret: "appsecret456", Redis: r.Client, KeyPrefix: r.Prefix + "wx:"})
		if err != nil {
			t.Fatal(err)
		}
		h := newHarness(t, db, withWeChat(client))
		fake.AddCode("code-1", "openid-zhang", "union-zhang")
		fake.AddCode("code-2", "openid-zhang", "union-zhang")

		res := h.do("POST", "/api/v1/auth/wechat", "", map[string]string{"code": "code-1"})
		if res.status != 200 || res.json["bound"] != false || res.str("bind_token") == "" || res.str("access_token") != "" {
			t.Fatalf("unbound: %d %s", res.status, res.body)
		}
		bind := res.str("bind_token")
		// The bind token is no access token.
		h.expect(h.do("GET", "/api/v1/me", bind, nil), 401, "UNAUTHENTICATED")
		h.expect(h.do("POST", "/api/v1/auth/bind", "", map[string]string{"bind_token": bind, "school": "demo", "number": "2024001", "password": "wrong1"}), 401, "INVALID_CREDENTIALS")
		res = h.do("POST", "/api/v1/auth/bind", "", map[string]string{"bind_token": bind, "school": "demo", "number": "2024001", "password": "123456"})
		if res.status != 200 || res.str("access_token") == "" {
			t.Fatalf("bind: %d %s", res.status, res.body)
		}
		me := h.do("GET", "/api/v1/me", res.str("access_token"), nil)
		if me.json["wechat_bound"] != true {
			t.Fatalf("me after bind: %s", me.body)
		}
		res = h.do("POST", "/api/v1/auth/wechat", "", map[string]string{"code": "code-2"})
		if res.status != 200 || res.json["bound"] != true || res.str("access_token") == "" {
			t.Fatalf("bound: %d %s", res.status, res.body)
		}
		// A used code and an unknown code are refused; WeChat's rate limit is passed on.
		h.expect(h.do("POST", "/api/v1/auth/wechat", "", map[string]string{"code": "code-2"}), 401, "INVALID_CREDENTIALS")
		h.expect(h.do("POST", "/api/v1/auth/wechat", "", map[string]string{"code": "nope"}), 401, "INVALID_CREDENTIALS")
		fake.SetRateLimited(true)
		h.expect(h.do("POST", "/api/v1/auth/wechat", "", map[string]string{"code": "code-3"}), 429, "RATE_LIMITED")
		fake.SetRateLimited(false)
		// An expired bind token is refused.
		res = h.do("POST", "/api/v1/auth/wechat", "", map[string]string{"code": "nope-either"})
		fake.AddCode("code-4", "openid-li", "")
		bind = h.do("POST", "/api/v1/auth/wechat", "", map[string]string{"code": "code-4"}).str("bind_token")
		h.clock.Advance(6 * time.Minute)
		h.expect(h.do("POST", "/api/v1/auth/bind", "", map[string]string{"bind_token": bind, "school": "demo", "number": "2024002", "password": "654320"}), 401, "UNAUTHENTICATED")
		_ = res
	})
}

func TestWeChatNotConfigured(t *testing.T) {
	h := newHarness(t, testdb.SQLite(t))
	h.expect(h.do("POST", "/api/v1/auth/wechat", "", map[string]string{"code": "x"}), 404, "NOT_FOUND")
	_ = context.Background()
}
