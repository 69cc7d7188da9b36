package wechatpaytest

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/ecard/ecard/bff/payment"
)

// beijing is the offset WeChat writes its times in.
var beijing = time.FixedZone("CST", 8*3600)

// Transaction is WeChat Pay's transaction object, as a query answers it and
// as a notification carries it (encrypted).
type Transaction struct {
	AppID          string             `json:"appid"`
	MchID          string             `json:"mchid"`
	OutTradeNo     string             `json:"out_trade_no"`
	TransactionID  string             `json:"transaction_id,omitempty"`
	TradeType      string             `json:"trade_type,omitempty"`
	TradeState     string             `json:"trade_state"`
	TradeStateDesc string             `json:"trade_state_desc"`
	BankType       string             `json:"bank_type,omitempty"`
	Attach         string             `json:"attach"`
	SuccessTime    string             `json:"success_time,omitempty"` // RFC 3339, +08:00
	Payer          *TransactionPayer  `json:"payer,omitempty"`
	Amount         *TransactionAmount `json:"amount,omitempty"`
}

// TransactionPayer is the payer of a Transaction.
type TransactionPayer struct {
	OpenID string `json:"openid"`
}

// TransactionAmount is the amount of a Transaction, in fen.
type TransactionAmount struct {
	Total         int64  `json:"total"`
	PayerTotal    int64  `json:"payer_total"`
	Currency      string `json:"currency"`
	PayerCurrency string `json:"payer_currency"`
}

var stateDesc = map[string]string{
	"SUCCESS": "支付成功", "REFUND": "转入退款", "NOTPAY": "未支付", "CLOSED": "已关闭",
	"REVOKED": "已撤销", "USERPAYING": "用户支付中", "PAYERROR": "支付失败",
}

// transaction is o as WeChat describes it. Callers hold s.mu.
func (s *Server) transactionOf(o *order) Transaction {
	tx := Transaction{
		AppID: o.appID, MchID: s.MchID, OutTradeNo: o.no, TradeState: o.state,
		TradeStateDesc: stateDesc[o.state],
		Amount:         &TransactionAmount{Total: o.amount, Currency: "CNY", PayerCurrency: "CNY"},
	}
	if o.txnID != "" { // paid at some point
		tx.TransactionID, tx.TradeType, tx.BankType = o.txnID, o.tradeType, "OTHERS"
		tx.SuccessTime = o.successTime.In(beijing).Format(time.RFC3339)
		tx.Amount.PayerTotal = o.amount
		openID := o.openID
		if openID == "" {
			openID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
		}
		tx.Payer = &TransactionPayer{OpenID: openID}
	}
	return tx
}

// markPaid moves o to SUCCESS at now. Callers hold s.mu.
func (s *Server) markPaid(o *order) {
	if o.txnID == "" {
		s.seq++
		o.txnID = fmt.Sprintf("4200%024d", s.seq)
		o.successTime = s.now()
	}
	o.state = "SUCCESS"
}

// Transaction answers an order as a query would.
func (s *Server) Transaction(orderNo string) (Transaction, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[orderNo]
	if !ok {
		return Transaction{}, false
	}
	return s.transactionOf(o), true
}

// Pay is the payer paying the order now (by the fake's clock): the order
// becomes SUCCESS and the answer is the notification WeChat would POST to
// its notify_url. Paying a paid order again answers a fresh copy of the same
// notification, as WeChat's retries are. A closed or expired order cannot
// be paid.
func (s *Server) Pay(orderNo string) (payment.Callback, error) {
	now := s.now()
	s.mu.Lock()
	o, ok := s.orders[orderNo]
	if !ok {
		s.mu.Unlock()
		return payment.Callback{}, fmt.Errorf("wechatpaytest: no order %s", orderNo)
	}
	switch o.state {
	case "NOTPAY", "USERPAYING":
		if !o.expire.IsZero() && now.After(o.expire) {
			s.mu.Unlock()
			return payment.Callback{}, fmt.Errorf("wechatpaytest: order %s expired at %s", orderNo, o.expire)
		}
		s.markPaid(o)
	case "SUCCESS", "REFUND":
	default:
		s.mu.Unlock()
		return payment.Callback{}, fmt.Errorf("wechatpaytest: order %s is %s", orderNo, o.state)
	}
	tx := s.transactionOf(o)
	tx.TradeState, tx.TradeStateDesc = "SUCCESS", stateDesc["SUCCESS"]
	s.mu.Unlock()
	return s.Notification("TRANSACTION.SUCCESS", tx, now), nil
}

