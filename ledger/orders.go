package ledger

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"time"

	"gorm.io/gorm"
)

// Order statuses. See migration 00005 for how they move.
const (
	OrderCreated   = "created"
	OrderPaid      = "paid"
	OrderClosed    = "closed"
	OrderRefunding = "refunding"
	OrderRefunded  = "refunded"
)

// Who pays an order.
const (
	PayerHolder = "holder"
	PayerParent = "parent"
)

// Order is a top-up order at a payment provider.
type Order struct {
	ID               int64      `json:"-"`
	SchoolID         int64      `json:"school_id"`
	OrderNo          string     `json:"order_no"`
	HolderID         int64      `json:"holder_id"`
	Channel          string     `json:"channel"`
	Scene            string     `json:"scene"`
	Payer            string     `json:"payer"`
	AmountFen        int64      `json:"amount"`
	ToCard           bool       `json:"to_card"`
	Status           string     `json:"status"`
	ProviderTxnID    string     `json:"provider_txn_id,omitempty"`
	CreditEntryID    *int64     `json:"credit_entry_id,omitempty"`
	RefundEntryID    *int64     `json:"refund_entry_id,omitempty"`
	RefundNo         string     `json:"refund_no,omitempty"`
	RefundAttempts   int        `json:"refund_attempts"`
	ProviderRefundID string     `json:"provider_refund_id,omitempty"`
	ClientIP         string     `json:"-"`
	Phone            string     `json:"-"`
	CreatedAt        time.Time  `json:"created_at"`
	ExpiresAt        time.Time  `json:"expires_at"`
	PaidAt           *time.Time `json:"paid_at,omitempty"`
	ClosedAt         *time.Time `json:"closed_at,omitempty"`
	RefundedAt       *time.Time `json:"refunded_at,omitempty"`
}

// TableName is the orders table.
func (Order) TableName() string { return "topup_orders" }

// topupChannels are the providers an order may use, by their system account.
var topupChannels = map[string]AccountKind{"wechatpay": WeChatPay, "alipay": Alipay, "sandbox": Sandbox}

// NewOrder asks for a top-up order.
type NewOrder struct {
	SchoolID  int64
	HolderID  int64
	Channel   string // wechatpay, alipay or sandbox
	Scene     string // jsapi, h5 or app
	Payer     string // PayerHolder or PayerParent
	AmountFen int64
	ToCard    bool
	ClientIP  string
	Phone     string
	// TTL is how long the payer has to pay before the order is closed.
	TTL time.Duration
}

var validPhone = regexp.MustCompile(`^\+?[0-9]{5,20}$`)

// maxOrderTTL bounds how long an order stays payable (WeChat Pay allows two hours).
const maxOrderTTL = 2 * time.Hour

// CreateOrder records a new order after checking the amount against the
// school's top-up bounds and the holder's state. Nothing moves yet.
func (l *Ledger) CreateOrder(ctx context.Context, in NewOrder) (Order, error) {
	if _, ok := topupChannels[in.Channel]; !ok {
		return Order{}, refuse(CodeInvalidRequest, "channel must be wechatpay, alipay or sandbox")
	}
	if in.Scene != "jsapi" && in.Scene != "h5" && in.Scene != "app" {
		return Order{}, refuse(CodeInvalidRequest, "scene must be jsapi, h5 or app")
	}
	if in.Payer != PayerHolder && in.Payer != PayerParent {
		return Order{}, refuse(CodeInvalidRequest, "unknown payer %q", in.Payer)
	}
	if in.Phone != "" && !validPhone.MatchString(in.Phone) {
		return Order{}, refuse(CodeInvalidRequest, "phone must be 5-20 digits")
	}
	if in.TTL <= 0 || in.TTL > maxOrderTTL {
		return Order{}, refuse(CodeInvalidRequest, "order time must be positive and at most %s", maxOrderTTL)
	}
	school, err := l.SchoolByID(ctx, in.SchoolID)
	if err != nil {
		return Order{}, err
	}
	if in.AmountFen < school.TopupMinFen || in.AmountFen > school.TopupMaxFen {
		return Order{}, refuse(CodeInvalidRequest, "amount must be %d to %d fen", school.TopupMinFen, school.TopupMaxFen)
	}
	h, err := l.HolderByID(ctx, in.HolderID)
	if err != nil {
		return Order{}, err
	}
	if h.SchoolID != in.SchoolID {
		return Order{}, refuse(CodeNotFound, "holder not found")
	}
	if h.State(l.now()) == StatusClosed || h.State(l.now()) == "expired" {
		return Order{}, refuse(CodeAccountClosed, "account %s is closed", h.Number)
	}
	now := l.now()
	o := Order{SchoolID: in.SchoolID, OrderNo: newOrderNo(now), HolderID: in.HolderID, Channel: in.Channel,
		Scene: in.Scene, Payer: in.Payer, AmountFen: in.AmountFen, ToCard: in.ToCard, Status: OrderCreated,
		ClientIP: truncate(in.ClientIP, 64), Phone: in.Phone, CreatedAt: now, ExpiresAt: now.Add(in.TTL)}
	if err := l.db.WithContext(ctx).Create(&o).Error; err != nil {
		return Order{}, err
	}
	return o, nil
}

