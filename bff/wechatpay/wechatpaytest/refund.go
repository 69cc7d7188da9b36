package wechatpaytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

type refund struct {
	no, id, orderNo, txnID string
	amount, total          int64
	status                 string
	created                time.Time
}

type refundRequest struct {
	TransactionID string `json:"transaction_id"`
	OutTradeNo    string `json:"out_trade_no"`
	OutRefundNo   string `json:"out_refund_no"`
	Reason        string `json:"reason"`
	NotifyURL     string `json:"notify_url"`
	Amount        *struct {
		Refund   *int64 `json:"refund"`
		Total    *int64 `json:"total"`
		Currency string `json:"currency"`
	} `json:"amount"`
}

// refundAnswer is the Refund object of /v3/refund/domestic/refunds.
type refundAnswer struct {
	RefundID            string       `json:"refund_id"`
	OutRefundNo         string       `json:"out_refund_no"`
	TransactionID       string       `json:"transaction_id"`
	OutTradeNo          string       `json:"out_trade_no"`
	Channel             string       `json:"channel"`
	UserReceivedAccount string       `json:"user_received_account"`
	SuccessTime         string       `json:"success_time,omitempty"`
	CreateTime          string       `json:"create_time"`
	Status              string       `json:"status"`
	FundsAccount        string       `json:"funds_account"`
	Amount              refundAmount `json:"amount"`
}

type refundAmount struct {
	Total            int64  `json:"total"`
	Refund           int64  `json:"refund"`
	PayerTotal       int64  `json:"payer_total"`
	PayerRefund      int64  `json:"payer_refund"`
	SettlementRefund int64  `json:"settlement_refund"`
	SettlementTotal  int64  `json:"settlement_total"`
	DiscountRefund   int64  `json:"discount_refund"`
	Currency         string `json:"currency"`
	From             []any  `json:"from"`
}

func (s *Server) refund(w http.ResponseWriter, _ *http.Request, body []byte) {
	var req refundRequest
	if err := json.Unmarshal(body, &req); err != nil {
		s.fail(w, http.StatusBadRequest, "PARAM_ERROR", "body is not JSON: %v", err)
		return
	}
	switch {
	case !outRefundNoRe.MatchString(req.OutRefundNo):
		s.fail(w, http.StatusBadRequest, "PARAM_ERROR", "out_refund_no must be 1-64 of [0-9A-Za-z_-|*@]")
		return
	case req.TransactionID == "" && req.OutTradeNo == "":
		s.fail(w, http.StatusBadRequest, "PARAM_ERROR", "transaction_id or out_trade_no is required")
		return
	case req.Amount == nil || req.Amount.Refund == nil || req.Amount.Total == nil ||
		*req.Amount.Refund <= 0 || *req.Amount.Total <= 0 || req.Amount.Currency != "CNY":
		s.fail(w, http.StatusBadRequest, "PARAM_ERROR", "amount.refund, amount.total and amount.currency CNY are required")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.findOrder(req.TransactionID, req.OutTradeNo)
	if o == nil || (o.state != "SUCCESS" && o.state != "REFUND") {
		s.fail(w, http.StatusNotFound, "RESOURCE_NOT_EXISTS", "订单不存在或未支付")
		return
	}
	if rf, ok := s.refunds[req.OutRefundNo]; ok {
		// The same out_refund_no is the same refund: answer it again, once.
		if rf.orderNo != o.no || rf.amount != *req.Amount.Refund {
			s.fail(w, http.StatusBadRequest, "INVALID_REQUEST", "退款单号重复，但退款参数与之前不一致")
			return
		}
		s.reply(w, http.StatusOK, s.refundAnswerOf(rf))
		return
	}
	if *req.Amount.Total != o.amount {
		s.fail(w, http.StatusBadRequest, "INVALID_REQUEST", "订单金额与原订单金额不一致")
		return
	}
	if *req.Amount.Refund > o.amount-o.refunded {
		s.fail(w, http.StatusBadRequest, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
		return
	}
	s.seq++
	rf := &refund{
		no: req.OutRefundNo, id: fmt.Sprintf("5030%025d", s.seq), orderNo: o.no, txnID: o.txnID,
		amount: *req.Amount.Refund, total: o.amount, status: s.refundStatus, created: s.now(),
	}
	if rf.status != "CLOSED" && rf.status != "ABNORMAL" {
		o.refunded += rf.amount
		o.state = "REFUND"
	}
	s.refunds[rf.no] = rf
	s.reply(w, http.StatusOK, s.refundAnswerOf(rf))
}

// findOrder prefers transaction_id, as WeChat does. Callers hold s.mu.
func (s *Server) findOrder(txnID, outTradeNo string) *order {
	if txnID != "" {
		for _, o := range s.orders {
			if o.txnID == txnID {
				return o
			}
		}
		return nil
	}
	return s.orders[outTradeNo]
}

func (s *Server) refundAnswerOf(rf *refund) refundAnswer {
	a := refundAnswer{
		RefundID: rf.id, OutRefundNo: rf.no, TransactionID: rf.txnID, OutTradeNo: rf.orderNo,
		Channel: "ORIGINAL", UserReceivedAccount: "支付用户零钱",
		CreateTime: rf.created.In(beijing).Format(time.RFC3339), Status: rf.status, FundsAccount: "AVAILABLE",
		Amount: refundAmount{
			Total: rf.total, Refund: rf.amount, PayerTotal: rf.total, PayerRefund: rf.amount,
			SettlementRefund: rf.amount, SettlementTotal: rf.total, Currency: "CNY", From: []any{},
		},
	}
	if rf.status == "SUCCESS" {
		a.SuccessTime = a.CreateTime
	}
	return a
}
