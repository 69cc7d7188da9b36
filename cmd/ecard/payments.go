package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"os"
	"time"

	"github.com/ecard/ecard/bff"
	"github.com/ecard/ecard/bff/alipay"
	"github.com/ecard/ecard/bff/payment"
	"github.com/ecard/ecard/bff/sandbox"
	"github.com/ecard/ecard/bff/wechatpay"
	"github.com/ecard/ecard/config"
)

// newPayments builds the configured top-up providers.
func newPayments(cfg config.Config) (bff.Payments, error) {
	p := bff.Payments{Providers: map[string]payment.Provider{}, PublicURL: cfg.Payments.PublicURL,
		OrderTTL: cfg.Payments.OrderTTL, SettleAfter: cfg.Payments.SettleAfter}
	if cfg.Sandbox {
		// Every node derives the same sandbox key from the shared JWT key,
		// so a notification signed on one node verifies on another.
		m := hmac.New(sha256.New, []byte(cfg.Secrets.JWTKey))
		m.Write([]byte("ecard sandbox notifications"))
		sb, err := sandbox.New(m.Sum(nil), time.Now)
		if err != nil {
			return p, err
		}
		p.Providers[payment.ChannelSandbox] = sb
	}
	if w := cfg.Payments.WeChatPay; w.MchID != "" {
		key, err := os.ReadFile(w.MchPrivateKeyFile)
		if err != nil {
			return p, fmt.Errorf("payments.wechatpay.mch_private_key_file: %w", err)
		}
		cert, err := os.ReadFile(w.PlatformCertFile)
		if err != nil {
			return p, fmt.Errorf("payments.wechatpay.platform_cert_file: %w", err)
		}
		wx, err := wechatpay.New(wechatpay.Config{MchID: w.MchID, AppID: w.AppID, MchCertSerial: w.MchCertSerial,
			MchPrivateKeyPEM: key, APIv3Key: w.APIv3Key, PlatformCertPEM: cert, BaseURL: w.BaseURL})
		if err != nil {
			return p, err
		}
		p.Providers[payment.ChannelWeChatPay] = wx
	}
	if a := cfg.Payments.Alipay; a.AppID != "" {
		ap, err := newAlipay(a)
		if err != nil {
			return p, err
		}
		p.Providers[payment.ChannelAlipay] = ap
	}
	return p, nil
}

// newAlipay reads the keys named by payments.alipay and builds the provider.
func newAlipay(a config.Alipay) (*alipay.Provider, error) {
	key, err := os.ReadFile(a.PrivateKeyFile)
	if err != nil {
		return nil, fmt.Errorf("payments.alipay.private_key_file: %w", err)
	}
	pub, err := os.ReadFile(a.AlipayPublicKeyFile)
	if err != nil {
		return nil, fmt.Errorf("payments.alipay.alipay_public_key_file: %w", err)
	}
	return alipay.New(alipay.Config{AppID: a.AppID, PrivateKeyPEM: key, AlipayPublicKeyPEM: pub, GatewayURL: a.GatewayURL})
}
