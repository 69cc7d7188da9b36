package wechatpaytest

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Routes of the fake, as Calls counts them.
const (
	RoutePrepayJSAPI = "POST /v3/pay/transactions/jsapi"
	RoutePrepayH5    = "POST /v3/pay/transactions/h5"
	RoutePrepayApp   = "POST /v3/pay/transactions/app"
	RouteQuery       = "GET /v3/pay/transactions/out-trade-no/{no}"
	RouteClose       = "POST /v3/pay/transactions/out-trade-no/{no}/close"
	RouteRefund      = "POST /v3/refund/domestic/refunds"
)

// Trade types, as WeChat names them in a transaction.
const (
	TradeJSAPI = "JSAPI"
	TradeH5    = "MWEB"
	TradeApp   = "APP"
)

var (
	outTradeNoRe  = regexp.MustCompile(`^[0-9A-Za-z_\-*|]{6,32}$`) // WeChat allows 6-32 here
	outRefundNoRe = regexp.MustCompile(`^[0-9A-Za-z_\-|*@]{1,64}$`)
	// time_expire is yyyy-MM-DDTHH:mm:ss+TIMEZONE: whole seconds, explicit offset.
	timeExpireRe = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$`)
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(RoutePrepayJSAPI, s.authed(RoutePrepayJSAPI, s.prepay(TradeJSAPI)))
	mux.Handle(RoutePrepayH5, s.authed(RoutePrepayH5, s.prepay(TradeH5)))
	mux.Handle(RoutePrepayApp, s.authed(RoutePrepayApp, s.prepay(TradeApp)))
	mux.Handle(RouteQuery, s.authed(RouteQuery, s.query))
	mux.Handle(RouteClose, s.authed(RouteClose, s.closeOrder))
	mux.Handle(RouteRefund, s.authed(RouteRefund, s.refund))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, http.StatusNotFound, "NOT_FOUND", "no such API %s %s", r.Method, r.URL.Path)
	})
	return mux
}

// authed reads the body, checks the signature and the content type, counts
// the call and hands over.
func (s *Server) authed(route string, fn func(http.ResponseWriter, *http.Request, []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(w, r)
		if err != nil {
			s.fail(w, http.StatusBadRequest, "INVALID_REQUEST", "body: %v", err)
			return
		}
		if err := s.authenticate(r, body); err != nil {
			s.mu.Lock()
			s.signErrors++
			s.mu.Unlock()
			s.fail(w, http.StatusUnauthorized, "SIGN_ERROR", "签名错误: %v", err)
			return
		}
		s.mu.Lock()
		s.calls[route]++
		s.mu.Unlock()
		if r.Method == http.MethodPost {
			if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
				s.fail(w, http.StatusBadRequest, "INVALID_REQUEST", "Content-Type must be application/json")
				return
			}
		}
		fn(w, r, body)
	})
}

type order struct {
	no, tradeType, appID, description, notifyURL, openID, clientIP string
	amount                                                         int64
	expire                                                         time.Time // zero: none
	prepayID                                                       string
	state                                                          string // NOTPAY, SUCCESS, REFUND, CLOSED, …
	txnID                                                          string
	successTime                                                    time.Time
	refunded                                                       int64 // fen, never above amount
}

type prepayRequest struct {
	AppID       string `json:"appid"`
	MchID       string `json:"mchid"`
	Description string `json:"description"`
	OutTradeNo  string `json:"out_trade_no"`
	TimeExpire  string `json:"time_expire"`
	NotifyURL   string `json:"notify_url"`
	Amount      *struct {
		Total    *int64 `json:"total"`
		Currency string `json:"currency"`
	} `json:"amount"`
	Payer *struct {
		OpenID string `json:"openid"`
	} `json:"payer"`
	SceneInfo *struct {
		PayerClientIP string `json:"payer_client_ip"`
		H5Info        *struct {
			Type string `json:"type"`
		} `json:"h5_info"`
	} `json:"scene_info"`
}

func (s *Server) prepay(tradeType string) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		var req prepayRequest
		if err := json.Unmarshal(body, &req); err != nil {
			s.fail(w, http.StatusBadRequest, "PARAM_ERROR", "body is not JSON: %v", err)
			return
		}
		o, msg := s.checkPrepay(tradeType, req)
		if msg != "" {
			s.fail(w, http.StatusBadRequest, "PARAM_ERROR", "%s", msg)
			return
		}
		if req.MchID != s.MchID {
			s.fail(w, http.StatusBadRequest, "MCH_NOT_EXISTS", "商户号不存在")
			return
		}
		if req.AppID != s.AppID {
			s.fail(w, http.StatusBadRequest, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
			return
		}
		if !o.expire.IsZero() && !o.expire.After(s.now()) {
			s.fail(w, http.StatusBadRequest, "INVALID_REQUEST", "time_expire 已过期")
			return
		}

		prepayID, code, msg := s.open(o)
		if code != "" {
			s.fail(w, http.StatusBadRequest, code, "%s", msg)
			return
		}
		if tradeType == TradeH5 {
			s.reply(w, http.StatusOK, map[string]string{
				"h5_url": "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=" + prepayID + "&package=2756152379",
			})
			return
		}
		s.reply(w, http.StatusOK, map[string]string{"prepay_id": prepayID})
	}
}

// open keeps a new order and answers its prepay_id. A repeated prepay of
// the same unpaid order answers the same prepay_id; anything else about an
// existing order answers an error code and message.
func (s *Server) open(o *order) (prepayID, code, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, exists := s.orders[o.no]
	if !exists {
		s.seq++
		o.prepayID = fmt.Sprintf("wx%s%020d", s.now().In(beijing).Format("20060102150405"), s.seq)
		o.state = "NOTPAY"
		s.orders[o.no] = o
		return o.prepayID, "", ""
	}
	switch {
	case old.state == "SUCCESS" || old.state == "REFUND":
		return "", "ORDERPAID", "该订单已支付"
	case old.state != "NOTPAY" && old.state != "USERPAYING":
		return "", "ORDER_CLOSED", "订单已关闭"
	case old.tradeType != o.tradeType || old.amount != o.amount || old.description != o.description || old.openID != o.openID:
		return "", "INVALID_REQUEST", "201 商户订单号重复"
	}
	return old.prepayID, "", ""
}

// checkPrepay answers the order a valid request opens, or why it is not valid.
func (s *Server) checkPrepay(tradeType string, req prepayRequest) (*order, string) {
	o := &order{
		no: req.OutTradeNo, tradeType: tradeType, appID: req.AppID,
		description: req.Description, notifyURL: req.NotifyURL,
	}
	switch {
	case req.AppID == "" || req.MchID == "":
		return nil, "appid and mchid are required"
	case req.Description == "" || len(req.Description) > 127:
		return nil, "description must be 1-127 bytes"
	case !outTradeNoRe.MatchString(req.OutTradeNo):
		return nil, "out_trade_no must be 6-32 of [0-9A-Za-z_-*|]"
	case req.Amount == nil || req.Amount.Total == nil || *req.Amount.Total <= 0:
		return nil, "amount.total must be a positive number of fen"
	case req.Amount.Currency != "" && req.Amount.Currency != "CNY":
		return nil, "amount.currency must be CNY"
	}
	o.amount = *req.Amount.Total
	u, err := url.Parse(req.NotifyURL)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || strings.Contains(req.NotifyURL, "?") {
		return nil, "notify_url must be an https URL without a query"
	}
	if req.TimeExpire != "" {
		if !timeExpireRe.MatchString(req.TimeExpire) {
			return nil, "time_expire must be yyyy-MM-DDTHH:mm:ss+TIMEZONE"
		}
		if o.expire, err = time.Parse(time.RFC3339, req.TimeExpire); err != nil {
			return nil, "time_expire: " + err.Error()
		}
	}
	if req.SceneInfo != nil {
		o.clientIP = req.SceneInfo.PayerClientIP
	}
	switch tradeType {
	case TradeJSAPI:
		if req.Payer == nil || req.Payer.OpenID == "" {
			return nil, "payer.openid is required"
		}
		o.openID = req.Payer.OpenID
	case TradeH5:
		if req.SceneInfo == nil || req.SceneInfo.PayerClientIP == "" {
			return nil, "scene_info.payer_client_ip is required"
		}
		if req.SceneInfo.H5Info == nil || req.SceneInfo.H5Info.Type == "" {
			return nil, "scene_info.h5_info.type is required"
		}
	}
	return o, ""
}

func (s *Server) query(w http.ResponseWriter, r *http.Request, _ []byte) {
	if r.URL.Query().Get("mchid") != s.MchID {
		s.fail(w, http.StatusBadRequest, "PARAM_ERROR", "mchid does not match")
		return
	}
	no := r.PathValue("no")
	s.mu.Lock()
	o, ok := s.orders[no]
	var tx Transaction
	if ok {
		tx = s.transactionOf(o)
	}
	s.mu.Unlock()
	if !ok {
		s.fail(w, http.StatusNotFound, "ORDER_NOT_EXIST", "订单不存在")
		return
	}
	s.reply(w, http.StatusOK, tx)
}

func (s *Server) closeOrder(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		MchID string `json:"mchid"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.MchID != s.MchID {
		s.fail(w, http.StatusBadRequest, "PARAM_ERROR", "mchid does not match")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[r.PathValue("no")]
	switch {
	case !ok: // WeChat answers 204 for an order it does not know
	case o.state == "SUCCESS" || o.state == "REFUND":
		s.fail(w, http.StatusBadRequest, "ORDERPAID", "订单已支付")
		return
	case o.state == "CLOSED" || o.state == "REVOKED":
		s.fail(w, http.StatusBadRequest, "ORDER_CLOSED", "订单已关闭")
		return
	default:
		o.state = "CLOSED"
	}
	s.reply(w, http.StatusNoContent, nil)
}
