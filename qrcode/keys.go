package qrcode

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// ErrUnknownKey is returned by a KeyRing for a key id it does not hold. It
// wraps ErrInvalid, so a code naming an unknown key is simply invalid.
var ErrUnknownKey = fmt.Errorf("%w: unknown key", ErrInvalid)

// PublicKey is one issuer key as terminals see it.
type PublicKey struct {
	KeyID     uint16
	Public    ed25519.PublicKey
	CreatedAt time.Time
	Active    bool // the key new codes are signed with; older keys still verify
}

// KeyRing holds each school's issuer keys. A school has one active signing
// key at a time; retired keys stay valid for verification, so codes signed
// just before a rotation keep working.
type KeyRing interface {
	// Signing returns the school's active key, creating the first one on demand.
	Signing(ctx context.Context, schoolID uint32) (kid uint16, priv ed25519.PrivateKey, err error)
	// Public returns one key; ErrUnknownKey when the school has no such key.
	Public(ctx context.Context, schoolID uint32, kid uint16) (ed25519.PublicKey, error)
	// PublicKeys lists the school's keys, oldest first.
	PublicKeys(ctx context.Context, schoolID uint32) ([]PublicKey, error)
}

// MemoryKeyRing is a KeyRing in memory, for tests and for terminals that
// verify offline with keys fetched from the gateway (use Add). The zero value
// is ready to use.
type MemoryKeyRing struct {
	mu      sync.Mutex
	schools map[uint32]*memSchool
	// Now stamps CreatedAt; time.Now when nil.
	Now func() time.Time
}

type memSchool struct {
	keys   []PublicKey
	priv   map[uint16]ed25519.PrivateKey
	active uint16 // 0: none
}

// NewMemoryKeyRing returns an empty ring.
func NewMemoryKeyRing() *MemoryKeyRing { return &MemoryKeyRing{} }

func (r *MemoryKeyRing) school(id uint32) *memSchool {
	if r.schools == nil {
		r.schools = map[uint32]*memSchool{}
	}
	s := r.schools[id]
	if s == nil {
		s = &memSchool{priv: map[uint16]ed25519.PrivateKey{}}
		r.schools[id] = s
	}
	return s
}

func (r *MemoryKeyRing) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Add stores a key. With a private key it may sign; active makes it the
// signing key (the previous active key stays for verification). priv may be
// nil for a verify-only ring.
func (r *MemoryKeyRing) Add(schoolID uint32, kid uint16, pub ed25519.PublicKey, priv ed25519.PrivateKey, active bool) error {
	if kid == 0 {
		return errors.New("qrcode: key id 0 is reserved")
	}
	if len(pub) != ed25519.PublicKeySize {
		return errors.New("qrcode: bad public key")
	}
	if active && len(priv) != ed25519.PrivateKeySize {
		return errors.New("qrcode: an active key needs its private key")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.school(schoolID)
	for i := range s.keys {
		if s.keys[i].KeyID == kid {
			return fmt.Errorf("qrcode: key %d of school %d exists", kid, schoolID)
		}
	}
	s.keys = append(s.keys, PublicKey{KeyID: kid, Public: pub, CreatedAt: r.now().UTC(), Active: active})
	sort.Slice(s.keys, func(i, j int) bool { return s.keys[i].KeyID < s.keys[j].KeyID })
	if priv != nil {
		s.priv[kid] = priv
	}
	if active {
		s.setActive(kid)
	}
	return nil
}

func (s *memSchool) setActive(kid uint16) {
	s.active = kid
	for i := range s.keys {
		s.keys[i].Active = s.keys[i].KeyID == kid
	}
}

// Rotate creates a new active key (kid = highest + 1) and returns its id.
func (r *MemoryKeyRing) Rotate(_ context.Context, schoolID uint32) (uint16, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rotate(schoolID)
}

func (r *MemoryKeyRing) rotate(schoolID uint32) (uint16, error) {
	s := r.school(schoolID)
	var kid uint16 = 1
	if n := len(s.keys); n > 0 {
		if s.keys[n-1].KeyID == 0xFFFF {
			return 0, errors.New("qrcode: key ids exhausted")
		}
		kid = s.keys[n-1].KeyID + 1
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return 0, err
	}
	s.keys = append(s.keys, PublicKey{KeyID: kid, Public: pub, CreatedAt: r.now().UTC()})
	s.priv[kid] = priv
	s.setActive(kid)
	return kid, nil
}

// Signing implements KeyRing.
func (r *MemoryKeyRing) Signing(_ context.Context, schoolID uint32) (uint16, ed25519.PrivateKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.school(schoolID)
	if s.active == 0 {
		if len(s.keys) > 0 {
			return 0, nil, fmt.Errorf("qrcode: school %d has no signing key", schoolID)
		}
		if _, err := r.rotate(schoolID); err != nil {
			return 0, nil, err
		}
	}
	return s.active, s.priv[s.active], nil
}

// Public implements KeyRing.
func (r *MemoryKeyRing) Public(_ context.Context, schoolID uint32, kid uint16) (ed25519.PublicKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.schools[schoolID]; s != nil {
		for _, k := range s.keys {
			if k.KeyID == kid {
				return k.Public, nil
			}
		}
	}
	return nil, ErrUnknownKey
}

// PublicKeys implements KeyRing.
func (r *MemoryKeyRing) PublicKeys(_ context.Context, schoolID uint32) ([]PublicKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.schools[schoolID]
	if s == nil {
		return nil, nil
	}
	return append([]PublicKey(nil), s.keys...), nil
}
