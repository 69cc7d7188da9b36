// Package tencentsms sends the parent's recharge SMS through Tencent Cloud SMS
// (短信 API 3.0, SendSms, signed TC3-HMAC-SHA256 by the SDK).
package tencentsms

import (
	"context"
	"fmt"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	sms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/sms/v20210111"
)

// Config is the Tencent Cloud SMS account. Empty SecretID turns SMS off.
type Config struct {
	SecretID   string
	SecretKey  string
	Region     string // e.g. ap-guangzhou
	SdkAppID   string // 短信应用 SdkAppId
	SignName   string // 短信签名
	TemplateID string // template with {1} amount in yuan, {2} order number
	// Endpoint is empty for sms.tencentcloudapi.com; tests point it at a fake.
	Endpoint string
	Scheme   string // HTTPS (default) or HTTP for a fake on 127.0.0.1
}

// Sender sends one template message per recharge.
type Sender struct {
	client *sms.Client
	cfg    Config
}

// New builds a sender, or nil when SMS is not configured.
func New(cfg Config) (*Sender, error) {
	if cfg.SecretID == "" {
		return nil, nil
	}
	if cfg.SecretKey == "" || cfg.SdkAppID == "" || cfg.SignName == "" || cfg.TemplateID == "" {
		return nil, fmt.Errorf("tencentsms: secret_key, sdk_app_id, sign_name and template_id are required with secret_id")
	}
	if cfg.Region == "" {
		cfg.Region = "ap-guangzhou"
	}
	cpf := profile.NewClientProfile()
	if cfg.Endpoint != "" {
		cpf.HttpProfile.Endpoint = cfg.Endpoint
	}
	if cfg.Scheme != "" {
		cpf.HttpProfile.Scheme = cfg.Scheme
	}
	client, err := sms.NewClient(common.NewCredential(cfg.SecretID, cfg.SecretKey), cfg.Region, cpf)
	if err != nil {
		return nil, err
	}
	return &Sender{client: client, cfg: cfg}, nil
}

// SendRecharge tells phone that amountYuan reached the card for orderNo.
// Tencent answers 200 with a per-number status; anything but "Ok" fails so
// the outbox tries again.
func (s *Sender) SendRecharge(ctx context.Context, phone, amountYuan, orderNo string) error {
	req := sms.NewSendSmsRequest()
	if len(phone) == 11 {
		phone = "+86" + phone
	}
	req.PhoneNumberSet = common.StringPtrs([]string{phone})
	req.SmsSdkAppId = common.StringPtr(s.cfg.SdkAppID)
	req.SignName = common.StringPtr(s.cfg.SignName)
	req.TemplateId = common.StringPtr(s.cfg.TemplateID)
	req.TemplateParamSet = common.StringPtrs([]string{amountYuan, orderNo})
	res, err := s.client.SendSmsWithContext(ctx, req)
	if err != nil {
		return fmt.Errorf("tencentsms: %w", err)
	}
	if res.Response == nil || len(res.Response.SendStatusSet) != 1 || res.Response.SendStatusSet[0].Code == nil {
		return fmt.Errorf("tencentsms: no send status")
	}
	if code := *res.Response.SendStatusSet[0].Code; code != "Ok" {
		return fmt.Errorf("tencentsms: %s", code)
	}
	return nil
}
