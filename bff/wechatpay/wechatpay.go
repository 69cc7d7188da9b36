// Package wechatpay is ecard's WeChat Pay (APIv3, direct merchant) provider
// for top-ups, built on the official SDK github.com/wechatpay-apiv3/wechatpay-go
// (pinned at v0.2.21). It implements payment.Provider: JSAPI, H5 and app
// prepay, payment notifications, order query and close, and refunds.
//
// The WeChat Pay platform certificate is configured, not downloaded: the
// SDK's automatic downloader would call WeChat at start-up and keep state in
// a process-wide singleton. PlatformCertPEM may hold several certificates, so
// the old and the new one can both be trusted while WeChat rotates them.
//
// Notifications are verified here rather than by the SDK's notify handler,
// because that handler reads the wall clock; ours reads Config.Now so the
// five-minute freshness window can be tested.
package wechatpay

import (
	"context"
	"crypto/cipher"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/core/option"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments/app"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments/h5"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments/jsapi"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"

	"github.com/ecard/ecard/bff/payment"
)

// DefaultBaseURL is WeChat Pay's API host, where the SDK sends every request.
const DefaultBaseURL = "https://api.mch.weixin.qq.com"

// DefaultTimeout bounds one API call when Config.HTTPClient is nil.
const DefaultTimeout = 10 * time.Second

// MaxNotifyBytes bounds a notification body; real ones are about 1 KiB.
const MaxNotifyBytes = 64 << 10

// MaxResponseBytes bounds an API answer read from WeChat Pay.
const MaxResponseBytes = 1 << 20

// NotifyWindow is how far a notification's Wechatpay-Timestamp may be from
// Config.Now, either way, before it is refused as stale (WeChat's own rule).
const NotifyWindow = 5 * time.Minute

// ErrOrderPaid is returned by Close when WeChat Pay says the order is paid:
// it cannot be closed and must be treated as a normal paid order.
var ErrOrderPaid = errors.New("wechatpay: order already paid")

// Config configures a Provider. Every field but BaseURL, HTTPClient and Now
// is required.
type Config struct {
	MchID            string // merchant id (商户号)
	AppID            string // the mini-program's / official account's / app's appid bound to MchID
	MchCertSerial    string // serial number of the merchant API certificate (商户API证书序列号)
	MchPrivateKeyPEM []byte // the merchant API private key (apiclient_key.pem), PKCS#8 or PKCS#1
	APIv3Key         string // the 32-byte APIv3 key that encrypts notifications
	// PlatformCertPEM holds the WeChat Pay platform certificate(s) (微信支付平台证书);
	// a notification or answer is trusted only when its Wechatpay-Serial
	// names one of them.
	PlatformCertPEM []byte
	BaseURL         string       // scheme://host only; empty means DefaultBaseURL (tests point it at a fake)
	HTTPClient      *http.Client // nil means a client with DefaultTimeout
	Now             func() time.Time
}

// Provider is the WeChat Pay payment.Provider. It is safe for concurrent use.
type Provider struct {
	mchID, appID string
	now          func() time.Time
	certs        *core.CertificateMap
	verifier     *verifiers.SHA256WithRSAVerifier
	aead         cipher.AEAD // AES-256-GCM under the APIv3 key

	jsapi   jsapi.JsapiApiService
	h5      h5.H5ApiService
	app     app.AppApiService
	refunds refunddomestic.RefundsApiService
}

var _ payment.Provider = (*Provider)(nil)

// New checks cfg and builds a Provider. It makes no network call.
func New(cfg Config) (*Provider, error) {
	k, err := parseConfig(cfg)
	if err != nil {
		return nil, err
	}
	httpClient, err := newHTTPClient(cfg.HTTPClient, cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	client, err := core.NewClient(context.Background(),
		option.WithWechatPayAuthCipher(cfg.MchID, cfg.MchCertSerial, k.mchKey, k.platformCerts),
		option.WithHTTPClient(httpClient),
	)
	if err != nil {
		return nil, fmt.Errorf("wechatpay: sdk client: %w", err)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	certs := core.NewCertificateMapWithList(k.platformCerts)
	return &Provider{
		mchID:    cfg.MchID,
		appID:    cfg.AppID,
		now:      now,
		certs:    certs,
		verifier: verifiers.NewSHA256WithRSAVerifier(certs),
		aead:     k.aead,
		jsapi:    jsapi.JsapiApiService{Client: client},
		h5:       h5.H5ApiService{Client: client},
		app:      app.AppApiService{Client: client},
		refunds:  refunddomestic.RefundsApiService{Client: client},
	}, nil
}

// Channel is payment.ChannelWeChatPay.
func (p *Provider) Channel() string { return payment.ChannelWeChatPay }

// Ack is WeChat Pay's "received": 204 with no body (200 or 204 both count).
func (p *Provider) Ack() payment.Answer {
	return payment.Answer{Status: http.StatusNoContent}
}

// Nack makes WeChat Pay send the notification again later: any status other
// than 200/204, with the documented {"code":"FAIL","message":…} body.
func (p *Provider) Nack(reason string) payment.Answer {
	body, err := json.Marshal(struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}{"FAIL", reason})
	if err != nil { // cannot happen: two strings always marshal
		body = []byte(`{"code":"FAIL","message":"failed"}`)
	}
	return payment.Answer{Status: http.StatusInternalServerError, ContentType: "application/json", Body: body}
}
