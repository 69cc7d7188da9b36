package ledger

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Subsidy entries that send money back to the fund are grants the other way;
// their channel says which (entries.kind is fixed by the schema).
const (
	ChannelSubsidyExpiry = "subsidy_expiry" // an expired line's remainder, by the expiry job
	ChannelSubsidyReturn = "subsidy_return" // what was left when the account closed
)

// MaxSubsidyLines bounds one batch: it is issued in one transaction.
const MaxSubsidyLines = 20000

// SubsidyBatch is one issue of subsidies by the office. SpentFen, ExpiredFen,
// ReturnedFen and RemainingFen add up to IssuedFen.
type SubsidyBatch struct {
	ID             int64     `json:"id"`
	SchoolID       int64     `json:"school_id"`
	Name           string    `json:"name"`
	IdempotencyKey string    `json:"-"`
	Fingerprint    string    `json:"-"`
	Status         string    `json:"status"`
	LineCount      int       `json:"lines"`
	IssuedFen      int64     `json:"issued_fen"`
	SpentFen       int64     `json:"spent_fen" gorm:"-"`
	ExpiredFen     int64     `json:"expired_fen" gorm:"-"`
	ReturnedFen    int64     `json:"returned_fen" gorm:"-"`
	RemainingFen   int64     `json:"remaining_fen" gorm:"-"`
	CreatedBy      string    `json:"created_by"`
	CreatedAt      time.Time `json:"created_at"`
}

// SubsidyLine is one holder's part of a batch.
type SubsidyLine struct {
	ID           int64     `json:"id"`
	BatchID      int64     `json:"batch_id"`
	SchoolID     int64     `json:"-"`
	HolderID     int64     `json:"holder_id"`
	LineNo       int       `json:"line"`
	Number       string    `json:"number" gorm:"-"`
	Name         string    `json:"name" gorm:"-"`
	AmountFen    int64     `json:"amount_fen"`
	SpentFen     int64     `json:"spent_fen"`
	ExpiredFen   int64     `json:"expired_fen"`
	ReturnedFen  int64     `json:"returned_fen"`
	RemainingFen int64     `json:"remaining_fen"`
	ExpiresAt    time.Time `json:"expires_at"`
	GrantEntryID int64     `json:"grant_entry_id"`
	CreatedAt    time.Time `json:"created_at"`
}

// SubsidyRequest is one requested line, as read from CSV or JSON.
type SubsidyRequest struct {
	Line      int    // 1-based line of the source, for error reports
	Number    string // holder number
	AmountFen int64
	ExpiresAt string // RFC 3339, or YYYY-MM-DD: valid through that day at the school
}

// NewSubsidyBatch is what the office asks to issue.
type NewSubsidyBatch struct {
	SchoolID  int64
	Name      string
	Key       string // idempotency key: the same key answers the first batch
	CreatedBy string
	Lines     []SubsidyRequest
}

// LineError says what is wrong with one line of a batch.
type LineError struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// BatchError refuses a whole batch (INVALID_REQUEST) for its bad lines;
// nothing was issued.
type BatchError struct {
	Lines []LineError
}

func (e *BatchError) Error() string {
	return fmt.Sprintf("%d bad lines, nothing issued; line %d: %s", len(e.Lines), e.Lines[0].Line, e.Lines[0].Message)
}

// Unwrap is the INVALID_REQUEST refusal it is, so ErrorCode and errors.Is see it.
func (e *BatchError) Unwrap() error { return &Error{Code: CodeInvalidRequest, Message: e.Error()} }

// maxLineErrors bounds what a refusal lists.
const maxLineErrors = 100

