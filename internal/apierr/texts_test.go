package apierr

import "testing"

// TestEveryCodeHasBothLanguages: each public error code has a default text in
// Chinese and in English.
func TestEveryCodeHasBothLanguages(t *testing.T) {
	for _, code := range Codes() {
		if zh, en := Texts(code); zh == "" || en == "" || zh == en {
			t.Errorf("%s: zh %q, en %q", code, zh, en)
		}
	}
}
