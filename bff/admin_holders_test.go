package bff_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/ecard/ecard/bff"
	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
)

// office adds a card office user and signs it in.
func (h *harness) office(role string) string {
	h.t.Helper()
	if _, err := h.ledger.CreateAdmin(context.Background(), role+"-user", role+"-password", role); err != nil {
		h.t.Fatal(err)
	}
	return h.adminLogin(role+"-user", role+"-password")
}

// csvImport posts a holder CSV file.
func (h *harness) csvImport(token, school, body string) response {
	h.t.Helper()
	return h.do("POST", "/admin/api/v1/holders/import?school="+school, token, body, "Content-Type", "text/csv")
}

// holderNumbers lists the numbers a search finds.
func (h *harness) holderNumbers(token, query string) []string {
	h.t.Helper()
	r := h.do("GET", "/admin/api/v1/holders?school=demo&limit=100"+query, token, nil)
	if r.status != 200 {
		h.t.Fatalf("search %s: %d %s", query, r.status, r.body)
	}
	var out []string
	for _, it := range r.json["items"].([]any) {
		out = append(out, it.(map[string]any)["number"].(string))
	}
	return out
}

func TestOfficeCreatesFindsAndShowsHolders(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db)
		op := h.office(ledger.RoleOperator)
		r := h.do("POST", "/admin/api/v1/holders", op, map[string]any{"school": "demo", "number": "2025001",
			"name": "赵小六", "kind": "student", "id_last6": "11223X", "dorm_building": "3"})
		if r.status != 201 || r.str("state") != "active" || r.num("wallet") != 0 || r.json["must_change_password"] != true {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		id := r.num("id")
		h.expect(h.do("POST", "/admin/api/v1/holders", op, map[string]any{"school": "demo", "number": "2025001",
			"name": "重复", "kind": "student", "id_last6": "123456"}), 409, "CONFLICT")

		if got := fmt.Sprint(h.holderNumbers(op, "&q=2025")); got != "[2025001]" {
			t.Fatalf("number prefix: %s", got)
		}
		if got := fmt.Sprint(h.holderNumbers(op, "&q=小")); got != "[2025001]" {
			t.Fatalf("name part: %s", got)
		}
		if got := fmt.Sprint(h.holderNumbers(op, "&q=%25")); got != "[]" {
			t.Fatalf("a LIKE wildcard matched: %s", got)
		}
		if got := fmt.Sprint(h.holderNumbers(op, "")); got != "[2025001 2024002 2024001]" {
			t.Fatalf("all: %s", got)
		}
		// Pages follow the cursor.
		p1 := h.do("GET", "/admin/api/v1/holders?school=demo&limit=2", op, nil)
		p2 := h.do("GET", "/admin/api/v1/holders?school=demo&limit=2&cursor="+p1.str("next_cursor"), op, nil)
		if items := p2.json["items"].([]any); len(items) != 1 || items[0].(map[string]any)["number"] != "2024001" {
			t.Fatalf("page 2: %s", p2.body)
		}

		show := h.do("GET", fmt.Sprintf("/admin/api/v1/holders/%d", h.holder.ID), op, nil)
		if show.status != 200 || show.num("wallet") != 10000 || show.str("school") != "demo" || show.json["card"] != nil {
			t.Fatalf("show: %s", show.body)
		}
		tx := h.do("GET", fmt.Sprintf("/admin/api/v1/holders/%d/transactions", h.holder.ID), op, nil)
		if items := tx.json["items"].([]any); len(items) != 1 || items[0].(map[string]any)["amount"].(float64) != 10000 {
			t.Fatalf("transactions: %s", tx.body)
		}
		// The new holder signs in with the initial password (X read as 0) and must change it.
		r = h.do("POST", "/api/v1/auth/login", "", map[string]string{"school": "demo", "number": "2025001", "password": "112230"})
		if r.status != 200 || r.json["holder"].(map[string]any)["must_change_password"] != true {
			t.Fatalf("first login: %d %s", r.status, r.body)
		}
		if r := h.do("GET", fmt.Sprintf("/admin/api/v1/holders/%d", id), op, nil); r.str("dorm_building") != "3" {
			t.Fatalf("new holder: %s", r.body)
		}
		// Once the office issues a card, the detail and the list show it.
		if r := h.do("POST", fmt.Sprintf("/admin/api/v1/holders/%d/cards", id), op, map[string]string{"uid": "a1b2c3d4"}); r.status != 201 {
			t.Fatalf("issue card: %d %s", r.status, r.body)
		}
		show = h.do("GET", fmt.Sprintf("/admin/api/v1/holders/%d", id), op, nil)
		if card, _ := show.json["card"].(map[string]any); card["uid"] != "A1B2C3D4" || card["status"] != "active" || show.str("card_uid") != "A1B2C3D4" {
			t.Fatalf("card on the detail: %s", show.body)
		}
		list := h.do("GET", "/admin/api/v1/holders?school=demo&q=2025001", op, nil)
		if item := list.json["items"].([]any)[0].(map[string]any); item["card_uid"] != "A1B2C3D4" {
			t.Fatalf("card on the list: %s", list.body)
		}
		h.verify()
	})
}

