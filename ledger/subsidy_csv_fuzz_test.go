package ledger_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ecard/ecard/ledger"
)

// FuzzParseSubsidyCSV: whatever the office uploads, the parser answers lines
// or a refusal naming bad lines (INVALID_REQUEST), never a panic, never both.
func FuzzParseSubsidyCSV(f *testing.F) {
	for _, seed := range []string{
		"number,amount,expires_at\n2024001,500,2026-12-31\n",
		"\xef\xbb\xbfexpires_at,number,amount\r\n2026-12-31T00:00:00Z,2024001,500\r\n\r\n",
		"number,amount,expires_at\n\"2024\"\"001\",1,x\n",
		"number,amount,expires_at\n2024001,5.5,2026-12-31\n,,\n1,2,3,4\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, err := ledger.ParseSubsidyCSV(bytes.NewReader(data))
		if err != nil {
			var be *ledger.BatchError
			if !errors.As(err, &be) || len(be.Lines) == 0 || len(be.Lines) > 100 || ledger.ErrorCode(err) != ledger.CodeInvalidRequest {
				t.Fatalf("refusal %T %v", err, err)
			}
			if lines != nil {
				t.Fatal("lines and a refusal")
			}
			return
		}
		if len(lines) == 0 || len(lines) > ledger.MaxSubsidyLines {
			t.Fatalf("%d lines", len(lines))
		}
		for _, ln := range lines {
			if ln.Line < 2 || ln.Number != strings.TrimSpace(ln.Number) || ln.ExpiresAt != strings.TrimSpace(ln.ExpiresAt) {
				t.Fatalf("line %+v", ln)
			}
		}
	})
}
