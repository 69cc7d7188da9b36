package ledger

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/alexedwards/argon2id"
)

// Argon2Params set the cost of hashing login passwords and PINs.
type Argon2Params struct {
	MemoryKiB   uint32
	Iterations  uint32
	Parallelism uint8
}

func (p Argon2Params) validate() error {
	if p.MemoryKiB < 8 || p.Iterations < 1 || p.Parallelism < 1 {
		return fmt.Errorf("argon2id parameters too small: %+v", p)
	}
	return nil
}

func (p Argon2Params) hash(secret string) (string, error) {
	return argon2id.CreateHash(secret, &argon2id.Params{
		Memory: p.MemoryKiB, Iterations: p.Iterations, Parallelism: p.Parallelism,
		SaltLength: 16, KeyLength: 32,
	})
}

// matches compares in constant time; a malformed hash never matches.
func matches(secret, hash string) bool {
	ok, err := argon2id.ComparePasswordAndHash(secret, hash)
	return err == nil && ok
}

// randomSecret returns n random bytes as hex.
func randomSecret(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("ledger: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b)
}
