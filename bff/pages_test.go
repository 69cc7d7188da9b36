package bff_test

import (
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/web"
)

// TestPagesServeTheThreeFrontEnds checks the holder app, the parent page and
// the console are served with their security headers, the bare paths lead to
// the folders, and API answers keep their own headers.
func TestPagesServeTheThreeFrontEnds(t *testing.T) {
	h := newHarness(t, testdb.SQLite(t))
	for path, script := range map[string]string{"/": "holder", "/recharge/": "recharge", "/admin/": "admin"} {
		r := h.do(http.MethodGet, path, "", nil)
		if r.status != http.StatusOK || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
			t.Fatalf("%s: %d %s", path, r.status, r.header.Get("Content-Type"))
		}
		if !regexp.MustCompile(`src="/assets/` + script + `-[\w-]+\.js"`).Match(r.body) {
			t.Fatalf("%s does not load its entry script:\n%s", path, r.body)
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Fatalf("%s: CSP %q", path, csp)
		}
		if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Cache-Control") != "no-cache" {
			t.Fatalf("%s: headers %v", path, r.header)
		}
	}
	for _, path := range []string{"/recharge", "/admin"} {
		r := h.do(http.MethodGet, path, "", nil)
		if r.status != http.StatusFound || r.header.Get("Location") != path+"/" {
			t.Fatalf("%s: %d %q", path, r.status, r.header.Get("Location"))
		}
	}
	assets, err := fs.Glob(web.Dist(), "assets/*.js")
	if err != nil || len(assets) == 0 {
		t.Fatalf("no built scripts: %v", err)
	}
	r := h.do(http.MethodGet, "/"+assets[0], "", nil)
	if r.status != http.StatusOK || !strings.Contains(r.header.Get("Cache-Control"), "immutable") {
		t.Fatalf("%s: %d %v", assets[0], r.status, r.header)
	}
	r = h.do(http.MethodGet, "/api/v1/schools", "", nil)
	if r.status != http.StatusOK || r.header.Get("Content-Security-Policy") != "" {
		t.Fatalf("API answer: %d %v", r.status, r.header)
	}
}
