// Package wechattest is a fake WeChat server API for tests: it answers with
// WeChat's JSON shapes (always HTTP 200, errors as {"errcode","errmsg"}) and
// New points the SDK at it through wechat.SetBaseURL.
//
// Because SetBaseURL is process-global, tests using a Server must not call
// t.Parallel.
package wechattest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/ecard/ecard/bff/wechat"
)

// SentMessage is a subscribe message the fake accepted.
type SentMessage struct {
	ToUser, TemplateID, Page string
	Data                     map[string]string // key → value
	MiniprogramState, Lang   string
}

type account struct{ openID, unionID string }

// Server is a running fake.
type Server struct {
	*httptest.Server
	appID, secret string

	mu             sync.Mutex
	codes          map[string]account
	used           map[string]bool
	rateLimited    bool
	subscribeFails bool
	token          string // the one valid access token; "" before any
	tokensIssued   int
	sent           []SentMessage
}

// New starts a fake for one app, points the SDK at it for the test and
// restores the real host (and stops the server) when the test ends.
func New(t testing.TB, appID, secret string) *Server {
	t.Helper()
	s := &Server{
		appID:  appID,
		secret: secret,
		codes:  map[string]account{},
		used:   map[string]bool{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sns/jscode2session", s.jscode2session)
	mux.HandleFunc("GET /cgi-bin/token", s.tokenGet)
	mux.HandleFunc("POST /cgi-bin/stable_token", s.stableToken)
	mux.HandleFunc("POST /cgi-bin/message/subscribe/send", s.subscribeSend)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, 404, "fake wechat: no such api "+r.URL.Path) // WeChat answers unknown APIs in JSON too
	})
	s.Server = httptest.NewServer(mux)
	wechat.SetBaseURL(s.URL)
	t.Cleanup(func() {
		wechat.SetBaseURL("")
		s.Close()
	})
	return s
}

// AddCode makes code a valid wx.login code for openID (unionID may be "").
// A code works once; its second use answers 40163.
func (s *Server) AddCode(code, openID, unionID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = account{openID, unionID}
	delete(s.used, code)
}

// SetRateLimited makes jscode2session answer 45011 while on.
func (s *Server) SetRateLimited(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimited = on
}

// SetSubscribeFails makes subscribe/send answer 43101 while on.
func (s *Server) SetSubscribeFails(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subscribeFails = on
}

// Sent answers a copy of the subscribe messages accepted so far.
func (s *Server) Sent() []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SentMessage(nil), s.sent...)
}

// TokensIssued counts successful access token answers (from /cgi-bin/token
// and /cgi-bin/stable_token), even when stable_token hands out the current
// token again: it is the number of times a client had to ask.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokensIssued
}

// AccessToken answers the currently valid access token ("" before any).
func (s *Server) AccessToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token
}

func rid() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b[:4]) + "-" + hex.EncodeToString(b[4:8]) + "-" + hex.EncodeToString(b[8:])
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; encoding=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, map[string]any{"errcode": code, "errmsg": msg + ", rid: " + rid()})
}

// checkApp answers false (having written WeChat's error) for a wrong app.
func (s *Server) checkApp(w http.ResponseWriter, appID, secret string) bool {
	switch {
	case appID != s.appID:
		writeErr(w, 40013, "invalid appid")
		return false
	case secret != s.secret:
		writeErr(w, 40125, "invalid appsecret")
		return false
	}
	return true
}

func (s *Server) jscode2session(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !s.checkApp(w, q.Get("appid"), q.Get("secret")) {
		return
	}
	if q.Get("grant_type") != "authorization_code" {
		writeErr(w, 40002, "invalid grant_type")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rateLimited {
		writeErr(w, 45011, "api minute-quota reach limit  mustslower  retry next minute")
		return
	}
	code := q.Get("js_code")
	acc, ok := s.codes[code]
	switch {
	case !ok:
		writeErr(w, 40029, "invalid code")
	case s.used[code]:
		writeErr(w, 40163, "code been used")
	default:
		s.used[code] = true
		sk := make([]byte, 16)
		_, _ = rand.Read(sk)
		ans := map[string]any{"openid": acc.openID, "session_key": hex.EncodeToString(sk)}
		if acc.unionID != "" {
			ans["unionid"] = acc.unionID
		}
		writeJSON(w, ans)
	}
}

// issue mints a new token when asked to or when there is none; s.mu held.
func (s *Server) issue(w http.ResponseWriter, fresh bool) {
	if fresh || s.token == "" {
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		s.token = fmt.Sprintf("fake_at_%x", b)
	}
	s.tokensIssued++
	writeJSON(w, map[string]any{"access_token": s.token, "expires_in": 7200})
}

// tokenGet is /cgi-bin/token: every call mints a new token and invalidates
// the previous one (WeChat keeps it for 5 more minutes; the fake does not).
func (s *Server) tokenGet(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("grant_type") != "client_credential" {
		writeErr(w, 40002, "invalid grant_type")
		return
	}
	if !s.checkApp(w, q.Get("appid"), q.Get("secret")) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issue(w, true)
}

// stableToken is /cgi-bin/stable_token: the current token while it is valid,
// a new one with force_refresh.
func (s *Server) stableToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeErr(w, 47001, "data format error")
		return
	}
	if req.GrantType != "client_credential" {
		writeErr(w, 40002, "invalid grant_type")
		return
	}
	if !s.checkApp(w, req.AppID, req.Secret) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issue(w, req.ForceRefresh)
}

func (s *Server) subscribeSend(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ToUser           string `json:"touser"`
		TemplateID       string `json:"template_id"`
		Page             string `json:"page"`
		MiniprogramState string `json:"miniprogram_state"`
		Lang             string `json:"lang"`
		Data             map[string]struct {
			Value any `json:"value"`
		} `json:"data"`
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if tok := r.URL.Query().Get("access_token"); tok == "" || tok != s.token {
		writeErr(w, 40001, "invalid credential, access_token is invalid or not latest")
		return
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeErr(w, 47001, "data format error")
		return
	}
	switch {
	case req.ToUser == "":
		writeErr(w, 40003, "invalid openid")
		return
	case req.TemplateID == "":
		writeErr(w, 40037, "invalid template_id")
		return
	case s.subscribeFails:
		writeErr(w, 43101, "user refuse to accept the msg")
		return
	}
	m := SentMessage{ToUser: req.ToUser, TemplateID: req.TemplateID, Page: req.Page,
		MiniprogramState: req.MiniprogramState, Lang: req.Lang, Data: map[string]string{}}
	for k, v := range req.Data {
		m.Data[k] = fmt.Sprint(v.Value)
	}
	s.sent = append(s.sent, m)
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": 2000000000 + len(s.sent)})
}
