package terminalgw

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/ledger"
)

// Signed-request rules (API.md).
const (
	clockWindow        = 300 * time.Second
	nonceMemory        = 10 * time.Minute
	terminalCacheTTL   = 30 * time.Second
	maxCachedTerminals = 10000
	requestsPerMinute  = 1200
)

var (
	noncePattern    = regexp.MustCompile(`^[A-Za-z0-9]{16,64}$`)
	terminalPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
)

type cachedTerminal struct {
	terminal ledger.Terminal
	secret   []byte
	until    time.Time
}

func fail(code, format string, args ...any) error {
	return &ledger.Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func authFailed(why string) error { return fail("TERMINAL_AUTH", "%s", why) }

// Signature is the request signature of API.md: lowercase hex
// HMAC-SHA256(secret, METHOD "\n" PATH "\n" TIMESTAMP "\n" NONCE "\n" hex(SHA256(body))).
// PATH includes the query string. Terminal clients (ecard pos) use it too.
func Signature(secret []byte, method, path, timestamp, nonce string, body []byte) string {
	sum := sha256.Sum256(body)
	mac := hmac.New(sha256.New, secret)
	fmt.Fprintf(mac, "%s\n%s\n%s\n%s\n%s", method, path, timestamp, nonce, hex.EncodeToString(sum[:]))
	return hex.EncodeToString(mac.Sum(nil))
}

// terminal loads a terminal with its opened secret, cached briefly so a busy
// till does not cost a database read and a decryption per request.
func (g *Gateway) terminal(c fiber.Ctx, id string) (ledger.Terminal, []byte, error) {
	now := g.now()
	g.mu.Lock()
	cached, ok := g.terminals[id]
	g.mu.Unlock()
	if ok && now.Before(cached.until) {
		return cached.terminal, cached.secret, nil
	}
	t, secret, err := g.ledger.TerminalWithSecret(c.Context(), id)
	if err != nil {
		return t, nil, err
	}
	g.mu.Lock()
	if len(g.terminals) >= maxCachedTerminals {
		g.terminals = map[string]cachedTerminal{}
	}
	g.terminals[strings.Clone(id)] = cachedTerminal{terminal: t, secret: secret, until: now.Add(terminalCacheTTL)}
	g.mu.Unlock()
	return t, secret, nil
}

// authenticate admits a request signed by an active terminal within the clock
// window with a nonce not seen in the last ten minutes.
func (g *Gateway) authenticate(c fiber.Ctx) error {
	id := c.Get("X-Ecard-Terminal")
	ts := c.Get("X-Ecard-Timestamp")
	nonce := c.Get("X-Ecard-Nonce")
	sig := c.Get("X-Ecard-Signature")
	if !terminalPattern.MatchString(id) || ts == "" || len(ts) > 12 || len(sig) != 64 {
		return authFailed("missing or malformed signature headers")
	}
	if !noncePattern.MatchString(nonce) {
		return authFailed("nonce must be 16-64 letters or digits")
	}
	t, secret, err := g.terminal(c, id)
	if ledger.ErrorCode(err) == ledger.CodeNotFound {
		return authFailed("unknown terminal")
	}
	if err != nil {
		return err
	}
	want := Signature(secret, c.Method(), string(c.Request().URI().RequestURI()), ts, nonce, c.Body())
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return authFailed("bad signature")
	}
	if t.Status != "active" {
		return authFailed("terminal disabled")
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return authFailed("timestamp must be unix seconds")
	}
	if skew := g.now().Sub(time.Unix(unix, 0)); skew > clockWindow || skew < -clockWindow {
		return authFailed("timestamp outside the 300 s window: check the terminal clock")
	}
	fresh, floor, err := g.rememberNonce(c.Context(), g.prefix+"nonce:{"+id+"}:"+nonce)
	if err != nil {
		return err
	}
	if !fresh || unix < floor.Unix() {
		return fail("REPLAYED", "nonce already used, or signed before the server lost its replay memory: sign again")
	}
	res, err := g.limiter.Allow(c.Context(), g.prefix+"rl:tgw:"+id, redis_rate.PerMinute(requestsPerMinute))
	if err != nil {
		return err
	}
	if res.Allowed == 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(res.RetryAfter.Seconds())+1))
		return fail("RATE_LIMITED", "terminal over %d requests a minute", requestsPerMinute)
	}
	c.Locals(localTerminal, t)
	g.sawTerminal(c, t.ID)
	return c.Next()
}

type localKey int

const localTerminal localKey = 0

func terminalOf(c fiber.Ctx) ledger.Terminal {
	t, _ := c.Locals(localTerminal).(ledger.Terminal)
	return t
}
