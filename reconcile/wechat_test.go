package reconcile_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ecard/ecard/reconcile"
)

var cst = time.FixedZone("CST", 8*60*60)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, cst)
	if err != nil {
		panic(err)
	}
	return t
}

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameLines compares lines field by field, times as instants in UTC+8.
func sameLines(t *testing.T, got, want []reconcile.Line) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		_, offset := g.At.Zone()
		if !g.At.Equal(w.At) || offset != 8*60*60 {
			t.Errorf("line %d: At = %v, want %v", i, g.At, w.At)
		}
		g.At, w.At = time.Time{}, time.Time{}
		if g != w {
			t.Errorf("line %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

func TestParseWeChatBill(t *testing.T) {
	lines, err := reconcile.ParseWeChatBill(strings.NewReader(string(readSample(t, "wechat_all.csv"))))
	if err != nil {
		t.Fatal(err)
	}
	pay := reconcile.KindPayment
	refund := reconcile.KindRefund
	sameLines(t, lines, []reconcile.Line{
		{Row: 2, OrderNo: "T2026112100001", ProviderTxnID: "4200002791202611210123456789", Kind: pay, AmountFen: 5000, At: at("2026-11-21 08:03:12"), Status: "SUCCESS"},
		{Row: 3, OrderNo: "T2026112100002", ProviderTxnID: "4200002791202611210123456790", Kind: pay, AmountFen: 10000, At: at("2026-11-21 09:15:40"), Status: "SUCCESS"},
		// The product name holds a comma: the columns do not shift.
		{Row: 4, OrderNo: "T2026112100003", ProviderTxnID: "4200002791202611210123456791", Kind: pay, AmountFen: 3000, At: at("2026-11-21 10:00:00"), Status: "SUCCESS"},
		// A refund today of yesterday's payment.
		{Row: 5, OrderNo: "T2026112000077", ProviderTxnID: "4200002791202611200987654321", RefundNo: "R2026112100001", Kind: refund, AmountFen: 2000, At: at("2026-11-21 11:20:05"), Status: "SUCCESS"},
		{Row: 6, OrderNo: "T2026112100004", ProviderTxnID: "4200002791202611210123456792", Kind: pay, AmountFen: 1, At: at("2026-11-21 12:30:00"), Status: "SUCCESS"},
		// A refund of today's payment: the bill keeps the state it had when accepted.
		{Row: 7, OrderNo: "T2026112100002", ProviderTxnID: "4200002791202611210123456790", RefundNo: "R2026112100002", Kind: refund, AmountFen: 10000, At: at("2026-11-21 18:45:59"), Status: "PROCESSING"},
	})

	// The same bill without BOM and with \n line endings reads the same.
	plain := strings.ReplaceAll(strings.TrimPrefix(string(readSample(t, "wechat_all.csv")), "\ufeff"), "\r\n", "\n")
	again, err := reconcile.Parse("wechatpay", strings.NewReader(plain))
	if err != nil {
		t.Fatal(err)
	}
	sameLines(t, again, lines)
}

// billErr checks that err is a refusal of the bill pointing at row.
func billErr(t *testing.T, err error, row int, contains string) {
	t.Helper()
	var be *reconcile.BillError
	if !errors.Is(err, reconcile.ErrBadBill) || !errors.As(err, &be) {
		t.Fatalf("err = %v, want a BillError", err)
	}
	if be.Row != row || !strings.Contains(err.Error(), contains) {
		t.Fatalf("err = %q (row %d), want row %d mentioning %q", err, be.Row, row, contains)
	}
}

func TestParseWeChatBillRefuses(t *testing.T) {
	sample := strings.ReplaceAll(strings.TrimPrefix(string(readSample(t, "wechat_all.csv")), "\ufeff"), "\r\n", "\n")
	rows := strings.Split(strings.TrimSuffix(sample, "\n"), "\n")
	with := func(row int, line string) string { // row counts from 1
		r := append([]string(nil), rows...)
		r[row-1] = line
		return strings.Join(r, "\n") + "\n"
	}
	replaced := func(row int, old, new string) string {
		return with(row, strings.Replace(rows[row-1], old, new, 1))
	}
	successHeader := "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,订单金额,费率备注"
	cases := []struct {
		name     string
		bill     string
		row      int
		contains string
	}{
		{"empty", "", 0, "empty"},
		{"only blank lines", "\n \n\t\n", 0, "empty"},
		{"a SUCCESS bill", with(1, successHeader), 1, "type ALL"},
		{"a renamed column", replaced(1, "应结订单金额", "总金额"), 1, "type ALL"},
		{"an Alipay bill", string(readSample(t, "alipay_trade.csv")), 1, "type ALL"},
		{"no summary", strings.Join(rows[:7], "\n"), 0, "truncated"},
		{"summary header only", strings.Join(rows[:8], "\n"), 0, "truncated"},
		{"odd summary header", replaced(8, "申请退款总金额", "退款申请总金额"), 8, "summary header"},
		{"summary count", replaced(9, "`6,", "`5,"), 9, "counts 5 rows"},
		{"summary count not a number", replaced(9, "`6,", "`six,"), 9, "not a count"},
		{"summary settled total", replaced(9, "`180.01", "`180.02"), 9, "应结订单总金额"},
		{"summary refund total", replaced(9, "`120.00", "`100.00"), 9, "退款总金额"},
		{"summary fields", replaced(9, ",`120.00", ""), 9, "7 backticked"},
		{"text after summary", sample + "`1,`2\n", 10, "after the summary"},
		{"revoked", replaced(2, "`SUCCESS", "`REVOKED"), 2, "REVOKED"},
		{"currency", replaced(3, "`CNY", "`USD"), 3, "CNY"},
		{"sub-fen amount", replaced(2, "`50.00", "`50.001"), 2, "应结订单金额"},
		{"negative payment", replaced(2, "`50.00", "`-50.00"), 2, "negative"},
		{"bad refund amount", replaced(5, "`20.00", "`20,00"), 5, "退款金额"},
		{"negative refund", replaced(5, "`20.00", "`-20.00"), 5, "退款金额 is negative"},
		{"bad time", replaced(6, "2026-11-21 12:30:00", "2026/11/21 12:30"), 6, "交易时间"},
		{"missing field", replaced(2, ",`0.60%", ""), 2, "27 backticked"},
		{"extra field", replaced(2, ",`0.60%", ",`0.60%,`x"), 2, "27 backticked"},
		{"no backticks", with(2, strings.ReplaceAll(rows[1], "`", "")), 2, "backticked"},
		{"huge line", with(4, "`"+strings.Repeat("x", reconcile.MaxLineBytes)), 4, "longer than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lines, err := reconcile.ParseWeChatBill(strings.NewReader(c.bill))
			if lines != nil {
				t.Errorf("lines = %v, want none", lines)
			}
			billErr(t, err, c.row, c.contains)
		})
	}
}

func TestParseWeChatBillOlderHeaderName(t *testing.T) {
	sample := string(readSample(t, "wechat_all.csv"))
	lines, err := reconcile.ParseWeChatBill(strings.NewReader(strings.Replace(sample, "特约商户号", "子商户号", 1)))
	if err != nil || len(lines) != 6 {
		t.Fatalf("lines = %d, err = %v", len(lines), err)
	}
}

func TestParseWeChatBillBoundsRows(t *testing.T) {
	defer reconcile.SetMaxDataLines(3)()
	_, err := reconcile.ParseWeChatBill(strings.NewReader(string(readSample(t, "wechat_all.csv"))))
	billErr(t, err, 5, "more than 3 detail rows")
}

func TestParseUnknownProvider(t *testing.T) {
	_, err := reconcile.Parse("sandbox", strings.NewReader(""))
	if !errors.Is(err, reconcile.ErrBadBill) {
		t.Fatalf("err = %v", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestParseReaderError(t *testing.T) {
	for _, p := range []string{"wechatpay", "alipay"} {
		_, err := reconcile.Parse(p, failingReader{})
		if err == nil || errors.Is(err, reconcile.ErrBadBill) || !strings.Contains(err.Error(), "disk on fire") {
			t.Errorf("%s: err = %v, want the reader's error", p, err)
		}
	}
}

func TestParseBoundsAllLines(t *testing.T) {
	defer reconcile.SetMaxDataLines(10)()
	// Blank lines count too: an endless stream of them is stopped.
	blanks := strings.Repeat("\n", 2000)
	_, err := reconcile.ParseWeChatBill(strings.NewReader(blanks))
	billErr(t, err, 1011, "more lines")
	_, err = reconcile.ParseAlipayBill(strings.NewReader(blanks))
	billErr(t, err, 1011, "more lines")
}
