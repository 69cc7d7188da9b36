package chaos

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
)

// cycles is CHAOS_CYCLES (make chaos; CI runs a few).
func cycles(t *testing.T) int {
	n, err := strconv.Atoi(os.Getenv("CHAOS_CYCLES"))
	if err != nil || n < 1 {
		return 3
	}
	return n
}

// TestCrashSafety kills the server with SIGKILL at random moments while tills
// pay, restarts it, retries what went unanswered with the same request_id, and
// then checks the ledger against what every till heard.
func TestCrashSafety(t *testing.T) {
	eachSite(t, func(t *testing.T, s *site) {
		s.start()
		db := s.db()
		ld := newLoad(s.base)
		n := cycles(t)
		for c := 1; c <= n; c++ {
			stop := make(chan struct{})
			done := ld.run(stop, 4)
			time.Sleep(time.Duration(100+rand.IntN(900)) * time.Millisecond)
			s.kill()
			close(stop)
			<-done
			t0 := time.Now()
			s.start()
			t1 := time.Now()
			ld.settle(t, 20)
			t2 := time.Now()
			s.verify()
			ld.check(t, db)
			t.Logf("cycle %d: restart %v, retries %v, verify and check %v", c, t1.Sub(t0), t2.Sub(t1), time.Since(t2))
			if t.Failed() {
				t.Fatalf("cycle %d: %s", c, ld.summary())
			}
		}
		t.Logf("chaos crash summary: cycles %d, %s", n, ld.summary())
		report(t, "crash "+t.Name(), "cycles %d, %s", n, ld.summary())
	})
}
