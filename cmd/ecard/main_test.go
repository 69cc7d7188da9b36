package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecard/ecard/internal/testdb"
)

// env is a test's environment for run: cheap password hashing, and the
// database it was given.
type env map[string]string

func (e env) get(k string) string { return e[k] }

// newEnv returns an environment per database: a SQLite file in a temporary
// directory, and a fresh PostgreSQL schema when one is configured.
func eachEnv(t *testing.T, fn func(t *testing.T, e env)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, env{"ECARD_DATA_DIR": t.TempDir(), "ECARD_ARGON2_MEMORY_KIB": "64", "ECARD_ARGON2_PARALLELISM": "1"})
	})
	if os.Getenv(testdb.EnvDatabaseURL) != "" {
		t.Run("postgres", func(t *testing.T) {
			url, _ := testdb.SchemaURL(t)
			fn(t, env{"ECARD_DATABASE_URL": url, "ECARD_SECRETS_JWT_KEY": "test-jwt-key-0123456789-0123456789",
				"ECARD_SECRETS_ENCRYPTION_KEY": "dGVzdC1lbmNyeXB0aW9uLWtleS0zMmJ5dGVzLXh4eHg=", "ECARD_ARGON2_MEMORY_KIB": "64", "ECARD_ARGON2_PARALLELISM": "1"})
		})
	}
}

// ecard runs the command line and returns its output and error.
func ecard(t *testing.T, e env, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, e.get, &out, &errOut)
	return out.String() + errOut.String(), err
}

