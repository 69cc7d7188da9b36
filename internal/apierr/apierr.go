// Package apierr is API.md's error shape and the HTTP status of each public
// error code, shared by the holder API and the terminal gateway.
package apierr

import (
	"strings"

	"github.com/ecard/ecard/internal/messages"
)

// Body is {"error": {"code", "message"}}.
type Body struct {
	Error Detail `json:"error"`
}

// Detail is the error itself.
type Detail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type info struct {
	status int
	zh, en string
}

// codes maps each public error code to its HTTP status and default messages.
var codes = map[string]info{
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
	"CODE_INVALID":           {422, "付款码无效", "invalid code"},
	"CODE_EXPIRED":           {422, "付款码已过期，请刷新", "code expired: refresh it"},
	"CODE_USED":              {409, "付款码已使用", "code already used"},
	"CODE_KIND":              {422, "码的类型不符", "wrong kind of code"},
	"CARD_LOST":              {403, "卡已挂失", "card reported lost"},
	"CARD_INVALID":           {422, "卡无效或已补办", "unknown or replaced card"},
	"ACCOUNT_FROZEN":         {403, "账户已冻结", "account frozen"},
	"ACCOUNT_CLOSED":         {403, "账户已注销或过期", "account closed or expired"},
	"TERMINAL_AUTH":          {401, "终端认证失败", "terminal authentication failed"},
	"REPLAYED":               {409, "重复的请求", "replayed request"},
	"RATE_LIMITED":           {429, "请求过于频繁", "too many requests"},
	"INTERNAL":               {500, "服务暂时不可用", "internal error"},
	"UNAVAILABLE":            {503, "服务暂时不可用", "service unavailable"},
	"PROVIDER_UNAVAILABLE":   {503, "支付渠道暂时不可用，请稍后再试", "the payment provider is unavailable, try again later"},
	"PAYLOAD_TOO_LARGE":      {413, "请求过大", "request too large"},
	"METHOD_NOT_ALLOWED":     {405, "不支持的请求方法", "method not allowed"},
	"UNSUPPORTED_MEDIA_TYPE": {415, "仅支持 JSON", "JSON only"},
	"REQUEST_TIMEOUT":        {408, "请求超时", "request timeout"},
}

// Known reports whether code is a public error code.
func Known(code string) bool { _, ok := codes[code]; return ok }

// Render returns the status and body for code. English is chosen by an
// Accept-Language starting with "en"; detail, when given, is the English message.
func Render(code, acceptLanguage, detail string) (int, Body) {
	i, ok := codes[code]
	if !ok {
		code, i = "INTERNAL", codes["INTERNAL"]
	}
	msg := i.zh
	if strings.HasPrefix(strings.ToLower(acceptLanguage), "en") {
		msg = i.en
	}
	if text, ok := messages.For(acceptLanguage, detail); ok {
		msg = text // the specific text, in the language asked for
	}
	return i.status, Body{Error: Detail{Code: code, Message: msg}}
}
