// Package config loads ecard's settings: the embedded defaults
// (configs/ecard.yaml), then an optional file, then ECARD_* environment
// variables, in that order.
package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/rawbytes"
	"github.com/knadh/koanf/v2"

	"github.com/ecard/ecard/configs"
)

// Config is every setting; configs/ecard.yaml documents each one.
type Config struct {
	Env      string   `koanf:"env"`
	DataDir  string   `koanf:"data_dir"`
	Sandbox  bool     `koanf:"sandbox"`
	HTTP     HTTP     `koanf:"http"`
	Database Database `koanf:"database"`
	Redis    Redis    `koanf:"redis"`
	Secrets  Secrets  `koanf:"secrets"`
	WeChat   WeChat   `koanf:"wechat"`
	SMS      SMS      `koanf:"sms"`
	Payments Payments `koanf:"payments"`
	Jobs     Jobs     `koanf:"jobs"`
	Argon2   Argon2   `koanf:"argon2"`
	Log      Log      `koanf:"log"`
	Metrics  Metrics  `koanf:"metrics"`
}

// Metrics is where Prometheus scrapes: never the public listener unless the
// scraper brings the token.
type Metrics struct {
	Addr  string `koanf:"addr"`
	Token string `koanf:"token"`
}

// WeChat is the mini-program; empty AppID disables it.
type WeChat struct {
	AppID           string `koanf:"app_id"`
	AppSecret       string `koanf:"app_secret"`
	TemplatePayment string `koanf:"template_payment"`
	TemplateTopup   string `koanf:"template_topup"`
	TemplateRefund  string `koanf:"template_refund"`
	TemplateSubsidy string `koanf:"template_subsidy"`
}

// Payments are the top-up providers. A provider with empty credentials is off.
type Payments struct {
	PublicURL   string        `koanf:"public_url"`
	OrderTTL    time.Duration `koanf:"order_ttl"`
	SettleAfter time.Duration `koanf:"settle_after"`
	WeChatPay   WeChatPay     `koanf:"wechatpay"`
	Alipay      Alipay        `koanf:"alipay"`
}

// WeChatPay is a WeChat Pay APIv3 merchant.
type WeChatPay struct {
	MchID             string `koanf:"mch_id"`
	AppID             string `koanf:"app_id"`
	MchCertSerial     string `koanf:"mch_cert_serial"`
	MchPrivateKeyFile string `koanf:"mch_private_key_file"`
	APIv3Key          string `koanf:"apiv3_key"`
	PlatformCertFile  string `koanf:"platform_cert_file"`
	BaseURL           string `koanf:"base_url"`
}

// Alipay is an Alipay open-platform application (RSA2, public-key mode).
type Alipay struct {
	AppID               string `koanf:"app_id"`
	PrivateKeyFile      string `koanf:"private_key_file"`
	AlipayPublicKeyFile string `koanf:"alipay_public_key_file"`
	GatewayURL          string `koanf:"gateway_url"`
}

// problems names what an Alipay application turned on (app_id set) lacks.
func (a Alipay) problems() []string {
	if a.AppID == "" {
		return nil
	}
	var problems []string
	if a.PrivateKeyFile == "" {
		problems = append(problems, "payments.alipay.private_key_file is required when payments.alipay.app_id is set")
	}
	if a.AlipayPublicKeyFile == "" {
		problems = append(problems, "payments.alipay.alipay_public_key_file is required when payments.alipay.app_id is set")
	}
	if a.GatewayURL != "" && !strings.HasPrefix(a.GatewayURL, "https://") && !strings.HasPrefix(a.GatewayURL, "http://") {
		problems = append(problems, "payments.alipay.gateway_url must be an http(s) URL")
	}
	return problems
}

// Jobs are the scheduled jobs inside `ecard serve`.
type Jobs struct {
	Enabled bool `koanf:"enabled"`
}

// HTTP is the listener.
type HTTP struct {
	Addr            string        `koanf:"addr"`
	BodyLimitBytes  int           `koanf:"body_limit_bytes"`
	ReadTimeout     time.Duration `koanf:"read_timeout"`
	WriteTimeout    time.Duration `koanf:"write_timeout"`
	ShutdownTimeout time.Duration `koanf:"shutdown_timeout"`
	TrustedProxies  string        `koanf:"trusted_proxies"`
}

// Database is where money lives.
type Database struct {
	URL          string `koanf:"url"`
	MaxOpenConns int    `koanf:"max_open_conns"`
	MaxIdleConns int    `koanf:"max_idle_conns"`
}

// Redis holds codes, sessions and nonces; never money.
type Redis struct {
	URL       string `koanf:"url"`
	KeyPrefix string `koanf:"key_prefix"`
}

// Secrets are keys; the defaults are for development only.
type Secrets struct {
	JWTKey        string `koanf:"jwt_key"`
	EncryptionKey string `koanf:"encryption_key"`
}

// Argon2 is the cost of password hashing.
type Argon2 struct {
	MemoryKiB   uint32 `koanf:"memory_kib"`
	Iterations  uint32 `koanf:"iterations"`
	Parallelism uint8  `koanf:"parallelism"`
}

// Log is where and how the server logs.
type Log struct {
	Level  string `koanf:"level"`
	Format string `koanf:"format"`
}