// SetState sets an order's trade_state: SUCCESS (paid now, if not before),
// NOTPAY, USERPAYING, CLOSED, REVOKED, PAYERROR or REFUND.
func (s *Server) SetState(orderNo, state string) error {
	if _, ok := stateDesc[state]; !ok {
		return fmt.Errorf("wechatpaytest: unknown trade_state %s", state)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[orderNo]
	if !ok {
		return fmt.Errorf("wechatpaytest: no order %s", orderNo)
	}
	if state == "SUCCESS" || state == "REFUND" {
		s.markPaid(o)
	}
	o.state = state
	return nil
}

// NotificationFor forges a TRANSACTION.SUCCESS notification for orderNo
// (known to the fake or not) saying amountFen was paid, stamped at. It is
// correctly signed and encrypted and changes nothing at the fake: tests use
// it for forged amounts and stale timestamps.
func (s *Server) NotificationFor(orderNo string, amountFen int64, at time.Time) payment.Callback {
	s.mu.Lock()
	tx := Transaction{AppID: s.AppID, MchID: s.MchID, OutTradeNo: orderNo, TradeType: TradeJSAPI}
	if o, ok := s.orders[orderNo]; ok {
		tx = s.transactionOf(o)
	}
	s.mu.Unlock()
	if tx.TransactionID == "" {
		tx.TransactionID = "4200" + randomString(24, "0123456789")
		tx.TradeType, tx.BankType = TradeJSAPI, "OTHERS"
		tx.Payer = &TransactionPayer{OpenID: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}
	}
	tx.TradeState, tx.TradeStateDesc = "SUCCESS", stateDesc["SUCCESS"]
	tx.SuccessTime = at.In(beijing).Format(time.RFC3339)
	tx.Amount = &TransactionAmount{Total: amountFen, PayerTotal: amountFen, Currency: "CNY", PayerCurrency: "CNY"}
	return s.Notification("TRANSACTION.SUCCESS", tx, at)
}

// Notification is the signed, encrypted notification of eventType about tx,
// stamped at.
func (s *Server) Notification(eventType string, tx Transaction, at time.Time) payment.Callback {
	plain, err := json.Marshal(tx)
	if err != nil {
		panic(err) // a Transaction always marshals
	}
	return s.SignedCallback(s.NotificationBody(eventType, plain, at), at)
}

// NotificationBody is a notification body whose resource is plaintext
// sealed with AES-256-GCM under the APIv3 key, as WeChat builds it.
func (s *Server) NotificationBody(eventType string, plaintext []byte, at time.Time) []byte {
	nonce := randomString(12, alnum)
	const ad = "transaction"
	block, err := aes.NewCipher([]byte(s.APIv3Key))
	if err != nil {
		panic(err) // New checked the key's length
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	sealed := gcm.Seal(nil, []byte(nonce), plaintext, []byte(ad))
	body, err := json.Marshal(map[string]any{
		"id":            "EV-" + randomString(19, "0123456789"),
		"create_time":   at.In(beijing).Format(time.RFC3339),
		"resource_type": "encrypt-resource",
		"event_type":    eventType,
		"summary":       "支付成功",
		"resource": map[string]string{
			"original_type":   "transaction",
			"algorithm":       "AEAD_AES_256_GCM",
			"ciphertext":      base64.StdEncoding.EncodeToString(sealed),
			"associated_data": ad,
			"nonce":           nonce,
		},
	})
	if err != nil {
		panic(err)
	}
	return body
}

// SignedCallback is body with the headers WeChat sends, signed at at by the
// platform key.
func (s *Server) SignedCallback(body []byte, at time.Time) payment.Callback {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048")
	s.signedHeaders(h, body, at)
	return payment.Callback{Header: h, Body: body}
}

// Notify POSTs cb to url as WeChat does and answers the status and body.
func (s *Server) Notify(ctx context.Context, url string, cb payment.Callback) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(cb.Body))
	if err != nil {
		return 0, nil, err
	}
	for k, vs := range cb.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
	req.Header.Set("User-Agent", "Mozilla/4.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body, err
}
