package ledger

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// SubsidyUse records that an entry spent (positive) or gave back (negative)
// part of a subsidy line, for the payment PaymentID.
type SubsidyUse struct {
	ID        int64
	LineID    int64
	EntryID   int64
	PaymentID int64
	AmountFen int64
}

// spendableSubsidy is what a payment may take from a subsidy account: its
// available balance less lines already past their expiry that the expiry job
// has not swept yet. The account is locked by the caller, and now is the
// payment's one instant, so the lines found live here are the lines
// useSubsidyLines spends.
func (l *Ledger) spendableSubsidy(tx *gorm.DB, acct Account, now time.Time) (int64, error) {
	var due int64
	if err := tx.Raw(`SELECT COALESCE(SUM(remaining_fen), 0) FROM subsidy_lines
		WHERE holder_id = ? AND remaining_fen > 0 AND expires_at <= ?`, *acct.HolderID, now).Scan(&due).Error; err != nil {
		return 0, err
	}
	return max(0, acct.BalanceFen-acct.HeldFen-due), nil
}

// useSubsidyLines charges amount of a payment to the holder's live subsidy
// lines, the earliest expiry first. It runs after the subsidy account was
// locked and debited, so the lines it reads cannot change under it; each
// line still moves by a conditional update. Subsidy granted outside a batch
// has no line and is spent after the lines.
func (l *Ledger) useSubsidyLines(tx *gorm.DB, payment *Entry, holderID, amount int64, now time.Time) error {
	var lines []SubsidyLine
	if err := tx.Raw(`SELECT * FROM subsidy_lines WHERE holder_id = ? AND remaining_fen > 0 AND expires_at > ?
		ORDER BY expires_at, id LIMIT 1000`+l.forUpdate(), holderID, now).Scan(&lines).Error; err != nil {
		return err
	}
	left := amount
	for _, ln := range lines {
		if left == 0 {
			break
		}
		take := min(left, ln.RemainingFen)
		if err := l.moveLine(tx, ln.ID, `remaining_fen = remaining_fen - ?, spent_fen = spent_fen + ?`, `remaining_fen >= ?`, take); err != nil {
			return err
		}
		if err := tx.Create(&SubsidyUse{LineID: ln.ID, EntryID: payment.ID, PaymentID: payment.ID, AmountFen: take}).Error; err != nil {
			return err
		}
		left -= take
	}
	return nil
}

// restoreSubsidyLines gives amount of a refund back to the lines its payment
// spent, the latest expiry first (the reverse of spending). A line given back
// after its expiry is swept again by the expiry job.
func (l *Ledger) restoreSubsidyLines(tx *gorm.DB, refund *Entry, paymentID, amount int64) error {
	var uses []struct {
		LineID int64
		Net    int64
	}
	if err := tx.Raw(`SELECT u.line_id, SUM(u.amount_fen) AS net FROM subsidy_uses u JOIN subsidy_lines s ON s.id = u.line_id
		WHERE u.payment_id = ? GROUP BY u.line_id, s.expires_at HAVING SUM(u.amount_fen) > 0
		ORDER BY s.expires_at DESC, u.line_id DESC`, paymentID).Scan(&uses).Error; err != nil {
		return err
	}
	left := amount
	for _, u := range uses {
		if left == 0 {
			break
		}
		give := min(left, u.Net)
		if err := l.moveLine(tx, u.LineID, `spent_fen = spent_fen - ?, remaining_fen = remaining_fen + ?`, `spent_fen >= ?`, give); err != nil {
			return err
		}
		if err := tx.Create(&SubsidyUse{LineID: u.LineID, EntryID: refund.ID, PaymentID: paymentID, AmountFen: -give}).Error; err != nil {
			return err
		}
		left -= give
	}
	return nil
}

// moveLine applies set (two placeholders, both amount) to a line when guard
// (one placeholder, amount) holds.
func (l *Ledger) moveLine(tx *gorm.DB, lineID int64, set, guard string, amount int64) error {
	res := tx.Exec(`UPDATE subsidy_lines SET `+set+` WHERE id = ? AND `+guard, amount, amount, lineID, amount)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("ledger: subsidy line %d changed under a locked account", lineID)
	}
	return nil
}

// maxExpiryBatch bounds one run of the expiry job.
const maxExpiryBatch = 10000

// ExpireSubsidies returns the remainders of up to limit lines past their
// expiry to the school's subsidy fund, one transaction per line. Running it
// twice, or on two nodes at once, returns each remainder once: the line's
// remainder moves by a conditional update in the same transaction as the money.
func (l *Ledger) ExpireSubsidies(ctx context.Context, limit int) (lines int, fen int64, err error) {
	if limit <= 0 || limit > maxExpiryBatch {
		return 0, 0, fmt.Errorf("ledger: limit must be 1 to %d", maxExpiryBatch)
	}
	var ids []int64
	if err := l.db.WithContext(ctx).Raw(`SELECT id FROM subsidy_lines WHERE remaining_fen > 0 AND expires_at <= ?
		ORDER BY expires_at, id LIMIT ?`, l.now(), limit).Scan(&ids).Error; err != nil {
		return 0, 0, err
	}
	for _, id := range ids {
		n, err := l.expireLine(ctx, id)
		if err != nil {
			return lines, fen, err
		}
		if n > 0 {
			lines++
			fen += n
		}
	}
	return lines, fen, nil
}

