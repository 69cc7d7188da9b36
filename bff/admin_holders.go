package bff

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/ledger"
)

// adminHolder is a holder as the card office sees it (AdminHolder).
type adminHolder struct {
	ID                 int64      `json:"id"`
	School             string     `json:"school"`
	Number             string     `json:"number"`
	Name               string     `json:"name"`
	Kind               string     `json:"kind"`
	Status             string     `json:"status"`
	State              string     `json:"state"`
	Lost               bool       `json:"lost"`
	ExpiresAt          *time.Time `json:"expires_at,omitempty"`
	DormBuilding       string     `json:"dorm_building"`
	MustChangePassword bool       `json:"must_change_password"`
	MustChangePIN      bool       `json:"must_change_pin"`
	Wallet             int64      `json:"wallet"`
	Subsidy            int64      `json:"subsidy"`
	Pending            int64      `json:"pending"`
	Purse              int64      `json:"purse"`
	CardUID            *string    `json:"card_uid,omitempty"`
	LastActiveAt       *time.Time `json:"last_active_at,omitempty"`
	CreatedAt          time.Time  `json:"created_at"`
}

// adminCard is the holder's active card on the detail view; null until the
// card office issues one.
type adminCard struct {
	UID      string    `json:"uid"`
	Status   string    `json:"status"`
	IssuedAt time.Time `json:"issued_at"`
}

type adminHolderDetail struct {
	adminHolder
	Card *adminCard `json:"card"`
}

// adminHolders shows holders of one school with their balances and active
// cards, read for the whole page at once.
func (s *Server) adminHolders(c fiber.Ctx, school string, holders ...ledger.Holder) ([]adminHolder, error) {
	ids := make([]int64, len(holders))
	for i, h := range holders {
		ids[i] = h.ID
	}
	balances, err := s.ledger.BalancesOf(c.Context(), ids)
	if err != nil {
		return nil, err
	}
	cards, err := s.ledger.ActiveCardUIDs(c.Context(), ids)
	if err != nil {
		return nil, err
	}
	out := make([]adminHolder, len(holders))
	for i, h := range holders {
		out[i] = s.adminHolderView(h, school, balances[h.ID])
		if uid, ok := cards[h.ID]; ok {
			out[i].CardUID = &uid
		}
	}
	return out, nil
}

// adminHolderView is AdminHolder without the card.
func (s *Server) adminHolderView(h ledger.Holder, school string, b ledger.Balances) adminHolder {
	return adminHolder{ID: h.ID, School: school, Number: h.Number, Name: h.Name, Kind: h.Kind, Status: h.Status,
		State: h.State(s.now()), Lost: h.Lost, ExpiresAt: h.ExpiresAt, DormBuilding: h.DormBuilding,
		MustChangePassword: h.MustChangePassword, MustChangePIN: h.MustChangePIN,
		Wallet: b.WalletFen, Subsidy: b.SubsidyFen, Pending: b.PendingFen, Purse: b.PurseFen,
		LastActiveAt: h.LastActiveAt, CreatedAt: h.CreatedAt}
}

// holderView shows one holder (AdminHolder).
func (s *Server) holderView(c fiber.Ctx, h ledger.Holder) (adminHolder, error) {
	school, err := s.ledger.SchoolByID(c.Context(), h.SchoolID)
	if err != nil {
		return adminHolder{}, err
	}
	views, err := s.adminHolders(c, school.Code, h)
	if err != nil {
		return adminHolder{}, err
	}
	return views[0], nil
}

// answerHolder answers AdminHolder.
func (s *Server) answerHolder(c fiber.Ctx, status int, h ledger.Holder) error {
	view, err := s.holderView(c, h)
	if err != nil {
		return err
	}
	return c.Status(status).JSON(view)
}

// pathHolder reads the :id of a holder route and names it in the audit log.
func (s *Server) pathHolder(c fiber.Ctx, detail string) (ledger.Holder, error) {
	raw := c.Params("id")
	setAudit(c, "holder:"+raw, detail)
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 {
		return ledger.Holder{}, invalid("holder id must be a positive integer")
	}
	return s.ledger.HolderByID(c.Context(), id)
}

