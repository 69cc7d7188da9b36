package ledger

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"gorm.io/gorm"
)

// CodeCardInvalid refuses a card the system does not know, or one that was
// replaced: unlike CARD_LOST, its holder may be in good standing.
const CodeCardInvalid = "CARD_INVALID"

// ErrCardInvalid matches CodeCardInvalid with errors.Is.
var ErrCardInvalid = &Error{Code: CodeCardInvalid}

// Card statuses. A card's row says active, replaced or closed; a view shows
// "lost" while its holder's loss report stands and "closed" once the holder is.
const (
	CardActive   = "active"
	CardLost     = "lost"
	CardReplaced = "replaced"
	CardClosed   = "closed"
)

var cardUIDPattern = regexp.MustCompile(`^[0-9A-Za-z]{4,32}$`)

// NormalizeCardUID is how card UIDs are stored and compared: upper case, as
// readers print hex. It refuses anything but 4-32 letters and digits.
func NormalizeCardUID(uid string) (string, error) {
	if !cardUIDPattern.MatchString(uid) {
		return "", refuse(CodeInvalidRequest, "card uid must be 4-32 letters or digits")
	}
	return strings.ToUpper(uid), nil
}

// Card is a physical card (chip UID) of a holder.
type Card struct {
	ID         int64      `json:"id"`
	SchoolID   int64      `json:"school_id"`
	HolderID   int64      `json:"holder_id"`
	UID        string     `json:"uid"`
	Status     string     `json:"status"`
	IssuedAt   time.Time  `json:"issued_at"`
	ReplacedAt *time.Time `json:"replaced_at,omitempty"`
	ReplacedBy *int64     `json:"replaced_by,omitempty"`
	// PurseAtReplace is the ledger purse when the card was replaced: what its
	// chip held, less offline spending not yet uploaded.
	PurseAtReplace int64 `json:"-" gorm:"column:purse_at_replace"`
	PurseMoved     bool  `json:"purse_moved"`
}

// CardView is a card as the card office sees it.
type CardView struct {
	UID        string     `json:"uid"`
	HolderID   int64      `json:"holder_id"`
	Number     string     `json:"number"`
	Name       string     `json:"name"`
	Status     string     `json:"status"`
	IssuedAt   time.Time  `json:"issued_at"`
	ReplacedAt *time.Time `json:"replaced_at,omitempty"`
	// ID is the cursor of a list.
	ID int64 `json:"-"`
}

// cardViewSelect derives a card's shown status from its row and its holder.
const cardViewSelect = `SELECT c.id, c.uid, c.holder_id, h.number, h.name, c.issued_at, c.replaced_at,
	CASE WHEN c.status = 'active' AND h.status = 'closed' THEN 'closed'
	     WHEN c.status = 'active' AND h.lost THEN 'lost' ELSE c.status END AS status
	FROM cards c JOIN holders h ON h.id = c.holder_id`

// IssueCard gives a holder a new active card. A holder's previous active card
// is replaced at once (refused online and put on the offline denylist); its
// purse balance moves to the new card after the school's waiting period (job
// "replacement"). Replacing a card also withdraws the holder's loss report,
// and charges the school's replacement fee, if any, from the wallet. Issuing
// the uid the holder already has active answers that card again.
func (l *Ledger) IssueCard(ctx context.Context, schoolID, holderID int64, uid string) (Card, error) {
	uid, err := NormalizeCardUID(uid)
	if err != nil {
		return Card{}, err
	}
	var h Holder
	if err := first(l.db.WithContext(ctx), &h, "holder", "id = ? AND school_id = ?", holderID, schoolID); err != nil {
		return Card{}, err
	}
	if h.Status == StatusClosed {
		return Card{}, refuse(CodeAccountClosed, "account %s is closed", h.Number)
	}
	var existing Card
	if err := l.db.WithContext(ctx).Where("uid = ?", uid).Take(&existing).Error; err == nil {
		if existing.HolderID == holderID && existing.Status == CardActive {
			return existing, nil
		}
		return Card{}, refuse(CodeConflict, "card %s was already issued", uid)
	} else if !errors.Is(err, gorm.ErrRecordNotFound) {
		return Card{}, err
	}
	school, err := l.SchoolByID(ctx, schoolID)
	if err != nil {
		return Card{}, err
	}
	var old Card
	hasOld := l.db.WithContext(ctx).Where("holder_id = ? AND status = ?", holderID, CardActive).Take(&old).Error == nil
	var issued Card
	swap := func(tx *gorm.DB) error {
		c, err := l.swapCards(tx, h, uid)
		issued = c
		return err
	}
	if !hasOld || school.ReplacementFeeFen == 0 {
		err = l.inTx(ctx, swap)
	} else {
		err = l.chargeReplacementFee(ctx, h, old, school.ReplacementFeeFen, swap)
	}
	if err != nil {
		if isUniqueViolation(err) {
			return Card{}, refuse(CodeConflict, "another card was issued at the same time: retry")
		}
		return Card{}, err
	}
	if issued.ID == 0 {
		// The fee entry of this replacement already existed: another
		// request replaced the same card first.
		return Card{}, refuse(CodeConflict, "card %s was already replaced", old.UID)
	}
	return issued, nil
}

