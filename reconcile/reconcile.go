// Package reconcile is 对账: it reads a payment provider's daily trade bill
// and matches it, line by line, against the movements the ledger recorded for
// the same provider and day. It knows no database and no HTTP: the caller
// loads the ledger's side and hands it in as Records.
//
// Amounts are int64 fen, parsed exactly from the bills' yuan decimals. A bill
// line's amount is what the school's merchant account settled (WeChat Pay
// 应结订单金额 and 退款金额, Alipay 商家实收), so a discount the school paid
// for shows up as a mismatch instead of hiding behind the order amount.
package reconcile

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Provider names, the same as the payment channels and the ledger's system accounts.
const (
	ProviderWeChatPay = "wechatpay"
	ProviderAlipay    = "alipay"
)

// Kind says which way a movement went.
type Kind string

const (
	KindPayment Kind = "payment" // the payer paid an order (a top-up)
	KindRefund  Kind = "refund"  // money went back to the payer
)

// Bounds on what a bill may hold; beyond them the bill is refused.
const (
	MaxDataLines = 1_000_000 // detail rows in one bill
	MaxLineBytes = 1 << 20   // bytes in one line of the file
	// MaxAmountFen bounds one amount (ten digits of yuan), so that a
	// million lines still sum inside int64.
	MaxAmountFen = 999_999_999_999
)

// Line is one detail row of a provider bill.
type Line struct {
	Row           int       `json:"row"` // line number in the file, from 1
	OrderNo       string    `json:"order_no"`
	ProviderTxnID string    `json:"provider_txn_id"`
	RefundNo      string    `json:"refund_no,omitempty"` // ours (out_refund_no / out_request_no); empty for payments
	Kind          Kind      `json:"kind"`
	AmountFen     int64     `json:"amount"` // >= 0, refunds too
	At            time.Time `json:"at"`
	// Status is the provider's word for the row: WeChat Pay's 交易状态 for a
	// payment (SUCCESS) and 退款状态 for a refund (SUCCESS, PROCESSING, ...),
	// which the bill freezes when the refund is accepted; Alipay's 业务类型.
	Status string `json:"status"`
}

// Record is one movement the ledger knows for the same provider and day.
type Record struct {
	OrderNo       string    `json:"order_no"`
	ProviderTxnID string    `json:"provider_txn_id"`
	RefundNo      string    `json:"refund_no,omitempty"`
	Kind          Kind      `json:"kind"`
	AmountFen     int64     `json:"amount"`
	At            time.Time `json:"at"`
}

// ErrBadBill is wrapped by every refusal of a bill's content, so a caller can
// tell a bad file (INVALID_REQUEST) from a failing reader.
var ErrBadBill = errors.New("bad bill")

// BillError is a refusal of a bill, pointing at the line when there is one.
type BillError struct {
	Provider string
	Row      int // 0 when the fault is the file as a whole
	Msg      string
}

func (e *BillError) Error() string {
	if e.Row == 0 {
		return fmt.Sprintf("%s bill: %s", e.Provider, e.Msg)
	}
	return fmt.Sprintf("%s bill, row %d: %s", e.Provider, e.Row, e.Msg)
}

func (e *BillError) Unwrap() error { return ErrBadBill }

func badBill(provider string, row int, format string, args ...any) error {
	return &BillError{Provider: provider, Row: row, Msg: fmt.Sprintf(format, args...)}
}

// Parse reads a bill of the named provider: "wechatpay" or "alipay".
func Parse(provider string, r io.Reader) ([]Line, error) {
	switch provider {
	case ProviderWeChatPay:
		return ParseWeChatBill(r)
	case ProviderAlipay:
		return ParseAlipayBill(r)
	}
	return nil, fmt.Errorf("%w: no bill format for provider %q", ErrBadBill, clip(provider))
}

// shanghai is China Standard Time, the zone both providers write times in.
// China has kept UTC+8 without daylight saving since 1991, so a fixed zone
// is exact and needs no tzdata on the host.
var shanghai = time.FixedZone("CST", 8*60*60)

const timeLayout = "2006-01-02 15:04:05"

func parseTime(s string) (time.Time, error) {
	t, err := time.ParseInLocation(timeLayout, s, shanghai)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q is not yyyy-MM-dd HH:mm:ss", clip(s))
	}
	return t, nil
}

// clip keeps error messages short whatever the input.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
