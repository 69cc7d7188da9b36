package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ecard/ecard/ledger"
)

// chinaTime is the providers' bill day: UTC+8, without needing tzdata.
var chinaTime = time.FixedZone("CST", 8*3600)

// Run reconciles one provider's bill for one day (YYYY-MM-DD, China time)
// against what the ledger recorded for that provider that day, stores the
// report, and answers it. runBy names who asked (an admin, "cli").
func Run(ctx context.Context, l *ledger.Ledger, provider, date, runBy string, bill io.Reader) (Report, error) {
	if provider != ProviderWeChatPay && provider != ProviderAlipay {
		return Report{}, &ledger.Error{Code: ledger.CodeInvalidRequest, Message: "provider must be wechatpay or alipay"}
	}
	day, err := time.ParseInLocation("2006-01-02", date, chinaTime)
	if err != nil {
		return Report{}, &ledger.Error{Code: ledger.CodeInvalidRequest, Message: "date must be YYYY-MM-DD"}
	}
	lines, err := Parse(provider, bill)
	if errors.Is(err, ErrBadBill) {
		return Report{}, &ledger.Error{Code: ledger.CodeInvalidRequest, Message: err.Error()}
	}
	if err != nil {
		return Report{}, err
	}
	moves, err := l.ChannelMovements(ctx, provider, day, day.AddDate(0, 0, 1))
	if err != nil {
		return Report{}, err
	}
	records := make([]Record, 0, len(moves))
	for _, m := range moves {
		r := Record{OrderNo: m.OrderNo, ProviderTxnID: m.ProviderTxnID, Kind: KindPayment, AmountFen: m.AmountFen, At: m.At}
		if m.Refund {
			r.Kind, r.RefundNo = KindRefund, m.RefundNo
		}
		records = append(records, r)
	}
	rep := Match(provider, date, lines, records)
	raw, err := json.Marshal(rep)
	if err != nil {
		return Report{}, err
	}
	_, err = l.SaveReconciliation(ctx, ledger.Reconciliation{Provider: provider, BillDate: date, OK: rep.OK(),
		BillLines: rep.BillLines, LedgerRecords: rep.LedgerRecords, Matched: rep.Matched,
		Problems: len(rep.MissingHere) + len(rep.MissingThere) + len(rep.Mismatches), Report: string(raw), RunBy: runBy})
	if err != nil {
		return Report{}, fmt.Errorf("reconcile: store report: %w", err)
	}
	return rep, nil
}
