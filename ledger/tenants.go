package ledger

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mozillazg/go-pinyin"
	"gorm.io/gorm"
)

var (
	codePattern   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$`)
	numberPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$`)
	idLast6       = regexp.MustCompile(`^[0-9]{5}[0-9Xx]$`)
	fixedRule     = regexp.MustCompile(`^fixed:[0-9]{6}$`)
)

func validName(s string, max int) bool {
	s = strings.TrimSpace(s)
	return s != "" && utf8.ValidString(s) && utf8.RuneCountInString(s) <= max
}

// NewSchool is what the card office gives to open a school.
type NewSchool struct {
	Code     string
	Name     string
	Pinyin   string // initials for search, e.g. "bjdx" for 北京大学
	Policies Policies
}

func (p Policies) validate() error {
	if _, err := time.LoadLocation(p.Timezone); err != nil || p.Timezone == "" {
		return refuse(CodeInvalidRequest, "unknown timezone %q", p.Timezone)
	}
	switch {
	case p.PerPaymentLimitFen <= 0 || p.PerDayLimitFen <= 0:
		return refuse(CodeInvalidRequest, "limits must be positive")
	case p.LoginMaxFailures <= 0 || p.LoginLockoutSeconds <= 0 || p.PINMaxFailures <= 0:
		return refuse(CodeInvalidRequest, "lockout policy must be positive")
	case p.InactivityFreezeDays <= 0 || p.ReplacementWaitDays < 0 || p.ReplacementFeeFen < 0:
		return refuse(CodeInvalidRequest, "card life policy out of range")
	case p.CodeLifetimeSeconds < 10 || p.CodeLifetimeSeconds > 600:
		return refuse(CodeInvalidRequest, "code lifetime must be 10 to 600 seconds")
	case p.OfflineCapPerPaymentFen < 0 || p.OfflineCapPerHolderFen < 0:
		return refuse(CodeInvalidRequest, "offline caps must not be negative")
	case p.TopupMinFen <= 0 || p.TopupMaxFen < p.TopupMinFen || p.TopupMaxFen > MaxAmountFen:
		return refuse(CodeInvalidRequest, "top-up bounds out of range")
	case p.InitialPasswordRule != "id_last6" && !fixedRule.MatchString(p.InitialPasswordRule):
		return refuse(CodeInvalidRequest, `initial password rule must be "id_last6" or "fixed:DDDDDD"`)
	}
	return nil
}

// PinyinInitials are the first letters of a name's syllables, for search:
// 北京大学 -> bjdx. Letters and digits in the name are kept as they are.
func PinyinInitials(name string) string {
	args := pinyin.NewArgs()
	args.Style = pinyin.FirstLetter
	args.Fallback = func(r rune, _ pinyin.Args) []string {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return []string{strings.ToLower(string(r))}
		}
		return nil
	}
	var b strings.Builder
	for _, syllables := range pinyin.Pinyin(name, args) {
		if len(syllables) > 0 {
			b.WriteString(syllables[0])
		}
	}
	return b.String()
}

// CreateSchool opens a school with its system accounts.
func (l *Ledger) CreateSchool(ctx context.Context, in NewSchool) (School, error) {
	if !codePattern.MatchString(in.Code) {
		return School{}, refuse(CodeInvalidRequest, "school code must be 1-32 letters, digits, '.', '_' or '-'")
	}
	if !validName(in.Name, 100) {
		return School{}, refuse(CodeInvalidRequest, "school name must be 1-100 characters")
	}
	if err := in.Policies.validate(); err != nil {
		return School{}, err
	}
	if in.Pinyin == "" {
		in.Pinyin = PinyinInitials(in.Name)
	}
	s := School{Code: in.Code, Name: strings.TrimSpace(in.Name), Pinyin: strings.ToLower(in.Pinyin),
		Policies: in.Policies, CreatedAt: l.now()}
	err := l.inTx(ctx, func(tx *gorm.DB) error {
		if exists(tx, &School{}, "code = ?", in.Code) {
			return refuse(CodeConflict, "school %s exists", in.Code)
		}
		if err := tx.Create(&s).Error; err != nil {
			return err
		}
		accounts := make([]Account, 0, len(SystemAccountKinds))
		for _, k := range SystemAccountKinds {
			accounts = append(accounts, Account{SchoolID: s.ID, Kind: k, CreatedAt: s.CreatedAt})
		}
		return tx.Create(&accounts).Error
	})
	return s, err
}

