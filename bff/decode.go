package bff

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

// fail is a refusal with a public error code.
func fail(code, format string, args ...any) error {
	return &ledger.Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func invalid(format string, args ...any) error {
	return fail(ledger.CodeInvalidRequest, format, args...)
}

// decode reads exactly one JSON object into dst, refusing anything else:
// another content type, unknown fields, wrong types, trailing data.
func decode(c fiber.Ctx, dst any) error {
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	if !strings.HasPrefix(ct, fiber.MIMEApplicationJSON) {
		return invalid("body must be application/json")
	}
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return invalid("field %q must be %s", typeErr.Field, typeErr.Type)
		}
		return invalid("malformed JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid("body must be a single JSON object")
	}
	return nil
}

// text checks a required string field's presence and length (in characters).
func text(name, value string, maxLen int) error {
	if value == "" {
		return invalid("%s is required", name)
	}
	if !utf8.ValidString(value) || utf8.RuneCountInString(value) > maxLen {
		return invalid("%s must be at most %d characters", name, maxLen)
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