func (s *Server) handleAdminHolders(c fiber.Ctx) error {
	school, err := s.adminSchool(c)
	if err != nil {
		return err
	}
	setAudit(c, "school:"+school.Code, "q="+c.Query("q"))
	limit, before, err := listParams(c)
	if err != nil {
		return err
	}
	holders, err := s.ledger.SearchHolders(c.Context(), ledger.HolderSearch{SchoolID: school.ID, Q: c.Query("q"),
		Kind: c.Query("kind"), Status: c.Query("status"), BeforeID: before, Limit: limit})
	if err != nil {
		return err
	}
	items, err := s.adminHolders(c, school.Code, holders...)
	if err != nil {
		return err
	}
	return c.JSON(page[adminHolder]{Items: items, NextCursor: nextCursor(items, limit, func(h adminHolder) int64 { return h.ID })})
}

func (s *Server) handleAdminHolder(c fiber.Ctx) error {
	h, err := s.pathHolder(c, "")
	if err != nil {
		return err
	}
	view, err := s.holderView(c, h)
	if err != nil {
		return err
	}
	out := adminHolderDetail{adminHolder: view}
	card, ok, err := s.ledger.ActiveCard(c.Context(), h.ID)
	if err != nil {
		return err
	}
	if ok {
		out.Card = &adminCard{UID: card.UID, Status: card.Status, IssuedAt: card.IssuedAt}
	}
	return c.JSON(out)
}

func (s *Server) handleAdminHolderTransactions(c fiber.Ctx) error {
	h, err := s.pathHolder(c, "")
	if err != nil {
		return err
	}
	limit, before, err := listParams(c)
	if err != nil {
		return err
	}
	f := ledger.HistoryFilter{Limit: limit, BeforeID: before}
	if kind := c.Query("kind"); kind != "" {
		if f.Kinds = strings.Split(kind, ","); len(f.Kinds) > len(ledger.HistoryKinds) {
			return invalid("too many kinds")
		}
	}
	items, err := s.ledger.History(c.Context(), h.ID, f)
	if err != nil {
		return err
	}
	return c.JSON(page[ledger.HistoryItem]{Items: items, NextCursor: nextCursor(items, limit, func(i ledger.HistoryItem) int64 { return i.ID })})
}

type adminNewHolder struct {
	School       string `json:"school"`
	Number       string `json:"number"`
	Name         string `json:"name"`
	Kind         string `json:"kind"`
	IDLast6      string `json:"id_last6"`
	DormBuilding string `json:"dorm_building"`
}

func (s *Server) handleAdminCreateHolder(c fiber.Ctx) error {
	var req adminNewHolder
	if err := decode(c, &req); err != nil {
		return err
	}
	setAudit(c, "holder:"+req.School+"/"+req.Number, "")
	if err := firstErr(text("school", req.School, 32), text("number", req.Number, 32), text("name", req.Name, 256),
		text("kind", req.Kind, 16)); err != nil {
		return err
	}
	if req.Kind != ledger.KindStudent && req.Kind != ledger.KindStaff {
		return invalid("kind must be student or staff (visitors are issued under /visitors)")
	}
	school, err := s.ledger.School(c.Context(), req.School)
	if err != nil {
		return err
	}
	h, err := s.ledger.CreateHolder(c.Context(), ledger.NewHolder{SchoolID: school.ID, Number: req.Number, Name: req.Name,
		Kind: req.Kind, IDLast6: req.IDLast6, DormBuilding: req.DormBuilding})
	if err != nil {
		return err
	}
	return s.answerHolder(c, fiber.StatusCreated, h)
}

// importHeader is the CSV header of a holder import; dorm_building is optional.
var importHeader = []string{"number", "name", "kind", "id_last6", "dorm_building"}

func (s *Server) handleAdminImportHolders(c fiber.Ctx) error {
	school, err := s.adminSchool(c)
	if err != nil {
		return err
	}
	setAudit(c, "school:"+school.Code, "")
	if ct := strings.ToLower(c.Get(fiber.HeaderContentType)); !strings.HasPrefix(ct, "text/csv") && !strings.HasPrefix(ct, "text/plain") {
		return invalid("body must be text/csv")
	}
	lines, problems, err := parseHolderCSV(c.Body())
	if err != nil {
		return err
	}
	res, err := s.ledger.ImportHolders(c.Context(), school.ID, lines)
	if err != nil {
		return err
	}
	res.Errors = localProblems(c, mergeProblems(problems, res.Errors))
	setAudit(c, "school:"+school.Code, "created="+strconv.Itoa(res.Created)+" skipped="+strconv.Itoa(res.Skipped)+
		" errors="+strconv.Itoa(len(res.Errors)))
	return c.JSON(res)
}

