package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func getJSON(t *testing.T, url, token string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %v", url, resp.StatusCode, out)
	}
	return out
}

// lacks fails when the element sel shows any of the raw keys.
func (b *browserPage) lacks(sel string, raw ...string) {
	b.t.Helper()
	text := b.text(sel)
	for _, r := range raw {
		if strings.Contains(text, r) {
			b.t.Errorf("%s shows the raw key %q: %s", sel, r, text)
		}
	}
}

// TestBrowserConsoleNamesAndBatches: the console names roles, entry kinds,
// channels and totals in Chinese, its top-up report asks for dates, and a
// subsidy batch submitted twice is paid once.
func TestBrowserConsoleNamesAndBatches(t *testing.T) {
	e := browserEnv(t)
	base, _ := startServer(t, e)
	order := postJSON(t, base+"/api/v1/recharge", "", map[string]any{"school": "demo", "number": "2024002", "name": "李四", "amount": 3000, "channel": "sandbox"})
	postJSON(t, base+"/sandbox/pay/"+order["order_no"].(string), "", nil)
	token := postJSON(t, base+"/admin/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "ecard-demo-admin"})["access_token"].(string)
	found := getJSON(t, base+"/admin/api/v1/holders?school=demo&q=2024002", token)["items"].([]any)
	if len(found) != 1 {
		t.Fatalf("holder 2024002: %v", found)
	}
	li := fmt.Sprint(found[0].(map[string]any)["id"])

	b := newBrowser(t, base, 1280, 800)
	b.run(chromedp.Navigate(base+"/admin/"), fill("#admin-user", "admin"), fill("#admin-password", "ecard-demo-admin"),
		click("#admin-login"), visible(`nav a[href="#/topups"]`), hasText(".topbar", "超级管理员"))
	b.lacks(".topbar", "superadmin")

	// A holder's history names each entry's kind and channel.
	b.run(chromedp.Navigate(base+"/admin/#/holders/"+li), hasText("table.data", "充值"), hasText("table.data", "模拟支付"))
	b.lacks("table.data", "topup", "sandbox", "kind_", "ch_")

	// The settlement totals are named.
	b.run(click(`nav a[href="#/settlement"]`), hasText(`dl[aria-label="合计"]`, "净额"))
	b.lacks(`dl[aria-label="合计"]`, "payment_fen", "net_fen")

	// The top-up report takes days (the school's), not instants.
	day := func(d time.Duration) string { return time.Now().Add(d).Format("2006-01-02") }
	b.run(click(`nav a[href="#/topup-report"]`), visible("#topup-report-from"),
		setValue("#topup-report-from", day(-24*time.Hour)), setValue("#topup-report-to", day(24*time.Hour)),
		click(`section form.panel button[type="submit"]`), hasText("table.data", "模拟支付"), hasText("table.data", "30.00"))
	b.lacks("table.data", "sandbox")

	// 提交 pressed twice sends the same Idempotency-Key: one batch, paid once.
	b.run(click(`nav a[href="#/subsidies"]`), click(`button[aria-controls="subsidy-new"]`),
		fill("#subsidy-new-name", "十二月餐补"), setValue("#subsidy-new-csv", "number,amount,expires_at\n2024002,500,2099-12-31\n"),
		click("#subsidy-new-submit"), hasText(`[role="status"]`, "已完成"),
		click("#subsidy-new-submit"), visible("#subsidy-new-submit:not([disabled])"), hasText(`[role="status"]`, "已完成"))
	batches := getJSON(t, base+"/admin/api/v1/subsidies?school=demo", token)["items"].([]any)
	named := 0
	for _, x := range batches {
		if x.(map[string]any)["name"] == "十二月餐补" {
			named++
		}
	}
	if named != 1 {
		t.Fatalf("a batch submitted twice must be issued once: %v", batches)
	}
}
