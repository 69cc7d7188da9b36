package bff

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/ledger"
)

// apiError is API.md's error shape.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

type codeInfo struct {
	status int
	zh, en string
}

// codes maps each public error code to its HTTP status and default messages.
var codes = map[string]codeInfo{
	"INVALID_REQUEST":        {400, "请求无效", "invalid request"},
	"UNAUTHENTICATED":        {401, "请先登录", "authentication required"},
	"FORBIDDEN":              {403, "无权操作", "forbidden"},
	"NOT_FOUND":              {404, "未找到", "not found"},
	"CONFLICT":               {409, "与已有请求冲突", "conflicts with an earlier request"},
	"INVALID_CREDENTIALS":    {401, "账号或密码错误", "wrong number or password"},
	"ACCOUNT_LOCKED":         {423, "账户已锁定，请稍后再试", "account locked, try later"},
	"INSUFFICIENT_FUNDS":     {402, "余额不足", "insufficient funds"},
	"LIMIT_EXCEEDED":         {402, "超出限额，请输入消费密码", "over the limit: PIN required"},
	"WRONG_PIN":              {403, "消费密码错误", "wrong PIN"},
	"PIN_LOCKED":             {403, "消费密码已锁定", "PIN locked"},
	"CARD_LOST":              {403, "卡已挂失", "card reported lost"},
	"ACCOUNT_FROZEN":         {403, "账户已冻结", "account frozen"},
	"ACCOUNT_CLOSED":         {403, "账户已注销或过期", "account closed or expired"},
	"RATE_LIMITED":           {429, "请求过于频繁", "too many requests"},
	"INTERNAL":               {500, "服务暂时不可用", "internal error"},
	"UNAVAILABLE":            {503, "服务暂时不可用", "service unavailable"},
	"PAYLOAD_TOO_LARGE":      {413, "请求过大", "request too large"},
	"METHOD_NOT_ALLOWED":     {405, "不支持的请求方法", "method not allowed"},
	"UNSUPPORTED_MEDIA_TYPE": {415, "仅支持 JSON", "JSON only"},
	"REQUEST_TIMEOUT":        {408, "请求超时", "request timeout"},
}

// english reports whether the client asked for English messages.
func english(c fiber.Ctx) bool {
	return strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderAcceptLanguage)), "en")
}

// writeError answers with API.md's error shape. detail, when given, replaces
// the English default message.
func writeError(c fiber.Ctx, code, detail string) error {
	info, ok := codes[code]
	if !ok {
		info = codes["INTERNAL"]
	}
	var body apiError
	body.Error.Code = code
	body.Error.Message = info.zh
	if english(c) {
		body.Error.Message = info.en
		if detail != "" {
			body.Error.Message = detail
		}
	}
	return c.Status(info.status).JSON(body)
}

// errorHandler turns every error a handler returns into API.md's shape:
// ledger refusals keep their code, Fiber's own errors map to the nearest one,
// anything else is logged and answered INTERNAL without detail.
func (s *Server) errorHandler(c fiber.Ctx, err error) error {
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