func TestOfficeImportsHoldersLineByLine(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db)
		op := h.office(ledger.RoleOperator)
		file := "\ufeffnumber,name,kind,id_last6,dorm_building\n" +
			"2025001,赵六,student,11223X,3\n" + // 2
			"2025002,钱七,staff,223344,\n" + // 3
			"2024001,张三,student,123456,1\n" + // 4: exists, skipped
			"2025003,孙八,teacher,334455,\n" + // 5: bad kind
			"2025004,李九,student,12AB56,\n" + // 6: bad id
			"2025001,赵六,student,11223X,3\n" + // 7: repeats line 2
			"2025005,周十\n" + // 8: too few fields
			"bad number!,吴一,student,123456,\n" + // 9: bad number
			"2025006,\"郑\"二\",student,123456,\n" + // 10: bad quoting
			"2025007,王三,visitor,123456,\n" + // 11: visitors are not imported
			"2025008, 冯四 ,student,654321,5\n" // 12
		r := h.csvImport(op, "demo", file)
		if r.status != 200 || r.num("created") != 3 || r.num("skipped") != 1 {
			t.Fatalf("import: %d %s", r.status, r.body)
		}
		var lines []string
		for _, e := range r.json["errors"].([]any) {
			m := e.(map[string]any)
			lines = append(lines, fmt.Sprint(m["line"], ":", m["code"]))
		}
		if got := strings.Join(lines, " "); got != "5:INVALID_REQUEST 6:INVALID_REQUEST 7:CONFLICT 8:INVALID_REQUEST 9:INVALID_REQUEST 10:INVALID_REQUEST 11:INVALID_REQUEST" {
			t.Fatalf("errors: %s", got)
		}
		if got := fmt.Sprint(h.holderNumbers(op, "")); got != "[2025008 2025002 2025001 2024002 2024001]" {
			t.Fatalf("holders after import: %s", got)
		}
		if r := h.do("POST", "/api/v1/auth/login", "", map[string]string{"school": "demo", "number": "2025008", "password": "654321"}); r.status != 200 {
			t.Fatalf("imported holder can't sign in: %s", r.body)
		}
		// Importing the same file again creates nothing and changes nothing.
		again := h.csvImport(op, "demo", file)
		if again.num("created") != 0 || again.num("skipped") != 4 {
			t.Fatalf("second import: %s", again.body)
		}
		// Whole-file refusals.
		h.expect(h.csvImport(op, "demo", "numero,nom\n1,x\n"), 400, "INVALID_REQUEST")
		h.expect(h.csvImport(op, "demo", ""), 400, "INVALID_REQUEST")
		h.expect(h.csvImport(op, "nope", file), 404, "NOT_FOUND")
		h.expect(h.do("POST", "/admin/api/v1/holders/import?school=demo", op, map[string]string{"a": "b"}), 400, "INVALID_REQUEST")
		if got := len(h.holderNumbers(op, "")); got != 5 {
			t.Fatalf("refused imports changed the holders: %d", got)
		}
		h.verify()
	})
}