// parseHolderCSV reads an import file: a header naming the columns (in
// importHeader's order, dorm_building optional), then one holder a line.
// Lines that do not parse come back as problems; a bad header or more than
// ledger.MaxImportLines lines refuse the whole file.
func parseHolderCSV(body []byte) ([]ledger.ImportLine, []ledger.ImportProblem, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, nil, invalid("the file needs a header line: number,name,kind,id_last6[,dorm_building]")
	}
	for i := range header {
		header[i] = strings.ToLower(strings.TrimSpace(header[i]))
	}
	if len(header) < 4 || len(header) > len(importHeader) || strings.Join(header, ",") != strings.Join(importHeader[:len(header)], ",") {
		return nil, nil, invalid("the header must be number,name,kind,id_last6[,dorm_building]")
	}
	var lines []ledger.ImportLine
	var problems []ledger.ImportProblem
	for n := 0; ; n++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if n >= ledger.MaxImportLines {
			return nil, nil, invalid("at most %d lines per import", ledger.MaxImportLines)
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			problems = append(problems, ledger.ImportProblem{Line: pe.Line, Code: ledger.CodeInvalidRequest, Message: pe.Err.Error()})
			continue
		}
		if err != nil {
			return nil, nil, invalid("the file does not parse: %v", err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) != len(header) {
			problems = append(problems, ledger.ImportProblem{Line: line, Code: ledger.CodeInvalidRequest,
				Message: fmt.Sprintf("want %d fields, got %d", len(header), len(rec))})
			continue
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		h := ledger.NewHolder{Number: rec[0], Name: rec[1], Kind: rec[2], IDLast6: rec[3]}
		if len(rec) > 4 {
			h.DormBuilding = rec[4]
		}
		if h.Kind == ledger.KindVisitor {
			problems = append(problems, ledger.ImportProblem{Line: line, Code: ledger.CodeInvalidRequest,
				Message: "kind must be student or staff (visitors are issued under /visitors)"})
			continue
		}
		lines = append(lines, ledger.ImportLine{Line: line, Holder: h})
	}
	return lines, problems, nil
}

// mergeProblems joins two line-ordered problem lists in line order.
func mergeProblems(a, b []ledger.ImportProblem) []ledger.ImportProblem {
	out := make([]ledger.ImportProblem, 0, len(a)+len(b))
	for len(a) > 0 || len(b) > 0 {
		if len(b) == 0 || (len(a) > 0 && a[0].Line < b[0].Line) {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return out
}

func (s *Server) handleAdminFreeze(c fiber.Ctx) error {
	frozen := strings.HasSuffix(c.Route().Path, "/freeze")
	h, err := s.pathHolder(c, map[bool]string{true: "freeze", false: "unfreeze"}[frozen])
	if err != nil {
		return err
	}
	if h, err = s.ledger.SetFrozen(c.Context(), h.ID, frozen); err != nil {
		return err
	}
	if frozen && s.codes != nil {
		if err := s.codes.RevokeHolder(c.Context(), h.SchoolID, h.ID); err != nil {
			s.log.Warn("codes not revoked", "holder", h.ID, "err", err)
		}
	}
	return s.answerHolder(c, fiber.StatusOK, h)
}

func (s *Server) handleAdminResetSecret(c fiber.Ctx) error {
	h, err := s.pathHolder(c, "reset")
	if err != nil {
		return err
	}
	var req struct {
		Kind string `json:"kind"`
	}
	if err := firstErr(decode(c, &req), text("kind", req.Kind, 8)); err != nil {
		return err
	}
	setAudit(c, "holder:"+strconv.FormatInt(h.ID, 10), "reset "+req.Kind)
	temporary, err := s.ledger.ResetSecret(c.Context(), h.ID, req.Kind)
	if err != nil {
		return err
	}
	// Whoever knew the old secret may hold a session: end them all.
	if err := s.sessions.endHolder(c.Context(), h.ID); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"temporary": temporary})
}
