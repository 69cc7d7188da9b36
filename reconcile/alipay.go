package reconcile

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// The Alipay 业务明细 file of the trade bill (bill_type trade), as it comes
// out of the downloaded zip: usually GBK, comment lines starting with '#'
// around the detail list, a header, one row per 交易 (payment) or 退款
// (refund), the end marker, and the totals. Fields carry trailing tabs so
// spreadsheets keep long numbers as text.
var alipayHeader = []string{
	"支付宝交易号", "商户订单号", "业务类型", "商品名称", "创建时间", "完成时间", "门店编号", "门店名称",
	"操作员", "终端号", "对方账户", "订单金额（元）", "商家实收（元）", "支付宝红包（元）", "集分宝（元）",
	"支付宝优惠（元）", "商家优惠（元）", "券核销金额（元）", "券名称", "商家红包消费金额（元）",
	"卡消费金额（元）", "退款批次号/请求号", "服务费（元）", "分润（元）", "备注",
}

// Columns of an Alipay 业务明细 row.
const (
	apTradeNo     = 0
	apOutTradeNo  = 1
	apType        = 2
	apCreated     = 4
	apFinished    = 5
	apReceived    = 12 // 商家实收: what the merchant account received (negative for a refund)
	apOutRequest  = 21
	apColumns     = 25
	apEndMarker   = "业务明细列表结束"
	apTradeTotal  = "#交易合计："
	apRefundTotal = "#退款合计："
)

// ParseAlipayBill reads an Alipay 业务明细 file, GBK or UTF-8 (decided by
// the first line that is not plain ASCII). 交易 rows are payments keyed by
// 商户订单号 (out_trade_no); 退款 rows are refunds keyed by 退款批次号/请求号
// (out_request_no), whose negative amount is answered as positive. The
// amount is 商家实收, the time 完成时间. The file must reach the end marker of
// the detail list, and the counts in #交易合计 and #退款合计, when present,
// must agree with the rows.
func ParseAlipayBill(r io.Reader) ([]Line, error) {
	const p = ProviderAlipay
	lr := newLineReader(p, r)
	dec := alipayDecoder{}
	const (
		wantHeader = iota
		inRows
		ended
	)
	state := wantHeader
	var lines []Line
	var payments, refunds int
	wantPayments, wantRefunds := -1, -1
	for lr.next() {
		if blank(lr.line) {
			continue
		}
		text, err := dec.decode(lr.line)
		if err != nil {
			return nil, badBill(p, lr.row, "%v", err)
		}
		text = strings.TrimSpace(text)
		if strings.HasPrefix(text, "#") {
			switch {
			case state == inRows && strings.Contains(text, apEndMarker):
				state = ended
			case strings.HasPrefix(text, apTradeTotal):
				if wantPayments, err = alipayCount(text, apTradeTotal); err != nil {
					return nil, badBill(p, lr.row, "%v", err)
				}
			case strings.HasPrefix(text, apRefundTotal):
				if wantRefunds, err = alipayCount(text, apRefundTotal); err != nil {
					return nil, badBill(p, lr.row, "%v", err)
				}
			}
			continue
		}
		switch state {
		case wantHeader:
			if !alipayHeaderOK(text) {
				return nil, badBill(p, lr.row, "header is not that of the 业务明细 trade bill: %q", clip(text))
			}
			state = inRows
		case inRows:
			if len(lines) >= maxDataLines {
				return nil, badBill(p, lr.row, "more than %d detail rows", maxDataLines)
			}
			l, err := alipayRow(lr.row, text)
			if err != nil {
				return nil, err
			}
			if l.Kind == KindPayment {
				payments++
			} else {
				refunds++
			}
			lines = append(lines, l)
		case ended:
			return nil, badBill(p, lr.row, "a row after the end of the detail list")
		}
	}
	if lr.err != nil {
		return nil, lr.err
	}
	switch state {
	case wantHeader:
		return nil, badBill(p, 0, "no 业务明细 header: not an Alipay trade bill")
	case inRows:
		return nil, badBill(p, 0, "the detail list never ends (no %s line): truncated", apEndMarker)
	}
	if wantPayments >= 0 && wantPayments != payments {
		return nil, badBill(p, 0, "交易合计 counts %d payments but the list has %d", wantPayments, payments)
	}
	if wantRefunds >= 0 && wantRefunds != refunds {
		return nil, badBill(p, 0, "退款合计 counts %d refunds but the list has %d", wantRefunds, refunds)
	}
	return lines, nil
}

