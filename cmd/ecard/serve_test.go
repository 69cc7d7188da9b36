package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecard/ecard/internal/testredis"
)

// lineWriter is an io.Writer safe for the server goroutine that also reports
// the address the server listens on.
type lineWriter struct {
	mu   sync.Mutex
	buf  strings.Builder
	addr chan string
}

var listening = regexp.MustCompile(`ecard listening on (http://\S+)`)

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if m := listening.FindStringSubmatch(w.buf.String()); m != nil && w.addr != nil {
		w.addr <- m[1]
		w.addr = nil
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// startServer runs `ecard serve --demo` on a free port until the test ends.
func startServer(t *testing.T, e env) (string, *lineWriter) {
	t.Helper()
	e["ECARD_HTTP_ADDR"] = "127.0.0.1:0"
	if os.Getenv(testredis.EnvRedisURL) != "" {
		r := testredis.Open(t)
		e["ECARD_REDIS_URL"], e["ECARD_REDIS_KEY_PREFIX"] = r.URL, r.Prefix
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := &lineWriter{addr: make(chan string, 1)}
	addr := out.addr
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--demo"}, e.get, out, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve stopped with %v", err)
		}
	})
	select {
	case base := <-addr:
		return base, out
	case err := <-done:
		t.Fatalf("serve exited: %v\n%s", err, out.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not start:\n%s", out.String())
	}
	return "", nil
}

func get(t *testing.T, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestServeDemo(t *testing.T) {
	eachEnv(t, func(t *testing.T, e env) {
		e["ECARD_METRICS_ADDR"], e["ECARD_METRICS_TOKEN"] = "127.0.0.1:0", metricsToken
		base, out := startServer(t, e)
		for _, want := range []string{"2024001", "demo-pos-1", "demo-gate-dorm1", "demo-gate-library", "demo-kiosk-1", "admin"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("start-up output does not list %s:\n%s", want, out.String())
			}
		}
		resp, body := get(t, base+"/healthz")
		if resp.StatusCode != 200 || !strings.Contains(body, `"status":"ok"`) {
			t.Fatalf("healthz: %d %s", resp.StatusCode, body)
		}
		checkMetrics(t, base, out.String())
		resp, body = get(t, base+"/api/v1/nothing-here", "X-Request-Id", "req-123", "Accept-Language", "en")
		var apiErr struct {
			Error struct{ Code, Message string }
		}
		if resp.StatusCode != 404 || json.Unmarshal([]byte(body), &apiErr) != nil || apiErr.Error.Code != "NOT_FOUND" {
			t.Fatalf("unknown route: %d %s", resp.StatusCode, body)
		}
		if resp.Header.Get("X-Request-Id") != "req-123" {
			t.Fatalf("request id not echoed: %v", resp.Header)
		}
		resp, _ = get(t, base+"/healthz")
		if resp.Header.Get("X-Request-Id") == "" {
			t.Fatal("every answer carries a request id")
		}
		resp, body = get(t, base+"/")
		if resp.StatusCode != 200 || !strings.Contains(body, "ecard") {
			t.Fatalf("web: %d", resp.StatusCode)
		}
		// The demo is seeded once: verify holds, and the demo money is there.
		if out := mustEcard(t, e, "ledger", "verify"); strings.Contains(out, "FAIL") {
			t.Fatal(out)
		}
	})
}

func TestServeSeedsTheDemoOnce(t *testing.T) {
	e := env{"ECARD_DATA_DIR": t.TempDir(), "ECARD_ARGON2_MEMORY_KIB": "64", "ECARD_ARGON2_PARALLELISM": "1"}
	for i, want := range []string{"seeded", "already present"} {
		e := env{"ECARD_DATA_DIR": e["ECARD_DATA_DIR"], "ECARD_ARGON2_MEMORY_KIB": "64", "ECARD_ARGON2_PARALLELISM": "1"}
		t.Run(want, func(t *testing.T) {
			_, out := startServer(t, e)
			if !strings.Contains(out.String(), want) {
				t.Fatalf("start %d: want %q in\n%s", i, want, out.String())
			}
		})
	}
}
