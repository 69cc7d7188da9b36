package reconcile_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/ecard/ecard/reconcile"
)

// alipayUTF8 is the GBK sample decoded, as a UTF-8 export of the same bill.
func alipayUTF8(t testing.TB) string {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewDecoder().Bytes(readSample(t, "alipay_trade.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func gbk(t testing.TB, s string) string {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseAlipayBill(t *testing.T) {
	raw := readSample(t, "alipay_trade.csv")
	if utf8.Valid(raw) {
		t.Fatal("the sample is meant to be GBK")
	}
	pay := reconcile.KindPayment
	want := []reconcile.Line{
		{Row: 6, OrderNo: "T2026112100101", ProviderTxnID: "2026112122001404561234567890", Kind: pay, AmountFen: 5000, At: at("2026-11-21 08:10:05"), Status: "交易"},
		{Row: 7, OrderNo: "T2026112100102", ProviderTxnID: "2026112122001404561234567891", Kind: pay, AmountFen: 10000, At: at("2026-11-21 12:01:50"), Status: "交易"},
		// The refund is negative in the file and keyed by its request number.
		{Row: 8, OrderNo: "T2026112000188", ProviderTxnID: "2026112022001404569876543210", RefundNo: "R2026112100101", Kind: reconcile.KindRefund, AmountFen: 2000, At: at("2026-11-21 14:00:02"), Status: "退款"},
		{Row: 9, OrderNo: "T2026112100103", ProviderTxnID: "2026112122001404561234567892", Kind: pay, AmountFen: 3000, At: at("2026-11-21 23:59:59"), Status: "交易"},
	}
	for name, bill := range map[string]string{
		"GBK":            string(raw),
		"UTF-8":          alipayUTF8(t),
		"UTF-8 with BOM": "\ufeff" + alipayUTF8(t),
		"LF endings":     strings.ReplaceAll(string(raw), "\r\n", "\n"),
		"no totals":      cut(alipayUTF8(t), "#交易合计", "#导出时间"),
	} {
		t.Run(name, func(t *testing.T) {
			lines, err := reconcile.Parse("alipay", strings.NewReader(bill))
			if err != nil {
				t.Fatal(err)
			}
			sameLines(t, lines, want)
		})
	}
}

// cut removes the text from the line starting with from up to the line starting with to.
func cut(s, from, to string) string {
	i, j := strings.Index(s, from), strings.Index(s, to)
	return s[:i] + s[j:]
}

func TestParseAlipayBillEmptyDetailList(t *testing.T) {
	s := alipayUTF8(t)
	i, j := strings.Index(s, "2026112122001404561234567890"), strings.Index(s, "#-----------------------------------------业务明细列表结束")
	s = strings.NewReplacer("#交易合计：3笔", "#交易合计：0笔", "#退款合计：1笔", "#退款合计：0笔").Replace(s[:i] + s[j:])
	lines, err := reconcile.ParseAlipayBill(strings.NewReader(gbk(t, s)))
	if err != nil || len(lines) != 0 {
		t.Fatalf("lines = %v, err = %v", lines, err)
	}
}

func TestParseAlipayBillRefuses(t *testing.T) {
	sample := strings.ReplaceAll(alipayUTF8(t), "\r\n", "\n")
	rows := strings.Split(strings.TrimSuffix(sample, "\n"), "\n")
	with := func(row int, line string) string {
		r := append([]string(nil), rows...)
		r[row-1] = line
		return strings.Join(r, "\n") + "\n"
	}
	replaced := func(row int, old, new string) string {
		return with(row, strings.Replace(rows[row-1], old, new, 1))
	}
	cases := []struct {
		name     string
		bill     string
		row      int
		contains string
	}{
		{"empty", "", 0, "no 业务明细 header"},
		{"comments only", strings.Join(rows[:4], "\n"), 0, "no 业务明细 header"},
		{"a WeChat bill", strings.TrimPrefix(string(readSample(t, "wechat_all.csv")), "\ufeff"), 1, "header"},
		{"a renamed column", replaced(5, "商家实收（元）", "实收金额（元）"), 5, "header"},
		{"an extra column", replaced(5, ",备注", ",备注,实收净额（元）"), 5, "header"},
		{"truncated", strings.Join(rows[:8], "\n"), 0, "truncated"},
		{"a row after the end", with(11, rows[5]), 11, "after the end"},
		{"payment count", replaced(11, "3笔", "4笔"), 0, "交易合计 counts 4"},
		{"refund count", replaced(12, "1笔", "0笔"), 0, "退款合计 counts 0"},
		{"unreadable count", replaced(11, "3笔", "三笔"), 11, "count"},
		{"unknown business type", replaced(6, "交易\t", "冻结\t"), 6, "冻结"},
		{"sub-fen amount", replaced(6, ",50.00,50.00,", ",50.00,50.005,"), 6, "商家实收"},
		{"empty amount", replaced(6, ",50.00,50.00,", ",50.00,,"), 6, "商家实收"},
		{"negative payment", replaced(6, ",50.00,50.00,", ",-50.00,-50.00,"), 6, "negative"},
		{"positive refund", replaced(8, ",-20.00,-20.00,", ",20.00,20.00,"), 8, "positive"},
		{"bad time", replaced(7, "2026-11-21 12:01:50", "20261121120150"), 7, "完成时间"},
		{"missing field", replaced(7, ",家长代充", ""), 7, "24 fields"},
		{"comma in a name", replaced(7, "校园卡充值", "校园卡,充值"), 7, "26 fields"},
		{"unterminated quote", replaced(7, "校园卡充值", `"校园卡充值`), 7, "fields"},
		{"huge line", with(7, strings.Repeat("1", reconcile.MaxLineBytes+10)), 7, "longer than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for enc, bill := range map[string]string{"UTF-8": c.bill, "GBK": gbk(t, c.bill)} {
				lines, err := reconcile.ParseAlipayBill(strings.NewReader(bill))
				if lines != nil {
					t.Errorf("%s: lines = %v, want none", enc, lines)
				}
				billErr(t, err, c.row, c.contains)
			}
		})
	}
}

