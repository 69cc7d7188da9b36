// Package sandbox is a payment provider for development and demos: no money
// moves anywhere, but its notifications are signed, timestamped and verified
// exactly like a real provider's, and they reach ecard through the same
// endpoint (POST /pay/notify/sandbox), so the whole top-up path is exercised.
package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/ecard/ecard/bff/payment"
)

// Header names of a sandbox notification.
const (
	HeaderTimestamp = "X-Sandbox-Timestamp"
	HeaderSignature = "X-Sandbox-Signature"
)

// maxSkew is how far a notification's timestamp may be from now.
const maxSkew = 5 * time.Minute

// maxOrders bounds the orders the sandbox remembers.
const maxOrders = 100_000

type order struct {
	amountFen int64
	state     payment.TradeState
	txnID     string
	paidAt    time.Time
	refunds   map[string]int64
}

// Provider is the sandbox. Its key signs notifications; every node of one
// deployment must derive the same key.
type Provider struct {
	key []byte
	now func() time.Time

	mu     sync.Mutex
	orders map[string]*order
}

// New returns a sandbox signing with key (at least 32 bytes).
func New(key []byte, now func() time.Time) (*Provider, error) {
	if len(key) < 32 || now == nil {
		return nil, fmt.Errorf("sandbox: key of at least 32 bytes and a clock are required")
	}
	return &Provider{key: key, now: now, orders: map[string]*order{}}, nil
}

// Channel is "sandbox".
func (p *Provider) Channel() string { return payment.ChannelSandbox }

