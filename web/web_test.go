package web_test

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/ecard/ecard/web"
)

// notFetched are absolute URLs the bundled libraries carry as names, never
// as requests: XML namespaces and a link printed in Vue's error messages.
var notFetched = map[string]bool{
	"http://www.w3.org/2000/svg":           true,
	"http://www.w3.org/1999/xlink":         true,
	"http://www.w3.org/1998/Math/MathML":   true,
	"http://www.w3.org/XML/1998/namespace": true,
	"https://vuejs.org/error-reference/":   true,
}

var absoluteURL = regexp.MustCompile(`(?i)(?:https?:)?//[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:/[^\s"'` + "`" + `)<>#?$]*)?`)

// TestDistStaysOnItsOrigin: no script, style, font or image in the built
// front-ends points at another origin (no CDN), and there are no source maps.
func TestDistStaysOnItsOrigin(t *testing.T) {
	files := 0
	err := fs.WalkDir(web.Dist(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		if strings.HasSuffix(path, ".map") {
			t.Errorf("%s: source maps are not shipped", path)
		}
		raw, err := fs.ReadFile(web.Dist(), path)
		if err != nil {
			return err
		}
		for _, u := range absoluteURL.FindAllString(string(raw), -1) {
			if !notFetched[u] {
				t.Errorf("%s references another origin: %s", path, u)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range []string{"index.html", "recharge/index.html", "admin/index.html"} {
		if _, err := fs.Stat(web.Dist(), entry); err != nil {
			t.Errorf("missing %s: %v", entry, err)
		}
	}
	if files < 5 {
		t.Fatalf("only %d files in dist", files)
	}
}

// TestDistEntriesLoadOnlyFilesThatExist: every asset an HTML page names is in
// the build, so a stale or partial commit of web/dist fails here.
func TestDistEntriesLoadOnlyFilesThatExist(t *testing.T) {
	ref := regexp.MustCompile(`(?:src|href)="(/[^"]+)"`)
	for _, entry := range []string{"index.html", "recharge/index.html", "admin/index.html"} {
		raw, err := fs.ReadFile(web.Dist(), entry)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ref.FindAllStringSubmatch(string(raw), -1) {
			if _, err := fs.Stat(web.Dist(), strings.TrimPrefix(m[1], "/")); err != nil {
				t.Errorf("%s loads %s, which is not built: %v", entry, m[1], err)
			}
		}
	}
}