// School finds a school by code.
func (l *Ledger) School(ctx context.Context, code string) (School, error) {
	var s School
	return s, first(l.db.WithContext(ctx), &s, "school", "code = ?", code)
}

// SchoolByID finds a school by id.
func (l *Ledger) SchoolByID(ctx context.Context, id int64) (School, error) {
	var s School
	return s, first(l.db.WithContext(ctx), &s, "school", "id = ?", id)
}

// Schools lists every school, oldest first.
func (l *Ledger) Schools(ctx context.Context) ([]School, error) {
	var out []School
	return out, l.db.WithContext(ctx).Order("id").Limit(10000).Find(&out).Error
}

// NewHolder is what the card office knows of a new holder.
type NewHolder struct {
	SchoolID     int64
	Number       string
	Name         string
	Kind         string
	IDLast6      string // last six characters of the national ID; X is read as 0
	ExpiresAt    *time.Time
	DormBuilding string
}

// InitialSecret is the first login password and PIN: the school's fixed value,
// or the last six digits of the national ID with X read as 0.
func InitialSecret(rule, idLast6 string) string {
	if strings.HasPrefix(rule, "fixed:") {
		return strings.TrimPrefix(rule, "fixed:")
	}
	return strings.NewReplacer("X", "0", "x", "0").Replace(idLast6)
}

// CreateHolder adds a holder with its four accounts. The initial login
// password and PIN must be changed.
func (l *Ledger) CreateHolder(ctx context.Context, in NewHolder) (Holder, error) {
	school, err := l.SchoolByID(ctx, in.SchoolID)
	if err != nil {
		return Holder{}, err
	}
	if err := l.checkNewHolder(school, in); err != nil {
		return Holder{}, err
	}
	if exists(l.db.WithContext(ctx), &Holder{}, "school_id = ? AND number = ?", in.SchoolID, in.Number) {
		return Holder{}, refuse(CodeConflict, "number %s exists at school %s", in.Number, school.Code)
	}
	// Hash outside the transaction: argon2id is slow on purpose. The initial
	// password and PIN are the same secret, so one hash serves both.
	hash, err := l.argon2.hash(InitialSecret(school.InitialPasswordRule, in.IDLast6))
	if err != nil {
		return Holder{}, err
	}
	return l.insertHolder(ctx, school, in, hash)
}

// checkNewHolder validates a new holder against its school's rules.
func (l *Ledger) checkNewHolder(school School, in NewHolder) error {
	switch {
	case !numberPattern.MatchString(in.Number):
		return refuse(CodeInvalidRequest, "number must be 1-32 letters or digits")
	case !validName(in.Name, 64):
		return refuse(CodeInvalidRequest, "name must be 1-64 characters")
	case in.Kind != KindStudent && in.Kind != KindStaff && in.Kind != KindVisitor:
		return refuse(CodeInvalidRequest, "kind must be student, staff or visitor")
	case in.Kind == KindVisitor && in.ExpiresAt == nil:
		return refuse(CodeInvalidRequest, "a visitor needs an expiry")
	case in.ExpiresAt != nil && !in.ExpiresAt.After(l.now()):
		return refuse(CodeInvalidRequest, "expiry must be in the future")
	case (school.InitialPasswordRule == "id_last6" || in.IDLast6 != "") && !idLast6.MatchString(in.IDLast6):
		return refuse(CodeInvalidRequest, "id-last6 must be six characters: five digits and a digit or X")
	case len(in.DormBuilding) > 32:
		return refuse(CodeInvalidRequest, "dorm building must be at most 32 characters")
	}
	return nil
}

