// Package tencentsmstest is a fake Tencent Cloud SMS endpoint that checks
// each request's TC3-HMAC-SHA256 signature the way the real API does.
package tencentsmstest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Message is one SendSms the fake accepted.
type Message struct {
	PhoneNumberSet   []string
	SmsSdkAppId      string
	SignName         string
	TemplateId       string
	TemplateParamSet []string
}

// Server is the fake. FailNext makes the next n requests answer a send
// failure (after a valid signature), to exercise retries.
type Server struct {
	*httptest.Server
	SecretID, SecretKey string
	mu                  sync.Mutex
	messages            []Message
	refused             []string
	FailNext            int
}

// New starts the fake for one secret pair.
func New(secretID, secretKey string) *Server {
	s := &Server{SecretID: secretID, SecretKey: secretKey}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	return s
}

// Messages are the accepted messages so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Refused are the reasons of requests refused for their signature.
func (s *Server) Refused() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.refused...)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if reason := s.check(r, body); reason != "" {
		s.mu.Lock()
		s.refused = append(s.refused, reason)
		s.mu.Unlock()
		answer(w, map[string]any{"Error": map[string]string{"Code": "AuthFailure.SignatureFailure", "Message": reason}})
		return
	}
	var m Message
	if err := json.Unmarshal(body, &m); err != nil {
		answer(w, map[string]any{"Error": map[string]string{"Code": "InvalidParameter", "Message": err.Error()}})
		return
	}
	s.mu.Lock()
	code := "Ok"
	if s.FailNext > 0 {
		s.FailNext--
		code = "LimitExceeded.PhoneNumberDailyLimit"
	} else {
		s.messages = append(s.messages, m)
	}
	s.mu.Unlock()
	answer(w, map[string]any{"SendStatusSet": []map[string]any{{"SerialNo": "2019:1", "PhoneNumber": strings.Join(m.PhoneNumberSet, ""),
		"Fee": 1, "Code": code, "Message": "send result"}}})
}

func answer(w http.ResponseWriter, response map[string]any) {
	response["RequestId"] = "fake-request"
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"Response": response})
}

// check verifies the request as Tencent Cloud API 3.0 does: the action and
// version, a timestamp within 5 minutes, the credential scope, and the
// TC3-HMAC-SHA256 signature over the canonical request.
func (s *Server) check(r *http.Request, body []byte) string {
	if r.Method != http.MethodPost || r.Header.Get("X-TC-Action") != "SendSms" || r.Header.Get("X-TC-Version") != "2021-01-11" {
		return "not SendSms 2021-01-11"
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-TC-Timestamp"), 10, 64)
	if err != nil || time.Since(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return "bad timestamp"
	}
	auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "TC3-HMAC-SHA256 ")
	if !ok {
		return "not TC3-HMAC-SHA256"
	}
	parts := map[string]string{}
	for _, p := range strings.Split(auth, ", ") {
		k, v, _ := strings.Cut(p, "=")
		parts[k] = v
	}
	date := time.Unix(ts, 0).UTC().Format("2006-01-02")
	scope := date + "/sms/tc3_request"
	if parts["Credential"] != s.SecretID+"/"+scope {
		return "bad credential " + parts["Credential"]
	}
	signed := strings.Split(parts["SignedHeaders"], ";")
	var canonical strings.Builder
	for _, h := range signed {
		v := r.Header.Get(h)
		if h == "host" {
			v = r.Host
		}
		canonical.WriteString(h + ":" + strings.ToLower(strings.TrimSpace(v)) + "\n")
	}
	request := strings.Join([]string{"POST", "/", "", canonical.String(), parts["SignedHeaders"], hexSHA(body)}, "\n")
	toSign := strings.Join([]string{"TC3-HMAC-SHA256", strconv.FormatInt(ts, 10), scope, hexSHA([]byte(request))}, "\n")
	key := mac([]byte("TC3"+s.SecretKey), date)
	key = mac(key, "sms")
	key = mac(key, "tc3_request")
	if want := hex.EncodeToString(mac(key, toSign)); !hmac.Equal([]byte(want), []byte(parts["Signature"])) {
		return "signature mismatch"
	}
	return ""
}

func hexSHA(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func mac(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
