package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecard/ecard/bff/alipay/alipaytest"
	"github.com/ecard/ecard/bff/payment"
	"github.com/ecard/ecard/config"
)

// payments.alipay with its key files turns the Alipay channel on; a key file
// that cannot be read is named.
func TestAlipayIsConfiguredFromKeyFiles(t *testing.T) {
	fake := alipaytest.New(t)
	dir := t.TempDir()
	private, public := filepath.Join(dir, "app-private.pem"), filepath.Join(dir, "alipay-public.pem")
	cfg := fake.Config()
	if err := os.WriteFile(private, cfg.PrivateKeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(public, cfg.AlipayPublicKeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	e := env{"ECARD_DATA_DIR": dir, "ECARD_PAYMENTS_ALIPAY_APP_ID": fake.AppID,
		"ECARD_PAYMENTS_ALIPAY_PRIVATE_KEY_FILE": private, "ECARD_PAYMENTS_ALIPAY_ALIPAY_PUBLIC_KEY_FILE": public,
		"ECARD_PAYMENTS_ALIPAY_GATEWAY_URL": fake.GatewayURL()}
	c, err := config.Load("", e.get)
	if err != nil {
		t.Fatal(err)
	}
	p, err := newPayments(c)
	if err != nil {
		t.Fatal(err)
	}
	if pr := p.Providers[payment.ChannelAlipay]; pr == nil || pr.Channel() != payment.ChannelAlipay {
		t.Fatalf("providers: %v", p.Providers)
	}
	c.Payments.Alipay.PrivateKeyFile = filepath.Join(dir, "missing.pem")
	if _, err := newPayments(c); err == nil || !strings.Contains(err.Error(), "payments.alipay.private_key_file") {
		t.Fatalf("missing key file: %v", err)
	}
}
