package wechatpay

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/services/payments"

	"github.com/ecard/ecard/bff/payment"
)

// The notification's headers and what this package accepts in them.
const (
	HeaderSerial        = "Wechatpay-Serial"
	HeaderSignature     = "Wechatpay-Signature"
	HeaderTimestamp     = "Wechatpay-Timestamp"
	HeaderNonce         = "Wechatpay-Nonce"
	HeaderSignatureType = "Wechatpay-Signature-Type"

	SignatureType  = "WECHATPAY2-SHA256-RSA2048"
	EventPaid      = "TRANSACTION.SUCCESS"
	AlgorithmAEAD  = "AEAD_AES_256_GCM"
	maxHeaderBytes = 1024 // an RSA-2048 signature is 344 base64 characters
)

// envelope is the notification body; only resource is encrypted.
type envelope struct {
	ID           string `json:"id"`
	CreateTime   string `json:"create_time"`
	EventType    string `json:"event_type"`
	ResourceType string `json:"resource_type"`
	Resource     struct {
		OriginalType   string `json:"original_type"`
		Algorithm      string `json:"algorithm"`
		Ciphertext     string `json:"ciphertext"`
		AssociatedData string `json:"associated_data"`
		Nonce          string `json:"nonce"`
	} `json:"resource"`
}

// ParseNotify verifies a payment notification and answers what it says.
// Checked in this order, cheapest first: size, headers, freshness against
// Config.Now (NotifyWindow either way), the platform certificate named by
// Wechatpay-Serial, the RSA-SHA256 signature over
// "timestamp\nnonce\nbody\n", the event type, the AES-256-GCM decryption of
// the resource, and the transaction inside (our mchid and appid, SUCCESS, a
// positive total). Every error wraps payment.ErrRefused.
func (p *Provider) ParseNotify(ctx context.Context, cb payment.Callback) (payment.Notification, error) {
	n, err := p.parseNotify(ctx, cb)
	if err != nil {
		return payment.Notification{}, fmt.Errorf("wechatpay: %w: %s", payment.ErrRefused, err)
	}
	return n, nil
}

type refusal string

func (r refusal) Error() string { return string(r) }

func refusef(format string, args ...any) error { return refusal(fmt.Sprintf(format, args...)) }

func (p *Provider) parseNotify(ctx context.Context, cb payment.Callback) (payment.Notification, error) {
	var none payment.Notification
	if len(cb.Body) > MaxNotifyBytes {
		return none, refusef("body of %d bytes is over %d", len(cb.Body), MaxNotifyBytes)
	}
	if len(cb.Body) == 0 {
		return none, refusef("empty body")
	}
	h := map[string]string{}
	for _, name := range []string{HeaderSerial, HeaderSignature, HeaderTimestamp, HeaderNonce} {
		v := cb.Header.Get(name)
		if v == "" || len(v) > maxHeaderBytes {
			return none, refusef("header %s is missing or too long", name)
		}
		h[name] = v
	}
	if t := cb.Header.Get(HeaderSignatureType); t != "" && t != SignatureType {
		return none, refusef("signature type %.40q is not %s", t, SignatureType)
	}

	ts, err := parseUnix(h[HeaderTimestamp])
	if err != nil {
		return none, err
	}
	now := p.now()
	window := int64(NotifyWindow / time.Second)
	if ts < now.Unix()-window || ts > now.Unix()+window {
		return none, refusef("timestamp %d is more than %s from now (%d)", ts, NotifyWindow, now.Unix())
	}

	serial := h[HeaderSerial]
	cert, ok := p.certs.Get(ctx, serial)
	if !ok {
		return none, refusef("unknown platform certificate serial %.64q", serial)
	}
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return none, refusef("platform certificate %s is not valid now", serial)
	}
	message := h[HeaderTimestamp] + "\n" + h[HeaderNonce] + "\n" + string(cb.Body) + "\n"
	if err := p.verifier.Verify(ctx, serial, message, h[HeaderSignature]); err != nil {
		return none, refusef("bad signature: %v", err)
	}

	// From here on the body is WeChat's own; errors mean a shape we do not know.
	var env envelope
	if err := json.Unmarshal(cb.Body, &env); err != nil {
		return none, refusef("body is not JSON: %v", err)
	}
	if env.EventType != EventPaid {
		return none, refusef("event type %.40q is not %s", env.EventType, EventPaid)
	}
	plain, err := p.decrypt(env)
	if err != nil {
		return none, err
	}
	return p.transaction(plain)
}