// EnvPrefix starts every environment variable that overrides a setting.
const EnvPrefix = "ECARD_"

// EnvName is the environment variable for a setting path, e.g. "database.url"
// -> ECARD_DATABASE_URL.
func EnvName(path string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

// Load reads the defaults, then file (if not empty), then the environment
// through getenv. Only settings the defaults name can be overridden, so a
// misspelt key in the file is an error rather than silently ignored.
func Load(file string, getenv func(string) string) (Config, error) {
	k := koanf.New(".")
	if err := k.Load(rawbytes.Provider(configs.Default), yaml.Parser()); err != nil {
		return Config{}, fmt.Errorf("config: embedded defaults: %w", err)
	}
	known := map[string]bool{}
	for _, key := range k.Keys() {
		known[key] = true
	}
	if file != "" {
		raw, err := os.ReadFile(file)
		if err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		f := koanf.New(".")
		if err := f.Load(rawbytes.Provider(raw), yaml.Parser()); err != nil {
			return Config{}, fmt.Errorf("config: %s: %w", file, err)
		}
		for _, key := range f.Keys() {
			if !known[key] {
				return Config{}, fmt.Errorf("config: %s: unknown setting %q", file, key)
			}
		}
		if err := k.Merge(f); err != nil {
			return Config{}, err
		}
	}
	fromEnv := map[string]any{}
	for key := range known {
		if v := getenv(EnvName(key)); v != "" {
			fromEnv[key] = v
		}
	}
	if err := k.Load(confmap.Provider(fromEnv, "."), nil); err != nil {
		return Config{}, err
	}
	var c Config
	if err := k.UnmarshalWithConf("", &c, koanf.UnmarshalConf{Tag: "koanf"}); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return c, c.validate()
}

func (c Config) validate() error {
	var problems []string
	if c.Env != "development" && c.Env != "production" {
		problems = append(problems, "env must be development or production")
	}
	if c.HTTP.Addr == "" || c.HTTP.BodyLimitBytes <= 0 || c.HTTP.ReadTimeout <= 0 || c.HTTP.WriteTimeout <= 0 {
		problems = append(problems, "http settings must be set and positive")
	}
	if c.Database.URL == "" && c.DataDir == "" {
		problems = append(problems, "data_dir must be set when database.url is empty")
	}
	if c.Database.MaxOpenConns <= 0 || c.Database.MaxIdleConns < 0 {
		problems = append(problems, "database pool bounds must be positive")
	}
	if (c.WeChat.AppID == "") != (c.WeChat.AppSecret == "") {
		problems = append(problems, "wechat.app_id and wechat.app_secret go together")
	}
	if !strings.HasPrefix(c.Payments.PublicURL, "http://") && !strings.HasPrefix(c.Payments.PublicURL, "https://") {
		problems = append(problems, "payments.public_url must be an http(s) URL")
	}
	if c.Payments.OrderTTL < time.Minute || c.Payments.OrderTTL > 2*time.Hour || c.Payments.SettleAfter < 10*time.Second {
		problems = append(problems, "payments.order_ttl must be 1m to 2h and payments.settle_after at least 10s")
	}
	problems = append(problems, c.Payments.Alipay.problems()...)
	if c.Secrets.JWTKey != "" && len(c.Secrets.JWTKey) < 32 {
		problems = append(problems, "secrets.jwt_key must be at least 32 characters")
	}
	if c.Metrics.Token != "" && len(c.Metrics.Token) < 32 {
		problems = append(problems, "metrics.token must be at least 32 characters")
	}
	if c.Argon2.MemoryKiB < 8 || c.Argon2.Iterations < 1 || c.Argon2.Parallelism < 1 {
		problems = append(problems, "argon2 parameters too small")
	}
	if len(problems) > 0 {
		return errors.New("config: " + strings.Join(problems, "; "))
	}
	return nil
}

// ProductionProblems lists why this configuration must not serve real money:
// the embedded Redis, the sandbox provider, the demo data or a default secret.
// It is empty outside production.
func (c Config) ProductionProblems(demo bool) []string {
	if c.Env != "production" {
		return nil
	}
	defaults, _ := Load("", func(string) string { return "" })
	var problems []string
	if c.Redis.URL == "" {
		problems = append(problems, "the embedded Redis is single-node only: set ECARD_REDIS_URL")
	}
	if c.Sandbox || demo {
		problems = append(problems, "the sandbox payment provider is enabled: unset ECARD_SANDBOX and --demo")
	}
	if !strings.HasPrefix(c.Payments.PublicURL, "https://") {
		problems = append(problems, "payments.public_url must be https: providers send notifications there")
	}
	if c.Secrets.JWTKey == "" || c.Secrets.JWTKey == defaults.Secrets.JWTKey || c.Secrets.JWTKey == publishedJWTKey {
		problems = append(problems, "secrets.jwt_key is not set: set ECARD_SECRETS_JWT_KEY")
	}
	if c.Secrets.EncryptionKey == "" || c.Secrets.EncryptionKey == defaults.Secrets.EncryptionKey || c.Secrets.EncryptionKey == publishedEncryptionKey {
		problems = append(problems, "secrets.encryption_key is not set: set ECARD_SECRETS_ENCRYPTION_KEY")
	}
	return problems
}
