package reconcile

import (
	"fmt"
	"strings"
)

// ParseYuan reads an amount in yuan as the bills write it and answers it in
// fen, exactly: an optional sign and an optional leading ¥ (or ￥), one to ten
// digits, and optionally a point followed by one or two digits. "12.3" is
// 1230 fen, "-0.05" is -5. Anything else ("1.234", "1e3", ".5", "1,000",
// "") is refused rather than guessed at.
func ParseYuan(s string) (int64, error) {
	rest := s
	negative, signed, marked := false, false, false
	for range 2 { // the sign and the currency mark, in either order
		switch {
		case !signed && (strings.HasPrefix(rest, "-") || strings.HasPrefix(rest, "+")):
			negative, signed = rest[0] == '-', true
			rest = rest[1:]
		case !marked && strings.HasPrefix(rest, "¥"):
			marked, rest = true, rest[len("¥"):]
		case !marked && strings.HasPrefix(rest, "￥"):
			marked, rest = true, rest[len("￥"):]
		}
	}
	whole, frac, hasPoint := strings.Cut(rest, ".")
	if len(whole) < 1 || len(whole) > 10 || !digits(whole) ||
		(hasPoint && (len(frac) < 1 || len(frac) > 2 || !digits(frac))) {
		return 0, fmt.Errorf("amount %q is not yuan with at most two decimals", clip(s))
	}
	var fen int64
	for i := 0; i < len(whole); i++ {
		fen = fen*10 + int64(whole[i]-'0')
	}
	fen *= 100
	if len(frac) >= 1 {
		fen += int64(frac[0]-'0') * 10
	}
	if len(frac) == 2 {
		fen += int64(frac[1] - '0')
	}
	if fen > MaxAmountFen { // unreachable with ten digits; kept as the bound's guard
		return 0, fmt.Errorf("amount %q is too large", clip(s))
	}
	if negative {
		fen = -fen
	}
	return fen, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
