package tencentsms_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ecard/ecard/bff/tencentsms"
	"github.com/ecard/ecard/bff/tencentsms/tencentsmstest"
)

func sender(t *testing.T, fake *tencentsmstest.Server, secretKey string) *tencentsms.Sender {
	t.Helper()
	s, err := tencentsms.New(tencentsms.Config{SecretID: fake.SecretID, SecretKey: secretKey, SdkAppID: "1400000001",
		SignName: "演示大学", TemplateID: "100001", Endpoint: strings.TrimPrefix(fake.URL, "http://"), Scheme: "HTTP"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSendRechargeSignedTC3: the SDK's request passes the fake's
// TC3-HMAC-SHA256 check and carries the template parameters; a wrong
// secret key is refused by the signature check; a send failure is an error.
func TestSendRechargeSignedTC3(t *testing.T) {
	fake := tencentsmstest.New("AKIDtest", "secret-key-1")
	defer fake.Close()
	if err := sender(t, fake, "secret-key-1").SendRecharge(context.Background(), "13800138000", "50.00", "EC1"); err != nil {
		t.Fatalf("send: %v (refused %v)", err, fake.Refused())
	}
	m := fake.Messages()
	if len(m) != 1 || m[0].PhoneNumberSet[0] != "+8613800138000" || m[0].TemplateId != "100001" ||
		strings.Join(m[0].TemplateParamSet, ",") != "50.00,EC1" || m[0].SignName != "演示大学" {
		t.Fatalf("messages: %+v", m)
	}
	if err := sender(t, fake, "wrong-key").SendRecharge(context.Background(), "13800138000", "1.00", "EC2"); err == nil ||
		len(fake.Refused()) != 1 || fake.Refused()[0] != "signature mismatch" {
		t.Fatalf("a wrong key: %v %v", err, fake.Refused())
	}
	fake.FailNext = 1
	if err := sender(t, fake, "secret-key-1").SendRecharge(context.Background(), "13800138000", "1.00", "EC3"); err == nil {
		t.Fatal("a failed send reads as sent")
	}
	if none, err := tencentsms.New(tencentsms.Config{}); none != nil || err != nil {
		t.Fatalf("off by default: %v %v", none, err)
	}
}
