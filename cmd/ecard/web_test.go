package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// The browser tests drive the embedded front-ends in Debian's headless
// Chromium against `ecard serve --demo` on a real listener. Without Chromium
// they skip, except in CI (CI=true), where a skip would hide a broken page.
const chromiumPath = "/usr/bin/chromium"

// browserGuard bounds one step against a hung browser; a step waits for an
// element or an answer, so this is no timed assertion.
const browserGuard = 2 * time.Minute

type browserPage struct {
	t       *testing.T
	ctx     context.Context
	base    string
	mu      sync.Mutex
	away    []string // requests that left the server's origin
	started bool
}

func newBrowser(t *testing.T, base string, width, height int64) *browserPage {
	t.Helper()
	path := chromiumPath
	if _, err := os.Stat(path); err != nil {
		if p, lookErr := exec.LookPath("chromium"); lookErr == nil {
			path = p
		} else if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is required in CI: %v", err)
		} else {
			t.Skip("chromium is not installed; the browser tests need Debian's chromium")
		}
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.Flag("lang", "zh-CN"),
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(int(width), int(height)),
	}
	b := &browserPage{t: t, base: base}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	// Every request the pages make is seen here: none may leave the origin.
	ctx, cancelCtx := chromedp.NewContext(alloc, chromedp.WithListener(func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			u := e.Request.URL
			if !strings.HasPrefix(u, base+"/") && !strings.HasPrefix(u, "data:") && u != base {
				b.mu.Lock()
				b.away = append(b.away, u)
				b.mu.Unlock()
			}
		}
	}))
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	b.ctx = ctx
	b.run(chromedp.EmulateViewport(width, height)) // the first run starts the browser
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if len(b.away) > 0 {
			t.Errorf("requests left the origin %s: %v", base, b.away)
		}
	})
	return b
}

// run runs steps in order. The timeout guards against a hung browser and is
// no timed assertion: every step waits for an element or an answer.
func (b *browserPage) run(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx := b.ctx
	if b.started { // the first run owns the browser and must have no deadline
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(b.ctx, browserGuard)
		defer cancel()
	}
	b.started = true
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%v\npage %s", err, b.page())
	}
}

// page describes where the browser is, for a failing step's message.
func (b *browserPage) page() string {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText`))
	if err != nil {
		return err.Error()
	}
	return text
}

func (b *browserPage) text(sel string) string {
	b.t.Helper()
	b.run(chromedp.WaitVisible(chromedp.CSS(sel)))
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

func (b *browserPage) attr(sel, name string) string {
	b.t.Helper()
	r, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil || !r.Exists {
		b.t.Fatalf("%s[%s]: %v", sel, name, err)
	}
	return r.Value
}

// waitText waits, on each change of the page, until it shows text.
func (b *browserPage) waitText(text string) {
	b.t.Helper()
	b.run(hasText("body", text))
}

// hasText is a step that waits until the element sel shows text.
func hasText(sel, text string) chromedp.Action[chromedp.Void] {
	q, _ := json.Marshal(sel)
	t, _ := json.Marshal(text)
	return chromedp.Poll[chromedp.Void](fmt.Sprintf(`(document.querySelector(%s)?.innerText || '').includes(%s)`, q, t),
		chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(0))
}

func click(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS(sel)) }

// open goes back to the home screen and follows its link to a page, until
// ready shows. The home screen lays itself out again when the holder's data
// arrives, so on a loaded machine a click can land where the link was a
// moment before; a person would tap again, and so does this (at most 3 times).
func open(link string, ready chromedp.Action[chromedp.Void]) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := click(".bar-btn")(ctx, t); err != nil {
			return err
		}
		var err error
		for range 3 {
			if _, err = click(link)(ctx, t); err != nil {
				return err
			}
			try, cancel := context.WithTimeout(ctx, 15*time.Second)
			_, err = ready(try, t)
			cancel()
			if err == nil || ctx.Err() != nil {
				return err
			}
		}
		return fmt.Errorf("%s: %w", link, err)
	})
}

func visible(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(sel))
}

// fill replaces what a field holds by typing; setValue is for inputs keys
// cannot fill (dates).
func fill(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(visible(sel), chromedp.Clear(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), value))
}

func setValue(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const el = document.querySelector(%q); el.value = %q;
		el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true})); })()`, sel, value))
}

