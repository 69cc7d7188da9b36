package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The key earlier versions shipped as secrets.jwt_key.
const publishedJWTKey = "dev-only-jwt-key-do-not-use-in-production"

func forgedAdminToken(t *testing.T, key string) string {
	t.Helper()
	now := time.Now()
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": "ecard", "aud": []string{"ecard-admin"},
		"sub": "1", "role": "superadmin", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}).SignedString([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func TestServerWithoutSecretsGeneratesThemAndRefusesThePublishedKey(t *testing.T) {
	eachEnv(t, func(t *testing.T, e env) {
		if e["ECARD_DATA_DIR"] == "" { // PostgreSQL: no secrets, a data dir to keep them
			delete(e, "ECARD_SECRETS_JWT_KEY")
			delete(e, "ECARD_SECRETS_ENCRYPTION_KEY")
			e["ECARD_DATA_DIR"] = t.TempDir()
		}
		base, _ := startServer(t, e)
		path := filepath.Join(e["ECARD_DATA_DIR"], "secrets.json")
		info, err := os.Stat(path)
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("generated secrets: %v %v", info, err)
		}
		first, _ := os.ReadFile(path)
		if strings.Contains(string(first), publishedJWTKey) {
			t.Fatal("the published key was kept")
		}
		req, _ := http.NewRequest("GET", base+"/admin/api/v1/holders?school=demo", nil)
		req.Header.Set("Authorization", "Bearer "+forgedAdminToken(t, publishedJWTKey))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a token signed with the published key: %d", resp.StatusCode)
		}
		// Every later command reuses the same keys.
		mustEcard(t, e, "ledger", "verify")
		if again, _ := os.ReadFile(path); string(again) != string(first) {
			t.Fatal("the secrets changed on the next start")
		}
	})
}
