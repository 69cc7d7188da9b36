// Package alipaytest is a fake Alipay open-platform gateway for tests. It
// speaks the real protocol: requests are form posts to /gateway.do whose
// RSA2 signature (over the sorted k=v pairs but sign) it verifies with the
// application's public key; answers are {"<method>_response": {...},
// "sign": ...} signed with its own Alipay key over the exact bytes of the
// response object; asynchronous notifications are form posts signed over
// every field but sign and sign_type. Keys are generated in the test.
//
// It serves alipay.trade.query, alipay.trade.close and alipay.trade.refund,
// and plays the payer: Open and Pay take the signed wap pay URL or app
// order_string that ecard gave the client, check its signature, and create
// or pay the trade.
package alipaytest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecard/ecard/bff/alipay"
	"github.com/ecard/ecard/bff/payment"
)

// Gateway methods the fake serves, as counted by Calls.
const (
	MethodQuery  = "alipay.trade.query"
	MethodClose  = "alipay.trade.close"
	MethodRefund = "alipay.trade.refund"
)

// Trade is a trade as the fake holds it.
type Trade struct {
	OutTradeNo  string
	TradeNo     string
	AmountFen   int64
	Status      string // WAIT_BUYER_PAY, TRADE_SUCCESS, TRADE_CLOSED
	NotifyURL   string
	PaidAt      time.Time
	RefundedFen int64
	refunds     map[string]int64 // out_request_no -> fen
}

// Server is the fake gateway.
type Server struct {
	AppID string
	// AppKey signs requests as ecard would (the application's private key);
	// AlipayKey signs answers and notifications as Alipay would.
	AppKey, AlipayKey *rsa.PrivateKey

	t   testing.TB
	srv *httptest.Server
	now func() time.Time

	mu     sync.Mutex
	trades map[string]*Trade
	calls  map[string]int
	seq    int
}

// Option changes a Server.
type Option func(*Server)

// WithClock stamps times (payment, notify_time) from now.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// RSA keys take a while to generate; every fake in a test binary shares one
// pair, which is as good for tests as a fresh one.
var (
	keysOnce         sync.Once
	appKey, aliKey   *rsa.PrivateKey
	errKeyGeneration error
)

func testKeys() (*rsa.PrivateKey, *rsa.PrivateKey, error) {
	keysOnce.Do(func() {
		if appKey, errKeyGeneration = rsa.GenerateKey(rand.Reader, 2048); errKeyGeneration == nil {
			aliKey, errKeyGeneration = rsa.GenerateKey(rand.Reader, 2048)
		}
	})
	return appKey, aliKey, errKeyGeneration
}

// New starts a fake gateway, closed when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	ak, alk, err := testKeys()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{AppID: "2021000000000001", AppKey: ak, AlipayKey: alk, t: t, now: time.Now,
		trades: map[string]*Trade{}, calls: map[string]int{}}
	for _, o := range opts {
		o(s)
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveGateway))
	t.Cleanup(s.srv.Close)
	return s
}

// Config is an alipay.Config for this fake.
func (s *Server) Config() alipay.Config {
	return alipay.Config{AppID: s.AppID, PrivateKeyPEM: PrivateKeyPEM(s.AppKey), AlipayPublicKeyPEM: PublicKeyPEM(&s.AlipayKey.PublicKey),
		GatewayURL: s.GatewayURL(), HTTPClient: s.srv.Client(), Now: s.now}
}

// GatewayURL is where the fake's gateway listens.
func (s *Server) GatewayURL() string { return s.srv.URL + "/gateway.do" }

