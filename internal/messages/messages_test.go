package messages

import (
	"regexp"
	"testing"
)

var zhVerb = regexp.MustCompile(`%(\[\d\])?s`)

// TestEveryRefusalHasChinese: every refusal text in the source has a Chinese
// text in the catalogue, taking as many arguments as the English one.
func TestEveryRefusalHasChinese(t *testing.T) {
	found := sourceMessages(t)
	if len(found) < 100 {
		t.Fatalf("the scan found only %d refusal texts: is it still reading the source?", len(found))
	}
	for en, where := range found {
		zh, ok := catalogue[en]
		if !ok {
			t.Errorf("%s: %q has no Chinese in the catalogue", where, en)
			continue
		}
		if got, want := len(zhVerb.FindAllString(zh, -1)), verbs(en); got != want {
			t.Errorf("%q: the Chinese %q takes %d arguments, the English %d", en, zh, got, want)
		}
	}
	for en, zh := range catalogue {
		if zh == "" || en == "" {
			t.Errorf("empty text in the catalogue: %q → %q", en, zh)
		}
	}
}

func TestChineseFillsArguments(t *testing.T) {
	for en, want := range map[string]string{
		"the new password needs 8-64 characters with letters and digits":                          "新密码须为 8-64 位，且同时包含字母和数字",
		"limits must be positive and at most the school's (3000 per payment, 5000 per day)":       "限额须大于 0，且不高于学校上限（单笔 3000 分，每日 5000 分）",
		"amount must be 100 to 100000 fen":                                                        "充值金额须在 100 到 100000 分之间",
		"record 3: amount must be 1 to 500 fen":                                                   "第 3 条记录：金额须在 1 到 500 分之间",
		"record 2: no such card":                                                                  "第 2 条记录：没有这张卡",
		"500 fen of the pending account is reserved for a card write: try again when it resolves": "待圈存账户中有 500 分正在写卡，请写卡完成后再试",
		"order T1 is created, not paid":                                                           "订单 T1 的状态是“待支付”，不是已支付，不能退款",
		"school is required":                                                                      "请选择学校",
		"name is required":                                                                        "请填写姓名",
	} {
		if got, ok := Chinese(en); !ok || got != want {
			t.Errorf("%q: got %q (%v), want %q", en, got, ok, want)
		}
	}
	if _, ok := Chinese("something nobody wrote"); ok {
		t.Error("an unknown text must not be translated")
	}
	if got, _ := For("en-US", "school is required"); got != "school is required" {
		t.Errorf("English: %q", got)
	}
}
