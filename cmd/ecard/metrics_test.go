package main

import (
	"regexp"
	"strings"
	"testing"
)

const metricsToken = "metrics-token-0123456789-0123456789"

// checkMetrics: /metrics answers on the metrics address, and on the public
// listener only with the token.
func checkMetrics(t *testing.T, base, startup string) {
	t.Helper()
	m := regexp.MustCompile(`metrics on (http://\S+/metrics)`).FindStringSubmatch(startup)
	if m == nil {
		t.Fatalf("start-up output names no metrics address:\n%s", startup)
	}
	for _, try := range []struct {
		url, auth string
		status    int
	}{{m[1], "", 200}, {base + "/metrics", "", 401}, {base + "/metrics", "Bearer wrong", 401}, {base + "/metrics", "Bearer " + metricsToken, 200}} {
		var header []string
		if try.auth != "" {
			header = []string{"Authorization", try.auth}
		}
		resp, body := get(t, try.url, header...)
		if resp.StatusCode != try.status {
			t.Fatalf("%s with %q: %d, want %d", try.url, try.auth, resp.StatusCode, try.status)
		}
		if try.status == 200 && (!strings.Contains(body, "ecard_http_requests_total") || !strings.Contains(body, "go_goroutines")) {
			t.Fatalf("metrics: %.300s", body)
		}
	}
}
