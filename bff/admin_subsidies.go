package bff

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/internal/apierr"
	"github.com/ecard/ecard/ledger"
)

// subsidyBatchView is API.md's SubsidyBatch.
type subsidyBatchView struct {
	ID           int64             `json:"id"`
	School       string            `json:"school"`
	Name         string            `json:"name"`
	Status       string            `json:"status"`
	Lines        int               `json:"lines"`
	IssuedFen    int64             `json:"issued_fen"`
	SpentFen     int64             `json:"spent_fen"`
	ExpiredFen   int64             `json:"expired_fen"`
	ReturnedFen  int64             `json:"returned_fen"`
	RemainingFen int64             `json:"remaining_fen"`
	CreatedBy    string            `json:"created_by"`
	CreatedAt    time.Time         `json:"created_at"`
	LineItems    []subsidyLineView `json:"line_items,omitempty"`
}

type subsidyLineView struct {
	Line         int       `json:"line"`
	Number       string    `json:"number"`
	Name         string    `json:"name"`
	AmountFen    int64     `json:"amount"`
	SpentFen     int64     `json:"spent_fen"`
	ExpiredFen   int64     `json:"expired_fen"`
	ReturnedFen  int64     `json:"returned_fen"`
	RemainingFen int64     `json:"remaining_fen"`
	ExpiresAt    time.Time `json:"expires_at"`
}

func batchView(b ledger.SubsidyBatch, school string) subsidyBatchView {
	return subsidyBatchView{ID: b.ID, School: school, Name: b.Name, Status: b.Status, Lines: b.LineCount,
		IssuedFen: b.IssuedFen, SpentFen: b.SpentFen, ExpiredFen: b.ExpiredFen, ReturnedFen: b.ReturnedFen,
		RemainingFen: b.RemainingFen, CreatedBy: b.CreatedBy, CreatedAt: b.CreatedAt.UTC()}
}

// subsidyRequest is the JSON form of POST /subsidies.
type subsidyRequest struct {
	School string `json:"school"`
	Name   string `json:"name"`
	Lines  []struct {
		Number    string `json:"number"`
		Amount    int64  `json:"amount"`
		ExpiresAt string `json:"expires_at"`
	} `json:"lines"`
}

// readSubsidyBatch reads a batch as JSON, or as text/csv with ?school=&name=.
func (s *Server) readSubsidyBatch(c fiber.Ctx) (ledger.School, string, []ledger.SubsidyRequest, error) {
	if strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderContentType)), "text/csv") {
		school, err := s.adminSchool(c)
		if err != nil {
			return school, "", nil, err
		}
		lines, err := ledger.ParseSubsidyCSV(bytes.NewReader(c.Body()))
		return school, c.Query("name"), lines, err
	}
	var req subsidyRequest
	if err := firstErr(decode(c, &req), text("school", req.School, 32)); err != nil {
		return ledger.School{}, "", nil, err
	}
	school, err := s.ledger.School(c.Context(), req.School)
	if err != nil {
		return school, "", nil, err
	}
	lines := make([]ledger.SubsidyRequest, len(req.Lines))
	for i, ln := range req.Lines {
		lines[i] = ledger.SubsidyRequest{Line: i + 1, Number: ln.Number, AmountFen: ln.Amount, ExpiresAt: ln.ExpiresAt}
	}
	return school, req.Name, lines, nil
}

func (s *Server) handleAdminIssueSubsidies(c fiber.Ctx) error {
	key := c.Get("Idempotency-Key")
	setAudit(c, "subsidy-batch:"+key, "")
	if key == "" || len(key) > 200 {
		return invalid("the Idempotency-Key header (1-200 characters) is required")
	}
	school, name, lines, err := s.readSubsidyBatch(c)
	if err != nil {
		return err
	}
	setAudit(c, "subsidy-batch:"+key, "school "+school.Code+", "+strconv.Itoa(len(lines))+" lines")
	b, created, err := s.ledger.IssueSubsidies(c.Context(), ledger.NewSubsidyBatch{SchoolID: school.ID, Name: name, Key: key,
		CreatedBy: currentAdmin(c).Username, Lines: lines})
	if err != nil {
		return err
	}
	if !created {
		c.Set("Idempotent-Replayed", "true")
	}
	return c.Status(fiber.StatusCreated).JSON(batchView(b, school.Code))
}

func (s *Server) handleAdminSubsidies(c fiber.Ctx) error {
	school, limit, before, err := s.schoolPage(c)
	if err != nil {
		return err
	}
	batches, err := s.ledger.SubsidyBatches(c.Context(), school.ID, before, limit)
	if err != nil {
		return err
	}
	items := make([]subsidyBatchView, len(batches))
	for i, b := range batches {
		items[i] = batchView(b, school.Code)
	}
	return c.JSON(fiber.Map{"items": items, "next_cursor": nextCursor(batches, limit, func(b ledger.SubsidyBatch) int64 { return b.ID })})
}

func (s *Server) handleAdminSubsidy(c fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	b, err := s.ledger.SubsidyBatch(c.Context(), id)
	if err != nil {
		return err
	}
	school, err := s.ledger.SchoolByID(c.Context(), b.SchoolID)
	if err != nil {
		return err
	}
	lines, err := s.ledger.SubsidyLines(c.Context(), id)
	if err != nil {
		return err
	}
	v := batchView(b, school.Code)
	v.LineItems = make([]subsidyLineView, len(lines))
	for i, ln := range lines {
		v.LineItems[i] = subsidyLineView{Line: ln.LineNo, Number: ln.Number, Name: ln.Name, AmountFen: ln.AmountFen,
			SpentFen: ln.SpentFen, ExpiredFen: ln.ExpiredFen, ReturnedFen: ln.ReturnedFen, RemainingFen: ln.RemainingFen,
			ExpiresAt: ln.ExpiresAt.UTC()}
	}
	return c.JSON(v)
}

// pathID reads the :id of an admin route.
func pathID(c fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, fail(ledger.CodeNotFound, "no such id")
	}
	return id, nil
}

// writeLineErrors answers a refused batch: 422 INVALID_REQUEST with every
// bad line, so the office fixes them all at once.
func writeLineErrors(c fiber.Ctx, be *ledger.BatchError) error {
	_, body := apierr.Render(ledger.CodeInvalidRequest, c.Get(fiber.HeaderAcceptLanguage), be.Error())
	return c.Status(fiber.StatusUnprocessableEntity).JSON(fiber.Map{"error": fiber.Map{
		"code": body.Error.Code, "message": body.Error.Message, "lines": localLines(c, be.Lines)}})
}
