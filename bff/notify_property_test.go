package bff_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/ecard/ecard/bff"
	"github.com/ecard/ecard/bff/alipay/alipaytest"
	"github.com/ecard/ecard/bff/payment"
	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
)

// propertyChannel is how the property test pays and forges at one provider.
type propertyChannel struct {
	name  string
	pay   func(orderNo string, pay payment.Pay) (payment.Callback, error)
	forge func(orderNo string, amountFen int64) payment.Callback
}

// TestPropertyNotificationsCreditEachPaidOrderOnce throws duplicated,
// reordered, forged and concurrent notifications at many orders on two
// nodes, with the settlement job running meanwhile, and then checks that the
// ledger verifies and each paid order was credited exactly once; for the
// sandbox and for Alipay.
func TestPropertyNotificationsCreditEachPaidOrderOnce(t *testing.T) {
	rounds := 6
	if testing.Short() {
		rounds = 2
	}
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		var ap *alipaytest.Server
		h := newPayHarness(t, db, withAlipay(t, &ap))
		node2 := h.server(func(d *bff.Deps) { d.Payments = h.payments })
		nodes := []*bff.Server{h.srv, node2}
		holders := []int64{h.holder.ID, h.other.ID}
		channels := []propertyChannel{
			{payment.ChannelSandbox, func(no string, _ payment.Pay) (payment.Callback, error) { return h.sandbox.Pay(no) },
				func(no string, amount int64) payment.Callback {
					cb, _ := h.sandbox.Sign(no, "FORGED", amount, h.clock.Now())
					return cb
				}},
			{payment.ChannelAlipay, func(_ string, pay payment.Pay) (payment.Callback, error) { return ap.Pay(pay) }, ap.NotificationFor},
		}
		for i := 0; i < rounds*len(channels); i++ {
			round, ch := i, channels[i%len(channels)]
			rng := rand.New(rand.NewPCG(uint64(round), 42))
			want := map[int64]int64{}
			for _, id := range holders {
				want[id] = h.wallet(id)
			}
			type sent struct {
				cb    payment.Callback
				valid bool
			}
			var deliveries []sent
			paid := map[string]bool{}
			var orders []string
			for i := 0; i < 24; i++ {
				holder := holders[rng.IntN(len(holders))]
				amount := int64(100 + rng.IntN(20000))
				no, pay := h.providerOrder(ch.name, holder, amount)
				orders = append(orders, no)
				// Forged amounts arrive for any order.
				if rng.IntN(3) == 0 {
					deliveries = append(deliveries, sent{cb: ch.forge(no, amount+1)})
				}
				if rng.IntN(4) == 0 {
					continue // never paid
				}
				cb, err := ch.pay(no, pay)
				if err != nil {
					t.Fatal(err)
				}
				paid[no] = true
				want[holder] += amount
				if rng.IntN(5) == 0 {
					continue // notification lost: the settlement job must find it
				}
				for copies := 1 + rng.IntN(5); copies > 0; copies-- {
					deliveries = append(deliveries, sent{cb: cb, valid: true})
				}
			}
			rng.Shuffle(len(deliveries), func(i, j int) { deliveries[i], deliveries[j] = deliveries[j], deliveries[i] })
			h.clock.Advance(4 * time.Minute) // lost notifications are now due for a query
			var wg sync.WaitGroup
			work := make(chan sent)
			for w := 0; w < 6; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for d := range work {
						st := notify(t, nodes[w%2], ch.name, d.cb)
						if d.valid != (st == 200) {
							t.Errorf("valid=%v notification answered %d", d.valid, st)
						}
					}
				}(w)
			}
			for j := 0; j < 2; j++ {
				wg.Add(1)
				go func(j int) {
					defer wg.Done()
					if _, err := nodes[j].SettleOrders(context.Background()); err != nil {
						t.Error(err)
					}
				}(j)
			}
			for _, d := range deliveries {
				work <- d
			}
			close(work)
			wg.Wait()
			if _, err := h.srv.SettleOrders(context.Background()); err != nil {
				t.Fatal(err)
			}
			for _, id := range holders {
				if got := h.wallet(id); got != want[id] {
					t.Fatalf("round %d: holder %d wallet %d, want %d", round, id, got, want[id])
				}
			}
			for _, no := range orders {
				o, err := h.ledger.OrderByNo(context.Background(), no)
				if err != nil {
					t.Fatal(err)
				}
				if paid[no] != (o.Status == "paid") {
					t.Fatalf("round %d: order %s paid=%v but %s", round, no, paid[no], o.Status)
				}
			}
			h.verify()
			h.clock.Advance(20 * time.Minute) // close this round's unpaid orders next time
		}
	})
}

// directOrder opens a sandbox order without the HTTP rate limit.
func (h *payHarness) directOrder(holderID, amount int64) string {
	no, _ := h.providerOrder(payment.ChannelSandbox, holderID, amount)
	return no
}

// providerOrder opens an order at a provider without the HTTP rate limit.
func (h *payHarness) providerOrder(channel string, holderID, amount int64) (string, payment.Pay) {
	h.t.Helper()
	o, err := h.ledger.CreateOrder(context.Background(), ledger.NewOrder{SchoolID: h.school.ID, HolderID: holderID,
		Channel: channel, Scene: "h5", Payer: ledger.PayerHolder, AmountFen: amount, TTL: 15 * time.Minute})
	if err != nil {
		h.t.Fatal(err)
	}
	pay, err := h.payments.Providers[channel].Prepay(context.Background(), payment.Order{OrderNo: o.OrderNo, AmountFen: amount,
		Subject: "校园卡充值", Scene: o.Scene, NotifyURL: h.payments.PublicURL + "/pay/notify/" + channel, ExpiresAt: o.ExpiresAt})
	if err != nil {
		h.t.Fatal(err)
	}
	return o.OrderNo, pay
}