func TestParseAlipayBillMixedEncodings(t *testing.T) {
	s := strings.ReplaceAll(alipayUTF8(t), "\r\n", "\n")
	i := strings.Index(s, "2026112122001404561234567891")
	j := i + strings.Index(s[i:], "\n")
	bill := s[:i] + gbk(t, s[i:j]) + s[j:] // one GBK row in a UTF-8 file
	_, err := reconcile.ParseAlipayBill(strings.NewReader(bill))
	billErr(t, err, 7, "UTF-8")
}

func TestParseAlipayBillBoundsRows(t *testing.T) {
	defer reconcile.SetMaxDataLines(2)()
	_, err := reconcile.ParseAlipayBill(bytes.NewReader(readSample(t, "alipay_trade.csv")))
	billErr(t, err, 8, "more than 2 detail rows")
}

func TestParseAlipayBillQuotedAndFallbacks(t *testing.T) {
	s := strings.ReplaceAll(alipayUTF8(t), "\r\n", "\n")
	// A quoted name may hold a comma; a row without 完成时间 takes 创建时间.
	s = strings.Replace(s, "校园卡充值", `"校园卡,充值"`, 1)
	s = strings.Replace(s, "2026-11-21 08:10:01,2026-11-21 08:10:05,", "2026-11-21 08:10:01,\t,", 1)
	lines, err := reconcile.ParseAlipayBill(strings.NewReader(gbk(t, s)))
	if err != nil || len(lines) != 4 {
		t.Fatalf("lines = %v, err = %v", lines, err)
	}
	if l := lines[0]; l.AmountFen != 5000 || !l.At.Equal(at("2026-11-21 08:10:01")) {
		t.Fatalf("first line = %+v", l)
	}
}