// swapCards replaces the holder's active card (if any) by a new one with uid,
// inside tx.
func (l *Ledger) swapCards(tx *gorm.DB, h Holder, uid string) (Card, error) {
	now := l.now()
	var old []Card
	if err := tx.Where("holder_id = ? AND status = ?", h.ID, CardActive).Find(&old).Error; err != nil {
		return Card{}, err
	}
	for _, o := range old {
		var purse []int64
		if err := tx.Raw(`SELECT balance_fen FROM accounts WHERE holder_id = ? AND kind = 'purse'`+l.forUpdate(), h.ID).Scan(&purse).Error; err != nil {
			return Card{}, err
		}
		res := tx.Model(&Card{}).Where("id = ? AND status = ?", o.ID, CardActive).
			Updates(map[string]any{"status": CardReplaced, "replaced_at": now, "purse_at_replace": purse[0]})
		if res.Error != nil {
			return Card{}, res.Error
		}
		if res.RowsAffected == 0 {
			return Card{}, refuse(CodeConflict, "card %s changed meanwhile: retry", o.UID)
		}
		if err := tx.Exec(`INSERT INTO denylist_events (school_id, holder_id, card_uid, action, created_at) VALUES (?, ?, ?, 'add', ?)`,
			h.SchoolID, h.ID, o.UID, now).Error; err != nil {
			return Card{}, err
		}
	}
	c := Card{SchoolID: h.SchoolID, HolderID: h.ID, UID: uid, Status: CardActive, IssuedAt: now}
	if err := tx.Create(&c).Error; err != nil {
		return Card{}, err
	}
	for _, o := range old {
		if err := tx.Model(&Card{}).Where("id = ?", o.ID).Update("replaced_by", c.ID).Error; err != nil {
			return Card{}, err
		}
	}
	if len(old) > 0 && h.Lost {
		// The holder came to the office for the new card: the loss report
		// that blocked everything is over; the old card stays refused by uid.
		if err := tx.Model(&Holder{}).Where("id = ?", h.ID).Updates(map[string]any{"lost": false, "updated_at": now}).Error; err != nil {
			return Card{}, err
		}
		if err := tx.Exec(`INSERT INTO denylist_events (school_id, holder_id, action, created_at) VALUES (?, ?, 'remove', ?)`,
			h.SchoolID, h.ID, now).Error; err != nil {
			return Card{}, err
		}
	}
	return c, nil
}

// chargeReplacementFee posts the fee (wallet to the school's fees account)
// and the card swap in one transaction, once per replaced card.
func (l *Ledger) chargeReplacementFee(ctx context.Context, h Holder, old Card, fee int64, swap func(tx *gorm.DB) error) error {
	e := &Entry{SchoolID: h.SchoolID, IdempotencyKey: fmt.Sprintf("card-fee:%d", old.ID), Kind: EntryPayment,
		Channel: string(Fees), HolderID: &h.ID, AmountFen: fee, Memo: "补卡工本费 replacement fee",
		Fingerprint: fingerprint("card-fee", old.ID, fee)}
	_, err := l.recordNew(ctx, e, func(tx *gorm.DB, e *Entry) error {
		accts, err := l.holderAccounts(tx, h.ID, Wallet)
		if err != nil {
			return err
		}
		fees, err := l.systemAccount(tx, h.SchoolID, Fees)
		if err != nil {
			return err
		}
		if _, err := l.post(tx, e, []leg{{from: accts[Wallet], to: fees, amount: fee}}); err != nil {
			return err
		}
		if err := l.setBalanceAfter(tx, e, h.ID); err != nil {
			return err
		}
		return swap(tx)
	})
	return err
}

