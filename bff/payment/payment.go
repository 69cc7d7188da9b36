// Package payment is what the top-up flow needs from a payment provider
// (WeChat Pay, Alipay, the sandbox), so the HTTP layer, the order sweeper and
// reconciliation speak to every provider alike. Adapters live beside it in
// bff/wechatpay, bff/alipay and bff/sandbox; cmd/ecard wires them.
package payment

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"
)

// Channel names, as in API.md and as the ledger's system accounts.
const (
	ChannelWeChatPay = "wechatpay"
	ChannelAlipay    = "alipay"
	ChannelSandbox   = "sandbox"
)

// Scenes: where the payer opens the payment.
const (
	SceneJSAPI = "jsapi" // WeChat mini-program or WeChat browser (needs OpenID)
	SceneH5    = "h5"    // a mobile browser outside the provider's app
	SceneApp   = "app"   // the native app hands the answer to the provider's SDK
)

// Order is a top-up order as a provider sees it.
type Order struct {
	OrderNo   string // ours, unique, 6-32 of [0-9A-Za-z_-]
	AmountFen int64  // > 0
	Subject   string // shown to the payer, e.g. "校园卡充值"
	Scene     string
	OpenID    string // the payer's openid, required for SceneJSAPI on WeChat Pay
	ClientIP  string
	NotifyURL string // absolute URL of POST /pay/notify/{provider}
	ReturnURL string // where a browser comes back to after paying (h5), may be empty
	ExpiresAt time.Time
}

// Pay is what the client needs to open the provider's payment, returned as
// the order's "pay" object. WeChat JSAPI: timeStamp, nonceStr, package,
// signType, paySign (exactly wx.requestPayment's arguments). WeChat H5:
// h5_url. Alipay: url (h5) or order_string (app). Sandbox: url.
type Pay map[string]string

// Callback is a provider's notification as it arrived.
type Callback struct {
	Header http.Header
	Body   []byte
}

// Notification is what a verified callback says about an order.
type Notification struct {
	OrderNo       string
	ProviderTxnID string // the provider's transaction id (WeChat transaction_id, Alipay trade_no)
	AmountFen     int64  // what the payer paid, in fen
	Paid          bool   // the trade succeeded (WeChat SUCCESS; Alipay TRADE_SUCCESS or TRADE_FINISHED)
	PaidAt        time.Time
}

// Answer is the HTTP reply a provider expects to a callback.
type Answer struct {
	Status      int
	ContentType string
	Body        []byte
}

// TradeState is an order's state at the provider.
type TradeState string

const (
	StatePaid    TradeState = "paid"    // money received
	StateNotPaid TradeState = "notpaid" // created, waiting for the payer
	StateClosed  TradeState = "closed"  // closed or revoked; will never be paid
	StateUnknown TradeState = "unknown" // the provider does not know the order
)

// Trade is what a query answers.
type Trade struct {
	OrderNo       string
	State         TradeState
	ProviderTxnID string
	AmountFen     int64
	PaidAt        time.Time
}

// Refund asks the provider to return a paid order's money to the payer.
type Refund struct {
	OrderNo       string
	ProviderTxnID string
	RefundNo      string // ours, unique per refund; the provider dedupes on it
	AmountFen     int64  // refunded now
	TotalFen      int64  // the order's amount
	Reason        string
	NotifyURL     string // may be empty
}

// RefundState is where a refund stands at the provider.
type RefundState string

const (
	RefundSucceeded  RefundState = "succeeded"
	RefundProcessing RefundState = "processing" // accepted; the money is on its way
)

// RefundResult is the provider's answer to a refund.
type RefundResult struct {
	RefundNo         string
	ProviderRefundID string
	State            RefundState
}

// Provider is one payment provider. Every method is safe for concurrent use.
type Provider interface {
	// Channel is the provider's name: ChannelWeChatPay, ChannelAlipay or ChannelSandbox.
	Channel() string
	// Prepay opens the order at the provider and answers what the client needs.
	Prepay(ctx context.Context, o Order) (Pay, error)
	// ParseNotify verifies a callback's signature (and freshness, and decrypts
	// it where the provider encrypts) and answers what it says. Any error
	// means the callback must be refused and nothing done.
	ParseNotify(ctx context.Context, cb Callback) (Notification, error)
	// Ack is the answer that tells the provider the callback was handled;
	// Nack tells it to send again later.
	Ack() Answer
	Nack(reason string) Answer
	// Query asks the provider for an order's state.
	Query(ctx context.Context, orderNo string) (Trade, error)
	// Close closes an unpaid order so it can no longer be paid.
	Close(ctx context.Context, orderNo string) error
	// Refund returns money to the payer; the same RefundNo twice refunds once.
	Refund(ctx context.Context, r Refund) (RefundResult, error)
}

// SceneChecker is implemented by a provider that serves only some scenes,
// so an order it cannot serve is refused before it is recorded.
type SceneChecker interface {
	CheckScene(scene string) error
}

// ErrRefused wraps every refusal of ParseNotify (bad signature, stale,
// malformed), so callers can tell a forged callback from a provider outage.
var ErrRefused = errors.New("payment: notification refused")

// LimitBody caps what can be read from a provider's answer at max bytes:
// the SDKs read answers whole.
func LimitBody(body io.ReadCloser, max int64) io.ReadCloser {
	return limitedBody{io.LimitReader(body, max), body}
}

type limitedBody struct {
	io.Reader
	io.Closer
}
