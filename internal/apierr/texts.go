package apierr

import "sort"

// Codes lists every public error code, for tests that hold each to having
// both languages.
func Codes() []string {
	out := make([]string, 0, len(codes))
	for c := range codes {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Texts is a code's default Chinese and English message.
func Texts(code string) (zh, en string) { i := codes[code]; return i.zh, i.en }