// newOrderNo is "EC", the UTC time to the second and ten random digits: 26
// characters, sortable, within every provider's 32.
func newOrderNo(now time.Time) string {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	digits := make([]byte, len(b))
	for i, v := range b {
		digits[i] = '0' + v%10
	}
	return "EC" + now.UTC().Format("20060102150405") + string(digits)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// OrderByNo finds an order.
func (l *Ledger) OrderByNo(ctx context.Context, orderNo string) (Order, error) {
	var o Order
	err := first(l.db.WithContext(ctx), &o, "order", "order_no = ?", orderNo)
	return o, err
}

// PaidOrder is a provider's word that an order was paid.
type PaidOrder struct {
	OrderNo       string
	ProviderTxnID string
	AmountFen     int64
	PaidAt        time.Time
}

// CreditOrder credits a paid order to the holder exactly once: the entry's
// key is "topup:<order_no>", and the order becomes paid in the same
// transaction. A second call answers the first credit. An amount that is not
// the order's is refused and changes nothing.
func (l *Ledger) CreditOrder(ctx context.Context, in PaidOrder) (Order, Entry, error) {
	o, err := l.OrderByNo(ctx, in.OrderNo)
	if err != nil {
		return Order{}, Entry{}, err
	}
	if in.AmountFen != o.AmountFen {
		return o, Entry{}, refuse(CodeConflict, "order %s is for %d fen, the provider reports %d", o.OrderNo, o.AmountFen, in.AmountFen)
	}
	if len(in.ProviderTxnID) > 64 {
		return o, Entry{}, refuse(CodeInvalidRequest, "provider transaction id too long")
	}
	channel := topupChannels[o.Channel]
	to := Wallet
	if o.ToCard {
		to = Pending
	}
	e := &Entry{SchoolID: o.SchoolID, IdempotencyKey: "topup:" + o.OrderNo, Kind: EntryTopup, Channel: o.Channel,
		HolderID: &o.HolderID, AmountFen: o.AmountFen, Memo: o.Payer + " order " + o.OrderNo,
		Fingerprint: fingerprint(EntryTopup, o.SchoolID, o.HolderID, channel, o.AmountFen, to)}
	entry, err := l.record(ctx, e, func(tx *gorm.DB, e *Entry) error {
		// Money the provider took is credited even to a holder closed since
		// the order was made; the office refunds it from there.
		src, err := l.systemAccount(tx, o.SchoolID, channel)
		if err != nil {
			return err
		}
		dst, err := l.holderAccounts(tx, o.HolderID, to)
		if err != nil {
			return err
		}
		if _, err := l.post(tx, e, []leg{{from: src, to: dst[to], amount: o.AmountFen}}); err != nil {
			return err
		}
		paidAt := in.PaidAt.UTC()
		if in.PaidAt.IsZero() {
			paidAt = e.CreatedAt
		}
		res := tx.Model(&Order{}).Where("id = ? AND status IN ?", o.ID, []string{OrderCreated, OrderClosed}).
			Updates(map[string]any{"status": OrderPaid, "credit_entry_id": e.ID, "provider_txn_id": in.ProviderTxnID, "paid_at": paidAt})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			// The credit entry's unique key already made this the only
			// credit; an order past "closed" without one cannot exist.
			panic(fmt.Sprintf("ledger: order %s credited from status %s", o.OrderNo, o.Status))
		}
		if err := l.setBalanceAfter(tx, e, o.HolderID); err != nil {
			return err
		}
		return l.queueRechargeSMS(tx, o, e)
	})
	if err != nil {
		return o, Entry{}, err
	}
	o, err = l.OrderByNo(ctx, in.OrderNo)
	return o, entry, err
}

