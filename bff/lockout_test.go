package bff_test

import (
	"bytes"
	"testing"

	"gorm.io/gorm"

	"github.com/ecard/ecard/bff"
	"github.com/ecard/ecard/internal/testdb"
)

// behindProxy trusts X-Forwarded-For from app.Test's peer, so a test can
// sign in from several addresses.
func behindProxy(d *bff.Deps) { d.TrustedProxies = []string{"0.0.0.0", "127.0.0.1"} }

func (h *harness) loginFrom(ip, path string, body map[string]string) response {
	h.t.Helper()
	return h.do("POST", path, "", body, "X-Forwarded-For", ip)
}

func TestUnknownAndKnownAccountsAnswerAlike(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db, behindProxy)
		try := func(number string) response {
			return h.loginFrom("10.0.0.1", "/api/v1/auth/login", map[string]string{"school": "demo", "number": number, "password": "wrong-1"})
		}
		for i := range 11 {
			known, unknown := try("2024001"), try("2099999")
			if known.status != unknown.status || !bytes.Equal(known.body, unknown.body) {
				t.Fatalf("try %d: known %d %s, unknown %d %s", i+1, known.status, known.body, unknown.status, unknown.body)
			}
		}
		if r := try("2099999"); r.code() != "ACCOUNT_LOCKED" {
			t.Fatalf("an unknown number locks like a known one: %s", r.body)
		}
		admin := func(user string) response {
			return h.loginFrom("10.0.0.1", "/admin/api/v1/auth/login", map[string]string{"username": user, "password": "wrong-1"})
		}
		if _, err := h.ledger.CreateAdmin(t.Context(), "office", "a-long-password", "operator"); err != nil {
			t.Fatal(err)
		}
		for i := range 11 {
			known, unknown := admin("office"), admin("nobody")
			if known.status != unknown.status || !bytes.Equal(known.body, unknown.body) {
				t.Fatalf("admin try %d: known %d %s, unknown %d %s", i+1, known.status, known.body, unknown.status, unknown.body)
			}
		}
	})
}

func TestLockoutStopsTheGuesserNotTheOwner(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db, behindProxy)
		holder := map[string]string{"school": "demo", "number": "2024001", "password": "000000"}
		for range 9 {
			h.expect(h.loginFrom("10.0.0.66", "/api/v1/auth/login", holder), 401, "INVALID_CREDENTIALS")
		}
		h.expect(h.loginFrom("10.0.0.66", "/api/v1/auth/login", holder), 423, "ACCOUNT_LOCKED")
		holder["password"] = "123456"
		h.expect(h.loginFrom("10.0.0.66", "/api/v1/auth/login", holder), 423, "ACCOUNT_LOCKED")
		if r := h.loginFrom("10.0.0.7", "/api/v1/auth/login", holder); r.status != 200 {
			t.Fatalf("the owner from another address: %d %s", r.status, r.body)
		}

		if _, err := h.ledger.CreateAdmin(t.Context(), "office", "a-long-password", "operator"); err != nil {
			t.Fatal(err)
		}
		admin := map[string]string{"username": "office", "password": "wrong-password"}
		for range 9 {
			h.expect(h.loginFrom("10.0.0.66", "/admin/api/v1/auth/login", admin), 401, "INVALID_CREDENTIALS")
		}
		h.expect(h.loginFrom("10.0.0.66", "/admin/api/v1/auth/login", admin), 423, "ACCOUNT_LOCKED")
		admin["password"] = "a-long-password"
		h.expect(h.loginFrom("10.0.0.66", "/admin/api/v1/auth/login", admin), 423, "ACCOUNT_LOCKED")
		if r := h.loginFrom("10.0.0.7", "/admin/api/v1/auth/login", admin); r.status != 200 {
			t.Fatalf("the admin from another address: %d %s", r.status, r.body)
		}
	})
}