func mustEcard(t *testing.T, e env, args ...string) string {
	t.Helper()
	out, err := ecard(t, e, args...)
	if err != nil {
		t.Fatalf("ecard %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func TestOfficeCommands(t *testing.T) {
	eachEnv(t, func(t *testing.T, e env) {
		mustEcard(t, e, "migrate")
		mustEcard(t, e, "school", "add", "--code", "pku", "--name", "北京大学", "--pinyin", "bjdx")
		out := mustEcard(t, e, "--json", "holder", "add", "--school", "pku", "--number", "2024001", "--name", "张三",
			"--kind", "student", "--id-last6", "12345X")
		var h struct {
			Number             string `json:"number"`
			MustChangePassword bool   `json:"must_change_password"`
			PasswordHash       string `json:"password_hash"`
		}
		if err := json.Unmarshal([]byte(out), &h); err != nil || h.Number != "2024001" || !h.MustChangePassword || h.PasswordHash != "" {
			t.Fatalf("holder add --json: %v %q", err, out)
		}
		mustEcard(t, e, "merchant", "add", "--school", "pku", "--code", "canteen1", "--name", "一食堂")
		out = mustEcard(t, e, "terminal", "add", "--school", "pku", "--id", "pos-1", "--kind", "pos", "--merchant", "canteen1")
		var term struct{ ID, Secret string }
		if err := json.Unmarshal([]byte(out), &term); err != nil || term.ID != "pos-1" || len(term.Secret) < 32 {
			t.Fatalf("terminal add prints id and secret: %v %q", err, out)
		}
		mustEcard(t, e, "terminal", "add", "--school", "pku", "--id", "gate-1", "--kind", "gate", "--place", "library")
		mustEcard(t, e, "admin", "add", "--username", "office", "--password", "a-long-password", "--role", "operator")
		mustEcard(t, e, "holder", "add", "--school", "pku", "--number", "V001", "--name", "访客", "--kind", "visitor",
			"--id-last6", "000000", "--expires", "2099-01-01")

		// Bad input: a clear message, a non-zero exit, nothing written.
		bad := []struct {
			args []string
			want string
		}{
			{[]string{"holder", "add", "--school", "nope", "--number", "1", "--name", "a", "--kind", "student", "--id-last6", "123456"}, "school"},
			{[]string{"holder", "add", "--school", "pku", "--number", "2024001", "--name", "李四", "--kind", "student", "--id-last6", "123456"}, "exists"},
			{[]string{"holder", "add", "--school", "pku", "--number", "2024002", "--name", "李四", "--kind", "student", "--id-last6", "12a456"}, "id-last6"},
			{[]string{"holder", "add", "--school", "pku", "--number", "2024002", "--name", "李四", "--kind", "student", "--id-last6", "1234567"}, "id-last6"},
			{[]string{"holder", "add", "--school", "pku", "--number", "2024002", "--name", "李四", "--kind", "alien", "--id-last6", "123456"}, "kind"},
			{[]string{"holder", "add", "--school", "pku", "--number", "2024002", "--kind", "student", "--id-last6", "123456"}, "name"},
			{[]string{"holder", "add", "--school", "pku", "--number", "V002", "--name", "访客", "--kind", "visitor", "--id-last6", "123456"}, "expiry"},
			{[]string{"holder", "add", "--school", "pku", "--number", "V003", "--name", "访客", "--kind", "visitor", "--id-last6", "123456", "--expires", "someday"}, "expires"},
			{[]string{"school", "add", "--code", "pku", "--name", "again"}, "exists"},
			{[]string{"school", "add", "--code", "bad code", "--name", "x"}, "code"},
			{[]string{"merchant", "add", "--school", "pku", "--code", "canteen1", "--name", "dup"}, "exists"},
			{[]string{"terminal", "add", "--school", "pku", "--id", "pos-2", "--kind", "pos"}, "merchant"},
			{[]string{"terminal", "add", "--school", "pku", "--id", "pos-1", "--kind", "gate"}, "exists"},
			{[]string{"terminal", "add", "--school", "pku", "--id", "x", "--kind", "toaster"}, "kind"},
			{[]string{"admin", "add", "--username", "office", "--password", "a-long-password", "--role", "operator"}, "exists"},
			{[]string{"admin", "add", "--username", "u2", "--password", "short", "--role", "operator"}, "password"},
			{[]string{"admin", "add", "--username", "u3", "--password", "a-long-password", "--role", "king"}, "role"},
			{[]string{"holder", "add"}, "required"},
			{[]string{"holder", "frobnicate"}, ""},
		}
		before := mustEcard(t, e, "--json", "ledger", "verify")
		for _, b := range bad {
			out, err := ecard(t, e, b.args...)
			if err == nil {
				t.Errorf("ecard %v succeeded; want an error", b.args)
				continue
			}
			if !strings.Contains(strings.ToLower(err.Error()+out), b.want) {
				t.Errorf("ecard %v: %v; want a message about %q", b.args, err, b.want)
			}
		}
		if after := mustEcard(t, e, "--json", "ledger", "verify"); after != before {
			t.Fatalf("bad input changed the ledger")
		}
		out = mustEcard(t, e, "ledger", "verify")
		if !strings.Contains(out, "ok   every school's accounts sum to zero") {
			t.Fatalf("verify output: %s", out)
		}
	})
}

func TestVerifyFailsOnTamperedBalance(t *testing.T) {
	e := env{"ECARD_DATA_DIR": t.TempDir(), "ECARD_ARGON2_MEMORY_KIB": "64", "ECARD_ARGON2_PARALLELISM": "1"}
	mustEcard(t, e, "school", "add", "--code", "s1", "--name", "一中")
	db := openTestSQLite(t, filepath.Join(e["ECARD_DATA_DIR"], "ecard.db"))
	if err := db.Exec("UPDATE accounts SET balance_fen = 5 WHERE kind = 'cash'").Error; err != nil {
		t.Fatal(err)
	}
	out, err := ecard(t, e, "ledger", "verify")
	if err == nil || !strings.Contains(out, "FAIL every school's accounts sum to zero") || !strings.Contains(out, "FAIL each balance equals its transfers") {
		t.Fatalf("verify must fail and say why: %v\n%s", err, out)
	}
}

func TestProductionRefusesUnsafeDefaults(t *testing.T) {
	e := env{"ECARD_DATA_DIR": t.TempDir(), "ECARD_ENV": "production", "ECARD_SANDBOX": "true"}
	out, err := ecard(t, e, "serve")
	if err == nil {
		t.Fatal("production must refuse the defaults")
	}
	for _, want := range []string{"embedded Redis", "sandbox", "jwt_key", "encryption_key"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal does not name %q: %v %s", want, err, out)
		}
	}
}

func TestKeysRotate(t *testing.T) {
	e := env{"ECARD_DATA_DIR": t.TempDir(), "ECARD_ARGON2_MEMORY_KIB": "64", "ECARD_ARGON2_PARALLELISM": "1"}
	mustEcard(t, e, "school", "add", "--code", "s1", "--name", "一中")
	for _, want := range []string{`"kid": 1`, `"kid": 2`} {
		if out := mustEcard(t, e, "--json", "keys", "rotate", "--school", "s1"); !strings.Contains(out, want) {
			t.Fatalf("rotate: %s, want %s", out, want)
		}
	}
	if _, err := ecard(t, e, "keys", "rotate", "--school", "nope"); err == nil {
		t.Fatal("unknown school")
	}
}