// PrivateKeyPEM writes a key as PKCS#8 PEM, as Alipay's key tool does.
func PrivateKeyPEM(k *rsa.PrivateKey) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// PublicKeyPEM writes a public key as PKIX PEM.
func PublicKeyPEM(k *rsa.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// Calls counts the requests for a gateway method that passed the signature check.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Trade answers the fake's copy of a trade.
func (s *Server) Trade(orderNo string) (Trade, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.trades[orderNo]
	if !ok {
		return Trade{}, false
	}
	return *t, true
}

// Content is the string-to-sign of Alipay's RSA2: the k=v pairs sorted, but
// those named in skip, joined by '&', values as they are (not escaped).
func Content(v url.Values, skip ...string) string {
	var pairs []string
	for k, vs := range v {
		if contains(skip, k) {
			continue
		}
		for _, x := range vs {
			pairs = append(pairs, k+"="+x)
		}
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Sign is RSA-SHA256 (PKCS #1 v1.5) of data, base64.
func Sign(k *rsa.PrivateKey, data []byte) string {
	sum := sha256.Sum256(data)
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func verify(k *rsa.PublicKey, data []byte, sig string) error {
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	return rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], raw)
}

// checkRequest verifies a signed request or pay string as Alipay does: our
// app_id, RSA2, utf-8, and the signature over every field but sign.
func (s *Server) checkRequest(v url.Values) error {
	switch {
	case v.Get("app_id") != s.AppID:
		return fmt.Errorf("isv.invalid-app-id: %q", v.Get("app_id"))
	case v.Get("sign_type") != "RSA2":
		return fmt.Errorf("isv.invalid-signature-type: %q", v.Get("sign_type"))
	case v.Get("charset") != "utf-8" || v.Get("version") != "1.0" || v.Get("method") == "":
		return errors.New("isv.missing-method or bad charset or version")
	}
	if _, err := time.ParseInLocation(alipay.TimeLayout, v.Get("timestamp"), alipay.Beijing); err != nil {
		return fmt.Errorf("isv.invalid-timestamp: %v", err)
	}
	if err := verify(&s.AppKey.PublicKey, []byte(Content(v, "sign")), v.Get("sign")); err != nil {
		return fmt.Errorf("isv.invalid-signature: %v", err)
	}
	return nil
}

// biz is the biz_content of a request.
type biz struct {
	OutTradeNo   string `json:"out_trade_no"`
	TradeNo      string `json:"trade_no"`
	TotalAmount  string `json:"total_amount"`
	Subject      string `json:"subject"`
	ProductCode  string `json:"product_code"`
	TimeExpire   string `json:"time_expire"`
	RefundAmount string `json:"refund_amount"`
	OutRequestNo string `json:"out_request_no"`
}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/gateway.do" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	v := r.Form
	method := v.Get("method")
	field := strings.ReplaceAll(method, ".", "_") + "_response"
	if err := s.checkRequest(v); err != nil {
		// Alipay answers a bad signature unsigned.
		s.answer(w, field, map[string]any{"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-signature",
			"sub_msg": err.Error()}, false)
		return
	}
	var b biz
	if err := json.Unmarshal([]byte(v.Get("biz_content")), &b); err != nil {
		s.answer(w, field, fail("40002", "isv.invalid-parameter", "biz_content"), true)
		return
	}
	s.mu.Lock()
	s.calls[method]++
	var out map[string]any
	switch method {
	case MethodQuery:
		out = s.query(b)
	case MethodClose:
		out = s.close(b)
	case MethodRefund:
		out = s.refund(b)
	default:
		out = fail("40004", "isv.invalid-method", method)
	}
	s.mu.Unlock()
	s.answer(w, field, out, true)
}

func fail(code, subCode, subMsg string) map[string]any {
	msg := "Business Failed"
	if code == "40002" {
		msg = "Invalid Arguments"
	}
	return map[string]any{"code": code, "msg": msg, "sub_code": subCode, "sub_msg": subMsg}
}

func ok(t *Trade, extra map[string]any) map[string]any {
	out := map[string]any{"code": "10000", "msg": "Success", "out_trade_no": t.OutTradeNo, "trade_no": t.TradeNo,
		"buyer_logon_id": "159****5620", "buyer_user_id": "2088102177846880"}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// answer writes {"field": body, "sign": sig}; the signature covers exactly
// the bytes of body as written.
func (s *Server) answer(w http.ResponseWriter, field string, body map[string]any, signed bool) {
	raw, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `{%q:%s`, field, raw)
	if signed {
		fmt.Fprintf(&buf, `,"sign":%q`, Sign(s.AlipayKey, raw))
	}
	buf.WriteString("}")
	w.Header().Set("Content-Type", "text/html;charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) lookup(b biz) *Trade {
	if t, ok := s.trades[b.OutTradeNo]; ok && b.OutTradeNo != "" {
		return t
	}
	for _, t := range s.trades {
		if b.TradeNo != "" && t.TradeNo == b.TradeNo {
			return t
		}
	}
	return nil
}

func (s *Server) query(b biz) map[string]any {
	t := s.lookup(b)
	if t == nil {
		return fail("40004", alipay.SubCodeTradeNotExist, "交易不存在")
	}
	extra := map[string]any{"trade_status": t.Status, "total_amount": alipay.Yuan(t.AmountFen)}
	if !t.PaidAt.IsZero() {
		extra["send_pay_date"] = t.PaidAt.In(alipay.Beijing).Format(alipay.TimeLayout)
		extra["buyer_pay_amount"] = alipay.Yuan(t.AmountFen)
		extra["receipt_amount"] = alipay.Yuan(t.AmountFen)
	}
	return ok(t, extra)
}

func (s *Server) close(b biz) map[string]any {
	t := s.lookup(b)
	switch {
	case t == nil:
		return fail("40004", alipay.SubCodeTradeNotExist, "交易不存在")
	case t.Status != alipay.StatusWaitBuyerPay:
		return fail("40004", alipay.SubCodeTradeStatusError, "交易状态不合法")
	}
	t.Status = alipay.StatusClosed
	return ok(t, nil)
}

func (s *Server) refund(b biz) map[string]any {
	t := s.lookup(b)
	if t == nil {
		return fail("40004", alipay.SubCodeTradeNotExist, "交易不存在")
	}
	amount, err := alipay.ParseFen(b.RefundAmount)
	if err != nil || amount <= 0 || b.OutRequestNo == "" {
		return fail("40002", "isv.invalid-parameter", "refund_amount or out_request_no")
	}
	if prev, seen := t.refunds[b.OutRequestNo]; seen {
		if prev != amount {
			return fail("40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额与原请求不一致")
		}
		return ok(t, map[string]any{"fund_change": "N", "refund_fee": alipay.Yuan(t.RefundedFen)})
	}
	switch {
	case t.Status != alipay.StatusSuccess:
		return fail("40004", alipay.SubCodeTradeStatusError, "交易状态不合法")
	case t.RefundedFen+amount > t.AmountFen:
		return fail("40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
	}
	t.refunds[b.OutRequestNo] = amount
	t.RefundedFen += amount
	if t.RefundedFen == t.AmountFen {
		t.Status = alipay.StatusClosed
	}
	return ok(t, map[string]any{"fund_change": "Y", "refund_fee": alipay.Yuan(t.RefundedFen)})
}

// payParams reads the signed parameters out of what Prepay answered: the
// query of the wap pay URL, or the app order_string.
func payParams(pay payment.Pay) (url.Values, error) {
	if raw, ok := pay["url"]; ok {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, err
		}
		return u.Query(), nil
	}
	if raw, ok := pay["order_string"]; ok {
		return url.ParseQuery(raw)
	}
	return nil, fmt.Errorf("alipaytest: pay %v has neither url nor order_string", pay)
}

// Open is the payer opening the cashier with what ecard handed out: the
// signature is checked and the trade created, waiting for the buyer.
func (s *Server) Open(pay payment.Pay) (string, error) {
	v, err := payParams(pay)
	if err != nil {
		return "", err
	}
	if err := s.checkRequest(v); err != nil {
		return "", err
	}
	var b biz
	if err := json.Unmarshal([]byte(v.Get("biz_content")), &b); err != nil {
		return "", err
	}
	wantProduct := map[string]string{"alipay.trade.wap.pay": alipay.ProductWap, "alipay.trade.app.pay": alipay.ProductApp}
	if p, known := wantProduct[v.Get("method")]; !known || p != b.ProductCode {
		return "", fmt.Errorf("alipaytest: method %q with product_code %q", v.Get("method"), b.ProductCode)
	}
	amount, err := alipay.ParseFen(b.TotalAmount)
	if err != nil || amount <= 0 || b.OutTradeNo == "" || b.Subject == "" {
		return "", fmt.Errorf("alipaytest: bad trade %+v", b)
	}
	if b.TimeExpire != "" {
		exp, err := time.ParseInLocation(alipay.TimeLayout, b.TimeExpire, alipay.Beijing)
		if err != nil {
			return "", fmt.Errorf("alipaytest: time_expire: %w", err)
		}
		if s.now().After(exp) {
			return "", errors.New("alipaytest: ACQ.TRADE_HAS_CLOSE: the order has expired")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, seen := s.trades[b.OutTradeNo]; seen {
		if t.AmountFen != amount {
			return "", errors.New("alipaytest: ACQ.CONTEXT_INCONSISTENT")
		}
		return b.OutTradeNo, nil
	}
	s.seq++
	s.trades[b.OutTradeNo] = &Trade{OutTradeNo: b.OutTradeNo, AmountFen: amount, Status: alipay.StatusWaitBuyerPay,
		NotifyURL: v.Get("notify_url"), refunds: map[string]int64{},
		TradeNo: fmt.Sprintf("%s2200%016d", s.now().In(alipay.Beijing).Format("20060102"), s.seq)}
	return b.OutTradeNo, nil
}

// Pay is the payer paying: the trade is opened if need be, paid, and the
// signed notification Alipay sends for it is answered. Paying a paid trade
// answers the notification again, as Alipay's retries would.
func (s *Server) Pay(pay payment.Pay) (payment.Callback, error) {
	orderNo, err := s.Open(pay)
	if err != nil {
		return payment.Callback{}, err
	}
	s.mu.Lock()
	t := s.trades[orderNo]
	switch t.Status {
	case alipay.StatusWaitBuyerPay:
		t.Status, t.PaidAt = alipay.StatusSuccess, s.now()
	case alipay.StatusSuccess:
	default:
		s.mu.Unlock()
		return payment.Callback{}, fmt.Errorf("alipaytest: trade %s is %s", orderNo, t.Status)
	}
	s.mu.Unlock()
	return s.Notification(orderNo)
}

// NotificationValues are the fields of the trade's notification, unsigned;
// tests change them and sign them with SignedCallback.
func (s *Server) NotificationValues(orderNo string) (url.Values, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, found := s.trades[orderNo]
	if !found {
		return nil, fmt.Errorf("alipaytest: no trade %s", orderNo)
	}
	return s.notificationValues(t), nil
}

// NotificationFor is a notification, signed by Alipay, that the order was
// paid with amountFen, whatever the fake knows about it: what a compromised
// or confused sender could say.
func (s *Server) NotificationFor(orderNo string, amountFen int64) payment.Callback {
	s.mu.Lock()
	v := s.notificationValues(&Trade{OutTradeNo: orderNo, TradeNo: "2026090122001499999999999999", AmountFen: amountFen,
		Status: alipay.StatusSuccess, PaidAt: s.now()})
	s.mu.Unlock()
	return s.SignedCallback(v)
}

func (s *Server) notificationValues(t *Trade) url.Values {
	now := s.now().In(alipay.Beijing)
	v := url.Values{}
	v.Set("notify_time", now.Format(alipay.TimeLayout))
	v.Set("notify_type", alipay.NotifyTypeTrade)
	v.Set("notify_id", fmt.Sprintf("ac05099524730693a8b330c5ecf72da%04d", s.seq))
	v.Set("charset", "utf-8")
	v.Set("version", "1.0")
	v.Set("app_id", s.AppID)
	v.Set("auth_app_id", s.AppID)
	v.Set("trade_no", t.TradeNo)
	v.Set("out_trade_no", t.OutTradeNo)
	v.Set("trade_status", t.Status)
	v.Set("total_amount", alipay.Yuan(t.AmountFen))
	v.Set("receipt_amount", alipay.Yuan(t.AmountFen))
	v.Set("buyer_pay_amount", alipay.Yuan(t.AmountFen))
	v.Set("seller_id", "2088101117955611")
	v.Set("buyer_id", "2088102177846880")
	v.Set("subject", "校园卡充值")
	v.Set("gmt_create", now.Format(alipay.TimeLayout))
	if !t.PaidAt.IsZero() {
		v.Set("gmt_payment", t.PaidAt.In(alipay.Beijing).Format(alipay.TimeLayout))
	}
	return v
}

// Notification is the trade's current notification, signed by Alipay.
func (s *Server) Notification(orderNo string) (payment.Callback, error) {
	v, err := s.NotificationValues(orderNo)
	if err != nil {
		return payment.Callback{}, err
	}
	return s.SignedCallback(v), nil
}

// SignedCallback signs any fields as Alipay signs a notification (RSA2 over
// all but sign and sign_type) and makes the form post of them.
func (s *Server) SignedCallback(v url.Values) payment.Callback {
	return SignedCallback(s.AlipayKey, v)
}

// SignedCallback signs v with key; a key that is not the fake's makes a
// forgery.
func SignedCallback(key *rsa.PrivateKey, v url.Values) payment.Callback {
	v = cloneValues(v)
	v.Del("sign")
	v.Set("sign_type", "RSA2")
	v.Set("sign", Sign(key, []byte(Content(v, "sign", "sign_type"))))
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	return payment.Callback{Header: h, Body: []byte(v.Encode())}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// Send posts the trade's notification to the notify_url the order gave, as
// Alipay does, and answers the body it got back ("success" ends Alipay's
// retries).
func (s *Server) Send(ctx context.Context, client *http.Client, orderNo string) (string, error) {
	t, found := s.Trade(orderNo)
	if !found || t.NotifyURL == "" {
		return "", fmt.Errorf("alipaytest: trade %s has no notify_url", orderNo)
	}
	cb, err := s.Notification(orderNo)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.NotifyURL, bytes.NewReader(cb.Body))
	if err != nil {
		return "", err
	}
	req.Header = cb.Header.Clone()
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<10))
	return string(body), err
}
