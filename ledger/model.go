package ledger

import "time"

// Policies are the rules a school sets. DefaultPolicies holds the seed schools'
// values; every school row stores its own copy, so no default is hidden.
type Policies struct {
	Timezone                string `json:"timezone"`
	PerPaymentLimitFen      int64  `json:"per_payment_limit_fen"`
	PerDayLimitFen          int64  `json:"per_day_limit_fen"`
	LoginMaxFailures        int    `json:"login_max_failures"`
	LoginLockoutSeconds     int    `json:"login_lockout_seconds"`
	PINMaxFailures          int    `json:"pin_max_failures" gorm:"column:pin_max_failures"`
	InactivityFreezeDays    int    `json:"inactivity_freeze_days"`
	ReplacementWaitDays     int    `json:"replacement_wait_days"`
	ReplacementFeeFen       int64  `json:"replacement_fee_fen"`
	CodeLifetimeSeconds     int    `json:"code_lifetime_seconds"`
	OfflineCapPerPaymentFen int64  `json:"offline_cap_per_payment_fen"`
	OfflineCapPerHolderFen  int64  `json:"offline_cap_per_holder_fen"`
	TopupMinFen             int64  `json:"topup_min_fen"`
	TopupMaxFen             int64  `json:"topup_max_fen"`
	// InitialPasswordRule is "id_last6" (last six digits of the national ID, X
	// read as 0) or "fixed:DDDDDD".
	InitialPasswordRule string `json:"initial_password_rule"`
	FrozenMayPassGates  bool   `json:"frozen_may_pass_gates"`
}

// DefaultPolicies are the values DESIGN.md gives for a new school.
func DefaultPolicies() Policies {
	return Policies{
		Timezone:                "Asia/Shanghai",
		PerPaymentLimitFen:      3000,
		PerDayLimitFen:          5000,
		LoginMaxFailures:        10,
		LoginLockoutSeconds:     30 * 60,
		PINMaxFailures:          5,
		InactivityFreezeDays:    90,
		ReplacementWaitDays:     3,
		ReplacementFeeFen:       0,
		CodeLifetimeSeconds:     60,
		OfflineCapPerPaymentFen: 2000,
		OfflineCapPerHolderFen:  5000,
		TopupMinFen:             100,
		TopupMaxFen:             100000,
		InitialPasswordRule:     "id_last6",
		FrozenMayPassGates:      false,
	}
}

// School is a tenant: every other row belongs to one.
type School struct {
	ID        int64  `json:"id"`
	Code      string `json:"code"`
	Name      string `json:"name"`
	Pinyin    string `json:"pinyin"`
	Policies  `gorm:"embedded"`
	CreatedAt time.Time `json:"created_at"`
}

// Holder kinds and statuses.
const (
	KindStudent = "student"
	KindStaff   = "staff"
	KindVisitor = "visitor"

	StatusActive = "active"
	StatusFrozen = "frozen"
	StatusClosed = "closed"
)

