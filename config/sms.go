package config

// SMS is the parent's recharge message; off while tencent.secret_id is empty.
type SMS struct {
	Tencent TencentSMS `koanf:"tencent"`
}

// TencentSMS is a Tencent Cloud SMS account (console.cloud.tencent.com/smsv2).
type TencentSMS struct {
	SecretID   string `koanf:"secret_id"`
	SecretKey  string `koanf:"secret_key"`
	Region     string `koanf:"region"`
	SdkAppID   string `koanf:"sdk_app_id"`
	SignName   string `koanf:"sign_name"`
	TemplateID string `koanf:"template_id"`
	Endpoint   string `koanf:"endpoint"`
}
