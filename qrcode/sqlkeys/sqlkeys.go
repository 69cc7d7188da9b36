// Package sqlkeys keeps the schools' issuer keys in the database (table
// issuer_keys), the private halves sealed, and implements qrcode.KeyRing.
package sqlkeys

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/ecard/ecard/qrcode"
)

// Sealer encrypts private keys at rest; internal/seal.Sealer satisfies it.
type Sealer interface {
	Seal(plaintext, aad []byte) string
	Open(sealed string, aad []byte) ([]byte, error)
}

// issuerKey is one row of issuer_keys.
type issuerKey struct {
	ID            int64
	SchoolID      int64
	Kid           int
	PublicKey     []byte
	PrivateSealed string
	Active        bool
	CreatedAt     time.Time
}

func (issuerKey) TableName() string { return "issuer_keys" }

// ActiveCacheTTL is how long a Ring trusts its idea of a school's active key
// before asking the database again, so a rotation made by another process
// takes effect within this time. Older keys keep verifying meanwhile.
const ActiveCacheTTL = 30 * time.Second

// Ring is a qrcode.KeyRing over the database. Keys never change once written,
// so opened keys are cached for the life of the Ring.
type Ring struct {
	db     *gorm.DB
	sealer Sealer
	now    func() time.Time

	mu     sync.Mutex
	keys   map[keyRef]ed25519.PrivateKey // opened private keys
	pubs   map[keyRef]ed25519.PublicKey
	active map[uint32]activeEntry
}

type keyRef struct {
	school uint32
	kid    uint16
}

type activeEntry struct {
	kid     uint16
	fetched time.Time
}

var _ qrcode.KeyRing = (*Ring)(nil)

// New returns a Ring; now is time.Now when nil.
func New(db *gorm.DB, sealer Sealer, now func() time.Time) *Ring {
	if now == nil {
		now = time.Now
	}
	return &Ring{db: db, sealer: sealer, now: now,
		keys: map[keyRef]ed25519.PrivateKey{}, pubs: map[keyRef]ed25519.PublicKey{},
		active: map[uint32]activeEntry{}}
}

func aad(school uint32, kid uint16) []byte {
	return fmt.Appendf(nil, "issuer-key:%d:%d", school, kid)
}

// open unseals a row's private key and checks it matches the public key.
func (r *Ring) open(row issuerKey) (ed25519.PrivateKey, error) {
	school, kid := uint32(row.SchoolID), uint16(row.Kid)
	seed, err := r.sealer.Open(row.PrivateSealed, aad(school, kid))
	if err != nil {
		return nil, fmt.Errorf("sqlkeys: open key %d of school %d: %w", kid, school, err)
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("sqlkeys: key %d of school %d: bad seed", kid, school)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	if !bytes.Equal(priv.Public().(ed25519.PublicKey), row.PublicKey) {
		return nil, fmt.Errorf("sqlkeys: key %d of school %d: private and public keys differ", kid, school)
	}
	return priv, nil
}

// Signing implements qrcode.KeyRing: the active key, the first one created
// on demand.
func (r *Ring) Signing(ctx context.Context, schoolID uint32) (uint16, ed25519.PrivateKey, error) {
	now := r.now()
	r.mu.Lock()
	if a, ok := r.active[schoolID]; ok && now.Sub(a.fetched) < ActiveCacheTTL {
		if priv := r.keys[keyRef{schoolID, a.kid}]; priv != nil {
			r.mu.Unlock()
			return a.kid, priv, nil
		}
	}
	r.mu.Unlock()

	var rows []issuerKey
	for attempt := 0; ; attempt++ {
		if err := r.db.WithContext(ctx).Where("school_id = ? AND active", int64(schoolID)).Limit(1).Find(&rows).Error; err != nil {
			return 0, nil, fmt.Errorf("sqlkeys: active key: %w", err)
		}
		if len(rows) > 0 {
			break
		}
		if attempt > 0 {
			return 0, nil, fmt.Errorf("sqlkeys: school %d has keys but none active", schoolID)
		}
		if _, err := r.create(ctx, schoolID, true); err != nil {
			return 0, nil, err
		}
	}
	row := rows[0]
	kid := uint16(row.Kid)
	priv, err := r.cachedPriv(row)
	if err != nil {
		return 0, nil, err
	}
	r.mu.Lock()
	r.active[schoolID] = activeEntry{kid: kid, fetched: now}
	r.mu.Unlock()
	return kid, priv, nil
}

func (r *Ring) cachedPriv(row issuerKey) (ed25519.PrivateKey, error) {
	ref := keyRef{uint32(row.SchoolID), uint16(row.Kid)}
	r.mu.Lock()
	priv := r.keys[ref]
	r.mu.Unlock()
	if priv != nil {
		return priv, nil
	}
	priv, err := r.open(row)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.keys[ref] = priv
	r.pubs[ref] = priv.Public().(ed25519.PublicKey)
	r.mu.Unlock()
	return priv, nil
}

// Public implements qrcode.KeyRing.
func (r *Ring) Public(ctx context.Context, schoolID uint32, kid uint16) (ed25519.PublicKey, error) {
	ref := keyRef{schoolID, kid}
	r.mu.Lock()
	pub := r.pubs[ref]
	r.mu.Unlock()
	if pub != nil {
		return pub, nil
	}
	var rows []issuerKey
	if err := r.db.WithContext(ctx).Where("school_id = ? AND kid = ?", int64(schoolID), int(kid)).
		Limit(1).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("sqlkeys: key: %w", err)
	}
	if len(rows) == 0 || len(rows[0].PublicKey) != ed25519.PublicKeySize {
		return nil, qrcode.ErrUnknownKey
	}
	pub = ed25519.PublicKey(rows[0].PublicKey)
	r.mu.Lock()
	r.pubs[ref] = pub
	r.mu.Unlock()
	return pub, nil
}