// CloseOrder closes an order that was never paid. It answers the order as it
// now stands; closing a paid order changes nothing.
func (l *Ledger) CloseOrder(ctx context.Context, orderNo string) (Order, error) {
	now := l.now()
	if err := l.db.WithContext(ctx).Model(&Order{}).Where("order_no = ? AND status = ?", orderNo, OrderCreated).
		Updates(map[string]any{"status": OrderClosed, "closed_at": now}).Error; err != nil {
		return Order{}, err
	}
	return l.OrderByNo(ctx, orderNo)
}

// maxOrderBatch bounds what one sweep looks at.
const maxOrderBatch = 1000

// OrdersToSettle lists orders a sweeper should ask the provider about: still
// created and made before the cutoff, or stuck refunding. Oldest first.
func (l *Ledger) OrdersToSettle(ctx context.Context, createdBefore time.Time, limit int) ([]Order, error) {
	if limit <= 0 || limit > maxOrderBatch {
		return nil, fmt.Errorf("ledger: limit must be 1 to %d", maxOrderBatch)
	}
	var out []Order
	err := l.db.WithContext(ctx).
		Where("(status = ? AND created_at <= ?) OR status = ?", OrderCreated, createdBefore.UTC(), OrderRefunding).
		Order("id").Limit(limit).Find(&out).Error
	return out, err
}

// OrderFilter narrows a list of orders.
type OrderFilter struct {
	SchoolID int64
	HolderID int64
	Channel  string
	Status   string
	BeforeID int64
	Limit    int
}

// Orders lists orders, newest first.
func (l *Ledger) Orders(ctx context.Context, f OrderFilter) ([]Order, error) {
	if f.Limit <= 0 || f.Limit > MaxHistoryPage {
		return nil, refuse(CodeInvalidRequest, "limit must be 1 to %d", MaxHistoryPage)
	}
	q := l.db.WithContext(ctx).Model(&Order{})
	if f.SchoolID != 0 {
		q = q.Where("school_id = ?", f.SchoolID)
	}
	if f.HolderID != 0 {
		q = q.Where("holder_id = ?", f.HolderID)
	}
	if f.Channel != "" {
		q = q.Where("channel = ?", f.Channel)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.BeforeID > 0 {
		q = q.Where("id < ?", f.BeforeID)
	}
	var out []Order
	err := q.Order("id DESC").Limit(f.Limit).Find(&out).Error
	return out, err
}

// refundHoldTTL bounds how long a refund may wait for the provider's answer
// before its hold is released. The sweeper retries long before.
const refundHoldTTL = 24 * time.Hour

// StartOrderRefund begins refunding a paid order: the whole amount is held
// in the account it was credited to, so it can no longer be spent, and the
// order becomes refunding. It fails with INSUFFICIENT_FUNDS when the money
// has been spent. Calling it again while the refund is under way answers the
// same order.
func (l *Ledger) StartOrderRefund(ctx context.Context, orderNo string) (Order, error) {
	o, err := l.OrderByNo(ctx, orderNo)
	if err != nil {
		return Order{}, err
	}
	switch o.Status {
	case OrderRefunding, OrderRefunded:
		return o, nil
	case OrderPaid:
	default:
		return o, refuse(CodeConflict, "order %s is %s, not paid", o.OrderNo, o.Status)
	}
	from := Wallet
	if o.ToCard {
		from = Pending
	}
	attempt := o.RefundAttempts + 1
	if attempt > 10 {
		return o, refuse(CodeConflict, "order %s: the provider refused its refund %d times", o.OrderNo, o.RefundAttempts)
	}
	channel := topupChannels[o.Channel]
	e := &Entry{SchoolID: o.SchoolID, IdempotencyKey: fmt.Sprintf("topup-refund:%s:%d", o.OrderNo, attempt),
		Kind: EntryReserve, HolderID: &o.HolderID, AmountFen: o.AmountFen, Memo: "refund of order " + o.OrderNo,
		Channel:     string(from) + ">" + string(channel),
		Fingerprint: fingerprint("topup-refund", o.OrderNo, attempt)}
	_, err = l.record(ctx, e, func(tx *gorm.DB, e *Entry) error {
		res := tx.Model(&Order{}).Where("id = ? AND status = ? AND refund_attempts = ?", o.ID, OrderPaid, o.RefundAttempts).
			Updates(map[string]any{"status": OrderRefunding, "refund_attempts": attempt, "refund_entry_id": e.ID,
				"refund_no": fmt.Sprintf("%sR%d", o.OrderNo, attempt)})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return refuse(CodeConflict, "order %s changed meanwhile", o.OrderNo)
		}
		accts, err := l.holderAccounts(tx, o.HolderID, from)
		if err != nil {
			return err
		}
		dst, err := l.systemAccount(tx, o.SchoolID, channel)
		if err != nil {
			return err
		}
		var held []int64
		if err := tx.Raw(`UPDATE accounts SET held_fen = held_fen + ?
			WHERE id = ? AND balance_fen - held_fen >= ? RETURNING held_fen`,
			o.AmountFen, accts[from].ID, o.AmountFen).Scan(&held).Error; err != nil {
			return err
		}
		if len(held) != 1 && o.ToCard { // not spent: it is on the card, where only the card office can take it back
			return refuse(CodeConflict, "order %s: its money is already on the card; the card office refunds it from the card", o.OrderNo)
		}
		if len(held) != 1 {
			return refuse(CodeInsufficientFunds, "order %s: its money has been spent and can no longer be refunded", o.OrderNo)
		}
		hold := Hold{EntryID: e.ID, SchoolID: o.SchoolID, FromAccountID: accts[from].ID, ToAccountID: dst.ID,
			AmountFen: o.AmountFen, ExpiresAt: e.CreatedAt.Add(refundHoldTTL)}
		if err := tx.Create(&hold).Error; err != nil {
			return err
		}
		return l.setBalanceAfter(tx, e, o.HolderID)
	})
	if err != nil {
		return o, err
	}
	return l.OrderByNo(ctx, orderNo)
}

