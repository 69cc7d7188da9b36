// Package wechat is ecard's adapter to the WeChat mini-program server API
// (github.com/silenceper/wechat/v2, pinned at v2.1.14): it turns a wx.login
// code into an openid (POST /api/v1/auth/wechat) and sends subscribe messages.
//
// The access token is the "stable" one (POST /cgi-bin/stable_token), kept in
// Redis through RedisCache so every node shares it: fetching it on one node
// never invalidates another node's copy, nor a token other services take with
// /cgi-bin/token for the same app.
package wechat

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/credential"
	"github.com/silenceper/wechat/v2/miniprogram/auth"
	"github.com/silenceper/wechat/v2/miniprogram/config"
	mpcontext "github.com/silenceper/wechat/v2/miniprogram/context"
	"github.com/silenceper/wechat/v2/miniprogram/subscribe"
	"github.com/silenceper/wechat/v2/util"
)

// APIHost is where the SDK sends every request.
const APIHost = "https://api.weixin.qq.com"

// DefaultKeyPrefix prefixes the Redis keys when Config.KeyPrefix is empty.
const DefaultKeyPrefix = "wechat:"

// MaxCodeLen bounds a wx.login code; real ones are 32 characters.
const MaxCodeLen = 128

// WeChat error codes this package interprets.
const (
	CodeInvalidCredential = 40001 // access_token invalid
	CodeInvalidCode       = 40029 // js_code invalid
	CodeCodeUsed          = 40163 // js_code already used
	CodeTokenExpired      = 42001 // access_token expired
	CodeUserRefused       = 43101 // user did not subscribe to this template
	CodeRateLimited       = 45011 // API minute quota reached
)

var (
	// ErrInvalidCode: the wx.login code is malformed, unknown, expired or used.
	ErrInvalidCode = errors.New("wechat: invalid login code")
	// ErrRateLimited: WeChat's per-minute quota is reached (45011); retry later.
	ErrRateLimited = errors.New("wechat: rate limited")
	// ErrSubscribeRefused: the user has not accepted (or has used up) the
	// subscription to this template (43101); retrying will not help.
	ErrSubscribeRefused = errors.New("wechat: user refused the subscribe message")
)

// APIError is an answer from WeChat with a non-zero errcode. Errors mapped to
// a sentinel wrap both, so errors.Is and errors.As work on them.
type APIError struct {
	API  string // "jscode2session", "subscribe.send"
	Code int64
	Msg  string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("wechat %s: errcode=%d errmsg=%s", e.API, e.Code, e.Msg)
}

// Config configures a Client. Redis is required.
type Config struct {
	AppID, AppSecret string
	Redis            redis.UniversalClient
	KeyPrefix        string // prefix of the Redis keys; DefaultKeyPrefix when empty
}

// Session is what ecard keeps of a code2session answer. The session_key is
// deliberately dropped: ecard decrypts nothing from the mini-program.
type Session struct {
	OpenID, UnionID string
}

// Subscribe is one subscribe message. Each Data value is sent as
// {"value": v} under its key (e.g. "amount1": "12.50").
type Subscribe struct {
	OpenID, TemplateID, Page string
	Data                     map[string]string
}

// Client talks to WeChat for one mini-program. It is safe for concurrent use.
type Client struct {
	secret   string
	cache    *RedisCache
	tokenKey string // the SDK's cache key of the stable access token
	token    credential.AccessTokenContextHandle
	auth     *auth.Auth
	sub      *subscribe.Subscribe
}

// New builds a Client; it makes no request.
func New(cfg Config) (*Client, error) {
	switch {
	case cfg.AppID == "":
		return nil, errors.New("wechat: AppID is required")
	case cfg.AppSecret == "":
		return nil, errors.New("wechat: AppSecret is required")
	case cfg.Redis == nil:
		return nil, errors.New("wechat: Redis is required")
	}
	if strings.ContainsAny(cfg.AppID, "&?=#/ \t\r\n") {
		return nil, errors.New("wechat: malformed AppID")
	}
	prefix := cfg.KeyPrefix
	if prefix == "" {
		prefix = DefaultKeyPrefix
	}
	c := NewRedisCache(cfg.Redis, prefix)
	const sdkPrefix = credential.CacheKeyMiniProgramPrefix
	token := credential.NewStableAccessToken(cfg.AppID, cfg.AppSecret, sdkPrefix, c)
	mp := &mpcontext.Context{
		Config: &config.Config{
			AppID:       cfg.AppID,
			AppSecret:   cfg.AppSecret,
			Cache:       c,
			UseStableAK: true,
		},
		AccessTokenContextHandle: token,
	}
	return &Client{
		secret: cfg.AppSecret,
		cache:  c,
		// Key format of credential.StableAccessToken in v2.1.14.
		tokenKey: fmt.Sprintf("%s_stable_access_token_%s", sdkPrefix, cfg.AppID),
		token:    token,
		auth:     auth.NewAuth(mp),
		sub:      subscribe.NewSubscribe(mp),
	}, nil
}

// validCode accepts what wx.login hands out: short, URL-safe. The SDK puts the
// code into the query string unescaped, so nothing else may pass.
func validCode(code string) bool {
	if code == "" || len(code) > MaxCodeLen {
		return false
	}
	for i := 0; i < len(code); i++ {
		b := code[i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '-' || b == '_') {
			return false
		}
	}
	return true
}

