package web

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/sns-os/snsos"
)

// chromiumPath is Debian's chromium (scripts/chromium.sh installs it).
const chromiumPath = "/usr/bin/chromium"

// newBrowser starts a headless Chromium with a fresh profile, or skips the
// test when there is none (it fails under CI instead).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing: CI must run the browser tests (scripts/chromium.sh installs it)", chromiumPath)
		}
		t.Skipf("%s is missing: skipping the browser test (run scripts/chromium.sh as root to install it)", chromiumPath)
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // keeps Chromium's temp files under the test's dir
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(filepath.Join(tmp, "profile")),
		chromedp.WindowSize(1024, 768),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// TestBrowserSignin drives the sign-in, the dashboard, the language switch
// and the sign-out in a real browser, and checks that no page requests
// anything from another origin.
func TestBrowserSignin(t *testing.T) {
	ctx := newBrowser(t)
	e := newTestEnv(t, "correct horse battery")
	bg := context.Background()
	a := &snsos.Account{Platform: snsos.PlatformX, RemoteID: "42", Handle: "snsos_demo", DisplayName: "Demo"}
	if err := e.store.UpsertAccount(bg, a); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(3 * time.Hour).Truncate(time.Minute)
	for _, st := range []snsos.TargetState{snsos.StateScheduled, snsos.StateDraft} {
		p := &snsos.Post{Body: "新しい投稿のテスト — hello from sns-os #" + string(st), Targets: []*snsos.Target{{AccountID: a.ID, Platform: snsos.PlatformX, State: st}}}
		if st == snsos.StateScheduled {
			p.ScheduledAt, p.Targets[0].ScheduledAt = at, at
		}
		if err := e.store.CreatePost(bg, p, nil); err != nil {
			t.Fatal(err)
		}
	}

	// Record every request the pages make.
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	var mu sync.Mutex
	var requests []string
	reqs := chromedp.Events(ctx, network.RequestWillBeSent)
	go func() {
		for ev, err := range reqs {
			if err != nil {
				return
			}
			mu.Lock()
			requests = append(requests, ev.Request.URL)
			mu.Unlock()
		}
	}()

	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	location := func() string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimPrefix(s, e.srv.URL)
	}
	shot := func(name string) {
		t.Helper()
		if os.Getenv("SNSOS_SCREENSHOTS") != "1" {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		dir := filepath.Join("..", "..", "docs", "screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The dashboard sends a stranger to sign in.
	step("open /", chromedp.Navigate(e.srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("password")))
	if loc := location(); loc != "/signin?next=%2F" {
		t.Fatalf("redirected to %s, want the sign-in page", loc)
	}
	if h := text("h1"); h != "Sign in to sns-os" {
		t.Fatalf("sign-in heading %q", h)
	}
	shot("signin-en.png")

	// A wrong password shows the error.
	step("wrong password", chromedp.SendKeys(chromedp.ID("password"), "not it"), chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("error-summary")))
	if msg := text("#password-error"); !strings.Contains(msg, "That password is not correct") {
		t.Fatalf("error message %q", msg)
	}

	// The right one opens the dashboard.
	step("right password", chromedp.SendKeys(chromedp.ID("password"), "correct horse battery"), chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("next-h")))
	if loc := location(); loc != "/" {
		t.Fatalf("after sign-in at %s, want /", loc)
	}
	if body := text("main"); !strings.Contains(body, "@snsos_demo") || !strings.Contains(body, "Connected") ||
		!strings.Contains(body, "Next up") || !strings.Contains(body, "新しい投稿のテスト") || !(strings.Contains(body, "in 2 h 59 min") || strings.Contains(body, "in 3 h")) ||
		!strings.Contains(body, "$0.015 for 1 post") {
		t.Fatalf("dashboard shows:\n%s", body)
	}
	shot("dashboard-en.png")

	// Japanese.
	step("switch to Japanese", chromedp.Click(chromedp.CSS(`a[hreflang="ja"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="ja"] #next-h`)))
	if h := text("#next-h"); h != "次の予約" {
		t.Fatalf("Japanese heading %q", h)
	}
	if body := text("main"); !strings.Contains(body, "連携中") || !(strings.Contains(body, "あと2時間59分") || strings.Contains(body, "あと3時間")) || !strings.Contains(body, "今後7日間のX費用の見積もり: $0.015(1件)") {
		t.Fatalf("Japanese dashboard shows:\n%s", body)
	}
	shot("dashboard-ja.png")

	// Readable on a phone: nothing is wider than a 375 px screen.
	step("phone viewport", chromedp.EmulateViewport(375, 740), chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("next-h")))
	overflow, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
	if err != nil || overflow > 0 {
		t.Fatalf("on a 375 px screen the page is %d px too wide (%v)", overflow, err)
	}
	shot("dashboard-ja-phone.png")
	noOverflow := func(what string) {
		t.Helper()
		overflow, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
		if err != nil || overflow > 0 {
			t.Fatalf("%s: on a 375 px screen the page is %d px too wide (%v)", what, overflow, err)
		}
	}

	// The accounts page, from the header, on the phone.
	// On a phone the navigation is folded into the menu: open it first.
	step("open accounts", chromedp.Click(chromedp.CSS(`details.menu > summary`)),
		chromedp.Click(chromedp.CSS(`header a[href="/accounts"]`)), chromedp.WaitVisible(chromedp.ID("connect-h")))
	if body := text("main"); !strings.Contains(body, "@snsos_demo") || !strings.Contains(body, "連携中") || !strings.Contains(body, "Xと連携") {
		t.Fatalf("accounts page shows:\n%s", body)
	}
	noOverflow("accounts")
	shot("accounts-ja-phone.png")

	// A post page, from the dashboard.
	step("open a post", chromedp.Navigate(e.srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("next-h")),
		chromedp.Click(chromedp.CSS(`td.excerpt a`)), chromedp.WaitVisible(chromedp.ID("targets-h")))
	if loc := location(); !strings.HasPrefix(loc, "/posts/") {
		t.Fatalf("post link went to %s", loc)
	}
	if body := text("main"); !strings.Contains(body, "新しい投稿のテスト") || !strings.Contains(body, "試行 0回") {
		t.Fatalf("post page shows:\n%s", body)
	}
	noOverflow("post page")
	shot("post-ja-phone.png")
	step("desktop viewport", chromedp.EmulateViewport(1024, 768), chromedp.Navigate(e.srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("next-h")))

	// Sign out, in Japanese.
	step("sign out", chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)), chromedp.WaitVisible(chromedp.ID("password")))
	if msg := text("main"); !strings.Contains(msg, "ログアウトしました") {
		t.Fatalf("after sign-out:\n%s", msg)
	}
	shot("signin-ja.png")
	step("dashboard after sign-out", chromedp.Navigate(e.srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("password")))
	if loc := location(); !strings.HasPrefix(loc, "/signin") {
		t.Fatalf("dashboard after sign-out went to %s", loc)
	}

	// Every request stayed on the origin.
	origin, _ := url.Parse(e.srv.URL)
	mu.Lock()
	defer mu.Unlock()
	if len(requests) == 0 {
		t.Fatal("no request recorded")
	}
	sawCSS := false
	for _, r := range requests {
		u, err := url.Parse(r)
		if err != nil || u.Scheme != origin.Scheme || u.Host != origin.Host {
			t.Errorf("request to another origin: %s", r)
		}
		sawCSS = sawCSS || strings.HasPrefix(u.Path, "/static/style.")
	}
	if !sawCSS {
		t.Errorf("the stylesheet was never requested: %v", requests)
	}
}
