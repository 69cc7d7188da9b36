package bff

import (
	"crypto/subtle"
	"strings"
)

// orderLookupsPerOrderPerMinute bounds guesses of one order's phone number,
// whatever addresses they come from.
const orderLookupsPerOrderPerMinute = 10

// samePhone says whether the phone a parent types is the one left with the
// order: spaces and dashes do not count, nor a +86 country code. An order
// without a phone matches no phone.
func samePhone(stored, typed string) bool {
	a, b := phoneDigits(stored), phoneDigits(typed)
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func phoneDigits(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if rest, ok := strings.CutPrefix(s, "+86"); ok {
		return rest
	}
	return strings.TrimPrefix(s, "+")
}
