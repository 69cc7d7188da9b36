package bff_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
)

// TestEventsOnEveryMoneyMovement: the app's stream hears of every movement
// of the holder's money, not only payments and top-ups: a subsidy, a
// transfer from the wallet to the card (待圈存) and its claim onto the chip
// and confirmation each raise an event.
func TestEventsOnEveryMoneyMovement(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db)
		access, _ := h.login("2024001", "123456")
		lines := openEvents(t, listen(t, h.srv), access)
		l, bg := h.ledger, context.Background()
		if _, err := l.Grant(bg, ledger.Grant{Key: "g-1", SchoolID: h.school.ID, HolderID: h.holder.ID, AmountFen: 300}); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Move(bg, ledger.Move{Key: "m-1", SchoolID: h.school.ID, HolderID: h.holder.ID, From: ledger.Wallet,
			To: ledger.Pending, AmountFen: 500}); err != nil {
			t.Fatal(err)
		}
		hold, err := l.Reserve(bg, ledger.Reserve{Key: "r-1", SchoolID: h.school.ID, HolderID: h.holder.ID, From: ledger.Pending,
			To: ledger.Purse, AmountFen: 500, TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Post(bg, "p-1", hold.ID); err != nil {
			t.Fatal(err)
		}
		if n, err := h.srv.Notifier(nil).DeliverDue(bg); err != nil || n < 5 {
			t.Fatalf("delivered %d: %v", n, err)
		}
		var got []string
		for lines.Scan() {
			got = append(got, lines.Text())
			if strings.Contains(lines.Text(), `"kind":"post"`) {
				break
			}
		}
		joined := strings.Join(got, "\n")
		for _, want := range []string{"event: topup", "event: subsidy", `"kind":"move"`, `"kind":"reserve"`, `"kind":"post"`, "event: balance"} {
			if !strings.Contains(joined, want) {
				t.Fatalf("no %s in %s (stream error %v)", want, joined, lines.Err())
			}
		}
	})
}

// openEvents opens the holder's event stream and reads its first line.
func openEvents(t *testing.T, base, access string) *bufio.Scanner {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/v1/me/events", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: %d %v", resp.StatusCode, resp.Header)
	}
	lines := bufio.NewScanner(resp.Body)
	if !lines.Scan() || lines.Text() != ": connected" {
		t.Fatalf("first line %q", lines.Text())
	}
	return lines
}
