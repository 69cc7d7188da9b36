// Package alipay is ecard's Alipay (open platform, RSA2, public-key mode)
// provider for top-ups, built on github.com/smartwalle/alipay/v3 (pinned at
// v3.2.31). It implements payment.Provider: mobile web pay
// (alipay.trade.wap.pay) and app pay (alipay.trade.app.pay), asynchronous
// notifications, and alipay.trade.query, alipay.trade.close and
// alipay.trade.refund.
//
// Public-key mode only: requests are signed with the application's private
// key, and notifications and answers are verified with Alipay's public key
// as configured. Certificate mode (alipay_cert_sn) is refused rather than
// followed, so nothing outside the configuration can choose the key that
// verifies a notification.
package alipay

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/smartwalle/alipay/v3"
	"github.com/smartwalle/ncrypto"

	"github.com/ecard/ecard/bff/payment"
)

// DefaultGatewayURL is Alipay's production gateway.
const DefaultGatewayURL = "https://openapi.alipay.com/gateway.do"

// DefaultTimeout bounds one API call when Config.HTTPClient is nil.
const DefaultTimeout = 10 * time.Second

// MaxNotifyBytes bounds a notification body; real ones are about 2 KiB.
const MaxNotifyBytes = 64 << 10

// MaxResponseBytes bounds an answer read from the gateway.
const MaxResponseBytes = 1 << 20

// Product codes of the two ways to pay.
const (
	ProductWap = "QUICK_WAP_WAY"       // mobile web pay (手机网站支付)
	ProductApp = "QUICK_MSECURITY_PAY" // app pay (APP支付)
)

// TimeLayout is how Alipay writes times, always in Beijing time.
const TimeLayout = "2006-01-02 15:04:05"

// Beijing is Alipay's time zone (UTC+8 all year), fixed so the binary needs
// no time zone database.
var Beijing = time.FixedZone("CST", 8*3600)

// orderNoRe is what ecard's order numbers look like, within Alipay's
// out_trade_no rule (64 of letters, digits and underscore; ours may hold '-').
var orderNoRe = regexp.MustCompile(`^[0-9A-Za-z_-]{6,32}$`)

// ErrScene is returned for a scene Alipay cannot serve here.
var ErrScene = errors.New("alipay pays in a mobile browser (scene h5) or the Alipay app (scene app); " +
	"the mini-program scene (jsapi) is not offered")

// Config configures a Provider. AppID and both keys are required.
type Config struct {
	AppID string // the application's APPID on open.alipay.com
	// PrivateKeyPEM is the application's RSA private key (应用私钥), PKCS#1
	// or PKCS#8, as PEM or as the bare base64 the key tool writes.
	PrivateKeyPEM []byte
	// AlipayPublicKeyPEM is Alipay's public key (支付宝公钥) shown on the
	// application's page, as PEM or bare base64.
	AlipayPublicKeyPEM []byte
	GatewayURL         string       // empty means DefaultGatewayURL (tests point it at a fake)
	HTTPClient         *http.Client // nil means a client with DefaultTimeout
	Now                func() time.Time
}

// Provider is the Alipay payment.Provider. It is safe for concurrent use.
type Provider struct {
	appID  string
	now    func() time.Time
	client *alipay.Client
}

var _ payment.Provider = (*Provider)(nil)