// alipayDecoder turns lines into UTF-8. The first line with a byte beyond
// ASCII decides for the whole file: valid UTF-8 means UTF-8, anything else
// GBK. ASCII reads the same in both.
type alipayDecoder struct {
	decided, gbk bool
	d            *encoding.Decoder
}

func (a *alipayDecoder) decode(b []byte) (string, error) {
	if ascii(b) {
		return string(b), nil
	}
	if !a.decided {
		a.decided, a.gbk = true, !utf8.Valid(b)
		a.d = simplifiedchinese.GBK.NewDecoder()
	}
	if !a.gbk {
		if !utf8.Valid(b) {
			return "", errMixedEncoding
		}
		return string(b), nil
	}
	// GBK's trail bytes never fall on ',', '\t', '\r' or '\n', so the line
	// was cut correctly before decoding. Bytes that are not GBK become U+FFFD.
	out, err := a.d.Bytes(b)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

type billErr string

func (e billErr) Error() string { return string(e) }

const errMixedEncoding = billErr("not valid UTF-8, though the file began as UTF-8")

func ascii(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func alipayHeaderOK(text string) bool {
	got := strings.Split(text, ",")
	if len(got) != len(alipayHeader) {
		return false
	}
	for i, want := range alipayHeader {
		if strings.TrimSpace(got[i]) != want {
			return false
		}
	}
	return true
}

// alipayCount reads N from "#交易合计：N笔，…".
func alipayCount(text, prefix string) (int, error) {
	n, _, ok := strings.Cut(strings.TrimPrefix(text, prefix), "笔")
	n = strings.TrimSpace(n)
	if !ok || len(n) < 1 || len(n) > 9 || !digits(n) {
		return 0, billErr("cannot read the count in " + strconv.Quote(clip(text)))
	}
	return strconv.Atoi(n)
}

func alipayFields(text string) ([]string, error) {
	cr := csv.NewReader(strings.NewReader(text))
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	f, err := cr.Read()
	if err != nil {
		return nil, err
	}
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	return f, nil
}

func alipayRow(row int, text string) (Line, error) {
	const p = ProviderAlipay
	f, err := alipayFields(text)
	if err != nil {
		return Line{}, badBill(p, row, "not a CSV row: %v", err)
	}
	if len(f) != apColumns {
		return Line{}, badBill(p, row, "%d fields where the header has %d", len(f), apColumns)
	}
	finished := f[apFinished]
	if finished == "" {
		finished = f[apCreated]
	}
	at, err := parseTime(finished)
	if err != nil {
		return Line{}, badBill(p, row, "完成时间: %v", err)
	}
	amount, err := ParseYuan(f[apReceived])
	if err != nil {
		return Line{}, badBill(p, row, "%s: %v", alipayHeader[apReceived], err)
	}
	l := Line{Row: row, OrderNo: f[apOutTradeNo], ProviderTxnID: f[apTradeNo], At: at, Status: f[apType]}
	switch f[apType] {
	case "交易":
		if amount < 0 {
			return Line{}, badBill(p, row, "a payment with a negative amount")
		}
		l.Kind, l.AmountFen = KindPayment, amount
	case "退款":
		if amount > 0 {
			return Line{}, badBill(p, row, "a refund with a positive amount")
		}
		l.Kind, l.AmountFen, l.RefundNo = KindRefund, -amount, f[apOutRequest]
	default:
		return Line{}, badBill(p, row, "业务类型 %q is neither 交易 nor 退款", clip(f[apType]))
	}
	return l, nil
}
