package migrate_test

import (
	"database/sql"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
)

// The PostgreSQL and SQLite migrations are two files per version, written by
// hand. TestMigrationsDefineTheSameSchema migrates a fresh database of each
// kind and compares what their catalogues say: tables, columns (type family,
// nullability, whether there is a default), primary keys, indexes (columns,
// uniqueness, partial or not), foreign keys (columns, target, ON DELETE) and
// CHECK constraints (the columns and literals each names). Index names, index
// predicates and the operators of checks are not compared: each dialect
// spells them its own way.
//
// It needs PostgreSQL (ECARD_TEST_DATABASE_URL, set in CI) and skips without
// it: a golden file of the SQLite schema would compare SQLite with a snapshot
// rather than with PostgreSQL, and every branch adding a migration would have
// to regenerate it.
func TestMigrationsDefineTheSameSchema(t *testing.T) {
	lite := sqliteSchema(t, sqlDB(t, testdb.SQLite(t)))
	if len(lite) == 0 {
		t.Fatal("the SQLite catalogue describes no tables")
	}
	if os.Getenv(testdb.EnvDatabaseURL) == "" {
		t.Skipf("%s is not set: read %d lines of the SQLite schema, nothing to compare them with", testdb.EnvDatabaseURL, len(lite))
	}
	pg := postgresSchema(t, sqlDB(t, testdb.Postgres(t)))
	onlyLite, onlyPG := difference(lite, pg), difference(pg, lite)
	for _, l := range onlyLite {
		t.Errorf("only in SQLite:     %s", l)
	}
	for _, l := range onlyPG {
		t.Errorf("only in PostgreSQL: %s", l)
	}
	if !t.Failed() {
		t.Logf("%d schema facts agree", len(lite))
	}
}

