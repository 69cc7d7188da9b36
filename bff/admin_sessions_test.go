package bff_test

import (
	"testing"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
)

func (h *harness) adminToken(username, password string) string {
	h.t.Helper()
	r := h.do("POST", "/admin/api/v1/auth/login", "", map[string]string{"username": username, "password": password})
	if r.status != 200 {
		h.t.Fatalf("admin login %s: %d %s", username, r.status, r.body)
	}
	return r.str("access_token")
}

func TestAdminTokensEndWithLogoutRoleChangeAndPasswordReset(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db)
		for _, a := range [][2]string{{"root", "superadmin"}, {"office", "operator"}} {
			if _, err := h.ledger.CreateAdmin(t.Context(), a[0], "a-long-password", a[1]); err != nil {
				t.Fatal(err)
			}
		}
		root := h.adminToken("root", "a-long-password")
		works := func(token string) bool {
			r := h.do("GET", "/admin/api/v1/audit", token, nil)
			if r.status != 200 && r.status != 401 {
				t.Fatalf("audit: %d %s", r.status, r.body)
			}
			return r.status == 200
		}

		office := h.adminToken("office", "a-long-password")
		if !works(office) {
			t.Fatal("a fresh token")
		}
		if r := h.do("POST", "/admin/api/v1/auth/logout", office, nil); r.status != 204 {
			t.Fatalf("logout: %d %s", r.status, r.body)
		}
		if works(office) {
			t.Fatal("a token still works after logout")
		}

		office = h.adminToken("office", "a-long-password")
		if r := h.do("PUT", "/admin/api/v1/admins/office/role", root, map[string]string{"role": "auditor"}); r.status != 200 {
			t.Fatalf("role change: %d %s", r.status, r.body)
		}
		if works(office) {
			t.Fatal("a token still works after a role change")
		}

		office = h.adminToken("office", "a-long-password")
		if r := h.do("PUT", "/admin/api/v1/admins/office/password", root, map[string]string{"password": "another-long-password"}); r.status != 200 {
			t.Fatalf("password reset: %d %s", r.status, r.body)
		}
		if works(office) {
			t.Fatal("a token still works after a password reset")
		}
		if !works(h.adminToken("office", "another-long-password")) || !works(root) {
			t.Fatal("new sign-ins and other admins keep working")
		}
	})
}