func TestImportRefusesMoreThanTenThousandLines(t *testing.T) {
	h := newHarness(t, testdb.SQLite(t), func(d *bff.Deps) { d.BodyLimitBytes = 1 << 20 })
	op := h.office(ledger.RoleOperator)
	var b strings.Builder
	b.WriteString("number,name,kind,id_last6\n")
	for i := 0; i <= ledger.MaxImportLines; i++ {
		fmt.Fprintf(&b, "%d,x,student,123456\n", 3000000+i)
	}
	h.expect(h.csvImport(op, "demo", b.String()), 400, "INVALID_REQUEST")
	if got := len(h.holderNumbers(op, "")); got != 2 {
		t.Fatalf("holders %d", got)
	}
}

func TestResetForcesAChangeAndEndsSessions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db)
		op := h.office(ledger.RoleOperator)
		access, refresh := h.login("2024001", "123456")
		access2, _ := h.login("2024001", "123456")
		other, _ := h.login("2024002", "654320")
		path := fmt.Sprintf("/admin/api/v1/holders/%d/reset", h.holder.ID)
		r := h.do("POST", path, op, map[string]string{"kind": "login"})
		temporary := r.str("temporary")
		if r.status != 200 || len(temporary) != 6 {
			t.Fatalf("reset: %d %s", r.status, r.body)
		}
		// Every session of the holder ended at once; others are untouched.
		h.expect(h.do("GET", "/api/v1/me", access, nil), 401, "UNAUTHENTICATED")
		h.expect(h.do("GET", "/api/v1/me", access2, nil), 401, "UNAUTHENTICATED")
		h.expect(h.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh}), 401, "UNAUTHENTICATED")
		if r := h.do("GET", "/api/v1/me", other, nil); r.status != 200 {
			t.Fatalf("another holder's session ended: %s", r.body)
		}
		h.expect(h.do("POST", "/api/v1/auth/login", "", map[string]string{"school": "demo", "number": "2024001", "password": "123456"}), 401, "INVALID_CREDENTIALS")
		login := h.do("POST", "/api/v1/auth/login", "", map[string]string{"school": "demo", "number": "2024001", "password": temporary})
		if login.status != 200 || login.json["holder"].(map[string]any)["must_change_password"] != true {
			t.Fatalf("login with the temporary password: %d %s", login.status, login.body)
		}
		tok := login.str("access_token")
		if r := h.do("PUT", "/api/v1/me/password", tok, map[string]string{"kind": "login", "old": temporary, "new": "newpass2026"}); r.status != 204 {
			t.Fatalf("change: %d %s", r.status, r.body)
		}
		// A PIN reset forces a PIN change too.
		pin := h.do("POST", path, op, map[string]string{"kind": "pin"})
		if pin.status != 200 || len(pin.str("temporary")) != 6 {
			t.Fatalf("pin reset: %s", pin.body)
		}
		tok, _ = h.login("2024001", "newpass2026")
		if me := h.do("GET", "/api/v1/me", tok, nil); me.json["must_change_pin"] != true || me.json["must_change_password"] != false {
			t.Fatalf("after pin reset: %s", me.body)
		}
		// The secret never reaches the audit log.
		log := h.do("GET", "/admin/api/v1/audit?limit=100", op, nil)
		if strings.Contains(string(log.body), temporary) || !strings.Contains(string(log.body), "reset pin") {
			t.Fatalf("audit log: %s", log.body)
		}
		h.verify()
	})
}