func sqlDB(t *testing.T, db *gorm.DB) *sql.DB {
	t.Helper()
	s, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A schema is a sorted list of facts, one line each, so that two schemas
// compare as sets and a difference reads as a sentence.
func fact(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func difference(a, b []string) []string {
	var out []string
	for _, l := range a {
		if _, found := slices.BinarySearch(b, l); !found {
			out = append(out, l)
		}
	}
	return out
}

// typeFamily maps a declared (SQLite) or catalogue (PostgreSQL) column type to
// the family the Go code reads it as.
func typeFamily(t *testing.T, table, column, declared string) string {
	d := strings.ToLower(strings.TrimSpace(declared))
	switch {
	case d == "bigint" || d == "integer" || d == "int" || d == "smallint":
		return "integer"
	case d == "text" || strings.HasPrefix(d, "character varying") || strings.HasPrefix(d, "varchar"):
		return "text"
	case d == "boolean":
		return "bool"
	case d == "timestamptz" || d == "datetime" || strings.HasPrefix(d, "timestamp") || d == "date":
		return "time"
	case d == "bytea" || d == "blob":
		return "bytes"
	case d == "json" || d == "jsonb":
		return "json"
	}
	t.Errorf("%s.%s: column type %q has no family; add it to typeFamily", table, column, declared)
	return d
}

func columnFact(table, column, family string, notNull, hasDefault bool) string {
	null := "null"
	if notNull {
		null = "not null"
	}
	def := ""
	if hasDefault {
		def = " default"
	}
	return fact("column %s.%s %s %s%s", table, column, family, null, def)
}

func indexFact(table string, columns []string, unique, partial bool) string {
	kind := "index"
	if unique {
		kind = "unique index"
	}
	if partial {
		kind += " (partial)"
	}
	return fact("%s %s (%s)", kind, table, strings.Join(columns, ", "))
}

func rows[T any](t *testing.T, db *sql.DB, scan func(*sql.Rows) (T, error), query string, args ...any) []T {
	t.Helper()
	rs, err := db.Query(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rs.Close()
	var out []T
	for rs.Next() {
		v, err := scan(rs)
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		out = append(out, v)
	}
	if err := rs.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

func ignoredTable(name string) bool {
	return name == "goose_db_version" || strings.HasPrefix(name, "sqlite_")
}

// ---- SQLite: sqlite_master and the pragmas ----

var (
	sqlComment = regexp.MustCompile(`--[^\n]*`)
	sqlCheck   = regexp.MustCompile(`(?i)\bCHECK\s*\(`)
)

func sqliteSchema(t *testing.T, db *sql.DB) []string {
	type named struct{ name, sql string }
	tables := rows(t, db, func(r *sql.Rows) (named, error) {
		var n named
		return n, r.Scan(&n.name, &n.sql)
	}, `SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	var facts []string
	for _, tb := range tables {
		if ignoredTable(tb.name) {
			continue
		}
		facts = append(facts, fact("table %s", tb.name))
		body := sqlComment.ReplaceAllString(tb.sql, "")
		var exprs []string
		for _, at := range sqlCheck.FindAllStringIndex(body, -1) {
			exprs = append(exprs, balanced(body[at[1]-1:]))
		}
		var colNames []string

		type col struct {
			name, declared string
			notNull, def   bool
			pk             int
		}
		cols := rows(t, db, func(r *sql.Rows) (col, error) {
			var c col
			var dflt sql.NullString
			err := r.Scan(&c.name, &c.declared, &c.notNull, &dflt, &c.pk)
			c.def = dflt.Valid
			return c, err
		}, `SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)`, tb.name)
		for _, c := range cols {
			colNames = append(colNames, c.name)
		}
		facts = append(facts, checkFacts(tb.name, colNames, exprs)...)
		var pk []string
		slices.SortFunc(cols, func(a, b col) int { return a.pk - b.pk })
		for _, c := range cols {
			if c.pk > 0 {
				pk = append(pk, c.name)
			}
			// A primary key column never holds NULL (SQLite's rowid alias
			// says notnull=0) and its default is the sequence.
			facts = append(facts, columnFact(tb.name, c.name, typeFamily(t, tb.name, c.name, c.declared), c.notNull || c.pk > 0, c.def && c.pk == 0))
		}
		if len(pk) > 0 {
			facts = append(facts, fact("primary key %s (%s)", tb.name, strings.Join(pk, ", ")))
		}

		type idx struct {
			name, origin    string
			unique, partial bool
		}
		idxs := rows(t, db, func(r *sql.Rows) (idx, error) {
			var i idx
			return i, r.Scan(&i.name, &i.unique, &i.origin, &i.partial)
		}, `SELECT name, "unique", origin, partial FROM pragma_index_list(?)`, tb.name)
		for _, i := range idxs {
			if i.origin == "pk" {
				continue
			}
			columns := rows(t, db, func(r *sql.Rows) (string, error) {
				var name sql.NullString
				err := r.Scan(&name)
				if !name.Valid {
					return "(expression)", err
				}
				return name.String, err
			}, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, i.name)
			facts = append(facts, indexFact(tb.name, columns, i.unique, i.partial))
		}

		type fk struct {
			id                  int
			table, from, to, od string
		}
		fks := rows(t, db, func(r *sql.Rows) (fk, error) {
			var f fk
			var to sql.NullString
			err := r.Scan(&f.id, &f.table, &f.from, &to, &f.od)
			f.to = to.String
			return f, err
		}, `SELECT id, "table", "from", "to", on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq`, tb.name)
		for _, group := range groupFKs(fks, func(f fk) int { return f.id }) {
			var from, to []string
			for _, f := range group {
				from, to = append(from, f.from), append(to, f.to)
			}
			if slices.Contains(to, "") { // REFERENCES t without columns: t's primary key
				to = sqlitePK(t, db, group[0].table)
			}
			facts = append(facts, fkFact(tb.name, from, group[0].table, to, group[0].od))
		}
	}
	slices.Sort(facts)
	return facts
}

func sqlitePK(t *testing.T, db *sql.DB, table string) []string {
	return rows(t, db, scanString, `SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`, table)
}

func groupFKs[T any](fks []T, id func(T) int) [][]T {
	var out [][]T
	for i, f := range fks {
		if i == 0 || id(f) != id(fks[i-1]) {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], f)
	}
	return out
}

func fkFact(table string, from []string, target string, to []string, onDelete string) string {
	return fact("foreign key %s (%s) -> %s (%s) on delete %s", table, strings.Join(from, ", "), target, strings.Join(to, ", "), strings.ToLower(onDelete))
}

// ---- PostgreSQL: information_schema and pg_catalog of the test's schema ----

func postgresSchema(t *testing.T, db *sql.DB) []string {
	var facts []string
	tables := rows(t, db, scanString, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
	columns := map[string][]string{}
	pkCols := map[string]bool{}
	for _, pk := range rows(t, db, scanString, `SELECT c.relname || '.' || a.attname
		FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
		JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
		WHERE k.contype = 'p' AND c.relnamespace = current_schema()::regnamespace`) {
		pkCols[pk] = true
	}
	for _, tb := range tables {
		if ignoredTable(tb) {
			continue
		}
		facts = append(facts, fact("table %s", tb))
		type col struct {
			name, dataType string
			notNull, def   bool
		}
		cols := rows(t, db, func(r *sql.Rows) (col, error) {
			var c col
			return c, r.Scan(&c.name, &c.dataType, &c.notNull, &c.def)
		}, `SELECT column_name, data_type, is_nullable = 'NO', column_default IS NOT NULL
			FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`, tb)
		for _, c := range cols {
			columns[tb] = append(columns[tb], c.name)
			pk := pkCols[tb+"."+c.name]
			facts = append(facts, columnFact(tb, c.name, typeFamily(t, tb, c.name, c.dataType), c.notNull || pk, c.def && !pk))
		}
	}

	type con struct {
		table, kind, cols, target, targetCols, onDelete, def string
	}
	cons := rows(t, db, func(r *sql.Rows) (con, error) {
		var c con
		return c, r.Scan(&c.table, &c.kind, &c.cols, &c.target, &c.targetCols, &c.onDelete, &c.def)
	}, `SELECT c.relname, k.contype,
			coalesce((SELECT string_agg(a.attname, ', ' ORDER BY u.i) FROM unnest(k.conkey) WITH ORDINALITY u(n, i)
				JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n), ''),
			coalesce(f.relname, ''),
			coalesce((SELECT string_agg(a.attname, ', ' ORDER BY u.i) FROM unnest(k.confkey) WITH ORDINALITY u(n, i)
				JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n), ''),
			k.confdeltype, pg_get_constraintdef(k.oid)
		FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid LEFT JOIN pg_class f ON f.oid = k.confrelid
		WHERE c.relnamespace = current_schema()::regnamespace AND k.contype IN ('p', 'f', 'c')`)
	checks := map[string][]string{}
	deleteActions := map[string]string{"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}
	for _, c := range cons {
		if ignoredTable(c.table) {
			continue
		}
		switch c.kind {
		case "p":
			facts = append(facts, fact("primary key %s (%s)", c.table, c.cols))
		case "f":
			facts = append(facts, fkFact(c.table, []string{c.cols}, c.target, []string{c.targetCols}, deleteActions[c.onDelete]))
		case "c":
			checks[c.table] = append(checks[c.table], strings.TrimPrefix(c.def, "CHECK "))
		}
	}
	for tb, exprs := range checks {
		facts = append(facts, checkFacts(tb, columns[tb], exprs)...)
	}

	type idx struct {
		table, cols     string
		unique, partial bool
	}
	idxs := rows(t, db, func(r *sql.Rows) (idx, error) {
		var i idx
		return i, r.Scan(&i.table, &i.cols, &i.unique, &i.partial)
	}, `SELECT c.relname,
			(SELECT string_agg(CASE WHEN u.n = 0 THEN '(expression)' ELSE a.attname END, ', ' ORDER BY u.i)
				FROM unnest(x.indkey::int2[]) WITH ORDINALITY u(n, i)
				LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = u.n),
			x.indisunique, x.indpred IS NOT NULL
		FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid
		WHERE c.relnamespace = current_schema()::regnamespace AND NOT x.indisprimary`)
	for _, i := range idxs {
		if !ignoredTable(i.table) {
			facts = append(facts, indexFact(i.table, []string{i.cols}, i.unique, i.partial))
		}
	}
	slices.Sort(facts)
	return facts
}

func scanString(r *sql.Rows) (string, error) {
	var s string
	return s, r.Scan(&s)
}

// balanced returns the parenthesised text s starts with, quotes respected.
func balanced(s string) string {
	depth, quoted := 0, false
	for i, r := range s {
		switch {
		case r == '\'':
			quoted = !quoted
		case quoted:
		case r == '(':
			depth++
		case r == ')':
			depth--
			if depth == 0 {
				return s[:i+1]
			}
		}
	}
	return s
}

var (
	sqlString     = regexp.MustCompile(`'[^']*'`)
	sqlNumber     = regexp.MustCompile(`\b[0-9]+\b`)
	sqlIdentifier = regexp.MustCompile(`\b[a-z_][a-z0-9_]*\b`)
)

// checkFacts describes each CHECK constraint by what survives the dialects'
// spelling (PostgreSQL rewrites BETWEEN, IN and casts): the table's columns it
// names and its literals. Two checks alike in both get a count.
func checkFacts(table string, columns, exprs []string) []string {
	seen := map[string]int{}
	var out []string
	for _, e := range exprs {
		lits := sqlString.FindAllString(e, -1)
		rest := sqlString.ReplaceAllString(e, " ")
		lits = append(lits, sqlNumber.FindAllString(rest, -1)...)
		var names []string
		for _, id := range sqlIdentifier.FindAllString(strings.ToLower(rest), -1) {
			if slices.Contains(columns, id) {
				names = append(names, id)
			}
		}
		f := fact("check %s on (%s) with [%s]", table, strings.Join(sortedSet(names), ", "), strings.Join(sortedSet(lits), " "))
		seen[f]++
		if n := seen[f]; n > 1 {
			f += fact(" #%d", n)
		}
		out = append(out, f)
	}
	return out
}

func sortedSet(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}
