package ledger

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// subsidyColumns are the CSV header's columns, in any order.
var subsidyColumns = []string{"number", "amount", "expires_at"}

// ParseSubsidyCSV reads a batch's lines from CSV with the header
// number,amount,expires_at (amount in fen). Every malformed line is reported
// in a *BatchError; nothing is partly accepted. Line numbers count the header
// as line 1, as a spreadsheet shows them.
func ParseSubsidyCSV(r io.Reader) ([]SubsidyRequest, error) {
	raw, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return nil, err
	}
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")) // a spreadsheet's UTF-8 mark
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, &BatchError{Lines: []LineError{{Line: 1, Message: "the first line must be the header number,amount,expires_at"}}}
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, name := range subsidyColumns {
		if _, ok := col[name]; !ok || len(header) != len(subsidyColumns) {
			return nil, &BatchError{Lines: []LineError{{Line: 1, Message: "the header must be number,amount,expires_at"}}}
		}
	}
	var out []SubsidyRequest
	var bad []LineError
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			bad = append(bad, LineError{Line: perr.Line, Message: "malformed CSV: " + perr.Err.Error()})
			break // the reader cannot resynchronise after a quoting error
		}
		if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if len(out)+len(bad) >= MaxSubsidyLines {
			bad = append(bad, LineError{Line: line, Message: fmt.Sprintf("a batch has at most %d lines", MaxSubsidyLines)})
			break
		}
		if len(rec) != len(subsidyColumns) {
			bad = append(bad, LineError{Line: line, Message: fmt.Sprintf("want 3 fields, got %d", len(rec))})
			continue
		}
		amount, err := strconv.ParseInt(strings.TrimSpace(rec[col["amount"]]), 10, 64)
		if err != nil {
			bad = append(bad, LineError{Line: line, Message: "amount must be a whole number of fen"})
			continue
		}
		out = append(out, SubsidyRequest{Line: line, Number: strings.TrimSpace(rec[col["number"]]), AmountFen: amount,
			ExpiresAt: strings.TrimSpace(rec[col["expires_at"]])})
	}
	if len(bad) > 0 {
		if len(bad) > maxLineErrors {
			bad = bad[:maxLineErrors]
		}
		return nil, &BatchError{Lines: bad}
	}
	if len(out) == 0 {
		return nil, &BatchError{Lines: []LineError{{Line: 2, Message: "the batch has no lines"}}}
	}
	return out, nil
}
