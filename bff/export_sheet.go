package bff

import (
	"bufio"
	"encoding/csv"
	"fmt"

	"github.com/xuri/excelize/v2"
)

// fenCell is money in an export: 元 with two decimals in CSV, a number with
// the 0.00 format in Excel (the office sums columns there).
type fenCell int64

// sheet takes an export's rows one at a time. A CSV sheet writes each row to
// the response as it comes; an Excel sheet hands it to excelize's
// StreamWriter, which keeps memory bounded by spilling to a temporary file,
// and writes the workbook to the response at close.
type sheet interface {
	row(cells []any) error
	flush() error
	close() error
}

type csvSheet struct {
	w   *bufio.Writer
	csv *csv.Writer
}

func newCSVSheet(w *bufio.Writer) *csvSheet {
	w.WriteString("\ufeff") // Excel on a Chinese Windows reads UTF-8 CSV only with a BOM
	return &csvSheet{w: w, csv: csv.NewWriter(w)}
}

func (s *csvSheet) row(cells []any) error {
	out := make([]string, len(cells))
	for i, c := range cells {
		switch v := c.(type) {
		case fenCell:
			out[i] = yuan(int64(v))
		case nil:
			out[i] = ""
		default:
			out[i] = fmt.Sprint(v)
		}
	}
	return s.csv.Write(out)
}

func (s *csvSheet) flush() error {
	s.csv.Flush()
	if err := s.csv.Error(); err != nil {
		return err
	}
	return s.w.Flush()
}

func (s *csvSheet) close() error { return s.flush() }

type xlsxSheet struct {
	w      *bufio.Writer
	file   *excelize.File
	stream *excelize.StreamWriter
	money  int
	next   int
}

func newXLSXSheet(w *bufio.Writer, title string) (*xlsxSheet, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", title); err != nil {
		return nil, err
	}
	stream, err := f.NewStreamWriter(title)
	if err != nil {
		return nil, err
	}
	format := "0.00"
	money, err := f.NewStyle(&excelize.Style{CustomNumFmt: &format})
	if err != nil {
		return nil, err
	}
	return &xlsxSheet{w: w, file: f, stream: stream, money: money, next: 1}, nil
}

func (s *xlsxSheet) row(cells []any) error {
	out := make([]any, len(cells))
	for i, c := range cells {
		if v, ok := c.(fenCell); ok {
			// Display only: the workbook shows 元; the fen stay exact in the ledger.
			out[i] = excelize.Cell{StyleID: s.money, Value: float64(v) / 100}
			continue
		}
		out[i] = c
	}
	cell, err := excelize.CoordinatesToCellName(1, s.next)
	if err != nil {
		return err
	}
	s.next++
	return s.stream.SetRow(cell, out)
}

func (s *xlsxSheet) flush() error { return nil }

func (s *xlsxSheet) close() error {
	defer s.file.Close()
	if err := s.stream.Flush(); err != nil {
		return err
	}
	if _, err := s.file.WriteTo(s.w); err != nil {
		return err
	}
	return s.w.Flush()
}

// exportRows is the most rows one export writes: a year of a large school's
// top-ups fits; a runaway query does not.
const exportRows = 5_000_000
