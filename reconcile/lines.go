package reconcile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// maxDataLines is MaxDataLines; tests lower it to reach the bound cheaply.
var maxDataLines = MaxDataLines

// maxOtherLines is how many lines besides the detail rows a bill may have:
// headers, comments, summaries and blank lines.
const maxOtherLines = 1000

// lineReader hands out a bill's lines one at a time, numbered from 1, with
// the line ending (\n or \r\n) and a leading UTF-8 byte order mark removed.
// It refuses a line longer than MaxLineBytes and stops a file with more lines
// than any bill may have, so every parser's loop is bounded.
type lineReader struct {
	provider string
	sc       *bufio.Scanner
	row      int
	line     []byte // valid until the next call to next
	err      error
}

func newLineReader(provider string, r io.Reader) *lineReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), MaxLineBytes+2)
	return &lineReader{provider: provider, sc: sc}
}

func (lr *lineReader) next() bool {
	if lr.err != nil {
		return false
	}
	if !lr.sc.Scan() {
		switch err := lr.sc.Err(); {
		case errors.Is(err, bufio.ErrTooLong):
			lr.err = badBill(lr.provider, lr.row+1, "line longer than %d bytes", MaxLineBytes)
		case err != nil:
			lr.err = fmt.Errorf("reading %s bill: %w", lr.provider, err)
		}
		return false
	}
	lr.row++
	if lr.row > maxDataLines+maxOtherLines {
		lr.err = badBill(lr.provider, lr.row, "more lines than a bill may have (%d detail rows at most)", maxDataLines)
		return false
	}
	lr.line = lr.sc.Bytes()
	if len(lr.line) > MaxLineBytes {
		lr.err = badBill(lr.provider, lr.row, "line longer than %d bytes", MaxLineBytes)
		return false
	}
	if lr.row == 1 {
		lr.line = bytes.TrimPrefix(lr.line, []byte("\ufeff"))
	}
	return true
}

// blank says whether a line holds nothing but spaces and tabs.
func blank(b []byte) bool {
	return len(bytes.Trim(b, " \t")) == 0
}