// PublicKeys implements qrcode.KeyRing: all keys of the school, oldest first.
func (r *Ring) PublicKeys(ctx context.Context, schoolID uint32) ([]qrcode.PublicKey, error) {
	var rows []issuerKey
	if err := r.db.WithContext(ctx).Select("kid", "public_key", "active", "created_at").
		Where("school_id = ?", int64(schoolID)).Order("kid").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("sqlkeys: keys: %w", err)
	}
	out := make([]qrcode.PublicKey, 0, len(rows))
	for _, row := range rows {
		out = append(out, qrcode.PublicKey{KeyID: uint16(row.Kid), Public: ed25519.PublicKey(row.PublicKey),
			CreatedAt: row.CreatedAt.UTC(), Active: row.Active})
	}
	return out, nil
}

// Rotate creates a new active key for the school (kid = previous + 1) and
// retires the others: they stop signing but keep verifying.
func (r *Ring) Rotate(ctx context.Context, schoolID uint32) (uint16, error) {
	return r.create(ctx, schoolID, false)
}

// create inserts a new active key. With onlyFirst it does nothing when the
// school already has a key (another process won the race).
func (r *Ring) create(ctx context.Context, schoolID uint32, onlyFirst bool) (uint16, error) {
	var lastErr error
	for range 5 {
		kid, err := r.tryCreate(ctx, schoolID, onlyFirst)
		if err == nil {
			return kid, nil
		}
		if errors.Is(err, errKidsExhausted) || ctx.Err() != nil {
			return 0, err
		}
		lastErr = err // most likely a concurrent insert; look again
	}
	return 0, lastErr
}

var errKidsExhausted = errors.New("sqlkeys: key ids exhausted")

func (r *Ring) tryCreate(ctx context.Context, schoolID uint32, onlyFirst bool) (uint16, error) {
	var kid uint16
	err := r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var last []issuerKey
		if err := tx.Select("kid").Where("school_id = ?", int64(schoolID)).
			Order("kid DESC").Limit(1).Find(&last).Error; err != nil {
			return err
		}
		kid = 1
		if len(last) > 0 {
			if onlyFirst {
				kid = 0
				return nil
			}
			if last[0].Kid >= 0xFFFF {
				return errKidsExhausted
			}
			kid = uint16(last[0].Kid + 1)
		}
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return err
		}
		if err := tx.Model(&issuerKey{}).Where("school_id = ? AND active", int64(schoolID)).
			Update("active", false).Error; err != nil {
			return err
		}
		return tx.Create(&issuerKey{
			SchoolID:      int64(schoolID),
			Kid:           int(kid),
			PublicKey:     pub,
			PrivateSealed: r.sealer.Seal(priv.Seed(), aad(schoolID, kid)),
			Active:        true,
			CreatedAt:     r.now().UTC(),
		}).Error
	})
	if err != nil {
		return 0, fmt.Errorf("sqlkeys: new key: %w", err)
	}
	r.mu.Lock()
	delete(r.active, schoolID)
	r.mu.Unlock()
	return kid, nil
}