// IssueSubsidies validates every line and then issues them all in one
// transaction, or none. The same key again answers the first batch (even
// while the first request is still running, it waits on the unique index);
// the same key with other lines is refused CONFLICT.
func (l *Ledger) IssueSubsidies(ctx context.Context, in NewSubsidyBatch) (SubsidyBatch, bool, error) {
	if err := validKey(in.Key); err != nil {
		return SubsidyBatch{}, false, err
	}
	if len(in.Lines) == 0 || len(in.Lines) > MaxSubsidyLines {
		return SubsidyBatch{}, false, refuse(CodeInvalidRequest, "a batch has 1 to %d lines", MaxSubsidyLines)
	}
	school, err := l.SchoolByID(ctx, in.SchoolID)
	if err != nil {
		return SubsidyBatch{}, false, err
	}
	if strings.TrimSpace(in.Name) == "" {
		in.Name = "补助 " + SchoolDay(school.Timezone, l.now())
	}
	if !validName(in.Name, 100) {
		return SubsidyBatch{}, false, refuse(CodeInvalidRequest, "batch name must be 1-100 characters")
	}
	fp := subsidyFingerprint(in)
	if prior, found, err := l.batchByKey(ctx, in.SchoolID, in.Key); err != nil || found {
		return l.sameBatch(ctx, prior, fp, found, err)
	}
	lines, err := l.checkSubsidyLines(ctx, school, in.Lines)
	if err != nil {
		return SubsidyBatch{}, false, err
	}
	now := l.now()
	b := SubsidyBatch{SchoolID: in.SchoolID, Name: strings.TrimSpace(in.Name), IdempotencyKey: in.Key, Fingerprint: fp,
		Status: "issued", LineCount: len(lines), CreatedBy: in.CreatedBy, CreatedAt: now}
	for _, ln := range lines {
		b.IssuedFen += ln.AmountFen
	}
	err = l.inTx(ctx, func(tx *gorm.DB) error {
		b.ID = 0
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&b)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errDuplicate
		}
		return l.grantLines(tx, b, school, lines)
	})
	if errors.Is(err, errDuplicate) {
		prior, found, ferr := l.batchByKey(ctx, in.SchoolID, in.Key)
		return l.sameBatch(ctx, prior, fp, found, ferr)
	}
	if err != nil {
		return SubsidyBatch{}, false, err
	}
	out, err := l.SubsidyBatch(ctx, b.ID)
	return out, true, err
}

func (l *Ledger) sameBatch(ctx context.Context, prior SubsidyBatch, fp string, found bool, err error) (SubsidyBatch, bool, error) {
	if err != nil {
		return SubsidyBatch{}, false, err
	}
	if !found {
		return SubsidyBatch{}, false, refuse(CodeConflict, "the batch changed under us, try again")
	}
	if prior.Fingerprint != fp {
		return SubsidyBatch{}, false, refuse(CodeConflict, "idempotency key %q was used for a different batch", prior.IdempotencyKey)
	}
	out, err := l.SubsidyBatch(ctx, prior.ID)
	return out, false, err
}

func subsidyFingerprint(in NewSubsidyBatch) string {
	parts := []any{"subsidy-batch", in.SchoolID, strings.TrimSpace(in.Name)}
	for _, ln := range in.Lines {
		parts = append(parts, ln.Number, ln.AmountFen, ln.ExpiresAt)
	}
	return fingerprint(parts...)
}

func (l *Ledger) batchByKey(ctx context.Context, schoolID int64, key string) (SubsidyBatch, bool, error) {
	var b SubsidyBatch
	err := l.db.WithContext(ctx).Where("school_id = ? AND idempotency_key = ?", schoolID, key).Take(&b).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return b, false, nil
	}
	return b, err == nil, err
}