// New checks cfg and builds a Provider. It makes no network call.
func New(cfg Config) (*Provider, error) {
	if strings.TrimSpace(cfg.AppID) == "" || cfg.AppID != strings.TrimSpace(cfg.AppID) {
		return nil, errors.New("alipay: Config.AppID is empty or has spaces around it")
	}
	privateKey := strings.TrimSpace(string(cfg.PrivateKeyPEM))
	publicKey := strings.TrimSpace(string(cfg.AlipayPublicKeyPEM))
	if err := checkPrivateKey(privateKey); err != nil {
		return nil, fmt.Errorf("alipay: Config.PrivateKeyPEM: %w", err)
	}
	if err := checkPublicKey(publicKey); err != nil {
		return nil, fmt.Errorf("alipay: Config.AlipayPublicKeyPEM: %w", err)
	}
	gateway := cfg.GatewayURL
	if gateway == "" {
		gateway = DefaultGatewayURL
	}
	if err := checkGateway(gateway); err != nil {
		return nil, fmt.Errorf("alipay: Config.GatewayURL: %w", err)
	}
	// production=false only keeps the library from downloading Alipay
	// certificates named by an answer's alipay_cert_sn (certificate mode);
	// the gateway is always the configured one, set just below.
	client, err := alipay.New(cfg.AppID, privateKey, false,
		alipay.WithSandboxGateway(gateway),
		alipay.WithHTTPClient(limitedClient(cfg.HTTPClient)),
		alipay.WithTimeLocation(Beijing))
	if err != nil {
		return nil, fmt.Errorf("alipay: Config.PrivateKeyPEM: %w", err)
	}
	if err := client.LoadAliPayPublicKey(publicKey); err != nil {
		return nil, fmt.Errorf("alipay: Config.AlipayPublicKeyPEM: %w", err)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Provider{appID: cfg.AppID, now: now, client: client}, nil
}

func checkPrivateKey(s string) error {
	if s == "" {
		return errors.New("empty")
	}
	d := ncrypto.DecodePrivateKey([]byte(s))
	key, err := d.PKCS1().RSAPrivateKey()
	if err != nil {
		if key, err = d.PKCS8().RSAPrivateKey(); err != nil {
			return errors.New("not an RSA private key in PKCS#1 or PKCS#8")
		}
	}
	return checkBits(&key.PublicKey)
}

func checkPublicKey(s string) error {
	if s == "" {
		return errors.New("empty")
	}
	key, err := ncrypto.DecodePublicKey([]byte(s)).PKIX().RSAPublicKey()
	if err != nil {
		return errors.New("not an RSA public key (PKIX)")
	}
	return checkBits(key)
}

// checkBits: RSA2 is RSA-SHA256 with a key of at least 2048 bits.
func checkBits(k *rsa.PublicKey) error {
	if k.N.BitLen() < 2048 {
		return fmt.Errorf("RSA key has %d bits, RSA2 needs at least 2048", k.N.BitLen())
	}
	return nil
}

func checkGateway(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("scheme %q, want https or http", u.Scheme)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("want scheme://host[:port]/path only")
	}
	return nil
}

// limitedClient copies c (or makes a client with DefaultTimeout) and caps
// every answer at MaxResponseBytes, since the library reads answers whole.
func limitedClient(c *http.Client) *http.Client {
	var hc http.Client
	if c != nil {
		hc = *c
	} else {
		hc.Timeout = DefaultTimeout
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc.Transport = limitedTransport{next}
	return &hc
}

type limitedTransport struct{ next http.RoundTripper }

func (t limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = payment.LimitBody(resp.Body, MaxResponseBytes)
	return resp, nil
}

// Channel is payment.ChannelAlipay.
func (p *Provider) Channel() string { return payment.ChannelAlipay }

// CheckScene accepts h5 and app; the order is refused before it is recorded.
func (p *Provider) CheckScene(scene string) error {
	if scene == payment.SceneH5 || scene == payment.SceneApp {
		return nil
	}
	return ErrScene
}

// Ack is the plain text "success" Alipay waits for; until it reads exactly
// that, it sends the notification again (for about 25 hours).
func (p *Provider) Ack() payment.Answer {
	return payment.Answer{Status: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: []byte("success")}
}

// Nack is anything but "success"; "failure" says so plainly. The reason is
// logged by the caller, not told to the sender.
func (p *Provider) Nack(string) payment.Answer {
	return payment.Answer{Status: http.StatusInternalServerError, ContentType: "text/plain; charset=utf-8", Body: []byte("failure")}
}
