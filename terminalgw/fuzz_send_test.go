package terminalgw_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"
)

// trySend is send for fuzzing: a request the HTTP layer cannot even read (a
// control character in a header value, which no HTTP client can put on the
// wire) is refused before the gateway sees it. That is a refusal, not a
// harness failure; every other error still is one. ok is false for such a
// request.
func (w *world) trySend(method, path string, body []byte, header map[string]string) (reply, bool) {
	w.t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := w.app.Test(req, fiber.TestConfig{Timeout: 30 * time.Second})
	if err != nil && strings.Contains(err.Error(), "error when reading request headers") {
		return reply{}, false
	}
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, body: string(raw)}
	_ = json.Unmarshal(raw, &r.json)
	return r, true
}
