package redis_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecard/ecard/internal/testredis"
	"github.com/ecard/ecard/qrcode"
	qrredis "github.com/ecard/ecard/qrcode/redis"
)

type fixture struct {
	store *qrredis.Store
	iss   *qrcode.Issuer
	conn  testredis.Conn
}

func newFixture(t *testing.T) fixture {
	conn := testredis.Open(t)
	return fixture{
		store: qrredis.New(conn.Client, conn.Prefix),
		iss:   qrcode.NewIssuer(qrcode.NewMemoryKeyRing(), nil),
		conn:  conn,
	}
}

// issue makes and activates a code for the holder.
func (f fixture) issue(t *testing.T, kind qrcode.Kind, school uint32, holder uint64, ttl time.Duration) (string, qrcode.Claims, string) {
	t.Helper()
	ctx := context.Background()
	seq, err := f.store.Sequence(ctx, school, holder)
	if err != nil {
		t.Fatal(err)
	}
	code, c, err := f.iss.Issue(ctx, kind, school, holder, seq)
	if err != nil {
		t.Fatal(err)
	}
	num, err := f.store.Activate(ctx, c, code, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return code, c, num
}

func TestConsumeOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, c, num := f.issue(t, qrcode.KindPay, 1, 42, time.Minute)
	if !qrredis.ValidNumeric(num) || num[0] == '0' || len(num) != 18 {
		t.Fatalf("numeric %q", num)
	}
	if err := f.store.Consume(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := f.store.Consume(ctx, c); !errors.Is(err, qrredis.ErrUsed) {
		t.Fatalf("second consume: %v", err)
	}
	if ok, _ := f.store.Alive(ctx, c); ok {
		t.Fatal("consumed code alive")
	}
}

func TestConsumeConcurrent(t *testing.T) {
	f := newFixture(t)
	_, c, _ := f.issue(t, qrcode.KindPay, 1, 7, time.Minute)
	var wins, used atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			switch err := f.store.Consume(context.Background(), c); {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, qrredis.ErrUsed):
				used.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if wins.Load() != 1 || used.Load() != 49 {
		t.Fatalf("wins %d used %d", wins.Load(), used.Load())
	}
}

func TestNewerCodeRetiresOlder(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	oldCode, old, _ := f.issue(t, qrcode.KindPay, 1, 9, time.Minute)
	_, id, _ := f.issue(t, qrcode.KindIdentity, 1, 9, time.Minute)
	_, cur, _ := f.issue(t, qrcode.KindPay, 1, 9, time.Minute)
	if cur.Seq <= old.Seq || id.Seq <= old.Seq {
		t.Fatalf("sequences %d %d %d", old.Seq, id.Seq, cur.Seq)
	}
	if err := f.store.Consume(ctx, old); !errors.Is(err, qrredis.ErrUsed) {
		t.Fatalf("old code: %v", err)
	}
	// Re-activating the retired code does not bring it back.
	if _, err := f.store.Activate(ctx, old, oldCode, time.Minute); !errors.Is(err, qrredis.ErrUsed) {
		t.Fatalf("re-activate old: %v", err)
	}
	// Identity codes are not consumed, and a pay code did not retire them.
	if err := f.store.Consume(ctx, id); !errors.Is(err, qrcode.ErrInvalid) {
		t.Fatalf("identity consume: %v", err)
	}
	if ok, err := f.store.Alive(ctx, id); !ok || err != nil {
		t.Fatalf("identity alive: %v %v", ok, err)
	}
	if err := f.store.Consume(ctx, cur); err != nil {
		t.Fatal(err)
	}
	// Another holder is untouched.
	_, other, _ := f.issue(t, qrcode.KindPay, 1, 10, time.Minute)
	if err := f.store.Consume(ctx, other); err != nil {
		t.Fatal(err)
	}
}

func TestActivateChecksClaims(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	code, c, err := f.iss.Issue(ctx, qrcode.KindPay, 1, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	c.HolderID = 2
	if _, err := f.store.Activate(ctx, c, code, time.Minute); !errors.Is(err, qrcode.ErrInvalid) {
		t.Fatalf("mismatched claims: %v", err)
	}
	if _, err := f.store.Activate(ctx, c, "EC1:nope", time.Minute); !errors.Is(err, qrcode.ErrInvalid) {
		t.Fatalf("bad code: %v", err)
	}
}

func TestResolve(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	code, _, num := f.issue(t, qrcode.KindPay, 2, 5, time.Minute)
	got, err := f.store.Resolve(ctx, num)
	if err != nil || got != code {
		t.Fatalf("resolve: %q %v", got, err)
	}
	_, _, idNum := f.issue(t, qrcode.KindIdentity, 2, 5, time.Minute)
	if idNum != "" {
		t.Fatalf("identity code got a twin %q", idNum)
	}
	for _, bad := range []string{"", "123", "2812345678901234567", "28123456789012345a", "191234567890123456"} {
		if _, err := f.store.Resolve(ctx, bad); !errors.Is(err, qrcode.ErrInvalid) {
			t.Errorf("resolve %q: %v", bad, err)
		}
	}
	if _, err := f.store.Resolve(ctx, "280000000000000000"); !errors.Is(err, qrcode.ErrExpired) {
		t.Fatalf("unknown twin: %v", err)
	}
}

func TestRevokeHolder(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, pay, num := f.issue(t, qrcode.KindPay, 3, 8, time.Minute)
	_, id, _ := f.issue(t, qrcode.KindIdentity, 3, 8, time.Minute)
	_, other, otherNum := f.issue(t, qrcode.KindPay, 3, 99, time.Minute)
	if err := f.store.RevokeHolder(ctx, 3, 8); err != nil {
		t.Fatal(err)
	}
	if err := f.store.Consume(ctx, pay); !errors.Is(err, qrredis.ErrUsed) {
		t.Fatalf("revoked pay: %v", err)
	}
	if ok, _ := f.store.Alive(ctx, id); ok {
		t.Fatal("revoked identity alive")
	}
	if _, err := f.store.Resolve(ctx, num); !errors.Is(err, qrcode.ErrExpired) {
		t.Fatalf("revoked twin: %v", err)
	}
	if _, err := f.store.Resolve(ctx, otherNum); err != nil {
		t.Fatal(err)
	}
	if err := f.store.Consume(ctx, other); err != nil {
		t.Fatal(err)
	}
	// Sequences keep growing after a revocation.
	_, next, _ := f.issue(t, qrcode.KindPay, 3, 8, time.Minute)
	if next.Seq <= id.Seq {
		t.Fatalf("sequence went back: %d after %d", next.Seq, id.Seq)
	}
	if err := f.store.Consume(ctx, next); err != nil {
		t.Fatal(err)
	}
}

func TestExpiry(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, c, num := f.issue(t, qrcode.KindPay, 4, 1, 200*time.Millisecond)
	_, id, _ := f.issue(t, qrcode.KindIdentity, 4, 2, 200*time.Millisecond)
	time.Sleep(400 * time.Millisecond)
	if ok, _ := f.store.Alive(ctx, id); ok {
		t.Fatal("expired identity alive")
	}
	if err := f.store.Consume(ctx, c); !errors.Is(err, qrredis.ErrUsed) {
		t.Fatalf("expired consume: %v", err)
	}
	if f.conn.Embedded {
		return // the embedded server's TTLs only run when told to
	}
	if _, err := f.store.Resolve(ctx, num); !errors.Is(err, qrcode.ErrExpired) {
		t.Fatalf("expired twin: %v", err)
	}
}

func TestSequence(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, err := f.store.Sequence(ctx, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := f.store.Sequence(ctx, 1, 1)
	c, _ := f.store.Sequence(ctx, 1, 2)
	if b != a+1 {
		t.Fatalf("sequence %d then %d", a, b)
	}
	if a < 1 || c < 1 {
		t.Fatal("zero sequence")
	}
}
