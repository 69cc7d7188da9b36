package ledger

import (
	"context"
	"crypto/rand"
	"math/big"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// HolderSearch narrows the card office's holder list. Q matches a number
// prefix or a name substring; Status is a status column value (active,
// frozen, closed) or "lost". BeforeID is the cursor.
type HolderSearch struct {
	SchoolID int64
	Q        string
	Kind     string
	Status   string
	BeforeID int64
	Limit    int
}

// likeEscaper makes a search text literal inside LIKE ... ESCAPE '\'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// SearchHolders lists a school's holders, newest first, one page at a time.
func (l *Ledger) SearchHolders(ctx context.Context, f HolderSearch) ([]Holder, error) {
	if f.Limit <= 0 || f.Limit > MaxHistoryPage {
		return nil, refuse(CodeInvalidRequest, "limit must be 1 to %d", MaxHistoryPage)
	}
	q := l.db.WithContext(ctx).Model(&Holder{}).Where("school_id = ?", f.SchoolID)
	if f.Q = strings.TrimSpace(f.Q); f.Q != "" {
		if len([]rune(f.Q)) > 64 {
			return nil, refuse(CodeInvalidRequest, "q must be at most 64 characters")
		}
		lit := likeEscaper.Replace(f.Q)
		q = q.Where(`number LIKE ? ESCAPE '\' OR name LIKE ? ESCAPE '\'`, lit+"%", "%"+lit+"%")
	}
	switch f.Kind {
	case "":
	case KindStudent, KindStaff, KindVisitor:
		q = q.Where("kind = ?", f.Kind)
	default:
		return nil, refuse(CodeInvalidRequest, "kind must be student, staff or visitor")
	}
	switch f.Status {
	case "":
	case StatusActive, StatusFrozen, StatusClosed:
		q = q.Where("status = ?", f.Status)
	case "lost":
		q = q.Where("lost = ?", true)
	default:
		return nil, refuse(CodeInvalidRequest, "status must be active, frozen, closed or lost")
	}
	if f.BeforeID > 0 {
		q = q.Where("id < ?", f.BeforeID)
	}
	var out []Holder
	return out, q.Order("id DESC").Limit(f.Limit).Find(&out).Error
}

// BalancesOf reads the balances of several holders at once, for a list page.
func (l *Ledger) BalancesOf(ctx context.Context, holderIDs []int64) (map[int64]Balances, error) {
	out := make(map[int64]Balances, len(holderIDs))
	if len(holderIDs) == 0 {
		return out, nil
	}
	var accts []Account
	if err := l.db.WithContext(ctx).Where("holder_id IN ?", holderIDs).Find(&accts).Error; err != nil {
		return nil, err
	}
	for _, a := range accts {
		b := out[*a.HolderID]
		available := a.BalanceFen - a.HeldFen
		switch a.Kind {
		case Wallet:
			b.WalletFen = available
		case Subsidy:
			b.SubsidyFen = available
		case Pending:
			b.PendingFen = available
		case Purse:
			b.PurseFen = available
		}
		out[*a.HolderID] = b
	}
	return out, nil
}

// MaxImportLines bounds one CSV import of holders.
const MaxImportLines = 10000

// ImportLine is one holder of an import, with its line in the file.
type ImportLine struct {
	Line   int
	Holder NewHolder
}

// ImportProblem is why one line of an import was not taken.
type ImportProblem struct {
	Line    int    `json:"line"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ImportResult counts what an import did: holders created, lines skipped
// because the number already exists, and lines refused.
type ImportResult struct {
	Created int             `json:"created"`
	Skipped int             `json:"skipped"`
	Errors  []ImportProblem `json:"errors"`
}

// ImportHolders creates holders at one school, each line on its own: a bad
// line is reported and changes nothing, a number that already exists is
// skipped, a number repeated within the file is refused on its later line.
// Each new holder's initial secret is hashed once (several at a time).
func (l *Ledger) ImportHolders(ctx context.Context, schoolID int64, lines []ImportLine) (ImportResult, error) {
	res := ImportResult{Errors: []ImportProblem{}}
	if len(lines) > MaxImportLines {
		return res, refuse(CodeInvalidRequest, "at most %d lines per import", MaxImportLines)
	}
	school, err := l.SchoolByID(ctx, schoolID)
	if err != nil {
		return res, err
	}
	problem := func(line int, err error) {
		code, msg := ErrorCode(err), err.Error()
		if le, ok := err.(*Error); ok {
			msg = le.Message
		}
		res.Errors = append(res.Errors, ImportProblem{Line: line, Code: code, Message: msg})
	}
	seen := map[string]int{}
	var todo []ImportLine
	for _, ln := range lines {
		ln.Holder.SchoolID = schoolID
		if err := l.checkNewHolder(school, ln.Holder); err != nil {
			problem(ln.Line, err)
		} else if first, dup := seen[ln.Holder.Number]; dup {
			problem(ln.Line, refuse(CodeConflict, "number %s repeats line %d", ln.Holder.Number, first))
		} else {
			seen[ln.Holder.Number] = ln.Line
			todo = append(todo, ln)
		}
	}
	existing, err := l.existingNumbers(ctx, schoolID, todo)
	if err != nil {
		return res, err
	}
	fresh := todo[:0]
	for _, ln := range todo {
		if existing[ln.Holder.Number] {
			res.Skipped++
		} else {
			fresh = append(fresh, ln)
		}
	}
	hashes, err := l.hashInitialSecrets(school, fresh)
	if err != nil {
		return res, err
	}
	for i, ln := range fresh {
		_, err := l.insertHolder(ctx, school, ln.Holder, hashes[i])
		switch {
		case err == nil:
			res.Created++
		case ErrorCode(err) == CodeConflict:
			res.Skipped++ // created meanwhile by someone else
		case ErrorCode(err) != "":
			problem(ln.Line, err)
		default:
			return res, err
		}
	}
	sort.Slice(res.Errors, func(i, j int) bool { return res.Errors[i].Line < res.Errors[j].Line })
	return res, nil
}

// existingNumbers says which of the lines' numbers the school already has.
func (l *Ledger) existingNumbers(ctx context.Context, schoolID int64, lines []ImportLine) (map[string]bool, error) {
	out := map[string]bool{}
	for start := 0; start < len(lines); start += 500 {
		chunk := lines[start:min(start+500, len(lines))]
		numbers := make([]string, len(chunk))
		for i, ln := range chunk {
			numbers[i] = ln.Holder.Number
		}
		var found []string
		if err := l.db.WithContext(ctx).Model(&Holder{}).Where("school_id = ? AND number IN ?", schoolID, numbers).
			Pluck("number", &found).Error; err != nil {
			return nil, err
		}
		for _, n := range found {
			out[n] = true
		}
	}
	return out, nil
}

// hashInitialSecrets hashes each line's initial secret once, on all cores;
// lines sharing a secret (a school's fixed rule) share one hash.
func (l *Ledger) hashInitialSecrets(school School, lines []ImportLine) ([]string, error) {
	secrets := make([]string, len(lines))
	var distinct []string
	seen := map[string]bool{}
	for i, ln := range lines {
		secrets[i] = InitialSecret(school.InitialPasswordRule, ln.Holder.IDLast6)
		if !seen[secrets[i]] {
			seen[secrets[i]] = true
			distinct = append(distinct, secrets[i])
		}
	}
	hashOf := make(map[string]string, len(distinct))
	jobs := make(chan string)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	for range min(runtime.GOMAXPROCS(0), 4) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for secret := range jobs {
				hash, err := l.argon2.hash(secret)
				mu.Lock()
				hashOf[secret] = hash
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	for _, secret := range distinct {
		jobs <- secret
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	hashes := make([]string, len(lines))
	for i, s := range secrets {
		hashes[i] = hashOf[s]
	}
	return hashes, nil
}

// Secret kinds a card office may reset.
const (
	SecretLogin = "login"
	SecretPIN   = "pin"
)

// ResetSecret gives a holder a new random six-digit login password or PIN,
// which the holder must change, and clears its lockout. The temporary secret
// is returned only here.
func (l *Ledger) ResetSecret(ctx context.Context, holderID int64, kind string) (string, error) {
	h, err := l.HolderByID(ctx, holderID)
	if err != nil {
		return "", err
	}
	if h.Status == StatusClosed {
		return "", refuse(CodeAccountClosed, "account %s is closed", h.Number)
	}
	temporary := temporarySecret()
	hash, err := l.argon2.hash(temporary)
	if err != nil {
		return "", err
	}
	var set map[string]any
	switch kind {
	case SecretLogin:
		set = map[string]any{"password_hash": hash, "must_change_password": true, "login_failures": 0, "locked_until": nil}
	case SecretPIN:
		set = map[string]any{"pin_hash": hash, "must_change_pin": true, "pin_failures": 0}
	default:
		return "", refuse(CodeInvalidRequest, `kind must be "login" or "pin"`)
	}
	return temporary, l.updateHolder(ctx, holderID, set)
}

// temporarySecret draws a random six-digit secret that is not trivial.
func temporarySecret() string {
	for {
		if s := randomDigits(6); !trivialPIN(s) {
			return s
		}
	}
}

// randomDigits draws n random decimal digits.
func randomDigits(n int) string {
	out := make([]byte, n)
	for i := range out {
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			panic("ledger: no randomness: " + err.Error())
		}
		out[i] = byte('0' + d.Int64())
	}
	return string(out)
}

// ActiveCardUIDs maps each of the holders that has an active card to its UID.
func (l *Ledger) ActiveCardUIDs(ctx context.Context, holderIDs []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(holderIDs))
	if len(holderIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		HolderID int64
		UID      string
	}
	err := l.db.WithContext(ctx).Raw(`SELECT holder_id, uid FROM cards WHERE holder_id IN ? AND status = ?`,
		holderIDs, CardActive).Scan(&rows).Error
	for _, r := range rows {
		out[r.HolderID] = r.UID
	}
	return out, err
}