// parseUnix reads decimal seconds, digits only.
func parseUnix(s string) (int64, error) {
	if len(s) > 18 {
		return 0, refusef("timestamp %.20q is not unix seconds", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, refusef("timestamp %.20q is not unix seconds", s)
		}
	}
	ts, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, refusef("timestamp %.20q is not unix seconds", s)
	}
	return ts, nil
}

func (p *Provider) decrypt(env envelope) ([]byte, error) {
	r := env.Resource
	if r.Algorithm != AlgorithmAEAD {
		return nil, refusef("resource algorithm %.40q is not %s", r.Algorithm, AlgorithmAEAD)
	}
	// GCM panics on a nonce of the wrong length; WeChat's are 12 characters.
	if len(r.Nonce) != p.aead.NonceSize() {
		return nil, refusef("resource nonce is %d bytes, want %d", len(r.Nonce), p.aead.NonceSize())
	}
	sealed, err := base64.StdEncoding.DecodeString(r.Ciphertext)
	if err != nil {
		return nil, refusef("resource ciphertext is not base64: %v", err)
	}
	plain, err := p.aead.Open(nil, []byte(r.Nonce), sealed, []byte(r.AssociatedData))
	if err != nil {
		return nil, refusef("resource does not decrypt under the APIv3 key: %v", err)
	}
	return plain, nil
}

func (p *Provider) transaction(plain []byte) (payment.Notification, error) {
	var none payment.Notification
	var tx payments.Transaction
	if err := json.Unmarshal(plain, &tx); err != nil {
		return none, refusef("transaction is not JSON: %v", err)
	}
	switch {
	case deref(tx.Mchid) != p.mchID:
		return none, refusef("transaction mchid %.40q is not ours", deref(tx.Mchid))
	case deref(tx.Appid) != p.appID:
		return none, refusef("transaction appid %.40q is not ours", deref(tx.Appid))
	case !orderNoRe.MatchString(deref(tx.OutTradeNo)):
		return none, refusef("transaction out_trade_no %.40q is not one of ours", deref(tx.OutTradeNo))
	case deref(tx.TransactionId) == "":
		return none, refusef("transaction %s has no transaction_id", deref(tx.OutTradeNo))
	case deref(tx.TradeState) != "SUCCESS":
		return none, refusef("transaction %s is %.20q in a %s event", deref(tx.OutTradeNo), deref(tx.TradeState), EventPaid)
	case tx.Amount == nil || tx.Amount.Total == nil || *tx.Amount.Total <= 0:
		return none, refusef("transaction %s has no positive amount.total", deref(tx.OutTradeNo))
	case tx.Amount.Currency != nil && *tx.Amount.Currency != "CNY":
		return none, refusef("transaction %s is in %.8q, not CNY", deref(tx.OutTradeNo), *tx.Amount.Currency)
	}
	paidAt, err := time.Parse(time.RFC3339, deref(tx.SuccessTime))
	if err != nil {
		return none, refusef("transaction %s success_time: %v", deref(tx.OutTradeNo), err)
	}
	return payment.Notification{
		OrderNo:       *tx.OutTradeNo,
		ProviderTxnID: *tx.TransactionId,
		AmountFen:     *tx.Amount.Total,
		Paid:          true,
		PaidAt:        paidAt,
	}, nil
}