// checkSubsidyLines validates every line before anything is written and
// reports every bad one (up to maxLineErrors).
func (l *Ledger) checkSubsidyLines(ctx context.Context, school School, reqs []SubsidyRequest) ([]SubsidyLine, error) {
	loc, err := time.LoadLocation(school.Timezone)
	if err != nil {
		return nil, err
	}
	now := l.now()
	var bad []LineError
	seen := map[string]int{}
	numbers := make([]string, 0, len(reqs))
	for _, r := range reqs {
		if _, dup := seen[r.Number]; !dup && numberPattern.MatchString(r.Number) {
			numbers = append(numbers, r.Number)
		}
		seen[r.Number]++
	}
	holders := map[string]Holder{}
	for start := 0; start < len(numbers); start += 500 {
		var found []Holder
		chunk := numbers[start:min(start+500, len(numbers))]
		if err := l.db.WithContext(ctx).Where("school_id = ? AND number IN ?", school.ID, chunk).Find(&found).Error; err != nil {
			return nil, err
		}
		for _, h := range found {
			holders[h.Number] = h
		}
	}
	lines := make([]SubsidyLine, 0, len(reqs))
	for i, r := range reqs {
		lineNo := r.Line
		if lineNo <= 0 {
			lineNo = i + 1
		}
		msg := ""
		h, ok := holders[r.Number]
		expires, perr := parseExpiry(r.ExpiresAt, loc)
		switch {
		case !numberPattern.MatchString(r.Number):
			msg = "number must be 1-32 letters or digits"
		case seen[r.Number] > 1:
			msg = fmt.Sprintf("number %s appears more than once in the batch", r.Number)
		case !ok:
			msg = fmt.Sprintf("no holder %s at this school", r.Number)
		case h.State(now) == StatusClosed || h.State(now) == "expired":
			msg = fmt.Sprintf("holder %s is closed or expired", r.Number)
		case r.AmountFen <= 0 || r.AmountFen > MaxAmountFen:
			msg = fmt.Sprintf("amount must be 1 to %d fen", MaxAmountFen)
		case perr != nil:
			msg = perr.Error()
		case !expires.After(now):
			msg = "expires_at must be in the future"
		}
		if msg != "" {
			if len(bad) < maxLineErrors {
				bad = append(bad, LineError{Line: lineNo, Message: msg})
			}
			continue
		}
		lines = append(lines, SubsidyLine{SchoolID: school.ID, HolderID: h.ID, LineNo: lineNo, Number: h.Number,
			AmountFen: r.AmountFen, RemainingFen: r.AmountFen, ExpiresAt: expires})
	}
	if len(bad) > 0 {
		return nil, &BatchError{Lines: bad}
	}
	return lines, nil
}

// ExpiryAt reads an expiry the office typed: RFC 3339, or a plain date
// meaning "through that day" at the school, so it ends at the next midnight
// in the school's time zone.
func ExpiryAt(timezone, s string) (time.Time, error) {
	loc, err := time.LoadLocation(timezone)
	if err != nil {
		return time.Time{}, err
	}
	return parseExpiry(s, loc)
}

func parseExpiry(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	d, err := time.ParseInLocation("2006-01-02", s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("expires_at %q must be RFC 3339 or YYYY-MM-DD", truncate(s, 40))
	}
	return d.AddDate(0, 0, 1).UTC(), nil
}

// grantLines posts one grant entry per line, fund to holder, and stores the
// line. It locks as every other transaction does, so concurrent batches,
// payments, expiries and closings cannot deadlock: the holder rows first (a
// holder closed meanwhile gets nothing), then their subsidy accounts, each in
// id order, and the fund last.
func (l *Ledger) grantLines(tx *gorm.DB, b SubsidyBatch, school School, lines []SubsidyLine) error {
	ids := make([]int64, 0, len(lines))
	for _, ln := range lines {
		ids = append(ids, ln.HolderID)
	}
	slices.Sort(ids)
	accounts := make(map[int64]Account, len(ids))
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		var closed []string
		if err := tx.Raw(`SELECT number FROM holders WHERE id IN ? AND status = ? ORDER BY id`+l.forShare(),
			chunk, StatusClosed).Scan(&closed).Error; err != nil {
			return err
		}
		if len(closed) > 0 {
			return refuse(CodeConflict, "holder %s was closed meanwhile: nothing issued", closed[0])
		}
	}
	for start := 0; start < len(ids); start += 500 {
		var accts []Account
		if err := tx.Raw(`SELECT * FROM accounts WHERE holder_id IN ? AND kind = ? ORDER BY id`+l.forUpdate(),
			ids[start:min(start+500, len(ids))], Subsidy).Scan(&accts).Error; err != nil {
			return err
		}
		for _, a := range accts {
			accounts[*a.HolderID] = a
		}
	}
	fund, err := l.systemAccount(tx, school.ID, SubsidyFund)
	if err != nil {
		return err
	}
	for _, ln := range lines {
		holderID := ln.HolderID
		e := &Entry{SchoolID: school.ID, IdempotencyKey: fmt.Sprintf("subsidy:%d:%d", b.ID, ln.LineNo), Kind: EntryGrant,
			Channel: string(SubsidyFund), HolderID: &holderID, AmountFen: ln.AmountFen, Memo: truncate(b.Name, 100),
			Fingerprint: fingerprint(EntryGrant, school.ID, holderID, ln.AmountFen), CreatedAt: b.CreatedAt}
		if err := tx.Create(e).Error; err != nil {
			return err
		}
		if _, err := l.post(tx, e, []leg{{from: fund, to: accounts[holderID], amount: ln.AmountFen}}); err != nil {
			return err
		}
		if err := l.setBalanceAfter(tx, e, holderID); err != nil {
			return err
		}
		if err := l.notify(tx, e); err != nil {
			return err
		}
		ln.BatchID, ln.GrantEntryID, ln.CreatedAt = b.ID, e.ID, b.CreatedAt
		if err := tx.Create(&ln).Error; err != nil {
			return err
		}
	}
	return nil
}

