package config

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// SecretsFile is where a server without configured secrets keeps the ones it
// generated, inside data_dir, readable by its own user only.
const SecretsFile = "secrets.json"

type generatedSecrets struct {
	JWTKey        string `json:"jwt_key"`
	EncryptionKey string `json:"encryption_key"`
}

// EnsureSecrets fills the secrets left empty. Outside production they come
// from data_dir/secrets.json, made with random keys (mode 0600) on first
// start and reused after, so no deployment ever runs on a published key.
// In production an empty secret stays empty and ProductionProblems names it.
func (c *Config) EnsureSecrets() error {
	if c.Secrets.JWTKey == publishedJWTKey {
		c.Secrets.JWTKey = "" // a copied old default is no key at all
	}
	if c.Secrets.JWTKey != "" && c.Secrets.EncryptionKey != "" || c.Env == "production" {
		return nil
	}
	if c.DataDir == "" {
		return errors.New("config: set secrets.jwt_key and secrets.encryption_key, or data_dir to keep generated ones")
	}
	path := filepath.Join(c.DataDir, SecretsFile)
	gen, err := readSecrets(path)
	if errors.Is(err, os.ErrNotExist) {
		gen, err = writeSecrets(path)
	}
	if err != nil {
		return err
	}
	if c.Secrets.JWTKey == "" {
		c.Secrets.JWTKey = gen.JWTKey
	}
	if c.Secrets.EncryptionKey == "" {
		c.Secrets.EncryptionKey = gen.EncryptionKey
	}
	return nil
}

func readSecrets(path string) (generatedSecrets, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return generatedSecrets{}, err
	}
	var g generatedSecrets
	if err := json.Unmarshal(raw, &g); err != nil || len(g.JWTKey) < 32 || g.EncryptionKey == "" {
		return generatedSecrets{}, fmt.Errorf("config: %s is damaged: restore it or set the secrets", path)
	}
	return g, nil
}

// writeSecrets creates the file exclusively: two processes starting at once
// cannot both write, and the loser reads the winner's keys.
func writeSecrets(path string) (generatedSecrets, error) {
	random := func() string {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			panic("config: no randomness: " + err.Error())
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	g := generatedSecrets{JWTKey: random(), EncryptionKey: random()}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return g, fmt.Errorf("config: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return readSecrets(path)
	}
	if err != nil {
		return g, fmt.Errorf("config: %w", err)
	}
	raw, _ := json.MarshalIndent(g, "", "  ")
	_, err = f.Write(append(raw, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return g, fmt.Errorf("config: %s: %w", path, err)
	}
	return g, nil
}

// The keys earlier versions shipped as defaults: public, so never accepted.
const (
	publishedJWTKey        = "dev-only-jwt-key-do-not-use-in-production"
	publishedEncryptionKey = "ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktMzJieXRlcyE="
)