// checkPage holds every page to the accessibility basics the tests can see:
// each form control has a label, and nothing is wider than the viewport.
func (b *browserPage) checkPage(name string) {
	b.t.Helper()
	unlabelled, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('input, select, textarea')]
		.filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
		.map((el) => el.outerHTML.slice(0, 120))`))
	if err != nil {
		b.t.Fatal(err)
	}
	if len(unlabelled) > 0 {
		b.t.Errorf("%s: form controls without a label: %v", name, unlabelled)
	}
	overflow, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if err != nil {
		b.t.Fatal(err)
	}
	if overflow {
		b.t.Errorf("%s: the page is wider than the viewport", name)
	}
}

// shot saves the viewport to docs/screenshots/NAME.png when ECARD_SCREENSHOTS=1.
func (b *browserPage) shot(name string) {
	b.t.Helper()
	b.checkPage(name)
	if os.Getenv("ECARD_SCREENSHOTS") != "1" {
		return
	}
	// Fonts settle before the picture is taken.
	b.run(chromedp.Evaluate[chromedp.Void](`document.fonts.ready.then(() => true)`, chromedp.EvalAwaitPromise))
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func browserEnv(t *testing.T) env {
	return env{"ECARD_DATA_DIR": t.TempDir(), "ECARD_ARGON2_MEMORY_KIB": "64", "ECARD_ARGON2_PARALLELISM": "1"}
}

// TestBrowserStudentPaysWithTheCode: a student signs in, tops up through the
// sandbox, opens the pay code; a till charges it through the terminal
// protocol and the open page shows the approval with merchant and amount.
func TestBrowserStudentPaysWithTheCode(t *testing.T) {
	e := browserEnv(t)
	base, _ := startServer(t, e)
	b := newBrowser(t, base, 390, 844)

	b.run(chromedp.Navigate(base+"/#/login"), chromedp.WaitReady(chromedp.CSS(`#login-school option[value="demo"]`)),
		fill("#login-number", "2024001"), fill("#login-password", "123456"))
	b.shot("login")
	b.run(click("#login-submit"))
	// The demo's passwords are initial ones: the app asks for new ones first.
	b.run(fill("#login-old", "123456"), fill("#login-new", "s3cret-Pass"), click("#login-save"), visible("#login-saved"),
		fill("#pin-old", "123456"), fill("#pin-new", "135246"), click("#pin-save"), visible("#pin-saved"))
	b.shot("password")
	b.run(click(".bar-btn"))
	if got := b.text("#balance"); got != "200.00" {
		t.Fatalf("home balance %q", got)
	}
	b.shot("home")
	// The narrowest phones the app supports.
	b.run(chromedp.EmulateViewport(360, 740))
	b.checkPage("home at 360 px")
	b.run(chromedp.EmulateViewport(390, 844))
	b.run(click(".bar-btn.end"), hasText("#app", "Balance"))
	b.shot("home-en")
	b.run(click(".bar-btn.end"), hasText("#app", "余额"))

	b.run(click(`a[href="#/topup"]`), visible("#topup-pay"))
	b.shot("topup")
	b.run(click("#topup-pay"))
	if got := b.text("#topup-done"); !strings.Contains(got, "50.00") {
		t.Fatalf("top-up result %q", got)
	}

	b.run(open(`a[href="#/pay"]`, visible(`[data-live="yes"] #code-numeric`)))
	numeric := b.attr("#code-numeric", "data-numeric")
	b.shot("paycode")

	// The till: `ecard pos` signs the request with the terminal's secret.
	out := mustEcard(t, e, "pos", "--server", base, "--terminal", "demo-pos-1", "--secret", "demo-pos-1-secret-change-me",
		"pay", "--amount", "1250", "--code", numeric, "--request-id", "browser-till-1")
	var answer struct {
		Status       string `json:"status"`
		BalanceAfter int64  `json:"balance_after"`
	}
	if err := json.Unmarshal([]byte(out), &answer); err != nil || answer.Status != "approved" {
		t.Fatalf("till: %v %s", err, out)
	}
	if got := b.text("#approval-amount"); got != "12.50" {
		t.Fatalf("approval amount %q", got)
	}
	if got := b.text("#approval-merchant"); got == "" {
		t.Fatal("the approval names no merchant")
	}
	b.shot("paycode-approved")

	b.run(open(`a[href="#/history"]`, hasText("#app", "12.50")), hasText("#app", "模拟支付"))
	b.lacks("#app", "kind_", "ch_", "sandbox")
	b.shot("history")
	b.run(open(`a[href="#/identity"]`, visible(".code-box img")))
	b.shot("identity")
	if out := mustEcard(t, e, "ledger", "verify"); strings.Contains(out, "FAIL") {
		t.Fatal(out)
	}
}

