package bff_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
)

// snapshot is everything a bad request must leave as it was.
func (h *harness) snapshot() string {
	h.t.Helper()
	var holders, accounts, entries []map[string]any
	db := h.ledger.DB()
	db.Table("holders").Order("id").Find(&holders)
	db.Table("accounts").Order("id").Find(&accounts)
	db.Table("entries").Order("id").Find(&entries)
	return fmt.Sprint(holders, accounts, entries)
}

func TestBadInputChangesNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db)
		access, _ := h.login("2024001", "123456")
		long := strings.Repeat("长", 200)
		generic := []string{
			``, `{`, `[]`, `"x"`, `null`, `{"a":1}{"b":2}`, `{} trailing`,
		}
		endpoints := []struct {
			method, path string
			auth         bool
			bodies       []string
		}{
			{"POST", "/api/v1/auth/login", false, []string{
				`{"school":"demo","number":"2024001"}`,
				`{"school":"demo","number":"2024001","password":"123456","extra":1}`,
				`{"school":1,"number":"2024001","password":"123456"}`,
				`{"school":"demo","number":["2024001"],"password":"123456"}`,
				`{"school":"` + long + `","number":"2024001","password":"123456"}`,
				`{"school":"demo","number":"2024001","password":"` + strings.Repeat("x", 129) + `"}`,
			}},
			{"POST", "/api/v1/auth/bind", false, []string{
				`{"school":"demo","number":"2024001","password":"123456"}`,
				`{"bind_token":5,"school":"demo","number":"2024001","password":"123456"}`,
				`{"bind_token":"t","school":"demo","number":"2024001","password":"123456","openid":"x"}`,
			}},
			{"POST", "/api/v1/auth/refresh", false, []string{
				`{}`, `{"refresh_token":12}`, `{"refresh_token":"` + strings.Repeat("a", 300) + `"}`, `{"refresh_token":"a","b":1}`,
			}},
			{"PUT", "/api/v1/me/password", true, []string{
				`{"kind":"login","old":"123456"}`,
				`{"kind":"login","old":"123456","new":"abc12345","holder":2}`,
				`{"kind":"pin","old":123456,"new":"258369"}`,
				`{"kind":"login","old":"123456","new":"` + strings.Repeat("a1", 65) + `"}`,
				`{"kind":"pin","old":"123456","new":"-1"}`,
				`{"kind":"root","old":"123456","new":"abc12345"}`,
			}},
			{"PUT", "/api/v1/me/limits", true, []string{
				`{"per_payment":-1,"per_day":5000,"pin":"123456"}`,
				`{"per_payment":0,"per_day":5000,"pin":"123456"}`,
				`{"per_payment":99999999999999999999,"per_day":5000,"pin":"123456"}`,
				`{"per_payment":12.5,"per_day":5000,"pin":"123456"}`,
				`{"per_payment":"100","per_day":5000,"pin":"123456"}`,
				`{"per_day":5000,"pin":"123456"}`,
				`{"per_payment":100,"per_day":5000}`,
				`{"per_payment":100,"per_day":5000,"pin":"1234567"}`,
				`{"per_payment":100,"per_day":1e9,"pin":"123456"}`,
				`{"per_payment":100,"per_day":5000,"pin":"123456","holder_id":2}`,
			}},
			{"POST", "/api/v1/me/loss", true, []string{`{}`, `{"password":1}`, `{"password":"123456","number":"2024002"}`}},
			{"DELETE", "/api/v1/me/loss", true, []string{`{}`, `{"password":["123456"]}`}},
		}
		before := h.snapshot()
		for _, ep := range endpoints {
			token := ""
			if ep.auth {
				token = access
			}
			for _, body := range append(append([]string{}, generic...), ep.bodies...) {
				r := h.do(ep.method, ep.path, token, body)
				if r.status != 400 || r.code() != "INVALID_REQUEST" {
					t.Errorf("%s %s %q: %d %s", ep.method, ep.path, body, r.status, r.body)
				}
			}
			// Not JSON at all.
			r := h.do(ep.method, ep.path, token, nil, "Content-Type", "text/plain")
			if r.status != 400 || r.code() != "INVALID_REQUEST" {
				t.Errorf("%s %s without JSON: %d %s", ep.method, ep.path, r.status, r.body)
			}
			if ep.auth {
				h.expect(h.do(ep.method, ep.path, "", `{}`), 401, "UNAUTHENTICATED")
			}
		}
		for _, q := range []string{"limit=0", "limit=101", "limit=x", "cursor=abc", "cursor=-1", "kind=bogus",
			"kind=payment,payment,payment,payment,payment,payment,payment", "from=yesterday", "to=2026-13-01",
			"from=2026-09-02&to=2026-09-01"} {
			r := h.do("GET", "/api/v1/me/transactions?"+q, access, nil)
			if r.status != 400 || r.code() != "INVALID_REQUEST" {
				t.Errorf("transactions?%s: %d %s", q, r.status, r.body)
			}
		}
		// A body over the limit is refused before it is read.
		base := listen(t, h.srv)
		resp, err := http.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(`{"school":"`+strings.Repeat("x", 1<<17)+`"}`))
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 413 || !strings.Contains(string(body), "PAYLOAD_TOO_LARGE") {
				t.Errorf("oversized body: %d %s", resp.StatusCode, body)
			}
		}
		// English messages on request.
		r := h.do("POST", "/api/v1/auth/login", "", `{}`, "Accept-Language", "en-US")
		if !strings.Contains(r.body2(), "school is required") {
			t.Errorf("English detail: %s", r.body)
		}
		if after := h.snapshot(); after != before {
			t.Fatal("bad input changed stored data")
		}
		h.verify()
	})
}

func (r response) body2() string { return string(r.body) }