// forShare locks read rows against change on PostgreSQL (a holder being
// closed); SQLite's immediate transactions already exclude every writer.
func (l *Ledger) forShare() string {
	if l.postgres {
		return " FOR SHARE"
	}
	return ""
}

// batchTotals adds up where a batch's money went.
func (l *Ledger) batchTotals(ctx context.Context, batches []SubsidyBatch) error {
	if len(batches) == 0 {
		return nil
	}
	ids := make([]int64, len(batches))
	for i, b := range batches {
		ids[i] = b.ID
	}
	var rows []struct {
		BatchID                             int64
		Spent, Expired, Returned, Remaining int64
	}
	if err := l.db.WithContext(ctx).Raw(`SELECT batch_id, SUM(spent_fen) AS spent, SUM(expired_fen) AS expired,
		SUM(returned_fen) AS returned, SUM(remaining_fen) AS remaining FROM subsidy_lines WHERE batch_id IN ? GROUP BY batch_id`,
		ids).Scan(&rows).Error; err != nil {
		return err
	}
	for _, r := range rows {
		for i := range batches {
			if batches[i].ID == r.BatchID {
				batches[i].SpentFen, batches[i].ExpiredFen, batches[i].ReturnedFen, batches[i].RemainingFen =
					r.Spent, r.Expired, r.Returned, r.Remaining
			}
		}
	}
	return nil
}

// SubsidyBatch reads one batch with its totals.
func (l *Ledger) SubsidyBatch(ctx context.Context, id int64) (SubsidyBatch, error) {
	var b SubsidyBatch
	if err := first(l.db.WithContext(ctx), &b, "subsidy batch", "id = ?", id); err != nil {
		return b, err
	}
	out := []SubsidyBatch{b}
	err := l.batchTotals(ctx, out)
	return out[0], err
}

// SubsidyBatches lists a school's batches, newest first.
func (l *Ledger) SubsidyBatches(ctx context.Context, schoolID, beforeID int64, limit int) ([]SubsidyBatch, error) {
	if limit <= 0 || limit > MaxHistoryPage {
		return nil, refuse(CodeInvalidRequest, "limit must be 1 to %d", MaxHistoryPage)
	}
	q := l.db.WithContext(ctx).Where("school_id = ?", schoolID)
	if beforeID > 0 {
		q = q.Where("id < ?", beforeID)
	}
	var out []SubsidyBatch
	if err := q.Order("id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, err
	}
	return out, l.batchTotals(ctx, out)
}

// SubsidyLines lists a batch's lines with each holder's number and name.
func (l *Ledger) SubsidyLines(ctx context.Context, batchID int64) ([]SubsidyLine, error) {
	var out []SubsidyLine
	if err := l.db.WithContext(ctx).Where("batch_id = ?", batchID).Order("line_no").Limit(MaxSubsidyLines).Find(&out).Error; err != nil {
		return nil, err
	}
	var names []struct {
		ID           int64
		Number, Name string
	}
	if err := l.db.WithContext(ctx).Raw(`SELECT h.id, h.number, h.name FROM holders h
		WHERE h.id IN (SELECT holder_id FROM subsidy_lines WHERE batch_id = ?)`, batchID).Scan(&names).Error; err != nil {
		return nil, err
	}
	byID := make(map[int64]int, len(names))
	for i, n := range names {
		byID[n.ID] = i
	}
	for i := range out {
		if j, ok := byID[out[i].HolderID]; ok {
			out[i].Number, out[i].Name = names[j].Number, names[j].Name
		}
	}
	return out, nil
}
