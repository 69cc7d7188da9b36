package ledger

import (
	"errors"
	"fmt"
)

// Error codes shared with the public contract (API.md). Callers branch on the
// code; the message is for people.
const (
	CodeInvalidRequest     = "INVALID_REQUEST"
	CodeNotFound           = "NOT_FOUND"
	CodeConflict           = "CONFLICT"
	CodeInsufficientFunds  = "INSUFFICIENT_FUNDS"
	CodeLimitExceeded      = "LIMIT_EXCEEDED"
	CodeWrongPIN           = "WRONG_PIN"
	CodePINLocked          = "PIN_LOCKED"
	CodeCardLost           = "CARD_LOST"
	CodeAccountFrozen      = "ACCOUNT_FROZEN"
	CodeAccountClosed      = "ACCOUNT_CLOSED"
	CodeInvalidCredentials = "INVALID_CREDENTIALS"
	CodeAccountLocked      = "ACCOUNT_LOCKED"
	CodeCodeUsed           = "CODE_USED"
)

// Error is a refusal the ledger explains with a stable code.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Is lets errors.Is match on the code alone.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code == e.Code
}

func refuse(code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Sentinels for errors.Is.
var (
	ErrInvalid           = &Error{Code: CodeInvalidRequest}
	ErrNotFound          = &Error{Code: CodeNotFound}
	ErrConflict          = &Error{Code: CodeConflict}
	ErrInsufficientFunds = &Error{Code: CodeInsufficientFunds}
	ErrLimitExceeded     = &Error{Code: CodeLimitExceeded}
	ErrWrongPIN          = &Error{Code: CodeWrongPIN}
	ErrPINLocked         = &Error{Code: CodePINLocked}
	ErrCardLost          = &Error{Code: CodeCardLost}
	ErrAccountFrozen     = &Error{Code: CodeAccountFrozen}
	ErrAccountClosed     = &Error{Code: CodeAccountClosed}
)

// ErrorCode returns the code of a ledger refusal, or "" for any other error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
