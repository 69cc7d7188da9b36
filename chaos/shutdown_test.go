package chaos

import (
	"syscall"
	"testing"
	"time"
)

// TestGracefulShutdown sends SIGTERM while tills pay: the server stops taking
// requests, finishes those in flight, sends the notices they wrote and exits
// 0; every payment a till heard approved is in the ledger and no notice is
// left unsent.
func TestGracefulShutdown(t *testing.T) {
	eachSite(t, func(t *testing.T, s *site) {
		s.start()
		db := s.db()
		ld := newLoad(s.base)
		stop := make(chan struct{})
		done := ld.run(stop, 4)
		time.Sleep(500 * time.Millisecond)
		if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		close(stop) // the requests in flight at the signal finish; no new ones start
		<-done
		select {
		case err := <-s.exit:
			if err != nil {
				t.Fatalf("serve after SIGTERM: %v\n%s", err, s.log)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("serve did not stop after SIGTERM\n%s", s.log)
		}
		s.cmd = nil
		ld.mu.Lock()
		unheard := len(ld.unheard)
		ld.mu.Unlock()
		ld.check(t, db) // before any restart: what was acknowledged was committed
		var unsent, sent int64
		if err := db.Raw("SELECT count(*) FROM notices WHERE sent_at IS NULL").Scan(&unsent).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Raw("SELECT count(*) FROM notices WHERE sent_at IS NOT NULL AND kind = 'payment'").Scan(&sent).Error; err != nil {
			t.Fatal(err)
		}
		if unsent != 0 {
			t.Errorf("%d notices left unsent by the shutdown", unsent)
		}
		s.start()
		ld.settle(t, 20)
		s.verify()
		ld.check(t, db)
		report(t, "shutdown "+t.Name(), "%s, unanswered at SIGTERM %d, payment notices sent %d, unsent %d", ld.summary(), unheard, sent, unsent)
	})
}
