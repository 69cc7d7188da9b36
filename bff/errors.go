package bff

import (
	"errors"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/internal/apierr"
	"github.com/ecard/ecard/ledger"
)

// writeError answers with API.md's error shape. detail, when given, replaces
// the English default message.
func writeError(c fiber.Ctx, code, detail string) error {
	status, body := apierr.Render(code, c.Get(fiber.HeaderAcceptLanguage), detail)
	return c.Status(status).JSON(body)
}

// errorHandler turns every error a handler returns into API.md's shape:
// ledger refusals keep their code, Fiber's own errors map to the nearest one,
// anything else is logged and answered INTERNAL without detail.
func (s *Server) errorHandler(c fiber.Ctx, err error) error {
	var batch *ledger.BatchError
	if errors.As(err, &batch) {
		return writeLineErrors(c, batch)
	}
	if code := ledger.ErrorCode(err); code != "" {
		var le *ledger.Error
		errors.As(err, &le)
		return writeError(c, code, le.Message)
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		switch fe.Code {
		case fiber.StatusNotFound:
			return writeError(c, "NOT_FOUND", "")
		case fiber.StatusMethodNotAllowed:
			return writeError(c, "METHOD_NOT_ALLOWED", "")
		case fiber.StatusRequestEntityTooLarge:
			return writeError(c, "PAYLOAD_TOO_LARGE", "")
		case fiber.StatusUnsupportedMediaType:
			return writeError(c, "UNSUPPORTED_MEDIA_TYPE", "")
		case fiber.StatusRequestTimeout:
			return writeError(c, "REQUEST_TIMEOUT", "")
		case fiber.StatusTooManyRequests:
			return writeError(c, "RATE_LIMITED", "")
		}
		if fe.Code >= 400 && fe.Code < 500 {
			return writeError(c, "INVALID_REQUEST", fe.Message)
		}
	}
	s.log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err,
		"request_id", c.GetRespHeader(fiber.HeaderXRequestID))
	return writeError(c, "INTERNAL", "")
}
