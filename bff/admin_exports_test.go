package bff_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
)

// csvRows reads an export's CSV (after its byte order mark).
func csvRows(t *testing.T, r response) [][]string {
	t.Helper()
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	body, ok := bytes.CutPrefix(r.body, []byte("\ufeff"))
	if !ok {
		t.Fatalf("no byte order mark: %q", r.body[:min(20, len(r.body))])
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return rows
}

// TestAdminExports: every export answers CSV (with a BOM, Chinese headers and
// labels, times in the school's zone) or an Excel workbook, across more than
// one page of the ledger; bad parameters are refused before any file starts.
func TestAdminExports(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		ph := newPayHarness(t, db)
		h := ph.harness
		auditor := h.office(ledger.RoleAuditor)
		ctx := t.Context()
		const payments = 150 // more than one page (100)
		for i := range payments {
			if _, err := h.ledger.Pay(ctx, ledger.Payment{Key: fmt.Sprintf("pay-%d", i), SchoolID: h.school.ID, HolderID: h.holder.ID,
				MerchantID: h.merchant.ID, AmountFen: 10}); err != nil {
				t.Fatal(err)
			}
		}
		token, _ := h.login("2024001", "123456")
		order := ph.order(token, 2000)
		if p := h.do("POST", "/sandbox/pay/"+order, "", nil); p.status != 200 {
			t.Fatalf("pay: %s", p.body)
		}
		get := func(query string) response {
			return h.do("GET", "/admin/api/v1/exports/"+query, auditor, nil, "Accept-Language", "en")
		}

		// The harness clock is 04:00 UTC, noon in Shanghai.
		rows := csvRows(t, get("settlement?school=demo&from=2026-09-01&to=2026-09-01"))
		if len(rows) != 2 || strings.Join(rows[0], ",") != "日期,商户编码,商户名称,消费笔数,消费金额(元),退款笔数,退款金额(元),净额(元)" ||
			strings.Join(rows[1], ",") != "2026-09-01,canteen1,第一食堂,150,15.00,0,0.00,15.00" {
			t.Fatalf("settlement: %q", rows)
		}
		if rows := csvRows(t, get("settlement?school=demo&from=2026-08-01&to=2026-08-31")); len(rows) != 1 {
			t.Fatalf("settlement of August: %q", rows)
		}

		rows = csvRows(t, get(fmt.Sprintf("history?school=demo&holder=%d", h.holder.ID)))
		if len(rows) != 1+payments+2 || rows[1][1] != "充值" || rows[1][2] != "演示支付" || rows[1][3] != "20.00" ||
			rows[2][0] != "2026-09-01 12:00:00" || rows[2][1] != "消费" || rows[2][3] != "-0.10" || rows[2][5] != "第一食堂" {
			t.Fatalf("history: %d rows, %q", len(rows), rows[:3])
		}
		if rows := csvRows(t, get(fmt.Sprintf("history?school=demo&holder=%d&from=2026-09-02", h.holder.ID))); len(rows) != 1 {
			t.Fatalf("history from tomorrow: %q", rows)
		}

		rows = csvRows(t, get("topups?school=demo&from=2026-09-01&to=2026-09-01"))
		if len(rows) != 2 || rows[1][0] != order || rows[1][1] != "2024001" || rows[1][3] != "演示支付" || rows[1][4] != "本人" ||
			rows[1][5] != "20.00" || rows[1][7] != "已支付" || rows[1][8] != "2026-09-01 12:00:00" {
			t.Fatalf("top-ups: %q", rows)
		}

		rows = csvRows(t, get("audit?school=demo"))
		if len(rows) < 5 || rows[0][0] != "时间" || !strings.Contains(rows[1][3], "/exports/") || rows[1][2] != "审计员" {
			t.Fatalf("audit: %q", rows)
		}

		x := get("holders?school=demo&format=xlsx")
		if x.status != 200 || !strings.Contains(x.header.Get("Content-Disposition"), "filename*=UTF-8''%E6%8C%81%E5%8D%A1%E4%BA%BA-demo-20260901.xlsx") {
			t.Fatalf("xlsx: %d %v", x.status, x.header)
		}
		book, err := excelize.OpenReader(bytes.NewReader(x.body))
		if err != nil {
			t.Fatal(err)
		}
		sheet, _ := book.GetRows("持卡人")
		if len(sheet) != 3 || sheet[0][0] != "学号/工号" || sheet[1][0] != "2024002" || sheet[2][1] != "张三" || sheet[2][3] != "正常" {
			t.Fatalf("holders sheet: %q", sheet)
		}
		if v, _ := book.GetCellValue("持卡人", "E3"); v != "105.00" { // 100 + 20 - 15 yuan, shown with two decimals
			t.Fatalf("wallet cell: %q", v)
		}

		for _, bad := range []struct {
			query  string
			status int
			code   string
		}{
			{"holders?school=demo&format=pdf", 400, "INVALID_REQUEST"},
			{"holders", 400, "INVALID_REQUEST"},
			{"holders?school=nowhere", 404, "NOT_FOUND"},
			{"balance-sheet?school=demo", 404, "NOT_FOUND"},
			{"settlement?school=demo", 400, "INVALID_REQUEST"},
			{"settlement?school=demo&from=2025-01-01&to=2026-09-01", 400, "INVALID_REQUEST"},
			{"topups?school=demo&from=2026-09-02&to=2026-09-01", 400, "INVALID_REQUEST"},
			{"topups?school=demo&from=yesterday", 400, "INVALID_REQUEST"},
			{"history?school=demo&holder=abc", 400, "INVALID_REQUEST"},
			{"history?school=demo&holder=999999", 404, "NOT_FOUND"},
			{"holders?school=demo&status=sleeping", 400, "INVALID_REQUEST"},
		} {
			h.expect(get(bad.query), bad.status, bad.code)
		}
		h.expect(h.do("GET", "/admin/api/v1/exports/holders?school=demo", "", nil), 401, "UNAUTHENTICATED")
	})
}
