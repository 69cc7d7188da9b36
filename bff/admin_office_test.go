package bff_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
)

func (h *harness) officeAdmins() (office, auditor string) {
	h.t.Helper()
	ctx := context.Background()
	if _, err := h.ledger.CreateAdmin(ctx, "office", "office-password-1", ledger.RoleOperator); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.ledger.CreateAdmin(ctx, "audit", "audit-password-1", ledger.RoleAuditor); err != nil {
		h.t.Fatal(err)
	}
	return h.adminLogin("office", "office-password-1"), h.adminLogin("audit", "audit-password-1")
}

func (h *harness) subsidies(token, key, csv string) response {
	h.t.Helper()
	return h.do("POST", "/admin/api/v1/subsidies?school=demo&name=%E4%B9%9D%E6%9C%88%E9%A4%90%E8%A1%A5", token, csv,
		"Content-Type", "text/csv", "Idempotency-Key", key)
}

// TestAdminSubsidyBatches: a CSV batch is issued once per Idempotency-Key,
// a bad CSV is refused with every bad line and changes nothing, spending
// takes the subsidy first, and the report shows issued, spent and expired.
func TestAdminSubsidyBatches(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		office, auditor := h.officeAdmins()

		// A bad CSV: every bad line named, nothing issued.
		bad := "number,amount,expires_at\n2024001,500,2026-12-31\nnobody,100,2026-12-31\n2024002,ten,2026-12-31\n2024002,100,someday\n2024002,1,2,3\n"
		r := h.subsidies(office, "bad-1", bad)
		if r.status != 422 || r.code() != "INVALID_REQUEST" {
			t.Fatalf("bad CSV: %d %s", r.status, r.body)
		}
		lines, _ := r.json["error"].(map[string]any)["lines"].([]any)
		if len(lines) != 2 { // the parser stops at the shape errors (lines 4 and 6) before looking up holders
			t.Fatalf("bad lines: %s", r.body)
		}
		r = h.subsidies(office, "bad-2", "number,amount,expires_at\n2024001,500,2026-12-31\nnobody,100,2026-12-31\n2024002,100,someday\n")
		if lines, _ := r.json["error"].(map[string]any)["lines"].([]any); r.status != 422 || len(lines) != 2 ||
			fmt.Sprint(lines[0].(map[string]any)["line"]) != "3" {
			t.Fatalf("bad lines: %s", r.body)
		}
		h.expect(h.subsidies(office, "bad-3", "amount,number\n1,2\n"), 422, "INVALID_REQUEST")
		h.expect(h.subsidies(office, "", "number,amount,expires_at\n2024001,500,2026-12-31\n"), 400, "INVALID_REQUEST")
		h.expect(h.subsidies(auditor, "k", "number,amount,expires_at\n2024001,500,2026-12-31\n"), 403, "FORBIDDEN")
		if list := h.do("GET", "/admin/api/v1/subsidies?school=demo", auditor, nil); list.status != 200 || fmt.Sprint(list.json["items"]) != "[]" {
			t.Fatalf("nothing issued: %s", list.body)
		}
		if b, _ := h.ledger.HolderBalances(ctx, h.holder.ID); b.SubsidyFen != 0 {
			t.Fatalf("bad batches issued %+v", b)
		}

		csv := "number,amount,expires_at\n2024001,500,2026-09-10\n2024002,300,2026-12-31T00:00:00Z\n"
		first := h.subsidies(office, "sept-1", csv)
		if first.status != 201 || first.num("issued_fen") != 800 || first.num("lines") != 2 || first.str("school") != "demo" ||
			first.str("name") != "九月餐补" {
			t.Fatalf("issue: %d %s", first.status, first.body)
		}
		again := h.subsidies(office, "sept-1", csv)
		if again.num("id") != first.num("id") || again.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("the same key answers the first batch: %s", again.body)
		}
		h.expect(h.subsidies(office, "sept-1", "number,amount,expires_at\n2024001,1,2026-12-31\n"), 409, "CONFLICT")
		// The same lines as JSON, under another key, make a second batch.
		j := h.do("POST", "/admin/api/v1/subsidies", office, map[string]any{"school": "demo", "name": "十月",
			"lines": []map[string]any{{"number": "2024002", "amount": 200, "expires_at": "2026-10-31"}}}, "Idempotency-Key", "oct-1")
		if j.status != 201 || j.num("issued_fen") != 200 {
			t.Fatalf("JSON batch: %s", j.body)
		}

		// 张三 spends 700: 500 subsidy first, then 200 of the wallet.
		if _, err := h.ledger.Pay(ctx, ledger.Payment{Key: "lunch", SchoolID: h.school.ID, HolderID: h.holder.ID,
			MerchantID: h.merchant.ID, AmountFen: 700, PIN: "123456"}); err != nil {
			t.Fatal(err)
		}
		if b, _ := h.ledger.HolderBalances(ctx, h.holder.ID); b.SubsidyFen != 0 || b.WalletFen != 9800 {
			t.Fatalf("subsidy first: %+v", b)
		}
		// 李四 spends 100 of the October line (it expires first), then the
		// clock passes October: the rest of it expires once.
		if _, err := h.ledger.Pay(ctx, ledger.Payment{Key: "snack", SchoolID: h.school.ID, HolderID: h.other.ID,
			MerchantID: h.merchant.ID, AmountFen: 100, PIN: "654320"}); err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(70 * 24 * time.Hour)
		auditor = h.adminLogin("audit", "audit-password-1") // the first token expired meanwhile
		for run, want := range []int64{100, 0} {
			if _, fen, err := h.ledger.ExpireSubsidies(ctx, 100); err != nil || fen != want {
				t.Fatalf("expiry run %d: %d %v", run, fen, err)
			}
		}
		report := h.do("GET", fmt.Sprintf("/admin/api/v1/subsidies/%d", first.num("id")), auditor, nil)
		if report.status != 200 || report.num("issued_fen") != 800 || report.num("spent_fen") != 500 ||
			report.num("expired_fen") != 0 || report.num("remaining_fen") != 300 {
			t.Fatalf("September report: %s", report.body)
		}
		if items, _ := report.json["line_items"].([]any); len(items) != 2 || items[0].(map[string]any)["number"] != "2024001" {
			t.Fatalf("September lines: %s", report.body)
		}
		oct := h.do("GET", fmt.Sprintf("/admin/api/v1/subsidies/%d", j.num("id")), auditor, nil)
		if oct.num("spent_fen") != 100 || oct.num("expired_fen") != 100 || oct.num("remaining_fen") != 0 {
			t.Fatalf("October report: %s", oct.body)
		}
		list := h.do("GET", "/admin/api/v1/subsidies?school=demo&limit=1", auditor, nil)
		if items, _ := list.json["items"].([]any); len(items) != 1 || list.str("next_cursor") == "" {
			t.Fatalf("list: %s", list.body)
		}
		h.expect(h.do("GET", "/admin/api/v1/subsidies/999", auditor, nil), 404, "NOT_FOUND")
		h.expect(h.do("GET", "/admin/api/v1/subsidies/x", auditor, nil), 404, "NOT_FOUND")
		h.expect(h.do("GET", "/admin/api/v1/subsidies", auditor, nil), 400, "INVALID_REQUEST")
		h.verify()
	})
}