func (l *Ledger) expireLine(ctx context.Context, lineID int64) (int64, error) {
	var ln SubsidyLine
	if err := first(l.db.WithContext(ctx), &ln, "subsidy line", "id = ?", lineID); err != nil {
		return 0, err
	}
	var returned int64
	err := l.inTx(ctx, func(tx *gorm.DB) error {
		returned = 0
		// The account first, as a payment locks it, then the line.
		accts, err := l.holderAccounts(tx, ln.HolderID, Subsidy)
		if err != nil {
			return err
		}
		var cur SubsidyLine
		if err := tx.Raw(`SELECT * FROM subsidy_lines WHERE id = ?`+l.forUpdate(), lineID).Scan(&cur).Error; err != nil {
			return err
		}
		now := l.now()
		if cur.RemainingFen == 0 || cur.ExpiresAt.After(now) {
			return nil // swept or given back meanwhile
		}
		acct := accts[Subsidy]
		amount := min(cur.RemainingFen, max(0, acct.BalanceFen-acct.HeldFen))
		// A remainder the account no longer holds was spent without its line
		// knowing; it is booked as spent, and Verify reports the line.
		res := tx.Exec(`UPDATE subsidy_lines SET remaining_fen = 0, expired_fen = expired_fen + ?, spent_fen = spent_fen + ?
			WHERE id = ? AND remaining_fen = ?`, amount, cur.RemainingFen-amount, lineID, cur.RemainingFen)
		if res.Error != nil || res.RowsAffected != 1 || amount == 0 {
			return res.Error
		}
		holderID := cur.HolderID
		e := &Entry{SchoolID: cur.SchoolID, IdempotencyKey: fmt.Sprintf("subsidy-expiry:%d:%d", lineID, cur.ExpiredFen),
			Kind: EntryGrant, Channel: ChannelSubsidyExpiry, HolderID: &holderID, AmountFen: amount,
			Memo: fmt.Sprintf("subsidy line %d expired", lineID), CreatedAt: now,
			Fingerprint: fingerprint(ChannelSubsidyExpiry, lineID, cur.ExpiredFen, amount)}
		if err := l.returnSubsidy(tx, e, acct); err != nil {
			return err
		}
		returned = amount
		return nil
	})
	return returned, err
}

// returnSubsidy writes e and moves its amount from the holder's subsidy
// account back to the school's fund.
func (l *Ledger) returnSubsidy(tx *gorm.DB, e *Entry, subsidy Account) error {
	if err := tx.Create(e).Error; err != nil {
		return err
	}
	fund, err := l.systemAccount(tx, e.SchoolID, SubsidyFund)
	if err != nil {
		return err
	}
	if _, err := l.post(tx, e, []leg{{from: subsidy, to: fund, amount: e.AmountFen}}); err != nil {
		return err
	}
	return l.setBalanceAfter(tx, e, *e.HolderID)
}

// subsidyInvariants extend Verify with the subsidy lines' bookkeeping.
var subsidyInvariants = []invariant{
	{"subsidy lines stay within their subsidy account", `
		SELECT 'holder ' || CAST(a.holder_id AS TEXT) || ' has subsidy ' || CAST(a.balance_fen AS TEXT)
			|| ' but its lines keep ' || CAST(s.r AS TEXT)
		FROM accounts a JOIN (SELECT holder_id, SUM(remaining_fen) AS r FROM subsidy_lines s WHERE 1=1 {S:s} GROUP BY holder_id) s
			ON s.holder_id = a.holder_id
		WHERE a.kind = 'subsidy' AND s.r > a.balance_fen {S:a}`},
	{"each subsidy line was granted in full to its holder", `
		SELECT 'subsidy line ' || CAST(s.id AS TEXT) || ' of ' || CAST(s.amount_fen AS TEXT) || ' has grant ' || CAST(e.id AS TEXT)
			|| ' of ' || CAST(e.amount_fen AS TEXT)
		FROM subsidy_lines s JOIN entries e ON e.id = s.grant_entry_id
		WHERE (e.amount_fen <> s.amount_fen OR e.holder_id <> s.holder_id OR e.kind <> 'grant') {S:s}`},
	{"each subsidy line's spending equals the payments that used it", `
		SELECT 'subsidy line ' || CAST(s.id AS TEXT) || ' counts ' || CAST(s.spent_fen AS TEXT) || ' spent, its uses give '
			|| CAST(COALESCE(u.n, 0) AS TEXT)
		FROM subsidy_lines s LEFT JOIN (SELECT line_id, SUM(amount_fen) AS n FROM subsidy_uses GROUP BY line_id) u ON u.line_id = s.id
		WHERE s.spent_fen <> COALESCE(u.n, 0) {S:s}`},
	{"expired subsidy went back to the fund", `
		SELECT 'school ' || CAST(x.school_id AS TEXT) || ' expired ' || CAST(x.n AS TEXT) || ' of lines, returned '
			|| CAST(COALESCE(y.n, 0) AS TEXT)
		FROM (SELECT school_id, SUM(expired_fen) AS n FROM subsidy_lines s WHERE 1=1 {S:s} GROUP BY school_id) x
		LEFT JOIN (SELECT school_id, SUM(amount_fen) AS n FROM entries e WHERE e.kind = 'grant' AND e.channel = 'subsidy_expiry' {S:e}
			GROUP BY school_id) y ON y.school_id = x.school_id
		WHERE x.n <> COALESCE(y.n, 0)`},
}

func init() { invariants = append(invariants, subsidyInvariants...) }