func TestAdminRolesOnOfficeRoutes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db)
		super, op, auditor := h.office(ledger.RoleSuperadmin), h.office(ledger.RoleOperator), h.office(ledger.RoleAuditor)
		holder := fmt.Sprintf("/admin/api/v1/holders/%d", h.holder.ID)
		writes := []struct {
			method, path string
			body         any
		}{
			{"POST", "/admin/api/v1/holders", map[string]any{"school": "demo", "number": "9", "name": "x", "kind": "student", "id_last6": "123456"}},
			{"POST", "/admin/api/v1/holders/import?school=demo", "number,name,kind,id_last6\n9,x,student,123456\n"},
			{"POST", holder + "/freeze", nil},
			{"POST", holder + "/unfreeze", nil},
			{"POST", holder + "/reset", map[string]string{"kind": "login"}},
			{"POST", "/admin/api/v1/merchants", map[string]string{"school": "demo", "code": "m9", "name": "x"}},
			{"POST", "/admin/api/v1/terminals", map[string]string{"school": "demo", "id": "t9", "kind": "gate"}},
			{"POST", "/admin/api/v1/terminals/t9/disable", nil},
			{"POST", "/admin/api/v1/terminals/t9/enable", nil},
			{"POST", "/admin/api/v1/admins", map[string]string{"username": "x9", "password": "0123456789", "role": "operator"}},
		}
		for _, w := range writes {
			h.expect(h.do(w.method, w.path, auditor, w.body), 403, "FORBIDDEN")
		}
		for _, path := range []string{"/admin/api/v1/admins"} {
			h.expect(h.do("GET", path, auditor, nil), 403, "FORBIDDEN")
			h.expect(h.do("GET", path, op, nil), 403, "FORBIDDEN")
		}
		h.expect(h.do("POST", "/admin/api/v1/admins", op, map[string]string{"username": "x9", "password": "0123456789", "role": "operator"}), 403, "FORBIDDEN")
		h.expect(h.do("GET", "/admin/api/v1/holders?school=demo", "", nil), 401, "UNAUTHENTICATED")
		tok, _ := h.login("2024001", "123456")
		h.expect(h.do("GET", "/admin/api/v1/holders?school=demo", tok, nil), 401, "UNAUTHENTICATED")

		// Nothing the auditor tried happened.
		if got := len(h.holderNumbers(super, "")); got != 2 {
			t.Fatalf("holders %d", got)
		}
		if r := h.do("GET", holder, auditor, nil); r.str("state") != "active" {
			t.Fatalf("holder: %s", r.body)
		}
		// Readers read; the superadmin manages admins.
		for _, path := range []string{"/admin/api/v1/schools", "/admin/api/v1/holders?school=demo", holder, holder + "/transactions",
			"/admin/api/v1/merchants?school=demo", "/admin/api/v1/terminals?school=demo"} {
			if r := h.do("GET", path, auditor, nil); r.status != 200 {
				t.Fatalf("auditor GET %s: %d %s", path, r.status, r.body)
			}
		}
		schools := h.do("GET", "/admin/api/v1/schools", auditor, nil)
		if fmt.Sprint(schools.json["items"].([]any)[0].(map[string]any)["policies"].(map[string]any)["timezone"]) != "Asia/Shanghai" {
			t.Fatalf("schools: %s", schools.body)
		}
		r := h.do("POST", "/admin/api/v1/admins", super, map[string]string{"username": "clerk", "password": "clerk-password", "role": "operator"})
		if r.status != 201 || r.str("role") != "operator" || strings.Contains(string(r.body), "hash") {
			t.Fatalf("create admin: %d %s", r.status, r.body)
		}
		if r := h.do("GET", "/admin/api/v1/admins", super, nil); len(r.json["items"].([]any)) != 4 {
			t.Fatalf("admins: %s", r.body)
		}
		h.adminLogin("clerk", "clerk-password")
		// Every refusal is in the audit log, with its target.
		log := h.do("GET", "/admin/api/v1/audit?limit=100", auditor, nil)
		found := false
		for _, it := range log.json["items"].([]any) {
			e := it.(map[string]any)
			if e["username"] == "auditor-user" && e["outcome"] == "FORBIDDEN" && e["action"] == "POST /admin/api/v1/holders/:id/freeze" {
				found = true
			}
		}
		if !found {
			t.Fatalf("audit log lacks the refused freeze: %s", log.body)
		}
		h.verify()
	})
}

func TestOfficeBadInputChangesNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db)
		op := h.office(ledger.RoleSuperadmin)
		holder := fmt.Sprintf("/admin/api/v1/holders/%d", h.holder.ID)
		newHolder := func(k, v string) map[string]any {
			m := map[string]any{"school": "demo", "number": "2025001", "name": "赵六", "kind": "student", "id_last6": "123456"}
			m[k] = v
			return m
		}
		cases := []struct {
			method, path string
			body         any
			status       int
			code         string
		}{
			{"GET", "/admin/api/v1/holders", nil, 400, "INVALID_REQUEST"},
			{"GET", "/admin/api/v1/holders?school=nope", nil, 404, "NOT_FOUND"},
			{"GET", "/admin/api/v1/holders?school=demo&limit=0", nil, 400, "INVALID_REQUEST"},
			{"GET", "/admin/api/v1/holders?school=demo&cursor=x", nil, 400, "INVALID_REQUEST"},
			{"GET", "/admin/api/v1/holders?school=demo&kind=alien", nil, 400, "INVALID_REQUEST"},
			{"GET", "/admin/api/v1/holders?school=demo&status=gone", nil, 400, "INVALID_REQUEST"},
			{"GET", "/admin/api/v1/holders?school=demo&q=" + strings.Repeat("x", 65), nil, 400, "INVALID_REQUEST"},
			{"GET", "/admin/api/v1/holders/abc", nil, 400, "INVALID_REQUEST"},
			{"GET", "/admin/api/v1/holders/999999", nil, 404, "NOT_FOUND"},
			{"GET", holder + "/transactions?kind=bogus", nil, 400, "INVALID_REQUEST"},
			{"GET", "/admin/api/v1/holders/999999/transactions", nil, 404, "NOT_FOUND"},
			{"POST", "/admin/api/v1/holders", "{", 400, "INVALID_REQUEST"},
			{"POST", "/admin/api/v1/holders", map[string]any{"school": "demo", "extra": 1}, 400, "INVALID_REQUEST"},
			{"POST", "/admin/api/v1/holders", newHolder("school", "nope"), 404, "NOT_FOUND"},
			{"POST", "/admin/api/v1/holders", newHolder("number", "bad number"), 400, "INVALID_REQUEST"},
			{"POST", "/admin/api/v1/holders", newHolder("name", ""), 400, "INVALID_REQUEST"},
			{"POST", "/admin/api/v1/holders", newHolder("kind", "visitor"), 400, "INVALID_REQUEST"},
			{"POST", "/admin/api/v1/holders", newHolder("id_last6", "12345"), 400, "INVALID_REQUEST"},
			{"POST", "/admin/api/v1/holders", newHolder("id_last6", ""), 400, "INVALID_REQUEST"},
			{"POST", "/admin/api/v1/holders", newHolder("number", "2024001"), 409, "CONFLICT"},
			{"POST", "/admin/api/v1/holders/999999/freeze", nil, 404, "NOT_FOUND"},
			{"POST", "/admin/api/v1/holders/0/unfreeze", nil, 400, "INVALID_REQUEST"},
			{"POST", holder + "/reset", map[string]string{"kind": "face"}, 400, "INVALID_REQUEST"},
			{"POST", holder + "/reset", nil, 400, "INVALID_REQUEST"},
			{"POST", "/admin/api/v1/holders/999999/reset", map[string]string{"kind": "pin"}, 404, "NOT_FOUND"},
			{"GET", "/admin/api/v1/merchants", nil, 400, "INVALID_REQUEST"},
			{"POST", "/admin/api/v1/merchants", map[string]string{"school": "demo", "code": "bad code", "name": "x"}, 400, "INVALID_REQUEST"},
			{"POST", "/admin/api/v1/merchants", map[string]string{"school": "demo", "code": "canteen1", "name": "x"}, 409, "CONFLICT"},
			{"POST", "/admin/api/v1/merchants", map[string]string{"school": "nope", "code": "m2", "name": "x"}, 404, "NOT_FOUND"},
			{"GET", "/admin/api/v1/terminals?school=nope", nil, 404, "NOT_FOUND"},
			{"POST", "/admin/api/v1/terminals", map[string]string{"school": "demo", "id": "pos-9", "kind": "pos"}, 400, "INVALID_REQUEST"},
			{"POST", "/admin/api/v1/terminals", map[string]string{"school": "demo", "id": "pos-9", "kind": "pos", "merchant": "nope"}, 404, "NOT_FOUND"},
			{"POST", "/admin/api/v1/terminals", map[string]string{"school": "demo", "id": "x", "kind": "toaster"}, 400, "INVALID_REQUEST"},
			{"POST", "/admin/api/v1/terminals", map[string]string{"school": "demo", "id": "bad id", "kind": "gate"}, 400, "INVALID_REQUEST"},
			{"POST", "/admin/api/v1/terminals/nope/disable", nil, 404, "NOT_FOUND"},
			{"GET", "/admin/api/v1/reports/settlement?school=demo", nil, 400, "INVALID_REQUEST"},
			{"GET", "/admin/api/v1/reports/settlement?school=demo&date=yesterday", nil, 400, "INVALID_REQUEST"},
			{"POST", "/admin/api/v1/admins", map[string]string{"username": "x", "password": "short", "role": "operator"}, 400, "INVALID_REQUEST"},
			{"POST", "/admin/api/v1/admins", map[string]string{"username": "x", "password": "0123456789", "role": "king"}, 400, "INVALID_REQUEST"},
			{"POST", "/admin/api/v1/admins", map[string]string{"username": "superadmin-user", "password": "0123456789", "role": "operator"}, 409, "CONFLICT"},
		}
		for _, c := range cases {
			r := h.do(c.method, c.path, op, c.body)
			if r.status != c.status || r.code() != c.code {
				t.Errorf("%s %s %v: want %d %s, got %d %s", c.method, c.path, c.body, c.status, c.code, r.status, r.body)
			}
		}
		if got := fmt.Sprint(h.holderNumbers(op, "")); got != "[2024002 2024001]" {
			t.Fatalf("holders changed: %s", got)
		}
		if r := h.do("GET", holder, op, nil); r.str("state") != "active" || r.json["must_change_password"] != true {
			t.Fatalf("holder changed: %s", r.body)
		}
		if r := h.do("GET", "/admin/api/v1/merchants?school=demo", op, nil); len(r.json["items"].([]any)) != 1 {
			t.Fatalf("merchants changed: %s", r.body)
		}
		if r := h.do("GET", "/admin/api/v1/terminals?school=demo", op, nil); len(r.json["items"].([]any)) != 0 {
			t.Fatalf("terminals changed: %s", r.body)
		}
		if r := h.do("GET", "/admin/api/v1/admins", op, nil); len(r.json["items"].([]any)) != 1 {
			t.Fatalf("admins changed: %s", r.body)
		}
		h.verify()
	})
}

