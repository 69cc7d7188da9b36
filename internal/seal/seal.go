// Package seal encrypts small secrets at rest (terminal secrets, issuer keys)
// with AES-256-GCM under a key from configuration.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
)

// prefix names the scheme so a later key rotation can tell old from new.
const prefix = "v1:"

// Sealer seals and opens secrets with one key.
type Sealer struct {
	aead cipher.AEAD
}

// New takes a 32-byte key.
func New(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("seal: key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// ParseKey decodes a base64 key as written in configuration.
func ParseKey(b64 string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("seal: key is not base64: %w", err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("seal: key must decode to 32 bytes, got %d", len(key))
	}
	return key, nil
}

// Seal encrypts plaintext; aad binds the result to its owner (e.g. a terminal id)
// so a sealed value copied onto another row does not open.
func (s *Sealer) Seal(plaintext, aad []byte) string {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("seal: no randomness: " + err.Error())
	}
	out := s.aead.Seal(nonce, nonce, plaintext, aad)
	return prefix + base64.RawStdEncoding.EncodeToString(out)
}

// Open decrypts what Seal produced for the same aad.
func (s *Sealer) Open(sealed string, aad []byte) ([]byte, error) {
	if len(sealed) < len(prefix) || sealed[:len(prefix)] != prefix {
		return nil, errors.New("seal: unknown format")
	}
	raw, err := base64.RawStdEncoding.DecodeString(sealed[len(prefix):])
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	n := s.aead.NonceSize()
	if len(raw) < n+s.aead.Overhead() {
		return nil, errors.New("seal: too short")
	}
	return s.aead.Open(nil, raw[:n], raw[n:], aad)
}
