package ledger

import (
	"context"
	"time"
)

// NewVisitor is a visitor the office lets in until ExpiresAt.
type NewVisitor struct {
	SchoolID  int64
	Name      string
	ExpiresAt time.Time
	Number    string // empty: "V" and digits, generated
	IDLast6   string // empty: a random initial password
}

// CreateVisitor adds a visitor holder and returns it with its initial
// password (the school's rule applied to IDLast6, or six random digits),
// which must be changed at first sign-in. After ExpiresAt the visitor is
// refused everywhere; what is left on it is paid out by closing the account.
func (l *Ledger) CreateVisitor(ctx context.Context, in NewVisitor) (Holder, string, error) {
	school, err := l.SchoolByID(ctx, in.SchoolID)
	if err != nil {
		return Holder{}, "", err
	}
	idLast6 := in.IDLast6
	if idLast6 == "" {
		idLast6 = randomDigits(6)
	}
	nh := NewHolder{SchoolID: in.SchoolID, Number: in.Number, Name: in.Name, Kind: KindVisitor, IDLast6: idLast6, ExpiresAt: &in.ExpiresAt}
	password := InitialSecret(school.InitialPasswordRule, idLast6)
	if in.Number != "" {
		h, err := l.CreateHolder(ctx, nh)
		return h, password, err
	}
	// A generated number may collide with one taken meanwhile: draw again.
	for attempt := 0; ; attempt++ {
		nh.Number = "V" + l.now().Format("060102") + randomDigits(4)
		h, err := l.CreateHolder(ctx, nh)
		if ErrorCode(err) != CodeConflict || attempt == 4 {
			return h, password, err
		}
	}
}

// Visitors lists a school's visitors, newest first; active leaves out the
// expired and the closed.
func (l *Ledger) Visitors(ctx context.Context, schoolID int64, active bool, beforeID int64, limit int) ([]Holder, error) {
	if limit <= 0 || limit > MaxHistoryPage {
		return nil, refuse(CodeInvalidRequest, "limit must be 1 to %d", MaxHistoryPage)
	}
	q := l.db.WithContext(ctx).Where("school_id = ? AND kind = ?", schoolID, KindVisitor)
	if active {
		q = q.Where("status <> ? AND expires_at > ?", StatusClosed, l.now())
	}
	if beforeID > 0 {
		q = q.Where("id < ?", beforeID)
	}
	var out []Holder
	return out, q.Order("id DESC").Limit(limit).Find(&out).Error
}