// Code2Session exchanges a wx.login code for the user's openid (and unionid
// when the app is bound to an open platform account).
//
// Errors: ErrInvalidCode (malformed code, 40029, 40163), ErrRateLimited
// (45011), an *APIError for other errcodes, or a transport error (which
// never contains the app secret or the code).
func (c *Client) Code2Session(ctx context.Context, code string) (Session, error) {
	if !validCode(code) {
		return Session{}, ErrInvalidCode
	}
	const api = "jscode2session"
	res, err := c.auth.Code2SessionContext(ctx, code)
	if res.ErrCode != 0 {
		return Session{}, mapAPIError(api, res.ErrCode, res.ErrMsg)
	}
	if err != nil {
		return Session{}, c.transportError(ctx, api, err)
	}
	if res.OpenID == "" {
		return Session{}, fmt.Errorf("wechat %s: answer without openid", api)
	}
	return Session{OpenID: res.OpenID, UnionID: res.UnionID}, nil
}

// SendSubscribe sends a subscribe message through the SDK. The access token
// comes from Redis (fetched from WeChat once for all nodes); when WeChat
// answers that it is invalid or expired (40001, 42001), the cached copy is
// dropped and the send is tried once more.
//
// Errors: ErrSubscribeRefused (43101), ErrRateLimited (45011), an *APIError
// for other errcodes, or a transport error (never containing the token).
//
// ctx bounds the token fetch; the SDK's send (v2.1.14) takes no context, so
// the send itself is bounded only by util.DefaultHTTPClient's timeout.
func (c *Client) SendSubscribe(ctx context.Context, msg Subscribe) error {
	const api = "subscribe.send"
	if msg.OpenID == "" || msg.TemplateID == "" {
		return fmt.Errorf("wechat %s: OpenID and TemplateID are required", api)
	}
	m := &subscribe.Message{
		ToUser:     msg.OpenID,
		TemplateID: msg.TemplateID,
		Page:       msg.Page,
		Data:       make(map[string]*subscribe.DataItem, len(msg.Data)),
	}
	for k, v := range msg.Data {
		m.Data[k] = &subscribe.DataItem{Value: v}
	}
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("wechat %s: %w", api, err)
		}
		// Fetch (or read) the token with ctx; Send then finds it in the cache.
		if _, err := c.token.GetAccessTokenContext(ctx); err != nil {
			return c.transportError(ctx, "access token", err)
		}
		err := c.sub.Send(m)
		if err == nil {
			return nil
		}
		var ce *util.CommonError
		if errors.As(err, &ce) {
			if attempt == 0 && (ce.ErrCode == CodeInvalidCredential || ce.ErrCode == CodeTokenExpired) {
				_ = c.cache.DeleteContext(ctx, c.tokenKey)
				continue
			}
			return mapAPIError(api, ce.ErrCode, ce.ErrMsg)
		}
		return c.transportError(ctx, api, err)
	}
}

func mapAPIError(api string, code int64, msg string) error {
	e := &APIError{API: api, Code: code, Msg: msg}
	var sentinel error
	switch {
	case code == CodeRateLimited:
		sentinel = ErrRateLimited
	case api == "jscode2session" && (code == CodeInvalidCode || code == CodeCodeUsed):
		sentinel = ErrInvalidCode
	case code == CodeUserRefused:
		sentinel = ErrSubscribeRefused
	default:
		return e
	}
	return fmt.Errorf("%w: %w", sentinel, e)
}

// secretParams are query parameters the SDK's error messages may carry.
var secretParams = regexp.MustCompile(`((?:access_token|secret|js_code)=)[^&\s"]*`)

func (c *Client) redact(s string) string {
	s = secretParams.ReplaceAllString(s, "${1}REDACTED")
	return strings.ReplaceAll(s, c.secret, "REDACTED")
}

// redactedError carries a message cleaned of secrets and, when known, a cause
// that has no URL in it (so errors.Is works for timeouts and the like).
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

// transportError turns an SDK failure into an error safe to log: the SDK puts
// the full URL (app secret, code, access token) into its messages.
func (c *Client) transportError(ctx context.Context, api string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("wechat %s: %w", api, ctxErr)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return &redactedError{msg: "wechat " + api + ": " + c.redact(ue.Error()), cause: ue.Err}
	}
	return &redactedError{msg: "wechat " + api + ": " + c.redact(err.Error())}
}

// SetBaseURL sends every SDK request for https://api.weixin.qq.com to base
// instead (e.g. "http://127.0.0.1:8080" or "https://egress.example/wx"); an
// empty base restores the real host.
//
// It installs util.SetURIModifier, which is PROCESS-GLOBAL: it applies to all
// Clients (and any other user of the SDK) in the process, and the SDK reads it
// without synchronisation, so call it at start-up before any request, or in
// tests that do not run in parallel. Meant for tests (wechattest) and for
// deployments that reach WeChat through an egress proxy.
func SetBaseURL(base string) {
	base = strings.TrimRight(base, "/")
	if base == "" || base == APIHost {
		util.SetURIModifier(nil)
		return
	}
	util.SetURIModifier(func(uri string) string {
		rest, ok := strings.CutPrefix(uri, APIHost)
		if ok && (rest == "" || rest[0] == '/' || rest[0] == '?') {
			return base + rest
		}
		return uri
	})
}