// FinishOrderRefund records that the provider accepted the refund: the held
// money moves to the provider's account and the order is refunded. Again is
// harmless.
func (l *Ledger) FinishOrderRefund(ctx context.Context, orderNo, providerRefundID string) (Order, error) {
	o, err := l.OrderByNo(ctx, orderNo)
	if err != nil || o.Status == OrderRefunded {
		return o, err
	}
	if o.Status != OrderRefunding || o.RefundEntryID == nil {
		return o, refuse(CodeConflict, "order %s is %s, not refunding", o.OrderNo, o.Status)
	}
	if _, err := l.Post(ctx, fmt.Sprintf("topup-refund-post:%d", *o.RefundEntryID), *o.RefundEntryID); err != nil {
		return o, err
	}
	err = l.db.WithContext(ctx).Model(&Order{}).Where("id = ? AND status = ?", o.ID, OrderRefunding).
		Updates(map[string]any{"status": OrderRefunded, "provider_refund_id": truncate(providerRefundID, 64), "refunded_at": l.now()}).Error
	if err != nil {
		return o, err
	}
	return l.OrderByNo(ctx, orderNo)
}

// FailOrderRefund records that the provider refused the refund: the hold is
// released and the order is paid again, so the office may try once more.
func (l *Ledger) FailOrderRefund(ctx context.Context, orderNo string) (Order, error) {
	o, err := l.OrderByNo(ctx, orderNo)
	if err != nil {
		return o, err
	}
	if o.Status != OrderRefunding || o.RefundEntryID == nil {
		return o, refuse(CodeConflict, "order %s is %s, not refunding", o.OrderNo, o.Status)
	}
	if _, err := l.Void(ctx, fmt.Sprintf("topup-refund-void:%d", *o.RefundEntryID), *o.RefundEntryID); err != nil &&
		!errors.Is(err, ErrConflict) {
		return o, err
	}
	err = l.db.WithContext(ctx).Model(&Order{}).Where("id = ? AND status = ?", o.ID, OrderRefunding).
		Updates(map[string]any{"status": OrderPaid, "refund_entry_id": nil}).Error
	if err != nil {
		return o, err
	}
	return l.OrderByNo(ctx, orderNo)
}

// ChannelMovement is one top-up or top-up refund of a provider, for
// reconciliation against its bill.
type ChannelMovement struct {
	OrderNo       string
	ProviderTxnID string
	RefundNo      string
	Refund        bool
	AmountFen     int64
	At            time.Time
}

