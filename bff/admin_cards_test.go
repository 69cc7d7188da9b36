package bff_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
)

func TestAdminIssuesAndReplacesCardsAndTheOldPurseMovesAfterTheWait(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		for _, a := range [][2]string{{"office", ledger.RoleOperator}, {"audit", ledger.RoleAuditor}} {
			if _, err := h.ledger.CreateAdmin(ctx, a[0], a[0]+"-password-1", a[1]); err != nil {
				t.Fatal(err)
			}
		}
		office, auditor := h.adminLogin("office", "office-password-1"), h.adminLogin("audit", "audit-password-1")
		path := "/admin/api/v1/holders/" + strconv.FormatInt(h.holder.ID, 10) + "/cards"
		r := h.do("POST", path, office, map[string]any{"uid": "0a0b0c0d"})
		if r.status != 201 || r.str("uid") != "0A0B0C0D" || r.str("status") != "active" || r.str("number") != "2024001" {
			t.Fatalf("issue: %d %s", r.status, r.body)
		}
		h.expect(h.do("POST", path, auditor, map[string]any{"uid": "11112222"}), 403, "FORBIDDEN")
		h.expect(h.do("POST", path, office, map[string]any{"uid": "no spaces"}), 400, "INVALID_REQUEST")
		h.expect(h.do("POST", "/admin/api/v1/holders/999999/cards", office, map[string]any{"uid": "11112222"}), 404, "NOT_FOUND")
		h.expect(h.do("POST", "/admin/api/v1/holders/"+strconv.FormatInt(h.other.ID, 10)+"/cards", office, map[string]any{"uid": "0A0B0C0D"}), 409, "CONFLICT")
		// The old chip holds 30 yuan when it is replaced.
		if _, err := h.ledger.Move(ctx, ledger.Move{Key: "purse", SchoolID: h.school.ID, HolderID: h.holder.ID, From: ledger.Wallet, To: ledger.Purse, AmountFen: 3000}); err != nil {
			t.Fatal(err)
		}
		r = h.do("POST", path, office, map[string]any{"uid": "0E0E0E0E"})
		if r.status != 201 || r.str("uid") != "0E0E0E0E" {
			t.Fatalf("replace: %s", r.body)
		}
		list := h.do("GET", "/admin/api/v1/cards?school=demo&status=replaced", auditor, nil)
		items, _ := list.json["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["uid"] != "0A0B0C0D" || items[0].(map[string]any)["replaced_at"] == nil {
			t.Fatalf("replaced list: %s", list.body)
		}
		if q := h.do("GET", "/admin/api/v1/cards?school=demo&q=2024001", auditor, nil); len(q.json["items"].([]any)) != 2 {
			t.Fatalf("search: %s", q.body)
		}
		h.expect(h.do("GET", "/admin/api/v1/cards?school=demo&status=gone", auditor, nil), 400, "INVALID_REQUEST")
		h.expect(h.do("GET", "/admin/api/v1/cards", auditor, nil), 400, "INVALID_REQUEST")
		if a := h.do("GET", "/admin/api/v1/offline/anomalies?school=demo", auditor, nil); a.status != 200 {
			t.Fatalf("anomalies: %s", a.body)
		}
		// Within the waiting period nothing moves; after it, once, to pending for the new chip.
		if n, err := h.ledger.MoveReplacedPurses(ctx, 100); err != nil || n != 0 {
			t.Fatalf("early: %d %v", n, err)
		}
		h.clock.Advance(3*24*time.Hour + time.Minute)
		if n, err := h.ledger.MoveReplacedPurses(ctx, 100); err != nil || n != 1 {
			t.Fatalf("due: %d %v", n, err)
		}
		if n, err := h.ledger.MoveReplacedPurses(ctx, 100); err != nil || n != 0 {
			t.Fatalf("again: %d %v", n, err)
		}
		tok, _ := h.login("2024001", "123456")
		me := h.do("GET", "/api/v1/me", tok, nil)
		if me.num("pending") != 3000 {
			t.Fatalf("me after the move: %s", me.body)
		}
		h.verify()
	})
}

func TestReplacementFeeGoesToTheFeesAccount(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		if err := db.Exec(`UPDATE schools SET replacement_fee_fen = 2000`).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := h.ledger.IssueCard(ctx, h.school.ID, h.holder.ID, "AAAA0001"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.ledger.IssueCard(ctx, h.school.ID, h.holder.ID, "AAAA0002"); err != nil {
			t.Fatal(err)
		}
		b, _ := h.ledger.HolderBalances(ctx, h.holder.ID)
		if b.WalletFen != 8000 {
			t.Fatalf("fee: %+v", b)
		}
		// Without the fee in the wallet, the card is not replaced.
		if _, err := h.ledger.IssueCard(ctx, h.school.ID, h.other.ID, "BBBB0001"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.ledger.IssueCard(ctx, h.school.ID, h.other.ID, "BBBB0002"); ledger.ErrorCode(err) != ledger.CodeInsufficientFunds {
			t.Fatalf("no money for the fee: %v", err)
		}
		if c, err := h.ledger.CardByUID(ctx, "BBBB0001"); err != nil || c.Status != ledger.CardActive {
			t.Fatalf("old card after a refused replacement: %+v %v", c, err)
		}
		h.verify()
	})
}

func TestToCardTopUpShowsAsPending(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newPayHarness(t, db)
		tok, _ := h.login("2024001", "123456")
		r := h.do("POST", "/api/v1/me/topups", tok, map[string]any{"amount": 1500, "channel": "sandbox", "to_card": true})
		if r.status != 201 {
			t.Fatalf("order: %s", r.body)
		}
		if p := h.do("POST", "/sandbox/pay/"+r.str("order_no"), "", nil); p.status != 200 {
			t.Fatalf("pay: %s", p.body)
		}
		if me := h.do("GET", "/api/v1/me", tok, nil); me.num("pending") != 1500 || me.num("balance") != 10000 {
			t.Fatalf("me: %s", me.body)
		}
		// A parent's recharge sent to the card lands in pending too.
		r = h.do("POST", "/api/v1/recharge", "", map[string]any{"school": "demo", "number": "2024001", "name": "张三",
			"amount": 2000, "channel": "sandbox", "to_card": true})
		if r.status != 201 {
			t.Fatalf("recharge: %d %s", r.status, r.body)
		}
		if p := h.do("POST", "/sandbox/pay/"+r.str("order_no"), "", nil); p.status != 200 {
			t.Fatalf("pay recharge: %s", p.body)
		}
		if me := h.do("GET", "/api/v1/me", tok, nil); me.num("pending") != 3500 || me.num("balance") != 10000 {
			t.Fatalf("me after the recharge: %s", me.body)
		}
		h.verify()
	})
}
