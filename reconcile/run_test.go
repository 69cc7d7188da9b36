package reconcile_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/seal"
	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
	"github.com/ecard/ecard/reconcile"
)

// TestRunMatchesTheLedgersDay pays and refunds WeChat Pay orders in the
// ledger, then reconciles a bill that has one line too many, lacks one and
// disagrees on one amount.
func TestRunMatchesTheLedgersDay(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC) // 10:00 in China
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		sealer, _ := seal.New(key)
		l, err := ledger.New(db, ledger.Options{Now: func() time.Time { return now }, Sealer: sealer,
			Argon2: ledger.Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}})
		if err != nil {
			t.Fatal(err)
		}
		school, err := l.CreateSchool(ctx, ledger.NewSchool{Code: "demo", Name: "演示大学", Policies: ledger.DefaultPolicies()})
		if err != nil {
			t.Fatal(err)
		}
		h, err := l.CreateHolder(ctx, ledger.NewHolder{SchoolID: school.ID, Number: "2024001", Name: "张三", Kind: ledger.KindStudent, IDLast6: "123456"})
		if err != nil {
			t.Fatal(err)
		}
		var orders []ledger.Order
		for i, amount := range []int64{5000, 10000, 3000} {
			o, err := l.CreateOrder(ctx, ledger.NewOrder{SchoolID: school.ID, HolderID: h.ID, Channel: "wechatpay", Scene: "jsapi",
				Payer: ledger.PayerHolder, AmountFen: amount, TTL: 15 * time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := l.CreditOrder(ctx, ledger.PaidOrder{OrderNo: o.OrderNo, ProviderTxnID: fmt.Sprint("42000", i), AmountFen: amount, PaidAt: now}); err != nil {
				t.Fatal(err)
			}
			orders = append(orders, o)
		}
		if _, err := l.StartOrderRefund(ctx, orders[0].OrderNo); err != nil {
			t.Fatal(err)
		}
		refunded, err := l.FinishOrderRefund(ctx, orders[0].OrderNo, "5030")
		if err != nil {
			t.Fatal(err)
		}
		row := func(state, orderNo, settled, refundNo, refund string) string {
			fields := []string{"2026-11-21 10:00:00", "wx1", "1900012345", "0", "", "4200", orderNo, "openid", "JSAPI", state, "OTHERS", "CNY",
				settled, "0.00", "0", refundNo, refund, "0.00", "", "", "校园卡充值", "", "0.00000", "0.60%", settled, refund, ""}
			return "`" + strings.Join(fields, ",`")
		}
		header := "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
		bill := strings.Join([]string{header,
			row("SUCCESS", orders[0].OrderNo, "50.00", "0", "0.00"),
			row("SUCCESS", orders[1].OrderNo, "100.01", "0", "0.00"), // amount differs
			// orders[2] is missing from the bill
			row("SUCCESS", "EC-NOT-OURS-1", "1.00", "0", "0.00"), // not in the ledger
			row("REFUND", orders[0].OrderNo, "0.00", refunded.RefundNo, "50.00"),
			"总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额",
			"`4,`151.01,`50.00,`0.00,`0.00000,`151.01,`50.00",
		}, "\n")
		rep, err := reconcile.Run(ctx, l, "wechatpay", "2026-11-21", "test", strings.NewReader(bill))
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK() || rep.Matched != 2 || len(rep.Mismatches) != 1 || len(rep.MissingHere) != 1 || len(rep.MissingThere) != 1 {
			t.Fatalf("report: %+v", rep)
		}
		if rep.Mismatches[0].OrderNo != orders[1].OrderNo || rep.Mismatches[0].BillFen != 10001 || rep.Mismatches[0].LedgerFen != 10000 {
			t.Fatalf("mismatch: %+v", rep.Mismatches[0])
		}
		if rep.MissingHere[0].OrderNo != "EC-NOT-OURS-1" || rep.MissingThere[0].OrderNo != orders[2].OrderNo {
			t.Fatalf("missing: %+v %+v", rep.MissingHere, rep.MissingThere)
		}
		// The day before has nothing of ours.
		if rep, err := reconcile.Run(ctx, l, "wechatpay", "2026-11-20", "test", strings.NewReader(bill)); err != nil || rep.Matched != 0 {
			t.Fatalf("other day: %+v %v", rep, err)
		}
		stored, err := l.Reconciliations(ctx, 0, 10)
		if err != nil || len(stored) != 2 || stored[1].Problems != 3 || stored[1].OK {
			t.Fatalf("stored: %+v %v", stored, err)
		}
		if _, err := reconcile.Run(ctx, l, "wechatpay", "2026-11-21", "test", strings.NewReader("not a bill")); ledger.ErrorCode(err) != ledger.CodeInvalidRequest {
			t.Fatalf("a bad bill: %v", err)
		}
	})
}
