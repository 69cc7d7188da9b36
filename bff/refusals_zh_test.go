package bff_test

import (
	"context"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
)

func (r response) message() string {
	if e, ok := r.json["error"].(map[string]any); ok {
		s, _ := e["message"].(string)
		return s
	}
	return ""
}

// wantZh asserts a refusal's code and that its Chinese message says what the
// English one says (it holds every fragment), not only the code's default.
func (h *harness) wantZh(r response, status int, code string, fragments ...string) {
	h.t.Helper()
	h.expect(r, status, code)
	for _, f := range fragments {
		if !strings.Contains(r.message(), f) {
			h.t.Errorf("%s: message %q lacks %q", code, r.message(), f)
		}
	}
}

// TestChineseRefusalsSayWhatIsWrong: the apps send Chinese; each refusal
// names the field and what is allowed, as the English text does.
func TestChineseRefusalsSayWhatIsWrong(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newPayHarness(t, db)
		tok, _ := h.login("2024001", "123456")
		zh := []string{"Accept-Language", "zh-CN"}
		h.wantZh(h.do("PUT", "/api/v1/me/password", tok, map[string]string{"kind": "login", "old": "123456", "new": "short1"}, zh...),
			400, "INVALID_REQUEST", "新密码", "8-64", "字母和数字")
		h.wantZh(h.do("PUT", "/api/v1/me/password", tok, map[string]string{"kind": "pin", "old": "123456", "new": "111111"}, zh...),
			400, "INVALID_REQUEST", "支付密码", "6 位数字", "连续或相同")
		h.wantZh(h.do("PUT", "/api/v1/me/limits", tok, map[string]any{"per_payment": 999999, "per_day": 5000, "pin": "123456"}, zh...),
			400, "INVALID_REQUEST", "学校上限", "3000", "5000")
		h.wantZh(h.do("POST", "/api/v1/me/topups", tok, map[string]any{"amount": 1, "channel": "sandbox"}, zh...),
			400, "INVALID_REQUEST", "充值金额", "100", "100000")
		h.wantZh(h.do("POST", "/api/v1/recharge", "", map[string]any{"school": "demo", "number": "2024001", "name": "张三",
			"amount": 100000000, "channel": "sandbox"}, zh...), 400, "INVALID_REQUEST", "充值金额")
		// English stays as written.
		r := h.do("PUT", "/api/v1/me/password", tok, map[string]string{"kind": "login", "old": "123456", "new": "short1"}, "Accept-Language", "en")
		h.wantZh(r, 400, "INVALID_REQUEST", "the new password needs 8-64 characters")

		// A CSV line's problem, in Chinese.
		office, _ := h.officeAdmins()
		sub := h.do("POST", "/admin/api/v1/subsidies?school=demo&name=t", office, "number,amount,expires_at\n9999999,100,2030-01-01\n",
			"Content-Type", "text/csv", "Idempotency-Key", "zh-lines", "Accept-Language", "zh")
		lines, _ := sub.json["error"].(map[string]any)["lines"].([]any)
		if len(lines) != 1 || !strings.Contains(lines[0].(map[string]any)["message"].(string), "本校没有学号/工号为 9999999 的持卡人") {
			t.Fatalf("subsidy lines: %d %s", sub.status, sub.body)
		}
		if !strings.Contains(sub.message(), "第 2 行") {
			t.Errorf("subsidy message %q", sub.message())
		}
	})
}

// TestRefundOfCardMoneyIsNotInsufficientFunds: a top-up sent to the card and
// already written to it cannot be refunded online; the office hears why, and
// not 余额不足.
func TestRefundOfCardMoneyIsNotInsufficientFunds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newPayHarness(t, db)
		ctx := context.Background()
		office, _ := h.officeAdmins()
		tok, _ := h.login("2024002", "654320")
		r := h.do("POST", "/api/v1/me/topups", tok, map[string]any{"amount": 2000, "channel": "sandbox", "to_card": true})
		if r.status != 201 {
			t.Fatalf("order: %s", r.body)
		}
		no := r.str("order_no")
		h.do("POST", "/sandbox/pay/"+no, "", nil)
		if _, err := h.ledger.Move(ctx, ledger.Move{Key: "load", SchoolID: h.school.ID, HolderID: h.other.ID,
			From: ledger.Pending, To: ledger.Purse, AmountFen: 2000}); err != nil {
			t.Fatal(err)
		}
		got := h.do("POST", "/admin/api/v1/topups/"+no+"/refund", office, nil)
		h.wantZh(got, 409, "CONFLICT", "已写入校园卡", "一卡通中心")
		if strings.Contains(got.message(), "余额不足") {
			t.Errorf("message %q", got.message())
		}
		h.verify()
	})
}

// TestInitialPasswordTakesTheIDsX: 李四's ID ends in 65432X; the rule reads X
// as 0, and what the student types (X or x) works while it is the initial one.
func TestInitialPasswordTakesTheIDsX(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		h := newHarness(t, db)
		h.login("2024002", "65432x")
		tok, _ := h.login("2024002", "65432X")
		h.expect(h.do("PUT", "/api/v1/me/password", tok, map[string]string{"kind": "pin", "old": "65432X", "new": "135246"}), 204, "")
		if r := h.do("PUT", "/api/v1/me/password", tok, map[string]string{"kind": "login", "old": "65432X", "new": "s3cret-Pass"}); r.status != 204 {
			t.Fatalf("change with X: %d %s", r.status, r.body)
		}
		// Once changed, the initial value (X or 0) no longer signs in.
		for _, old := range []string{"65432X", "654320"} {
			h.expect(h.do("POST", "/api/v1/auth/login", "", map[string]string{"school": "demo", "number": "2024002", "password": old}), 401, "INVALID_CREDENTIALS")
		}
	})
}
