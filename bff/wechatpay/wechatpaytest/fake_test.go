package wechatpaytest_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecard/ecard/bff/wechatpay/wechatpaytest"
)

// send requests method path with body, under an Authorization header signed
// by key at ts over signedPath and signedBody (which a test may make differ),
// checks the answer is signed by the platform key and answers its status and
// error code.
func send(t *testing.T, s *wechatpaytest.Server, key *rsa.PrivateKey, ts time.Time, method, path, signedPath, body, signedBody string) (int, string) {
	t.Helper()
	nonce := "593BEC0C930BF1AFEB40B4A08C8FB242"
	stamp := strconv.FormatInt(ts.Unix(), 10)
	sum := sha256.Sum256([]byte(method + "\n" + signedPath + "\n" + stamp + "\n" + nonce + "\n" + signedBody + "\n"))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", fmt.Sprintf(`WECHATPAY2-SHA256-RSA2048 mchid="%s",nonce_str="%s",signature="%s",timestamp="%s",serial_no="%s"`,
		s.MchID, nonce, base64.StdEncoding.EncodeToString(sig), stamp, s.MchSerial))
	resp, err := s.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	msg := resp.Header.Get("Wechatpay-Timestamp") + "\n" + resp.Header.Get("Wechatpay-Nonce") + "\n" + string(b) + "\n"
	raw, _ := base64.StdEncoding.DecodeString(resp.Header.Get("Wechatpay-Signature"))
	h := sha256.Sum256([]byte(msg))
	if resp.Header.Get("Wechatpay-Serial") != s.PlatformSerial || rsa.VerifyPKCS1v15(&s.PlatformKey.PublicKey, crypto.SHA256, h[:], raw) != nil {
		t.Fatalf("answer %d %s is not signed by the platform key", resp.StatusCode, b)
	}
	var e struct{ Code string }
	_ = json.Unmarshal(b, &e)
	return resp.StatusCode, e.Code
}

func TestFakeChecksTheAuthorization(t *testing.T) {
	s := wechatpaytest.New(t)
	path := "/v3/pay/transactions/out-trade-no/T20260302000001?mchid=" + s.MchID
	now := time.Now()

	if status, code := send(t, s, s.MchKey, now, "GET", path, path, "", ""); status != 404 || code != "ORDER_NOT_EXIST" {
		t.Fatalf("a well signed query: %d %s", status, code)
	}
	for name, c := range map[string]struct {
		key              *rsa.PrivateKey
		ts               time.Time
		path, signedPath string
		body, signedBody string
	}{
		"wrong key":      {key: wechatpaytest.NewMerchantKey(t), ts: now, path: path, signedPath: path},
		"stale":          {key: s.MchKey, ts: now.Add(-6 * time.Minute), path: path, signedPath: path},
		"other path":     {key: s.MchKey, ts: now, path: path, signedPath: path + "0"},
		"tampered body":  {key: s.MchKey, ts: now, path: "/v3/refund/domestic/refunds", signedPath: "/v3/refund/domestic/refunds", body: `{"a":2}`, signedBody: `{"a":1}`},
		"unsigned bytes": {key: s.MchKey, ts: now, path: "/v3/refund/domestic/refunds", signedPath: "/v3/refund/domestic/refunds", body: `{"a":1} `, signedBody: `{"a":1}`},
	} {
		method := "GET"
		if c.body != "" {
			method = "POST"
		}
		status, code := send(t, s, c.key, c.ts, method, c.path, c.signedPath, c.body, c.signedBody)
		if status != 401 || code != "SIGN_ERROR" {
			t.Errorf("%s: %d %s, want 401 SIGN_ERROR", name, status, code)
		}
	}
	if s.SignErrors() != 5 || s.Calls(wechatpaytest.RouteQuery) != 1 {
		t.Fatalf("sign errors %d, queries %d", s.SignErrors(), s.Calls(wechatpaytest.RouteQuery))
	}

	resp, err := s.Client.Get(s.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("no Authorization: %d", resp.StatusCode)
	}
}
