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

// TestBrowserNavPostsSettings drives the folding navigation on a phone, the
// posts list with a full-width search, the accounts page and a time zone
// change in a real browser, and checks that no request leaves the origin.
func TestBrowserNavPostsSettings(t *testing.T) {
	ctx := newBrowser(t)
	e := newTestEnv(t, "correct horse battery")
	bg := context.Background()
	a := &snsos.Account{Platform: snsos.PlatformX, RemoteID: "42", Handle: "snsos_demo", DisplayName: "Demo"}
	if err := e.store.UpsertAccount(bg, a); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for i, body := range []string{"ＳＮＳ運用のお知らせ — full-width text", "Weekly update #sns", "下書きのメモ"} {
		p := &snsos.Post{Body: body, ScheduledAt: at.Add(time.Duration(i) * time.Hour), Targets: []*snsos.Target{{AccountID: a.ID}}}
		if i < 2 {
			p.Targets[0].State = snsos.StateScheduled
		}
		if err := e.store.CreatePost(bg, p, nil); err != nil {
			t.Fatal(err)
		}
		if i == 1 { // one needs attention
			for _, st := range [][2]snsos.TargetState{{snsos.StateScheduled, snsos.StatePublishing}, {snsos.StatePublishing, snsos.StateFailed}} {
				if _, err := e.store.TransitionTarget(bg, snsos.TargetTransition{TargetID: p.Targets[0].ID, From: st[0], To: st[1]}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	e.h.cfg.Platforms = []snsos.Platform{snsos.PlatformX}

	if err := chromedp.Do(ctx); err != nil {
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
	eval := func(js string) bool {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return v
	}
	// visible reports whether the first element matching sel is rendered.
	visible := func(sel string) bool {
		t.Helper()
		return eval(`(() => { const el = document.querySelector(` + "`" + sel + "`" + `); return !!el && el.checkVisibility() && el.getBoundingClientRect().width > 0; })()`)
	}
	anyVisible := func(sel string) bool {
		t.Helper()
		return eval(`[...document.querySelectorAll(` + "`" + sel + "`" + `)].some(el => el.checkVisibility() && el.getBoundingClientRect().width > 0)`)
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

	step("sign in", chromedp.Navigate(e.srv.URL+"/signin?next=%2Fposts"), chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("password"), "correct horse battery"), chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.posts`)))

	// Desktop: the whole bar shows, the menu button does not.
	if !anyVisible(`header a[href="/accounts"]`) || !anyVisible(`header a[href="/compose"]`) || visible(`details.menu > summary`) {
		t.Fatal("desktop: the navigation is folded or incomplete")
	}
	if b := text(`header a[href="/posts"] .navbadge`); b != "1" {
		t.Errorf("attention badge %q", b)
	}
	body := text("main")
	for _, w := range []string{"ＳＮＳ運用のお知らせ", "Weekly update", "下書きのメモ", "Failed", "28 Nov 12:00"} {
		if !strings.Contains(body, w) {
			t.Errorf("posts page lacks %q:\n%s", w, body)
		}
	}
	shot("posts-en.png")

	// Half-width search finds the full-width post.
	step("search", chromedp.SendKeys(chromedp.ID("q"), "sns運用"), chromedp.Click(chromedp.CSS(`form.postfilter button`)),
		chromedp.WaitVisible(chromedp.CSS(`table.posts caption`)))
	if body := text("main tbody"); !strings.Contains(body, "ＳＮＳ運用のお知らせ") || strings.Contains(body, "Weekly update") {
		t.Errorf("search results:\n%s", body)
	}
	step("needs attention tab", chromedp.Click(chromedp.CSS(`nav.tabs a[href="/posts?q=sns%E9%81%8B%E7%94%A8&state=attention"]`)),
		chromedp.WaitVisible(chromedp.ID("posts-empty")))
	if s := text("#posts-empty"); s != "No posts match “sns運用”." {
		t.Errorf("empty text %q", s)
	}

	// Accounts.
	step("accounts", chromedp.Click(chromedp.CSS(`header a[href="/accounts"]`)), chromedp.WaitVisible(chromedp.ID("connect-h")))
	if body := text("main"); !strings.Contains(body, "@snsos_demo") || !strings.Contains(body, "Connect X") || !strings.Contains(body, "SNSOS_TIKTOK_CLIENT_ID") {
		t.Errorf("accounts page:\n%s", body)
	}
	shot("accounts-en.png")

	// Phone: the bar folds into the menu; New post stays visible.
	step("phone", chromedp.EmulateViewport(390, 844), chromedp.Navigate(e.srv.URL+"/posts"), chromedp.WaitVisible(chromedp.CSS(`table.posts`)))
	if !visible(`details.menu > summary`) {
		t.Fatal("phone: no menu button")
	}
	if !anyVisible(`header a[href="/compose"]`) {
		t.Fatal("phone: New post is hidden")
	}
	if anyVisible(`header a[href="/accounts"]`) || anyVisible(`header a[href="/settings"]`) {
		t.Fatal("phone: the navigation is not folded")
	}
	if overflow, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`)); err != nil || overflow > 0 {
		t.Fatalf("phone: the page is %d px too wide (%v)", overflow, err)
	}
	step("open the menu", chromedp.Click(chromedp.CSS(`details.menu > summary`)), chromedp.WaitVisible(chromedp.CSS(`header a[href="/settings"]`)))
	if !anyVisible(`header a[href="/accounts"]`) || !anyVisible(`header a[href="/compose"]`) {
		t.Fatal("phone: the open menu lacks Accounts or New post")
	}

	// Settings, in Japanese: change the zone.
	step("settings", chromedp.Click(chromedp.CSS(`header a[href="/settings"]`)), chromedp.WaitVisible(chromedp.ID("timezone")))
	step("desktop again", chromedp.EmulateViewport(1024, 768))
	step("japanese", chromedp.Click(chromedp.CSS(`header a[hreflang="ja"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="ja"] #timezone`)))
	step("bad zone", chromedp.SetValue(chromedp.ID("timezone"), "Asia/Tokio"), chromedp.Click(chromedp.CSS(`form[action="/settings"] button`)),
		chromedp.WaitVisible(chromedp.ID("error-summary")))
	if s := text("#timezone-error"); !strings.Contains(s, "Asia/Tokio") {
		t.Errorf("zone error %q", s)
	}
	step("good zone", chromedp.SetValue(chromedp.ID("timezone"), "America/New_York"), chromedp.Click(chromedp.CSS(`form[action="/settings"] button`)),
		chromedp.WaitVisible(chromedp.ID("flash")))
	if s := text("footer"); !strings.Contains(s, "America/New_York") {
		t.Errorf("footer after the zone change: %q", s)
	}
	shot("settings-ja.png")
	step("posts in the new zone", chromedp.Navigate(e.srv.URL+"/posts"), chromedp.WaitVisible(chromedp.CSS(`table.posts`)))
	if body := text("main"); !strings.Contains(body, "11月28日(土) 07:00") {
		t.Errorf("posts after the zone change:\n%s", body)
	}

	origin, _ := url.Parse(e.srv.URL)
	mu.Lock()
	defer mu.Unlock()
	if len(requests) == 0 {
		t.Fatal("no request recorded")
	}
	for _, r := range requests {
		u, err := url.Parse(r)
		if err != nil || u.Scheme != origin.Scheme || u.Host != origin.Host {
			t.Errorf("request to another origin: %s", r)
		}
	}
}