// TestBrowserParentRecharges: the parent page finds the school, names the
// child and pays; the page shows the masked name and the amount.
func TestBrowserParentRecharges(t *testing.T) {
	e := browserEnv(t)
	base, _ := startServer(t, e)
	b := newBrowser(t, base, 390, 844)
	b.run(chromedp.Navigate(base+"/recharge"), visible("#school-list button"),
		click("#school-list button"),
		fill("#child-name", "张三"), fill("#child-number", "2024001"), fill("#recharge-amount", "100"))
	b.shot("recharge")
	b.run(click("#recharge-pay"))
	got := b.text("#recharge-result")
	if !strings.Contains(got, "充值成功") || !strings.Contains(got, "100.00") || strings.Contains(got, "张三") {
		t.Fatalf("result %q", got)
	}
	b.shot("recharge-done")

	// A wrong name reads as an unknown number, in plain words.
	b.run(click("#recharge-result button"), visible("#school-list button"),
		click("#school-list button"),
		fill("#child-name", "李四"), fill("#child-number", "2024001"), fill("#recharge-amount", "20"),
		click("#recharge-pay"))
	if got := b.text(".alert"); !strings.Contains(got, "没有找到") {
		t.Fatalf("mismatch message %q", got)
	}
	if out := mustEcard(t, e, "ledger", "verify"); strings.Contains(out, "FAIL") {
		t.Fatal(out)
	}
}

// TestBrowserAdminConsole: an admin signs in, sees a paid top-up and the audit
// log, and registers a visitor who then appears in the visitor list.
func TestBrowserAdminConsole(t *testing.T) {
	e := browserEnv(t)
	base, _ := startServer(t, e)
	order := postJSON(t, base+"/api/v1/recharge", "", map[string]any{"school": "demo", "number": "2024002", "name": "李四", "amount": 3000, "channel": "sandbox"})
	orderNo := order["order_no"].(string)
	postJSON(t, base+"/sandbox/pay/"+orderNo, "", nil)

	b := newBrowser(t, base, 1280, 800)
	b.run(chromedp.Navigate(base+"/admin/"), fill("#admin-user", "admin"), fill("#admin-password", "ecard-demo-admin"))
	b.shot("admin-login")
	b.run(click("#admin-login"), visible(`nav a[href="#/topups"]`),
		click(`nav a[href="#/topups"]`))
	b.waitText(orderNo)
	b.shot("admin-topups")
	b.run(click(`nav a[href="#/audit"]`))
	b.waitText("admin")
	b.shot("admin-audit")
	b.run(click(`nav a[href="#/holders"]`), hasText("table.data", "2024001"))
	b.shot("admin-holders")
	b.run(click(`table.data a[href^="#/holders/"]`), hasText("#h-holder", "·"), hasText("main", "交易记录"))
	b.shot("admin-holder")
	b.run(click(`nav a[href="#/terminals"]`), click(`button[aria-controls="terminal-new"]`),
		fill("#terminal-new-id", "web-gate-1"), setValue("#terminal-new-kind", "gate"), fill("#terminal-new-place", "图书馆东门"),
		click("#terminal-new-submit"))
	if secret := b.text("#terminal-new-once"); len(secret) < 16 {
		t.Fatalf("terminal secret %q", secret)
	}
	b.run(hasText("table.data", "web-gate-1"))
	b.shot("admin-terminals")

	login := postJSON(t, base+"/admin/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "ecard-demo-admin"})
	probe, _ := http.NewRequest(http.MethodPost, base+"/admin/api/v1/visitors", strings.NewReader(`{}`))
	probe.Header.Set("Authorization", "Bearer "+login["access_token"].(string))
	probe.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(probe)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		t.Skip("POST /admin/api/v1/visitors is not on this build yet")
	}
	b.run(click(`nav a[href="#/visitors"]`), click(`button[aria-controls="visitor-new"]`),
		fill("#visitor-new-name", "访客王五"), setValue("#visitor-new-expires_at", time.Now().Add(48*time.Hour).Format("2006-01-02T15:04")),
		click("#visitor-new-submit"), visible("#visitor-new-once"))
	b.run(hasText("table.data", "访客王五"))
	b.shot("admin-visitors")
}
