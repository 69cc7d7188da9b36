// Package messages is the one catalogue of the server's refusal texts in
// Chinese and English. The code writes each refusal in English (the detail of
// API.md's error); Chinese gives the catalogue's text for the same format with
// the same arguments, so a Chinese page says as much as an English one.
package messages

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// English reports whether lang (an Accept-Language value) asks for English.
func English(lang string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(lang)), "en")
}

// For returns english in the language lang asks for: English as written,
// otherwise the catalogue's Chinese. ok is false when the catalogue has no
// Chinese for it (the caller then falls back to the code's own text).
func For(lang, english string) (string, bool) {
	if English(lang) {
		return english, english != ""
	}
	return Chinese(english)
}

// Chinese translates one English refusal text, arguments included.
func Chinese(english string) (string, bool) {
	if english == "" {
		return "", false
	}
	if zh, ok := catalogue[english]; ok && !strings.Contains(english, "%") {
		return zh, true
	}
	for _, p := range patterns {
		m := p.re.FindStringSubmatch(english)
		if m == nil {
			continue
		}
		args := make([]any, len(m)-1)
		for i, a := range m[1:] {
			args[i] = argument(a)
		}
		return fmt.Sprintf(p.zh, args...), true
	}
	return "", false
}

// argument shows one argument in Chinese: a known word, a nested refusal
// ("record 3: …"), or as it is (numbers, names, times).
func argument(a string) string {
	if zh, ok := terms[strings.Trim(a, `"`)]; ok {
		return zh
	}
	if zh, ok := Chinese(a); ok {
		return zh
	}
	return a
}

type pattern struct {
	re *regexp.Regexp
	zh string
}

// patterns are the catalogue's formats with arguments, longest first so a
// specific format wins over a general one ("record %d: amount …" over "record %d: %s").
var patterns = compile(catalogue)

var verb = regexp.MustCompile(`%[dsqv]`)

func compile(c map[string]string) []pattern {
	var out []pattern
	for en, zh := range c {
		if !strings.Contains(en, "%") {
			continue
		}
		parts := verb.Split(en, -1)
		var b strings.Builder
		b.WriteString("^")
		for i, part := range parts {
			if i > 0 {
				b.WriteString("(.+?)")
			}
			b.WriteString(regexp.QuoteMeta(part))
		}
		b.WriteString("$")
		out = append(out, pattern{re: regexp.MustCompile(b.String()), zh: zh})
	}
	// Longer literal text first: the most specific format matches first.
	literal := func(p pattern) int { return len(p.re.String()) - strings.Count(p.re.String(), "(.+?)")*len("(.+?)") }
	sort.Slice(out, func(i, j int) bool {
		if li, lj := literal(out[i]), literal(out[j]); li != lj {
			return li > lj
		}
		return out[i].re.String() < out[j].re.String()
	})
	return out
}

// Verbs counts a format's arguments, for the catalogue's test.
func verbs(format string) int { return len(verb.FindAllString(format, -1)) }
