// Package wechatpaytest is a fake WeChat Pay (APIv3, direct merchant) for
// tests. It speaks the real protocol, so the official SDK and our provider
// talk to it exactly as to WeChat: every request's Authorization header is
// checked against the merchant key (401 SIGN_ERROR otherwise), every answer
// is signed with the platform key, and notifications are encrypted with the
// APIv3 key and signed as WeChat sends them.
//
// It keeps orders (prepay ids, state, amount) and refunds (deduplicated by
// out_refund_no, never above what was paid). Tests pay an order with Pay and
// deliver the notification with Notify, or forge one with Notification.
//
// Two clocks: the fake's clock (WithClock) stamps what WeChat decides —
// notifications, success_time, expiry — while the Authorization and answer
// timestamps use the wall clock, because the SDK reads the wall clock for
// both and offers no way to change it.
package wechatpaytest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ecard/ecard/bff/wechatpay"
)

// Defaults of a new Server.
const (
	DefaultMchID = "1900000109"
	DefaultAppID = "wxd678efh567hg6787"
)

// Server is a running fake WeChat Pay.
type Server struct {
	URL    string       // scheme://host of the fake, for Config.BaseURL
	Client *http.Client // a client that reaches it

	MchID, AppID string
	APIv3Key     string
	// The merchant's API key pair and the serial of its certificate: what
	// the merchant signs requests with.
	MchKey    *rsa.PrivateKey
	MchSerial string
	// WeChat Pay's platform key and certificate: what the fake signs
	// answers and notifications with.
	PlatformKey    *rsa.PrivateKey
	PlatformCert   *x509.Certificate
	PlatformSerial string

	srv *httptest.Server
	now func() time.Time

	mu           sync.Mutex
	orders       map[string]*order  // by out_trade_no
	refunds      map[string]*refund // by out_refund_no
	calls        map[string]int     // by route, e.g. "POST /v3/refund/domestic/refunds"
	signErrors   int
	refundStatus string
	seq          int64
}

// Option changes a Server before it starts.
type Option func(*Server)

// WithClock sets the fake's clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithAPIv3Key sets the APIv3 key (32 bytes) instead of a random one.
func WithAPIv3Key(key string) Option { return func(s *Server) { s.APIv3Key = key } }

// WithIDs sets the merchant id and appid.
func WithIDs(mchID, appID string) Option {
	return func(s *Server) { s.MchID, s.AppID = mchID, appID }
}

// New starts a fake and stops it when the test ends. Its keys are made once
// per test binary (RSA key generation is slow) and shared by every Server.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	k := sharedKeys(t)
	s := &Server{
		MchID:          DefaultMchID,
		AppID:          DefaultAppID,
		APIv3Key:       randomString(32, alnum),
		MchKey:         k.mch,
		MchSerial:      k.mchSerial,
		PlatformKey:    k.platform,
		PlatformCert:   k.cert,
		PlatformSerial: fmt.Sprintf("%X", k.cert.SerialNumber.Bytes()),
		now:            time.Now,
		orders:         map[string]*order{},
		refunds:        map[string]*refund{},
		calls:          map[string]int{},
		refundStatus:   "SUCCESS",
	}
	for _, o := range opts {
		o(s)
	}
	if len(s.APIv3Key) != 32 {
		t.Fatalf("wechatpaytest: APIv3 key must be 32 bytes, got %d", len(s.APIv3Key))
	}
	s.srv = httptest.NewServer(s.routes())
	s.URL, s.Client = s.srv.URL, s.srv.Client()
	t.Cleanup(s.srv.Close)
	return s
}

// Config is a provider configuration that talks to this fake, with the
// fake's clock as Now.
func (s *Server) Config() wechatpay.Config {
	return wechatpay.Config{
		MchID:            s.MchID,
		AppID:            s.AppID,
		MchCertSerial:    s.MchSerial,
		MchPrivateKeyPEM: PrivateKeyPEM(s.MchKey),
		APIv3Key:         s.APIv3Key,
		PlatformCertPEM:  s.PlatformCertPEM(),
		BaseURL:          s.URL,
		HTTPClient:       s.Client,
		Now:              s.now,
	}
}

// PlatformCertPEM is the platform certificate in PEM.
func (s *Server) PlatformCertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.PlatformCert.Raw})
}

// PrivateKeyPEM encodes key as PKCS#8, as WeChat's apiclient_key.pem is.
func PrivateKeyPEM(key *rsa.PrivateKey) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		panic(err) // an RSA key always marshals
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// Calls counts authenticated requests to route, written as the fake's
// routes are: "POST /v3/pay/transactions/jsapi", "POST /v3/pay/transactions/h5",
// "POST /v3/pay/transactions/app", "GET /v3/pay/transactions/out-trade-no/{no}",
// "POST /v3/pay/transactions/out-trade-no/{no}/close", "POST /v3/refund/domestic/refunds".
func (s *Server) Calls(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[route]
}

// SignErrors counts requests refused with 401 SIGN_ERROR.
func (s *Server) SignErrors() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signErrors
}

// SetRefundStatus sets the status new refunds get: "SUCCESS" (the
// default), "PROCESSING", "ABNORMAL" or "CLOSED".
func (s *Server) SetRefundStatus(status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refundStatus = status
}

// NewMerchantKey makes a fresh RSA-2048 key, e.g. to sign with the wrong one.
func NewMerchantKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// NewPlatformCert makes a fresh key and self-signed certificate, e.g. to
// sign a notification WeChat did not send.
func NewPlatformCert(t testing.TB) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	k := NewMerchantKey(t)
	c, err := selfSigned(k)
	if err != nil {
		t.Fatal(err)
	}
	return k, c
}

type keySet struct {
	mch       *rsa.PrivateKey
	mchSerial string
	platform  *rsa.PrivateKey
	cert      *x509.Certificate
}

var (
	keysOnce sync.Once
	keys     keySet
	keysErr  error
)

func sharedKeys(t testing.TB) keySet {
	keysOnce.Do(func() {
		if keys.mch, keysErr = rsa.GenerateKey(rand.Reader, 2048); keysErr != nil {
			return
		}
		if keys.platform, keysErr = rsa.GenerateKey(rand.Reader, 2048); keysErr != nil {
			return
		}
		keys.cert, keysErr = selfSigned(keys.platform)
		keys.mchSerial = randomString(40, "0123456789ABCDEF")
	})
	if keysErr != nil {
		t.Fatalf("wechatpaytest: keys: %v", keysErr)
	}
	return keys
}

// selfSigned makes a platform certificate valid over any test clock, with
// a 20-byte serial like WeChat's.
func selfSigned(k *rsa.PrivateKey) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 159))
	if err != nil {
		return nil, err
	}
	serial.SetBit(serial, 152, 1) // a full 20 bytes, never a leading zero byte
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{"Tenpay.com"}, CommonName: "Tenpay.com Root CA"},
		NotBefore:    time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

const alnum = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		x, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic(err) // crypto/rand does not fail
		}
		b[i] = alphabet[x.Int64()]
	}
	return string(b)
}