// Holder is a person with accounts at one school.
type Holder struct {
	ID                 int64      `json:"id"`
	SchoolID           int64      `json:"school_id"`
	Number             string     `json:"number"`
	Name               string     `json:"name"`
	Kind               string     `json:"kind"`
	Status             string     `json:"status"`
	Lost               bool       `json:"lost"`
	ExpiresAt          *time.Time `json:"expires_at,omitempty"`
	DormBuilding       string     `json:"dorm_building"`
	PasswordHash       string     `json:"-"`
	PINHash            string     `json:"-" gorm:"column:pin_hash"`
	MustChangePassword bool       `json:"must_change_password"`
	MustChangePIN      bool       `json:"must_change_pin" gorm:"column:must_change_pin"`
	// Limits the holder set below the school's; nil means the school's.
	PerPaymentLimitFen *int64     `json:"per_payment_limit_fen,omitempty"`
	PerDayLimitFen     *int64     `json:"per_day_limit_fen,omitempty"`
	LoginFailures      int        `json:"-"`
	LockedUntil        *time.Time `json:"-"`
	PINFailures        int        `json:"-" gorm:"column:pin_failures"`
	LastActiveAt       *time.Time `json:"last_active_at,omitempty"`
	WeChatOpenID       *string    `json:"-" gorm:"column:wechat_openid"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
}

// State is what a terminal or an app shows: closed, then lost, then frozen,
// then expired, else active.
func (h Holder) State(now time.Time) string {
	switch {
	case h.Status == StatusClosed:
		return StatusClosed
	case h.Lost:
		return "lost"
	case h.Status == StatusFrozen:
		return StatusFrozen
	case h.ExpiresAt != nil && !now.Before(*h.ExpiresAt):
		return "expired"
	}
	return StatusActive
}

// CanSpend refuses a holder who is closed, lost, frozen or expired.
func (h Holder) CanSpend(now time.Time) error {
	switch h.State(now) {
	case StatusClosed:
		return refuse(CodeAccountClosed, "account %s is closed", h.Number)
	case "lost":
		return refuse(CodeCardLost, "account %s is reported lost", h.Number)
	case StatusFrozen:
		return refuse(CodeAccountFrozen, "account %s is frozen", h.Number)
	case "expired":
		return refuse(CodeAccountClosed, "account %s has expired", h.Number)
	}
	return nil
}

// Merchant receives payments; its terminals charge on its behalf.
type Merchant struct {
	ID        int64     `json:"id"`
	SchoolID  int64     `json:"school_id"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

// Terminal kinds.
const (
	TerminalPOS   = "pos"
	TerminalGate  = "gate"
	TerminalKiosk = "kiosk"
)

// Terminal is a till, gate or kiosk. Its secret is stored sealed (AES-GCM).
type Terminal struct {
	ID           string    `json:"id"`
	SchoolID     int64     `json:"school_id"`
	Kind         string    `json:"kind"`
	MerchantID   *int64    `json:"merchant_id,omitempty"`
	Place        string    `json:"place"`
	SecretSealed string    `json:"-"`
	Status       string    `json:"status"`
	CreatedAt    time.Time `json:"created_at"`
	// LastSeenAt is when the gateway last heard from it (written at most once a minute).
	LastSeenAt *time.Time `json:"last_seen_at,omitempty"`
}

// Admin roles.
const (
	RoleSuperadmin = "superadmin"
	RoleOperator   = "operator"
	RoleAuditor    = "auditor"
)

// Admin is a card office user of the console and admin API.
type Admin struct {
	ID            int64      `json:"id"`
	Username      string     `json:"username"`
	PasswordHash  string     `json:"-"`
	Role          string     `json:"role"`
	LoginFailures int        `json:"-"`
	LockedUntil   *time.Time `json:"-"`
	CreatedAt     time.Time  `json:"created_at"`
}

// AccountKind names what an account holds.
type AccountKind string

// Holder accounts.
const (
	Wallet  AccountKind = "wallet"  // 电子账户: spent by codes and online taps
	Subsidy AccountKind = "subsidy" // 补助: granted by the school, spent first
	Pending AccountKind = "pending" // 待圈存: on its way onto the card
	Purse   AccountKind = "purse"   // 卡余额: mirrored on the card chip
)

// Merchant and per-school system accounts. System accounts go negative as money
// enters the school from them, so the sum over all accounts stays zero.
const (
	MerchantAccount AccountKind = "merchant"
	WeChatPay       AccountKind = "wechatpay"
	Alipay          AccountKind = "alipay"
	Sandbox         AccountKind = "sandbox"
	Bank            AccountKind = "bank"
	Cash            AccountKind = "cash"
	SubsidyFund     AccountKind = "subsidy_fund"
	Fees            AccountKind = "fees"
)

// HolderAccountKinds are created for every holder.
var HolderAccountKinds = []AccountKind{Wallet, Subsidy, Pending, Purse}

// SystemAccountKinds are created for every school.
var SystemAccountKinds = []AccountKind{WeChatPay, Alipay, Sandbox, Bank, Cash, SubsidyFund, Fees}

// Account is a balance. It changes only through transfers.
type Account struct {
	ID         int64       `json:"id"`
	SchoolID   int64       `json:"school_id"`
	HolderID   *int64      `json:"holder_id,omitempty"`
	MerchantID *int64      `json:"merchant_id,omitempty"`
	Kind       AccountKind `json:"kind"`
	BalanceFen int64       `json:"balance_fen"`
	HeldFen    int64       `json:"held_fen"`
	CreatedAt  time.Time   `json:"created_at"`
}

// Entry kinds.
const (
	EntryTopup   = "topup"
	EntryPayment = "payment"
	EntryRefund  = "refund"
	EntryGrant   = "grant"
	EntryMove    = "move"
	EntryReserve = "reserve"
	EntryPost    = "post"
	EntryVoid    = "void"
)

// Entry is one operation, unique by idempotency key. Its transfers are the
// money it moved. Only RefundedFen grows after insert.
type Entry struct {
	ID             int64   `json:"id"`
	SchoolID       int64   `json:"school_id"`
	IdempotencyKey string  `json:"idempotency_key"`
	Fingerprint    string  `json:"-"`
	Kind           string  `json:"kind"`
	Channel        string  `json:"channel,omitempty"`
	HolderID       *int64  `json:"holder_id,omitempty"`
	MerchantID     *int64  `json:"merchant_id,omitempty"`
	TerminalID     *string `json:"terminal_id,omitempty"`
	AmountFen      int64   `json:"amount_fen"`
	RefundedFen    int64   `json:"refunded_fen"`
	RefundOf       *int64  `json:"refund_of,omitempty"`
	HoldOf         *int64  `json:"hold_of,omitempty"`
	// CodeSeq is the pay code's sequence, unique per holder: a code pays once.
	CodeSeq *int64 `json:"code_seq,omitempty"`
	// BalanceAfterFen is the holder's spendable balance (wallet + subsidy)
	// right after this entry, for history and receipts.
	BalanceAfterFen int64      `json:"balance_after_fen"`
	Memo            string     `json:"memo,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	Transfers       []Transfer `json:"transfers,omitempty" gorm:"-"`
	// MerchantName is filled for the notice; it is not stored on the entry.
	MerchantName string `json:"merchant_name,omitempty" gorm:"-"`
}

// Transfer moves AmountFen from one account to another. Never updated.
type Transfer struct {
	ID            int64     `json:"id"`
	EntryID       int64     `json:"entry_id"`
	SchoolID      int64     `json:"school_id"`
	FromAccountID int64     `json:"from_account_id"`
	ToAccountID   int64     `json:"to_account_id"`
	AmountFen     int64     `json:"amount_fen"`
	CreatedAt     time.Time `json:"created_at"`
}

// Hold reserves money in FromAccountID until a post or void entry resolves it.
type Hold struct {
	EntryID       int64     `json:"entry_id" gorm:"primaryKey;autoIncrement:false"`
	SchoolID      int64     `json:"school_id"`
	FromAccountID int64     `json:"from_account_id"`
	ToAccountID   int64     `json:"to_account_id"`
	AmountFen     int64     `json:"amount_fen"`
	ExpiresAt     time.Time `json:"expires_at"`
}

// MaskName hides the middle of a name for a till's screen or a parent's
// confirmation: 王小明 -> 王*明, 张三 -> 张*, a single character -> *.
func MaskName(name string) string {
	r := []rune(name)
	switch len(r) {
	case 0, 1:
		return "*"
	case 2:
		return string(r[0]) + "*"
	}
	out := []rune{r[0]}
	for range r[1 : len(r)-1] {
		out = append(out, '*')
	}
	return string(append(out, r[len(r)-1]))
}
