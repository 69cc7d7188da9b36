package alipay

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// yuanRe is an amount as Alipay writes it: yuan with at most two decimals,
// no sign, no exponent, no leading zeros, at most 100,000,000 yuan.
var yuanRe = regexp.MustCompile(`^(0|[1-9][0-9]{0,8})(\.[0-9]{1,2})?$`)

// Yuan writes fen as Alipay's yuan string: 1234 -> "12.34".
func Yuan(fen int64) string {
	return fmt.Sprintf("%d.%02d", fen/100, fen%100)
}

// ParseFen reads Alipay's yuan string as fen, exactly and without floating
// point: "12.3" -> 1230, "0.01" -> 1.
func ParseFen(s string) (int64, error) {
	if !yuanRe.MatchString(s) {
		return 0, fmt.Errorf("amount %.24q is not yuan with at most two decimals", s)
	}
	whole, frac, _ := strings.Cut(s, ".")
	for len(frac) < 2 {
		frac += "0"
	}
	y, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, err
	}
	return y*100 + f, nil
}