// insertHolder stores a checked holder whose initial secret hashes to
// secretHash, with its four accounts, in one transaction.
func (l *Ledger) insertHolder(ctx context.Context, school School, in NewHolder, secretHash string) (Holder, error) {
	now := l.now()
	var expires *time.Time
	if in.ExpiresAt != nil {
		t := in.ExpiresAt.UTC()
		expires = &t
	}
	h := Holder{SchoolID: in.SchoolID, Number: in.Number, Name: strings.TrimSpace(in.Name), Kind: in.Kind,
		Status: StatusActive, ExpiresAt: expires, DormBuilding: in.DormBuilding,
		PasswordHash: secretHash, PINHash: secretHash, MustChangePassword: true, MustChangePIN: true,
		CreatedAt: now, UpdatedAt: now}
	err := l.inTx(ctx, func(tx *gorm.DB) error {
		if exists(tx, &Holder{}, "school_id = ? AND number = ?", in.SchoolID, in.Number) {
			return refuse(CodeConflict, "number %s exists at school %s", in.Number, school.Code)
		}
		if err := tx.Create(&h).Error; err != nil {
			return err
		}
		accounts := make([]Account, 0, len(HolderAccountKinds))
		for _, k := range HolderAccountKinds {
			accounts = append(accounts, Account{SchoolID: h.SchoolID, HolderID: &h.ID, Kind: k, CreatedAt: now})
		}
		return tx.Create(&accounts).Error
	})
	return h, err
}

// Holder finds a holder by school and number.
func (l *Ledger) Holder(ctx context.Context, schoolID int64, number string) (Holder, error) {
	var h Holder
	return h, first(l.db.WithContext(ctx), &h, "holder", "school_id = ? AND number = ?", schoolID, number)
}

// HolderByID finds a holder by id.
func (l *Ledger) HolderByID(ctx context.Context, id int64) (Holder, error) {
	var h Holder
	return h, first(l.db.WithContext(ctx), &h, "holder", "id = ?", id)
}

// CreateMerchant adds a merchant with its account.
func (l *Ledger) CreateMerchant(ctx context.Context, schoolID int64, code, name string) (Merchant, error) {
	if !codePattern.MatchString(code) {
		return Merchant{}, refuse(CodeInvalidRequest, "merchant code must be 1-32 letters, digits, '.', '_' or '-'")
	}
	if !validName(name, 100) {
		return Merchant{}, refuse(CodeInvalidRequest, "merchant name must be 1-100 characters")
	}
	if _, err := l.SchoolByID(ctx, schoolID); err != nil {
		return Merchant{}, err
	}
	m := Merchant{SchoolID: schoolID, Code: code, Name: strings.TrimSpace(name), Status: "active", CreatedAt: l.now()}
	err := l.inTx(ctx, func(tx *gorm.DB) error {
		if exists(tx, &Merchant{}, "school_id = ? AND code = ?", schoolID, code) {
			return refuse(CodeConflict, "merchant %s exists", code)
		}
		if err := tx.Create(&m).Error; err != nil {
			return err
		}
		return tx.Create(&Account{SchoolID: schoolID, MerchantID: &m.ID, Kind: MerchantAccount, CreatedAt: m.CreatedAt}).Error
	})
	return m, err
}

// Merchant finds a merchant by school and code.
func (l *Ledger) Merchant(ctx context.Context, schoolID int64, code string) (Merchant, error) {
	var m Merchant
	return m, first(l.db.WithContext(ctx), &m, "merchant", "school_id = ? AND code = ?", schoolID, code)
}

// NewTerminal describes a till, gate or kiosk.
type NewTerminal struct {
	SchoolID   int64
	ID         string
	Kind       string
	MerchantID *int64 // required for a pos
	Place      string // e.g. "dorm:3" for a dorm gate, "library"
	// Secret is the shared HMAC secret; empty means generate one.
	Secret string
}

