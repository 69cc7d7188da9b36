package reconcile

import (
	"io"
	"strconv"
	"strings"
)

// The WeChat Pay trade bill (交易账单) of type ALL, as APIv3's download
// answers it: UTF-8, a header line, one row per successful payment and per
// accepted refund of the day, then a summary header and one summary row.
// Every field of a row starts with a backtick so spreadsheets keep long
// numbers; splitting on ",`" instead of "," keeps a comma inside a product
// name from shifting the columns.
var weChatHeader = []string{
	"交易时间", "公众账号ID", "商户号", "特约商户号", "设备号", "微信订单号", "商户订单号", "用户标识",
	"交易类型", "交易状态", "付款银行", "货币种类", "应结订单金额", "代金券金额", "微信退款单号",
	"商户退款单号", "退款金额", "充值券退款金额", "退款类型", "退款状态", "商品名称", "商户数据包",
	"手续费", "费率", "订单金额", "申请退款金额", "费率备注",
}

// wxSubMchAlias is the fourth column's name in bills from the older API.
const wxSubMchAlias = "子商户号"

const weChatSummaryHeader = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"

// Columns of a WeChat Pay ALL bill row.
const (
	wxTime          = 0
	wxSubMch        = 3
	wxTransactionID = 5
	wxOutTradeNo    = 6
	wxTradeState    = 9
	wxCurrency      = 11
	wxSettlement    = 12 // 应结订单金额: what the merchant account receives for a payment
	wxOutRefundNo   = 15
	wxRefund        = 16 // 退款金额: what leaves the merchant account for a refund
	wxRefundStatus  = 19
	wxColumns       = 27
	wxSummaryCols   = 7
)

// ParseWeChatBill reads a WeChat Pay trade bill of type ALL. Rows whose
// 交易状态 is SUCCESS are payments, keyed by 商户订单号 (out_trade_no), for
// 应结订单金额; rows whose 交易状态 is REFUND are refunds, keyed by
// 商户退款单号 (out_refund_no), for 退款金额 — a payment and its refund on the
// same day are two rows. Any other state is refused. The summary must agree
// with the rows (their number, the settled total, the refunded total), so a
// truncated download is refused too.
func ParseWeChatBill(r io.Reader) ([]Line, error) {
	const p = ProviderWeChatPay
	lr := newLineReader(p, r)
	const (
		wantHeader = iota
		inRows
		wantSummary
		done
	)
	state := wantHeader
	var lines []Line
	var paidFen, refundedFen int64
	for lr.next() {
		if blank(lr.line) {
			continue
		}
		text := string(lr.line)
		switch state {
		case wantHeader:
			if !weChatHeaderOK(text) {
				return nil, badBill(p, lr.row, "header is not that of a trade bill of type ALL: %q", clip(text))
			}
			state = inRows
		case inRows:
			if strings.HasPrefix(text, "总交易单数") {
				if strings.TrimSpace(text) != weChatSummaryHeader {
					return nil, badBill(p, lr.row, "summary header is not the documented one: %q", clip(text))
				}
				state = wantSummary
				continue
			}
			if len(lines) >= maxDataLines {
				return nil, badBill(p, lr.row, "more than %d detail rows", maxDataLines)
			}
			l, err := weChatRow(lr.row, text)
			if err != nil {
				return nil, err
			}
			if l.Kind == KindPayment {
				paidFen += l.AmountFen
			} else {
				refundedFen += l.AmountFen
			}
			lines = append(lines, l)
		case wantSummary:
			if err := weChatSummary(lr.row, text, len(lines), paidFen, refundedFen); err != nil {
				return nil, err
			}
			state = done
		case done:
			return nil, badBill(p, lr.row, "text after the summary row")
		}
	}
	if lr.err != nil {
		return nil, lr.err
	}
	switch state {
	case wantHeader:
		return nil, badBill(p, 0, "empty file")
	case inRows, wantSummary:
		return nil, badBill(p, 0, "the file ends before its summary row: truncated")
	}
	return lines, nil
}

func weChatHeaderOK(text string) bool {
	got := strings.Split(text, ",")
	if len(got) != len(weChatHeader) {
		return false
	}
	for i, want := range weChatHeader {
		name := strings.TrimSpace(got[i])
		if name != want && (i != wxSubMch || name != wxSubMchAlias) {
			return false
		}
	}
	return true
}

// splitBackticked splits a row whose every field starts with a backtick.
func splitBackticked(text string, n int) ([]string, bool) {
	if !strings.HasPrefix(text, "`") {
		return nil, false
	}
	f := strings.SplitN(strings.TrimRight(text, " \t")[1:], ",`", n+1)
	if len(f) != n {
		return nil, false
	}
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	return f, true
}

func weChatRow(row int, text string) (Line, error) {
	const p = ProviderWeChatPay
	f, ok := splitBackticked(text, wxColumns)
	if !ok {
		return Line{}, badBill(p, row, "not a row of %d backticked fields", wxColumns)
	}
	if f[wxCurrency] != "CNY" {
		return Line{}, badBill(p, row, "currency %q is not CNY", clip(f[wxCurrency]))
	}
	at, err := parseTime(f[wxTime])
	if err != nil {
		return Line{}, badBill(p, row, "交易时间: %v", err)
	}
	l := Line{Row: row, OrderNo: f[wxOutTradeNo], ProviderTxnID: f[wxTransactionID], At: at}
	column := wxSettlement
	switch f[wxTradeState] {
	case "SUCCESS":
		l.Kind, l.Status = KindPayment, "SUCCESS"
	case "REFUND":
		l.Kind, l.Status, l.RefundNo = KindRefund, f[wxRefundStatus], f[wxOutRefundNo]
		column = wxRefund
	default:
		return Line{}, badBill(p, row, "交易状态 %q is neither SUCCESS nor REFUND", clip(f[wxTradeState]))
	}
	l.AmountFen, err = ParseYuan(f[column])
	if err != nil {
		return Line{}, badBill(p, row, "%s: %v", weChatHeader[column], err)
	}
	if l.AmountFen < 0 {
		return Line{}, badBill(p, row, "%s is negative", weChatHeader[column])
	}
	return l, nil
}

func weChatSummary(row int, text string, count int, paidFen, refundedFen int64) error {
	const p = ProviderWeChatPay
	f, ok := splitBackticked(text, wxSummaryCols)
	if !ok {
		return badBill(p, row, "summary is not a row of %d backticked fields", wxSummaryCols)
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || len(f[0]) > 9 || !digits(f[0]) {
		return badBill(p, row, "总交易单数 %q is not a count", clip(f[0]))
	}
	if n != count {
		return badBill(p, row, "summary counts %d rows but the bill has %d: truncated or altered", n, count)
	}
	for _, c := range []struct {
		name string
		text string
		sum  int64
	}{{"应结订单总金额", f[1], paidFen}, {"退款总金额", f[2], refundedFen}} {
		total, err := ParseYuan(c.text)
		if err != nil {
			return badBill(p, row, "%s: %v", c.name, err)
		}
		if total != c.sum {
			return badBill(p, row, "%s is %s but the rows add up to %s", c.name, yuan(total), yuan(c.sum))
		}
	}
	return nil
}

// yuan writes fen as yuan for messages.
func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return sign + strconv.FormatInt(fen/100, 10) + "." + strconv.FormatInt(fen%100/10, 10) + strconv.FormatInt(fen%10, 10)
}