// TestFreezeInactive: the job freezes holders with no payment, top-up or
// passage for the school's period, and nobody else.
func TestFreezeInactive(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		staff, err := h.ledger.CreateHolder(ctx, ledger.NewHolder{SchoolID: h.school.ID, Number: "T1001", Name: "王老师",
			Kind: ledger.KindStaff, IDLast6: "135790"})
		if err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(60 * 24 * time.Hour)
		// 张三 pays on day 60, 王老师 tops up on day 60; 李四 does nothing.
		if _, err := h.ledger.Pay(ctx, ledger.Payment{Key: "d60", SchoolID: h.school.ID, HolderID: h.holder.ID,
			MerchantID: h.merchant.ID, AmountFen: 100}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.ledger.TopUp(ctx, ledger.TopUp{Key: "d60-top", SchoolID: h.school.ID, HolderID: staff.ID,
			Channel: ledger.Cash, AmountFen: 100}); err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(31 * 24 * time.Hour)
		for run, want := range []int{1, 0} {
			if n, err := h.ledger.FreezeInactive(ctx, 100); err != nil || n != want {
				t.Fatalf("freeze run %d: %d %v", run, n, err)
			}
		}
		for _, c := range []struct {
			id   int64
			want string
		}{{h.holder.ID, "active"}, {h.other.ID, "frozen"}, {staff.ID, "active"}} {
			if got, _ := h.ledger.HolderByID(ctx, c.id); got.Status != c.want {
				t.Errorf("holder %s: %s, want %s", got.Number, got.Status, c.want)
			}
		}
		// A frozen holder can't pay; the denylist knows it.
		_, err = h.ledger.Pay(ctx, ledger.Payment{Key: "frozen", SchoolID: h.school.ID, HolderID: h.other.ID,
			MerchantID: h.merchant.ID, AmountFen: 1})
		if ledger.ErrorCode(err) != ledger.CodeAccountFrozen {
			t.Fatalf("frozen pays: %v", err)
		}
		if changes, _, err := h.ledger.Denylist(ctx, h.school.ID, 0); err != nil || len(changes) != 1 || changes[0].Number != "2024002" {
			t.Fatalf("denylist: %+v %v", changes, err)
		}
		h.verify()
	})
}
