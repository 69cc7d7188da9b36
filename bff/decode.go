package bff

import (
	"fmt"

	"github.com/ecard/ecard/internal/httpjson"
	"github.com/ecard/ecard/ledger"
)

// fail is a refusal with a public error code.
func fail(code, format string, args ...any) error {
	return &ledger.Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

var (
	decode   = httpjson.Decode
	text     = httpjson.Text
	invalid  = httpjson.Invalid
	firstErr = httpjson.FirstErr
)