func TestOfficeAddsMerchantsAndTerminals(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db)
		op := h.office(ledger.RoleOperator)
		r := h.do("POST", "/admin/api/v1/merchants", op, map[string]string{"school": "demo", "code": "cafe", "name": "咖啡馆"})
		if r.status != 201 || r.str("code") != "cafe" || r.str("status") != "active" {
			t.Fatalf("merchant: %d %s", r.status, r.body)
		}
		r = h.do("POST", "/admin/api/v1/terminals", op, map[string]string{"school": "demo", "id": "cafe-1", "kind": "pos", "merchant": "cafe", "place": "library"})
		if r.status != 201 || r.str("id") != "cafe-1" || len(r.str("secret")) < 16 {
			t.Fatalf("terminal: %d %s", r.status, r.body)
		}
		secret := r.str("secret")
		list := h.do("GET", "/admin/api/v1/terminals?school=demo", op, nil)
		if strings.Contains(string(list.body), secret) {
			t.Fatal("the terminal list shows the secret")
		}
		if got := fmt.Sprint(list.json["items"].([]any)[0].(map[string]any)["merchant"]); got != "cafe" {
			t.Fatalf("terminal merchant: %s", list.body)
		}
		if log := h.do("GET", "/admin/api/v1/audit?limit=100", op, nil); strings.Contains(string(log.body), secret) ||
			!strings.Contains(string(log.body), "terminal:cafe-1") {
			t.Fatalf("audit log: %s", log.body)
		}
		h.expect(h.do("POST", "/admin/api/v1/terminals", op, map[string]string{"school": "demo", "id": "cafe-1", "kind": "gate"}), 409, "CONFLICT")
		if r := h.do("GET", "/admin/api/v1/merchants?school=demo", op, nil); len(r.json["items"].([]any)) != 2 {
			t.Fatalf("merchants: %s", r.body)
		}
		h.verify()
	})
}
