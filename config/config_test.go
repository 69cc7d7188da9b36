package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecard/ecard/config"
)

func noEnv(string) string { return "" }

func TestDefaultsAreComplete(t *testing.T) {
	c, err := config.Load("", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTP.Addr != "127.0.0.1:8080" || c.DataDir != "./data" || c.Database.URL != "" || c.Redis.URL != "" ||
		c.HTTP.ReadTimeout != 15*time.Second || c.Argon2.MemoryKiB != 65536 || c.Env != "development" {
		t.Fatalf("defaults: %+v", c)
	}
	if len(c.ProductionProblems(false)) != 0 {
		t.Fatal("development has no production problems")
	}
}

func TestFileThenEnvironmentOverride(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ecard.yaml")
	if err := os.WriteFile(file, []byte("http:\n  addr: 0.0.0.0:9000\nredis:\n  key_prefix: \"a:\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ECARD_REDIS_KEY_PREFIX": "b:", "ECARD_DATA_DIR": "/srv/ecard", "ECARD_SANDBOX": "true",
		"ECARD_HTTP_READ_TIMEOUT": "3s", "ECARD_DATABASE_MAX_OPEN_CONNS": "7"}
	c, err := config.Load(file, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTP.Addr != "0.0.0.0:9000" || c.Redis.KeyPrefix != "b:" || c.DataDir != "/srv/ecard" || !c.Sandbox ||
		c.HTTP.ReadTimeout != 3*time.Second || c.Database.MaxOpenConns != 7 {
		t.Fatalf("overrides: %+v", c)
	}
}

func TestBadConfigurationIsRefused(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ecard.yaml")
	if err := os.WriteFile(file, []byte("databse:\n  url: postgres://x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Load(file, noEnv); err == nil || !strings.Contains(err.Error(), "databse") {
		t.Fatalf("a misspelt key must be refused: %v", err)
	}
	if _, err := config.Load(filepath.Join(t.TempDir(), "missing.yaml"), noEnv); err == nil {
		t.Fatal("a missing file must be refused")
	}
	env := map[string]string{"ECARD_HTTP_READ_TIMEOUT": "soon"}
	if _, err := config.Load("", func(k string) string { return env[k] }); err == nil {
		t.Fatal("a malformed duration must be refused")
	}
	env = map[string]string{"ECARD_SECRETS_JWT_KEY": "short"}
	if _, err := config.Load("", func(k string) string { return env[k] }); err == nil {
		t.Fatal("a short JWT key must be refused")
	}
}

func TestProductionNamesEveryUnsafeDefault(t *testing.T) {
	env := map[string]string{"ECARD_ENV": "production"}
	c, err := config.Load("", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	problems := strings.Join(c.ProductionProblems(true), "\n")
	for _, want := range []string{"ECARD_REDIS_URL", "sandbox", "ECARD_SECRETS_JWT_KEY", "ECARD_SECRETS_ENCRYPTION_KEY", "payments.public_url"} {
		if !strings.Contains(problems, want) {
			t.Errorf("missing %s in %s", want, problems)
		}
	}
	env = map[string]string{"ECARD_ENV": "production", "ECARD_REDIS_URL": "redis://r:6379/0",
		"ECARD_SECRETS_JWT_KEY": strings.Repeat("k", 40), "ECARD_SECRETS_ENCRYPTION_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"ECARD_PAYMENTS_PUBLIC_URL": "https://card.example.edu"}
	c, err = config.Load("", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if p := c.ProductionProblems(false); len(p) != 0 {
		t.Fatalf("a proper production config has no problems: %v", p)
	}
}