// CreateTerminal registers a terminal and returns its secret, which is stored
// sealed and shown only this once.
func (l *Ledger) CreateTerminal(ctx context.Context, in NewTerminal) (Terminal, string, error) {
	if !codePattern.MatchString(in.ID) {
		return Terminal{}, "", refuse(CodeInvalidRequest, "terminal id must be 1-32 letters, digits, '.', '_' or '-'")
	}
	switch in.Kind {
	case TerminalPOS:
		if in.MerchantID == nil {
			return Terminal{}, "", refuse(CodeInvalidRequest, "a pos terminal needs a merchant")
		}
	case TerminalGate, TerminalKiosk:
	default:
		return Terminal{}, "", refuse(CodeInvalidRequest, "kind must be pos, gate or kiosk")
	}
	if len(in.Place) > 64 {
		return Terminal{}, "", refuse(CodeInvalidRequest, "place must be at most 64 characters")
	}
	if _, err := l.SchoolByID(ctx, in.SchoolID); err != nil {
		return Terminal{}, "", err
	}
	if in.MerchantID != nil && !exists(l.db.WithContext(ctx), &Merchant{}, "id = ? AND school_id = ?", *in.MerchantID, in.SchoolID) {
		return Terminal{}, "", refuse(CodeNotFound, "merchant not found at this school")
	}
	secret := in.Secret
	if secret == "" {
		secret = randomSecret(32)
	}
	if len(secret) < 16 {
		return Terminal{}, "", refuse(CodeInvalidRequest, "terminal secret must be at least 16 characters")
	}
	t := Terminal{ID: in.ID, SchoolID: in.SchoolID, Kind: in.Kind, MerchantID: in.MerchantID, Place: in.Place,
		SecretSealed: l.sealer.Seal([]byte(secret), []byte("terminal:"+in.ID)), Status: "active", CreatedAt: l.now()}
	err := l.inTx(ctx, func(tx *gorm.DB) error {
		if exists(tx, &Terminal{}, "id = ?", in.ID) {
			return refuse(CodeConflict, "terminal %s exists", in.ID)
		}
		return tx.Create(&t).Error
	})
	if err != nil {
		return Terminal{}, "", err
	}
	return t, secret, nil
}

// TerminalWithSecret finds a terminal and opens its secret.
func (l *Ledger) TerminalWithSecret(ctx context.Context, id string) (Terminal, []byte, error) {
	var t Terminal
	if err := first(l.db.WithContext(ctx), &t, "terminal", "id = ?", id); err != nil {
		return Terminal{}, nil, err
	}
	secret, err := l.sealer.Open(t.SecretSealed, []byte("terminal:"+t.ID))
	if err != nil {
		return Terminal{}, nil, errors.New("terminal secret does not open: wrong encryption key?")
	}
	return t, secret, nil
}

// CreateAdmin adds a card office user.
func (l *Ledger) CreateAdmin(ctx context.Context, username, password, role string) (Admin, error) {
	if !codePattern.MatchString(username) {
		return Admin{}, refuse(CodeInvalidRequest, "username must be 1-32 letters, digits, '.', '_' or '-'")
	}
	if len(password) < 10 || len(password) > 128 {
		return Admin{}, refuse(CodeInvalidRequest, "admin password must be 10-128 characters")
	}
	if role != RoleSuperadmin && role != RoleOperator && role != RoleAuditor {
		return Admin{}, refuse(CodeInvalidRequest, "role must be superadmin, operator or auditor")
	}
	if exists(l.db.WithContext(ctx), &Admin{}, "username = ?", username) {
		return Admin{}, refuse(CodeConflict, "admin %s exists", username)
	}
	hash, err := l.argon2.hash(password)
	if err != nil {
		return Admin{}, err
	}
	a := Admin{Username: username, PasswordHash: hash, Role: role, CreatedAt: l.now()}
	err = l.inTx(ctx, func(tx *gorm.DB) error {
		if exists(tx, &Admin{}, "username = ?", username) {
			return refuse(CodeConflict, "admin %s exists", username)
		}
		return tx.Create(&a).Error
	})
	return a, err
}

func exists(db *gorm.DB, model any, query string, args ...any) bool {
	var n int64
	db.Model(model).Where(query, args...).Limit(1).Count(&n)
	return n > 0
}

func first(db *gorm.DB, dest any, what, query string, args ...any) error {
	err := db.Where(query, args...).Take(dest).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return refuse(CodeNotFound, "%s not found", what)
	}
	return err
}
