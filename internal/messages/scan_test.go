package messages

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// refusers are the functions that build a refusal from a format: the first
// string literal that is not an error code is the English text.
var refusers = map[string]bool{"refuse": true, "fail": true, "invalid": true, "Invalid": true, "Sprintf": true}

var codeLike = regexp.MustCompile(`^[A-Z][A-Z_]+$`)

// sourceMessages finds every refusal text the server can send, by reading the
// repository's Go source: calls of the refusal builders and Message fields.
func sourceMessages(t *testing.T) map[string]string {
	t.Helper()
	root := filepath.Join("..", "..")
	found := map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "web" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.Contains(path, "internal/messages") || strings.HasSuffix(filepath.Dir(path), "test") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		add := func(lit ast.Expr) {
			bl, ok := lit.(*ast.BasicLit)
			if !ok || bl.Kind != token.STRING {
				return
			}
			s, _ := strconv.Unquote(bl.Value)
			if s == "" || codeLike.MatchString(s) || !strings.ContainsAny(s, " ") && strings.Contains(s, "%") {
				return
			}
			found[s] = fset.Position(bl.Pos()).String()
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CallExpr:
				name := ""
				switch fn := x.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				}
				if !refusers[name] {
					return true
				}
				for _, a := range x.Args {
					if bl, ok := a.(*ast.BasicLit); ok && bl.Kind == token.STRING {
						s, _ := strconv.Unquote(bl.Value)
						if codeLike.MatchString(s) {
							continue
						}
						if name == "Sprintf" && !refusal(f, x) {
							return true
						}
						add(a)
						return true
					}
				}
			case *ast.AssignStmt: // msg = "…" or msg = fmt.Sprintf("…", …): a line's problem
				if id, ok := x.Lhs[0].(*ast.Ident); ok && id.Name == "msg" && len(x.Rhs) == 1 {
					if call, ok := x.Rhs[0].(*ast.CallExpr); ok && len(call.Args) > 0 {
						add(call.Args[0])
					} else {
						add(x.Rhs[0])
					}
				}
			case *ast.KeyValueExpr:
				if k, ok := x.Key.(*ast.Ident); ok && k.Name == "Message" {
					add(x.Value)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// refusal tells a Sprintf that builds a refusal (a Message field) from any other.
func refusal(f *ast.File, call *ast.CallExpr) bool {
	is := false
	ast.Inspect(f, func(n ast.Node) bool {
		if kv, ok := n.(*ast.KeyValueExpr); ok && kv.Value == call {
			if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Message" {
				is = true
			}
		}
		return !is
	})
	return is
}