// ChannelMovements lists what the ledger says moved through a provider in
// [from, to): orders paid then, and refunds completed then.
func (l *Ledger) ChannelMovements(ctx context.Context, channel string, from, to time.Time) ([]ChannelMovement, error) {
	if _, ok := topupChannels[channel]; !ok {
		return nil, refuse(CodeInvalidRequest, "unknown channel %q", channel)
	}
	var paid []Order
	db := l.db.WithContext(ctx)
	if err := db.Where("channel = ? AND paid_at >= ? AND paid_at < ? AND credit_entry_id IS NOT NULL", channel, from.UTC(), to.UTC()).
		Order("id").Find(&paid).Error; err != nil {
		return nil, err
	}
	var refunded []Order
	if err := db.Where("channel = ? AND status = ? AND refunded_at >= ? AND refunded_at < ?", channel, OrderRefunded, from.UTC(), to.UTC()).
		Order("id").Find(&refunded).Error; err != nil {
		return nil, err
	}
	out := make([]ChannelMovement, 0, len(paid)+len(refunded))
	for _, o := range paid {
		out = append(out, ChannelMovement{OrderNo: o.OrderNo, ProviderTxnID: o.ProviderTxnID, AmountFen: o.AmountFen, At: *o.PaidAt})
	}
	for _, o := range refunded {
		out = append(out, ChannelMovement{OrderNo: o.OrderNo, ProviderTxnID: o.ProviderTxnID, RefundNo: o.RefundNo,
			Refund: true, AmountFen: o.AmountFen, At: *o.RefundedAt})
	}
	return out, nil
}

// ChannelTotal is one line of the top-ups-by-channel report.
type ChannelTotal struct {
	Channel     string `json:"channel"`
	Orders      int64  `json:"orders"`
	AmountFen   int64  `json:"amount"`
	Refunds     int64  `json:"refunds"`
	RefundedFen int64  `json:"refunded"`
}

// TopupTotals sums the orders of a school paid in [from, to), by channel.
func (l *Ledger) TopupTotals(ctx context.Context, schoolID int64, from, to time.Time) ([]ChannelTotal, error) {
	var out []ChannelTotal
	err := l.db.WithContext(ctx).Raw(`SELECT channel, COUNT(*) AS orders, COALESCE(SUM(amount_fen), 0) AS amount_fen,
			COALESCE(SUM(CASE WHEN status = 'refunded' THEN 1 ELSE 0 END), 0) AS refunds,
			COALESCE(SUM(CASE WHEN status = 'refunded' THEN amount_fen ELSE 0 END), 0) AS refunded_fen
		FROM topup_orders WHERE school_id = ? AND paid_at >= ? AND paid_at < ? AND credit_entry_id IS NOT NULL
		GROUP BY channel ORDER BY channel`, schoolID, from.UTC(), to.UTC()).Scan(&out).Error
	return out, err
}

// Reconciliation is one stored run of 对账.
type Reconciliation struct {
	ID            int64     `json:"id"`
	Provider      string    `json:"provider"`
	BillDate      string    `json:"date"`
	OK            bool      `json:"ok" gorm:"column:ok"`
	BillLines     int       `json:"bill_lines"`
	LedgerRecords int       `json:"ledger_records"`
	Matched       int       `json:"matched"`
	Problems      int       `json:"problems"`
	Report        string    `json:"-"`
	RunBy         string    `json:"run_by"`
	CreatedAt     time.Time `json:"created_at"`
}

// SaveReconciliation stores a run.
func (l *Ledger) SaveReconciliation(ctx context.Context, r Reconciliation) (Reconciliation, error) {
	r.ID = 0
	r.CreatedAt = l.now()
	err := l.db.WithContext(ctx).Create(&r).Error
	return r, err
}

// Reconciliations lists stored runs, newest first.
func (l *Ledger) Reconciliations(ctx context.Context, beforeID int64, limit int) ([]Reconciliation, error) {
	if limit <= 0 || limit > MaxHistoryPage {
		return nil, refuse(CodeInvalidRequest, "limit must be 1 to %d", MaxHistoryPage)
	}
	q := l.db.WithContext(ctx).Model(&Reconciliation{})
	if beforeID > 0 {
		q = q.Where("id < ?", beforeID)
	}
	var out []Reconciliation
	err := q.Order("id DESC").Limit(limit).Find(&out).Error
	return out, err
}

// ReconciliationByID finds one stored run with its report.
func (l *Ledger) ReconciliationByID(ctx context.Context, id int64) (Reconciliation, error) {
	var r Reconciliation
	err := first(l.db.WithContext(ctx), &r, "reconciliation", "id = ?", id)
	return r, err
}
