package wechatpaytest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxRequestBytes bounds a request body the fake reads.
const maxRequestBytes = 64 << 10

const authScheme = "WECHATPAY2-SHA256-RSA2048"

// authenticate checks the Authorization header as WeChat Pay does:
//
//	WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"
//
// where signature is RSA-SHA256 by the merchant key over
// "METHOD\nURL\ntimestamp\nnonce\nbody\n" and URL is the path and query.
func (s *Server) authenticate(r *http.Request, body []byte) error {
	h := r.Header.Get("Authorization")
	params, ok := strings.CutPrefix(h, authScheme+" ")
	if !ok {
		return errors.New("authorization is not " + authScheme)
	}
	p := map[string]string{}
	for _, kv := range strings.Split(params, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			return fmt.Errorf("authorization parameter %q is not k=\"v\"", kv)
		}
		if _, dup := p[k]; dup {
			return fmt.Errorf("authorization parameter %s twice", k)
		}
		p[k] = v[1 : len(v)-1]
	}
	for _, k := range []string{"mchid", "nonce_str", "signature", "timestamp", "serial_no"} {
		if p[k] == "" {
			return fmt.Errorf("authorization lacks %s", k)
		}
	}
	if p["mchid"] != s.MchID {
		return fmt.Errorf("mchid %s is not this merchant", p["mchid"])
	}
	if p["serial_no"] != s.MchSerial {
		return fmt.Errorf("serial_no %s is not the merchant certificate", p["serial_no"])
	}
	ts, err := strconv.ParseInt(p["timestamp"], 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %q", p["timestamp"])
	}
	if d := time.Now().Unix() - ts; d > 300 || d < -300 {
		return fmt.Errorf("timestamp %d is more than 5 minutes off", ts)
	}
	sig, err := base64.StdEncoding.DecodeString(p["signature"])
	if err != nil {
		return errors.New("signature is not base64")
	}
	msg := r.Method + "\n" + r.RequestURI + "\n" + p["timestamp"] + "\n" + p["nonce_str"] + "\n" + string(body) + "\n"
	sum := sha256.Sum256([]byte(msg))
	if err := rsa.VerifyPKCS1v15(&s.MchKey.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		return errors.New("signature does not verify with the merchant key")
	}
	return nil
}

// readBody reads a bounded request body.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	return io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
}

// sign is RSA-SHA256 by the platform key, base64.
func (s *Server) sign(message string) string {
	sum := sha256.Sum256([]byte(message))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.PlatformKey, crypto.SHA256, sum[:])
	if err != nil {
		panic(err) // signing with a valid key does not fail
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// signedHeaders are the Wechatpay-* headers over body at ts, as on both
// answers and notifications.
func (s *Server) signedHeaders(h http.Header, body []byte, ts time.Time) {
	stamp := strconv.FormatInt(ts.Unix(), 10)
	nonce := randomString(32, alnum)
	h.Set("Wechatpay-Timestamp", stamp)
	h.Set("Wechatpay-Nonce", nonce)
	h.Set("Wechatpay-Serial", s.PlatformSerial)
	h.Set("Wechatpay-Signature", s.sign(stamp+"\n"+nonce+"\n"+string(body)+"\n"))
}

// reply writes a signed answer; v nil means 204 with no body.
func (s *Server) reply(w http.ResponseWriter, status int, v any) {
	var body []byte
	if v != nil {
		var err error
		if body, err = json.Marshal(v); err != nil {
			panic(err) // the fake marshals only its own plain structs
		}
	}
	h := w.Header()
	h.Set("Request-Id", randomString(32, "0123456789ABCDEF"))
	s.signedHeaders(h, body, time.Now()) // the SDK checks answers against the wall clock
	if body != nil {
		h.Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// apiErr is WeChat Pay's error body.
type apiErr struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (s *Server) fail(w http.ResponseWriter, status int, code, format string, args ...any) {
	s.reply(w, status, apiErr{code, fmt.Sprintf(format, args...)})
}
