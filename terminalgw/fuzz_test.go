package terminalgw_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/terminalgw"
)

// FuzzTerminalAuth throws arbitrary headers and bodies at the gateway: it must
// never panic, and never let through a request whose signature is not the
// terminal's.
func FuzzTerminalAuth(f *testing.F) {
	f.Add("pos-1", "1700000000", "nonce0000000000001", "00", "POST", "/tgw/v1/heartbeat", []byte(`{}`))
	f.Add("pos-1", "", "", "", "GET", "/tgw/v1/keys", []byte(nil))
	f.Add("gate-dorm1", "-1", "n", "zz", "POST", "/tgw/v1/access", []byte(`{"request_id":"x","code":"EC1:"}`))
	f.Add("../../etc", "99999999999999999999", "AAAAAAAAAAAAAAAAAAAAAAAA", "ffff", "POST", "/tgw/v1/payments?x=1", []byte(`{"amount":-1}`))
	w := newWorld(f, testdb.SQLite(f))
	f.Fuzz(func(t *testing.T, terminal, ts, nonce, sig, method, path string, body []byte) {
		w.t = t // each fuzz worker calls the target serially
		if method != "GET" && method != "POST" {
			method = "POST"
		}
		// A path no HTTP client can put on a request line (spaces, control
		// characters, not a URI) never reaches the gateway.
		if _, err := url.ParseRequestURI(path); err != nil || path[0] != '/' || strings.ContainsAny(path, " \t") {
			path = "/tgw/v1/heartbeat"
		}
		r, ok := w.trySend(method, path, body, map[string]string{
			"X-Ecard-Terminal": terminal, "X-Ecard-Timestamp": ts, "X-Ecard-Nonce": nonce, "X-Ecard-Signature": sig})
		if ok && r.status < 400 && r.status != 0 {
			want := terminalgw.Signature([]byte(w.secrets[terminal]), method, path, ts, nonce, body)
			if sig != want {
				t.Fatalf("authenticated without the signature: %d %s", r.status, r.body)
			}
		}
	})
}