func isUniqueViolation(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint") || strings.Contains(msg, "SQLSTATE 23505")
}

// CardByUID finds a card by its uid.
func (l *Ledger) CardByUID(ctx context.Context, uid string) (Card, error) {
	var c Card
	norm, err := NormalizeCardUID(uid)
	if err != nil {
		return c, refuse(CodeCardInvalid, "no such card")
	}
	if err := l.db.WithContext(ctx).Where("uid = ?", norm).Take(&c).Error; errors.Is(err, gorm.ErrRecordNotFound) {
		return c, refuse(CodeCardInvalid, "no such card")
	} else if err != nil {
		return c, err
	}
	return c, nil
}

// CardHolder is what a terminal asks of a tapped card: the card must be the
// holder's active card at the terminal's school (else CARD_INVALID). The
// holder's own state (lost, frozen, closed) is for the caller to judge.
func (l *Ledger) CardHolder(ctx context.Context, schoolID int64, uid string) (Card, Holder, error) {
	c, err := l.CardByUID(ctx, uid)
	if err != nil {
		return c, Holder{}, err
	}
	if c.SchoolID != schoolID {
		return c, Holder{}, refuse(CodeCardInvalid, "no such card")
	}
	switch c.Status {
	case CardReplaced:
		return c, Holder{}, refuse(CodeCardInvalid, "card %s was replaced", c.UID)
	case CardClosed:
		return c, Holder{}, refuse(CodeAccountClosed, "card %s is closed", c.UID)
	}
	h, err := l.HolderByID(ctx, c.HolderID)
	return c, h, err
}

// ActiveCard is the holder's active card, if any.
func (l *Ledger) ActiveCard(ctx context.Context, holderID int64) (CardView, bool, error) {
	var rows []CardView
	err := l.db.WithContext(ctx).Raw(cardViewSelect+` WHERE c.holder_id = ? AND c.status = 'active'`, holderID).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return CardView{}, false, err
	}
	return rows[0], true, nil
}

// CardFilter narrows the card list. Q matches a uid or number prefix or a
// name substring; Status is a shown status.
type CardFilter struct {
	SchoolID int64
	Q        string
	Status   string
	BeforeID int64
	Limit    int
}

// Cards lists a school's cards, newest first.
func (l *Ledger) Cards(ctx context.Context, f CardFilter) ([]CardView, error) {
	if f.Limit <= 0 || f.Limit > 100 {
		return nil, refuse(CodeInvalidRequest, "limit must be 1 to 100")
	}
	switch f.Status {
	case "", CardActive, CardLost, CardReplaced, CardClosed:
	default:
		return nil, refuse(CodeInvalidRequest, "status must be active, lost, replaced or closed")
	}
	if len(f.Q) > 64 {
		return nil, refuse(CodeInvalidRequest, "q too long")
	}
	query := `SELECT * FROM (` + cardViewSelect + ` WHERE c.school_id = ?) v WHERE 1=1`
	args := []any{f.SchoolID}
	if f.Status != "" {
		query += ` AND v.status = ?`
		args = append(args, f.Status)
	}
	if f.Q != "" {
		like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f.Q)
		query += ` AND (v.uid LIKE ? ESCAPE '\' OR v.number LIKE ? ESCAPE '\' OR v.name LIKE ? ESCAPE '\')`
		args = append(args, strings.ToUpper(like)+"%", like+"%", "%"+like+"%")
	}
	if f.BeforeID > 0 {
		query += ` AND v.id < ?`
		args = append(args, f.BeforeID)
	}
	query += ` ORDER BY v.id DESC LIMIT ?`
	args = append(args, f.Limit)
	var rows []CardView
	return rows, l.db.WithContext(ctx).Raw(query, args...).Scan(&rows).Error
}
