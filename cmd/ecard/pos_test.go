package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func postJSON(t *testing.T, url, token string, body any) map[string]any {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url, strings.NewReader(string(raw)))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s: %d %v", url, resp.StatusCode, out)
	}
	return out
}

// TestPosPaysAScannedCode is the till's whole path: a student shows a pay code,
// the till scans the PNG, signs the request and gets the approval.
func TestPosPaysAScannedCode(t *testing.T) {
	eachEnv(t, func(t *testing.T, e env) {
		base, _ := startServer(t, e)
		login := postJSON(t, base+"/api/v1/auth/login", "", map[string]string{"school": "demo", "number": "2024001", "password": "123456"})
		token := login["access_token"].(string)
		code := postJSON(t, base+"/api/v1/me/codes", token, map[string]string{"kind": "pay"})
		png, err := base64.StdEncoding.DecodeString(code["png"].(string))
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "code.png")
		if err := os.WriteFile(file, png, 0o600); err != nil {
			t.Fatal(err)
		}
		// A decoder we did not write reads the same code: gozxing here, zbarimg where installed.
		if got, err := decodeQRFile(file); err != nil || got != code["code"] {
			t.Fatalf("gozxing read %q, %v", got, err)
		}
		if zbar, err := exec.LookPath("zbarimg"); err == nil {
			out, err := exec.Command(zbar, "--quiet", "--raw", file).Output()
			if err != nil || strings.TrimSpace(string(out)) != code["code"] {
				t.Fatalf("zbarimg read %q, %v", out, err)
			}
		} else if os.Getenv("CI") != "" {
			t.Fatal("zbarimg is missing in CI")
		}
		pos := []string{"pos", "--server", base, "--terminal", "demo-pos-1", "--secret", "demo-pos-1-secret-change-me"}
		out := mustEcard(t, e, append(pos, "pay", "--amount", "1250", "--code-png", file, "--request-id", "till-1")...)
		var answer struct {
			Status        string `json:"status"`
			TransactionID int64  `json:"transaction_id"`
			BalanceAfter  int64  `json:"balance_after"`
		}
		if err := json.Unmarshal([]byte(out), &answer); err != nil || answer.Status != "approved" || answer.BalanceAfter != 21750 {
			t.Fatalf("pay: %v %s", err, out)
		}
		// The same code again is declined, and the command says so.
		out, err = ecard(t, e, append(pos, "pay", "--amount", "100", "--code-png", file)...)
		if err == nil || !strings.Contains(out, "CODE_USED") {
			t.Fatalf("second use: %v %s", err, out)
		}
		out = mustEcard(t, e, append(pos, "refund", "--transaction", jsonNumber(answer.TransactionID), "--amount", "250")...)
		if !strings.Contains(out, `"refunded"`) {
			t.Fatalf("refund: %s", out)
		}
		id := postJSON(t, base+"/api/v1/me/codes", token, map[string]string{"kind": "identity"})
		gate := []string{"pos", "--server", base, "--terminal", "demo-gate-dorm1", "--secret", "demo-gate-dorm1-secret-change-me"}
		if out := mustEcard(t, e, append(gate, "access", "--code", id["code"].(string))...); !strings.Contains(out, `"allow"`) {
			t.Fatalf("access: %s", out)
		}
		if _, err := ecard(t, e, append([]string{"pos", "--server", base, "--terminal", "demo-pos-1", "--secret", "wrong-secret-xxxxxxxx"}, "heartbeat")...); err == nil {
			t.Fatal("a wrong secret is refused")
		}
		if out := mustEcard(t, e, "ledger", "verify"); strings.Contains(out, "FAIL") {
			t.Fatal(out)
		}
	})
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestPosRefusesBadFlags(t *testing.T) {
	e := env{"ECARD_DATA_DIR": t.TempDir()}
	missing := filepath.Join(t.TempDir(), "none.png")
	notPNG := filepath.Join(t.TempDir(), "x.png")
	if err := os.WriteFile(notPNG, []byte("not an image"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"pos", "pay", "--amount", "100", "--code", "EC1:x"},
		{"pos", "--terminal", "t", "pay", "--amount", "100", "--code", "EC1:x"},
		{"pos", "--terminal", "t", "--secret", "s", "pay", "--code", "a", "--code-png", notPNG},
		{"pos", "--terminal", "t", "--secret", "s", "pay", "--code-png", missing},
		{"pos", "--terminal", "t", "--secret", "s", "pay", "--code-png", notPNG},
		{"pos", "--terminal", "t", "--secret", "s", "pay", "--amount", "abc"},
		{"pos", "frobnicate"},
	} {
		if out, err := ecard(t, e, args...); err == nil {
			t.Errorf("ecard %v succeeded: %s", args, out)
		}
	}
}