// Prepay remembers the order and answers where the sandbox cashier pays it.
func (p *Provider) Prepay(_ context.Context, o payment.Order) (payment.Pay, error) {
	if o.OrderNo == "" || o.AmountFen <= 0 {
		return nil, fmt.Errorf("sandbox: order number and a positive amount are required")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.orders[o.OrderNo]; !ok {
		if len(p.orders) >= maxOrders {
			return nil, fmt.Errorf("sandbox: too many orders")
		}
		p.orders[o.OrderNo] = &order{amountFen: o.AmountFen, state: payment.StateNotPaid, refunds: map[string]int64{}}
	}
	return payment.Pay{"url": "/sandbox/pay/" + o.OrderNo}, nil
}

// notification is the signed body.
type notification struct {
	OrderNo   string `json:"order_no"`
	TxnID     string `json:"txn_id"`
	AmountFen int64  `json:"amount"`
	Status    string `json:"status"`
	PaidAt    string `json:"paid_at"`
}

// Pay marks the order paid and builds the signed notification the sandbox
// sends for it. Paying twice answers the same notification again (a real
// provider also repeats itself).
func (p *Provider) Pay(orderNo string) (payment.Callback, error) {
	p.mu.Lock()
	o, ok := p.orders[orderNo]
	if ok && o.state == payment.StateNotPaid {
		o.state = payment.StatePaid
		o.txnID = "SBX" + randomHex(12)
		o.paidAt = p.now().UTC()
	}
	var n notification
	if ok {
		n = notification{OrderNo: orderNo, TxnID: o.txnID, AmountFen: o.amountFen, Status: string(o.state),
			PaidAt: o.paidAt.Format(time.RFC3339)}
	}
	p.mu.Unlock()
	if !ok {
		return payment.Callback{}, fmt.Errorf("sandbox: no order %s", orderNo)
	}
	if n.Status != string(payment.StatePaid) {
		return payment.Callback{}, fmt.Errorf("sandbox: order %s is %s", orderNo, n.Status)
	}
	return p.Sign(n.OrderNo, n.TxnID, n.AmountFen, p.now())
}

// Sign builds a notification with any content, signed at the given time;
// tests use it for stale and mismatched notifications.
func (p *Provider) Sign(orderNo, txnID string, amountFen int64, at time.Time) (payment.Callback, error) {
	body, err := json.Marshal(notification{OrderNo: orderNo, TxnID: txnID, AmountFen: amountFen,
		Status: string(payment.StatePaid), PaidAt: at.UTC().Format(time.RFC3339)})
	if err != nil {
		return payment.Callback{}, err
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, p.mac(ts, body))
	return payment.Callback{Header: h, Body: body}, nil
}

func (p *Provider) mac(ts string, body []byte) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(ts))
	m.Write([]byte{'\n'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// ParseNotify checks the signature and the timestamp, then reads the body.
func (p *Provider) ParseNotify(_ context.Context, cb payment.Callback) (payment.Notification, error) {
	refuse := func(format string, args ...any) (payment.Notification, error) {
		return payment.Notification{}, fmt.Errorf("%w: sandbox: %s", payment.ErrRefused, fmt.Sprintf(format, args...))
	}
	if len(cb.Body) > 64<<10 {
		return refuse("body too large")
	}
	ts := cb.Header.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return refuse("bad timestamp")
	}
	if d := p.now().Sub(time.Unix(sec, 0)); d > maxSkew || d < -maxSkew {
		return refuse("timestamp %s is stale", ts)
	}
	if !hmac.Equal([]byte(cb.Header.Get(HeaderSignature)), []byte(p.mac(ts, cb.Body))) {
		return refuse("bad signature")
	}
	var n notification
	dec := json.NewDecoder(bytes.NewReader(cb.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&n); err != nil {
		return refuse("malformed body")
	}
	paidAt, err := time.Parse(time.RFC3339, n.PaidAt)
	if err != nil || n.OrderNo == "" || n.AmountFen <= 0 {
		return refuse("missing fields")
	}
	return payment.Notification{OrderNo: n.OrderNo, ProviderTxnID: n.TxnID, AmountFen: n.AmountFen,
		Paid: n.Status == string(payment.StatePaid), PaidAt: paidAt}, nil
}

// Ack is 200 {"code":"SUCCESS"}.
func (p *Provider) Ack() payment.Answer {
	return payment.Answer{Status: http.StatusOK, ContentType: "application/json", Body: []byte(`{"code":"SUCCESS"}`)}
}

// Nack is 500 {"code":"FAIL"}: the sandbox, like WeChat Pay, would retry.
func (p *Provider) Nack(reason string) payment.Answer {
	body, _ := json.Marshal(map[string]string{"code": "FAIL", "message": reason})
	return payment.Answer{Status: http.StatusInternalServerError, ContentType: "application/json", Body: body}
}

// Query answers what the sandbox knows; an order it never saw is unknown.
func (p *Provider) Query(_ context.Context, orderNo string) (payment.Trade, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	o, ok := p.orders[orderNo]
	if !ok {
		return payment.Trade{OrderNo: orderNo, State: payment.StateUnknown}, nil
	}
	return payment.Trade{OrderNo: orderNo, State: o.state, ProviderTxnID: o.txnID, AmountFen: o.amountFen, PaidAt: o.paidAt}, nil
}

// Close closes an unpaid order; a paid one stays paid.
func (p *Provider) Close(_ context.Context, orderNo string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if o, ok := p.orders[orderNo]; ok && o.state == payment.StateNotPaid {
		o.state = payment.StateClosed
	}
	return nil
}

// Refund returns a paid order's money once per refund number.
func (p *Provider) Refund(_ context.Context, r payment.Refund) (payment.RefundResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	o, ok := p.orders[r.OrderNo]
	if !ok || o.state != payment.StatePaid {
		return payment.RefundResult{}, fmt.Errorf("sandbox: order %s is not paid", r.OrderNo)
	}
	if _, done := o.refunds[r.RefundNo]; !done {
		var total int64
		for _, v := range o.refunds {
			total += v
		}
		if r.AmountFen <= 0 || total+r.AmountFen > o.amountFen {
			return payment.RefundResult{}, fmt.Errorf("sandbox: refund exceeds what was paid")
		}
		o.refunds[r.RefundNo] = r.AmountFen
	}
	return payment.RefundResult{RefundNo: r.RefundNo, ProviderRefundID: "SBXR" + r.RefundNo, State: payment.RefundSucceeded}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
