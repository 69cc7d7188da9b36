package bff_test

import (
	"testing"

	"github.com/ecard/ecard/internal/testdb"
)

// 李四's ID ends in 65432X; the id_last6 rule made the initial secret 654320,
// and what the holder types (X or x) must work while it is in use.
func TestInitialSecretTypedWithX(t *testing.T) {
	h := newHarness(t, testdb.SQLite(t))
	for _, typed := range []string{"65432X", "65432x", "654320"} {
		h.login("2024002", typed)
	}
	tok, _ := h.login("2024002", "65432X")
	put := func(body map[string]string) response {
		return h.do("PUT", "/api/v1/me/password", tok, body)
	}
	// The PIN: the initial value typed with X is the old PIN, and the
	// initial value itself is not a new one.
	h.expect(put(map[string]string{"kind": "pin", "old": "65432x", "new": "654320"}), 400, "INVALID_REQUEST")
	if r := put(map[string]string{"kind": "pin", "old": "65432X", "new": "802417"}); r.status != 204 {
		t.Fatalf("change PIN with the typed X: %d %s", r.status, r.body)
	}
	// Changed, the PIN is digits only again.
	h.expect(put(map[string]string{"kind": "pin", "old": "65432X", "new": "802418"}), 400, "INVALID_REQUEST")
	// Once the login password is changed, 65432X is just a wrong password.
	if r := put(map[string]string{"kind": "login", "old": "65432X", "new": "newpass2026"}); r.status != 204 {
		t.Fatalf("change password with the typed X: %d %s", r.status, r.body)
	}
	h.expect(h.do("POST", "/api/v1/auth/login", "", map[string]string{"school": "demo", "number": "2024002", "password": "65432X"}), 401, "INVALID_CREDENTIALS")
	h.login("2024002", "newpass2026")
}
