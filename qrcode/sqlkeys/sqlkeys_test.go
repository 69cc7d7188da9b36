package sqlkeys_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/seal"
	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/qrcode"
	"github.com/ecard/ecard/qrcode/sqlkeys"
)

func newSealer(t *testing.T, b byte) *seal.Sealer {
	key := make([]byte, 32)
	for i := range key {
		key[i] = b
	}
	s, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// addSchool inserts a school row (issuer_keys references schools) and
// returns its id.
func addSchool(t *testing.T, db *gorm.DB, code string) uint32 {
	t.Helper()
	err := db.Exec(`INSERT INTO schools (code, name, pinyin, timezone, per_payment_limit_fen, per_day_limit_fen,
		login_max_failures, login_lockout_seconds, pin_max_failures, inactivity_freeze_days, replacement_wait_days,
		replacement_fee_fen, code_lifetime_seconds, offline_cap_per_payment_fen, offline_cap_per_holder_fen,
		topup_min_fen, topup_max_fen, initial_password_rule, frozen_may_pass_gates, created_at)
		VALUES (?, ?, 'x', 'Asia/Shanghai', 3000, 5000, 5, 900, 5, 90, 3, 0, 60, 0, 0, 100, 100000, 'id_last6', false, ?)`,
		code, code, time.Now().UTC()).Error
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := db.Raw(`SELECT id FROM schools WHERE code = ?`, code).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	return uint32(id)
}

func TestRing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		s1, s2 := addSchool(t, db, "s1"), addSchool(t, db, "s2")
		sealer := newSealer(t, 7)
		ring := sqlkeys.New(db, sealer, nil)

		if keys, err := ring.PublicKeys(ctx, s1); err != nil || len(keys) != 0 {
			t.Fatalf("keys before first use: %v %v", keys, err)
		}
		if _, err := ring.Public(ctx, s1, 1); !errors.Is(err, qrcode.ErrInvalid) {
			t.Fatalf("unknown key: %v", err)
		}

		// The first key is created on demand.
		iss := qrcode.NewIssuer(ring, nil)
		code1, c1, err := iss.Issue(ctx, qrcode.KindPay, s1, 10, 1)
		if err != nil {
			t.Fatal(err)
		}
		if c1.KeyID != 1 {
			t.Fatalf("first kid %d", c1.KeyID)
		}

		// Rotation: new codes use kid 2, old ones still verify, also from a
		// fresh ring (another process) with an empty cache.
		kid, err := ring.Rotate(ctx, s1)
		if err != nil || kid != 2 {
			t.Fatalf("rotate: %d %v", kid, err)
		}
		code2, c2, err := iss.Issue(ctx, qrcode.KindPay, s1, 10, 2)
		if err != nil || c2.KeyID != 2 {
			t.Fatalf("after rotate: kid %d %v", c2.KeyID, err)
		}
		other := qrcode.NewIssuer(sqlkeys.New(db, sealer, nil), nil)
		for _, code := range []string{code1, code2} {
			if _, err := other.Verify(ctx, code, time.Minute, time.Second); err != nil {
				t.Fatal(err)
			}
		}
		keys, err := ring.PublicKeys(ctx, s1)
		if err != nil || len(keys) != 2 || keys[0].Active || !keys[1].Active || keys[0].KeyID != 1 || keys[1].KeyID != 2 {
			t.Fatalf("keys %+v %v", keys, err)
		}
		if keys[0].CreatedAt.IsZero() || len(keys[1].Public) != ed25519.PublicKeySize {
			t.Fatalf("key fields %+v", keys[1])
		}

		// Schools are separate: s2 gets its own kid 1, and s1's code does not
		// verify as s2's.
		kid2, priv2, err := ring.Signing(ctx, s2)
		if err != nil || kid2 != 1 {
			t.Fatalf("s2 signing: %d %v", kid2, err)
		}
		_, priv1, _ := ring.Signing(ctx, s1)
		if priv1.Equal(priv2) {
			t.Fatal("schools share a key")
		}

		// The private key is sealed: another sealer key cannot sign.
		wrong := sqlkeys.New(db, newSealer(t, 8), nil)
		if _, _, err := wrong.Signing(ctx, s1); err == nil {
			t.Fatal("opened a key with the wrong sealer")
		}
		// ... and a sealed value moved to another row does not open (aad).
		if err := db.Exec(`UPDATE issuer_keys SET private_sealed = (SELECT private_sealed FROM issuer_keys k WHERE k.school_id = ? AND k.kid = 1) WHERE school_id = ? AND kid = 2`, s1, s1).Error; err != nil {
			t.Fatal(err)
		}
		if _, _, err := sqlkeys.New(db, sealer, nil).Signing(ctx, s1); err == nil {
			t.Fatal("opened a key sealed for another row")
		}
	})
}

func TestRingConcurrentFirstKey(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		school := addSchool(t, db, "c1")
		sealer := newSealer(t, 1)
		var wg sync.WaitGroup
		kids := make([]uint16, 8)
		pubs := make([]ed25519.PublicKey, 8)
		for i := range kids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				kid, priv, err := sqlkeys.New(db, sealer, nil).Signing(ctx, school)
				if err != nil {
					t.Error(err)
					return
				}
				kids[i], pubs[i] = kid, priv.Public().(ed25519.PublicKey)
			}()
		}
		wg.Wait()
		for i := range kids {
			if kids[i] != 1 || !pubs[i].Equal(pubs[0]) {
				t.Fatalf("ring %d got kid %d", i, kids[i])
			}
		}
		keys, _ := sqlkeys.New(db, sealer, nil).PublicKeys(ctx, school)
		if len(keys) != 1 {
			t.Fatalf("%d keys", len(keys))
		}
	})
}
