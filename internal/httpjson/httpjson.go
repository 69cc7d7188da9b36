// Package httpjson reads JSON request bodies strictly, for every HTTP API of
// ecard: one object, known fields, right types, bounded strings.
package httpjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/ledger"
)

// Invalid is an INVALID_REQUEST refusal.
func Invalid(format string, args ...any) error {
	return &ledger.Error{Code: ledger.CodeInvalidRequest, Message: fmt.Sprintf(format, args...)}
}

// Decode reads exactly one JSON object into dst, refusing anything else:
// another content type, unknown fields, wrong types, trailing data.
func Decode(c fiber.Ctx, dst any) error {
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	if !strings.HasPrefix(ct, fiber.MIMEApplicationJSON) {
		return Invalid("body must be application/json")
	}
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return Invalid("field %q must be %s", typeErr.Field, typeErr.Type)
		}
		return Invalid("malformed JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Invalid("body must be a single JSON object")
	}
	return nil
}

// Text checks a required string field's presence and length in characters.
func Text(name, value string, maxLen int) error {
	if value == "" {
		return Invalid("%s is required", name)
	}
	if !utf8.ValidString(value) || utf8.RuneCountInString(value) > maxLen {
		return Invalid("%s must be at most %d characters", name, maxLen)
	}
	return nil
}

// FirstErr returns the first non-nil error.
func FirstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
