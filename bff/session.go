package bff

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/go-redis/v9"
)

// Token lifetimes.
const (
	accessTTL  = 15 * time.Minute
	refreshTTL = 30 * 24 * time.Hour
	bindTTL    = 5 * time.Minute
	issuer     = "ecard"
	audHolder  = "ecard-holder"
	audBind    = "ecard-bind"
)

// sessions issues access JWTs and rotating refresh tokens. A session lives in
// Redis as {prefix}sess:{sid}; each refresh token is stored only as its hash,
// {prefix}rt:{sid}:hash, marked live or used. The {sid} hash tag keeps a
// session's keys in one Redis Cluster slot, so rotation is one atomic script.
type sessions struct {
	redis  redis.UniversalClient
	prefix string
	key    []byte
	now    func() time.Time
}

type holderClaims struct {
	jwt.RegisteredClaims
	SessionID string `json:"sid,omitempty"`
	SchoolID  int64  `json:"school,omitempty"`
	OpenID    string `json:"openid,omitempty"`
}

// tokens is what login, bind and refresh answer.
type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
}

var errSessionGone = errors.New("session revoked or expired")

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("bff: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *sessions) sessKey(sid string) string { return s.prefix + "sess:{" + sid + "}" }
func (s *sessions) rtKey(sid, token string) string {
	sum := sha256.Sum256([]byte(token))
	return s.prefix + "rt:{" + sid + "}:" + hex.EncodeToString(sum[:])
}

// start opens a new session for a holder.
func (s *sessions) start(ctx context.Context, holderID, schoolID int64) (tokens, error) {
	sid := randomToken(12)
	if err := s.redis.Set(ctx, s.sessKey(sid), fmt.Sprintf("%d:%d", holderID, schoolID), refreshTTL).Err(); err != nil {
		return tokens{}, err
	}
	if err := s.remember(ctx, holderID, sid); err != nil {
		return tokens{}, err
	}
	return s.issue(ctx, sid, holderID, schoolID)
}

func (s *sessions) issue(ctx context.Context, sid string, holderID, schoolID int64) (tokens, error) {
	refresh := sid + "." + randomToken(32)
	if err := s.redis.Set(ctx, s.rtKey(sid, refresh), "live", refreshTTL).Err(); err != nil {
		return tokens{}, err
	}
	access, err := s.sign(holderClaims{SessionID: sid, SchoolID: schoolID,
		RegisteredClaims: jwt.RegisteredClaims{Subject: strconv.FormatInt(holderID, 10)}}, audHolder, accessTTL)
	if err != nil {
		return tokens{}, err
	}
	return tokens{AccessToken: access, RefreshToken: refresh, ExpiresIn: int(accessTTL.Seconds())}, nil
}

func (s *sessions) sign(c holderClaims, audience string, ttl time.Duration) (string, error) {
	now := s.now()
	c.Issuer = issuer
	c.Audience = jwt.ClaimStrings{audience}
	c.IssuedAt = jwt.NewNumericDate(now)
	c.ExpiresAt = jwt.NewNumericDate(now.Add(ttl))
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.key)
}

// parse checks signature, algorithm, issuer, audience and expiry.
func (s *sessions) parse(token, audience string) (holderClaims, error) {
	var c holderClaims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return s.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer), jwt.WithAudience(audience), jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(s.now), jwt.WithLeeway(5*time.Second))
	return c, err
}

// holder authenticates an access token: valid JWT and a live session.
func (s *sessions) holder(ctx context.Context, token string) (holderClaims, int64, error) {
	c, err := s.parse(token, audHolder)
	if err != nil {
		return c, 0, err
	}
	id, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil || c.SessionID == "" {
		return c, 0, errors.New("malformed subject")
	}
	owner, err := s.redis.Get(ctx, s.sessKey(c.SessionID)).Result()
	if errors.Is(err, redis.Nil) {
		return c, 0, errSessionGone
	}
	if err != nil {
		return c, 0, err
	}
	// The session names its holder: a token for another holder is refused.
	if holder, _, _ := strings.Cut(owner, ":"); holder != c.Subject {
		return c, 0, errSessionGone
	}
	return c, id, nil
}

// rotate is atomic: a live refresh token becomes used and a new pair is
// issued; presenting a used one again means it was stolen or replayed, and the
// whole session is revoked.
var rotate = redis.NewScript(`
local state = redis.call('GET', KEYS[1])
if not state then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
if state == 'live' then
  redis.call('SET', KEYS[1], 'used', 'EX', ARGV[1])
  return 1
end
redis.call('DEL', KEYS[2])
return 2
`)

func (s *sessions) refresh(ctx context.Context, refresh string) (tokens, error) {
	sid, _, ok := strings.Cut(refresh, ".")
	if !ok || sid == "" || len(refresh) > 200 {
		return tokens{}, errSessionGone
	}
	res, err := rotate.Run(ctx, s.redis, []string{s.rtKey(sid, refresh), s.sessKey(sid)}, int(refreshTTL.Seconds())).Int()
	if err != nil {
		return tokens{}, err
	}
	if res != 1 {
		return tokens{}, errSessionGone
	}
	owner, err := s.redis.Get(ctx, s.sessKey(sid)).Result()
	if err != nil {
		return tokens{}, errSessionGone
	}
	var holderID, schoolID int64
	if _, err := fmt.Sscanf(owner, "%d:%d", &holderID, &schoolID); err != nil {
		return tokens{}, errSessionGone
	}
	return s.issue(ctx, sid, holderID, schoolID)
}

// end revokes a session: its access tokens stop working at once.
func (s *sessions) end(ctx context.Context, sid string) error {
	return s.redis.Del(ctx, s.sessKey(sid)).Err()
}

// bindToken is a short-lived token naming an unbound WeChat openid.
func (s *sessions) bindToken(openID string) (string, error) {
	return s.sign(holderClaims{OpenID: openID}, audBind, bindTTL)
}
