package wechatpay_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/ecard/ecard/bff/wechatpay"
	"github.com/ecard/ecard/bff/wechatpay/wechatpaytest"
)

func TestNewValidatesConfig(t *testing.T) {
	fake := wechatpaytest.New(t)
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(fake.MchKey)})
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		change func(*wechatpay.Config)
		want   string // in the error; "" means New succeeds
	}{
		{"valid", func(*wechatpay.Config) {}, ""},
		{"PKCS#1 key", func(c *wechatpay.Config) { c.MchPrivateKeyPEM = pkcs1 }, ""},
		{"default base URL", func(c *wechatpay.Config) { c.BaseURL = "" }, ""},
		{"no HTTP client or clock", func(c *wechatpay.Config) { c.HTTPClient, c.Now = nil, nil }, ""},
		{"no mchid", func(c *wechatpay.Config) { c.MchID = "" }, "MchID"},
		{"no appid", func(c *wechatpay.Config) { c.AppID = " " }, "AppID"},
		{"no serial", func(c *wechatpay.Config) { c.MchCertSerial = "" }, "MchCertSerial"},
		{"no APIv3 key", func(c *wechatpay.Config) { c.APIv3Key = "" }, "APIv3Key"},
		{"short APIv3 key", func(c *wechatpay.Config) { c.APIv3Key = "0123456789abcdef" }, "APIv3Key"},
		{"no private key", func(c *wechatpay.Config) { c.MchPrivateKeyPEM = nil }, "MchPrivateKeyPEM"},
		{"garbage private key", func(c *wechatpay.Config) { c.MchPrivateKeyPEM = []byte("key") }, "MchPrivateKeyPEM"},
		{"certificate as private key", func(c *wechatpay.Config) { c.MchPrivateKeyPEM = c.PlatformCertPEM }, "MchPrivateKeyPEM"},
		{"1024-bit key", func(c *wechatpay.Config) { c.MchPrivateKeyPEM = wechatpaytest.PrivateKeyPEM(small) }, "MchPrivateKeyPEM"},
		{"no platform cert", func(c *wechatpay.Config) { c.PlatformCertPEM = nil }, "PlatformCertPEM"},
		{"key as platform cert", func(c *wechatpay.Config) { c.PlatformCertPEM = c.MchPrivateKeyPEM }, "PlatformCertPEM"},
		{"garbage platform cert", func(c *wechatpay.Config) { c.PlatformCertPEM = []byte("cert") }, "PlatformCertPEM"},
		{"base URL with a path", func(c *wechatpay.Config) { c.BaseURL += "/v3" }, "BaseURL"},
		{"base URL without scheme", func(c *wechatpay.Config) { c.BaseURL = "api.mch.weixin.qq.com" }, "BaseURL"},
	} {
		cfg := fake.Config()
		c.change(&cfg)
		_, err := wechatpay.New(cfg)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), "Config."+c.want)):
			t.Errorf("%s: err %v, want one naming Config.%s", c.name, err, c.want)
		}
	}
}
