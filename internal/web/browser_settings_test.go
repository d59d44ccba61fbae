package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/browsertest"
)

// TestBrowserNavPostsSettings drives the folding navigation on a phone, the
// posts list with a full-width search, the accounts page and a time zone
// change in a real browser, and checks that no request leaves the origin.
func TestBrowserNavPostsSettings(t *testing.T) {
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

	b := browsertest.New(t, e.srv.URL, 90*time.Second)
	// visible reports whether the first element matching sel is rendered.
	visible := func(sel string) bool {
		t.Helper()
		return browsertest.Eval[bool](b, `(() => { const el = document.querySelector(`+"`"+sel+"`"+`); return !!el && el.checkVisibility() && el.getBoundingClientRect().width > 0; })()`)
	}
	anyVisible := func(sel string) bool {
		t.Helper()
		return browsertest.Eval[bool](b, `[...document.querySelectorAll(`+"`"+sel+"`"+`)].some(el => el.checkVisibility() && el.getBoundingClientRect().width > 0)`)
	}
	b.Step("sign in", chromedp.EmulateViewport(1024, 768), chromedp.Navigate(e.srv.URL+"/signin?next=%2Fposts"), chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("password"), "correct horse battery"), chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.posts`)))

	// Desktop: the whole bar shows, the menu button does not.
	if !anyVisible(`header a[href="/accounts"]`) || !anyVisible(`header a[href="/compose"]`) || visible(`details.menu > summary`) {
		t.Fatal("desktop: the navigation is folded or incomplete")
	}
	if badge := b.Text(`header a[href="/posts"] .navbadge`); badge != "1" {
		t.Errorf("attention badge %q", badge)
	}
	body := b.Text("main")
	for _, w := range []string{"ＳＮＳ運用のお知らせ", "Weekly update", "下書きのメモ", "Failed", "28 Nov 12:00"} {
		if !strings.Contains(body, w) {
			t.Errorf("posts page lacks %q:\n%s", w, body)
		}
	}
	b.Shot("posts-en.png")

	// Half-width search finds the full-width post.
	b.Step("type a search", chromedp.SendKeys(chromedp.ID("q"), "sns運用"))
	b.ClickAndLoad("search", `form.postfilter button`, `table.posts caption`)
	if body := b.Text("main tbody"); !strings.Contains(body, "ＳＮＳ運用のお知らせ") || strings.Contains(body, "Weekly update") {
		t.Errorf("search results:\n%s", body)
	}
	b.Step("needs attention tab", chromedp.Click(chromedp.CSS(`nav.tabs a[href="/posts?q=sns%E9%81%8B%E7%94%A8&state=attention"]`)),
		chromedp.WaitVisible(chromedp.ID("posts-empty")))
	if s := b.Text("#posts-empty"); s != "No posts match “sns運用”." {
		t.Errorf("empty text %q", s)
	}

	// Accounts.
	b.Step("accounts", chromedp.Click(chromedp.CSS(`header a[href="/accounts"]`)), chromedp.WaitVisible(chromedp.ID("connect-h")))
	if body := b.Text("main"); !strings.Contains(body, "@snsos_demo") || !strings.Contains(body, "Connect X") || !strings.Contains(body, "SNSOS_TIKTOK_CLIENT_ID") {
		t.Errorf("accounts page:\n%s", body)
	}
	b.Shot("accounts-en.png")

	// Phone: the bar folds into the menu; New post stays visible.
	b.Step("phone", chromedp.EmulateViewport(390, 844), chromedp.Navigate(e.srv.URL+"/posts"), chromedp.WaitVisible(chromedp.CSS(`table.posts`)))
	if !visible(`details.menu > summary`) {
		t.Fatal("phone: no menu button")
	}
	if !anyVisible(`header a[href="/compose"]`) {
		t.Fatal("phone: New post is hidden")
	}
	if anyVisible(`header a[href="/accounts"]`) || anyVisible(`header a[href="/settings"]`) {
		t.Fatal("phone: the navigation is not folded")
	}
	if overflow := browsertest.Eval[int](b, `document.documentElement.scrollWidth - window.innerWidth`); overflow > 0 {
		t.Fatalf("phone: the page is %d px too wide", overflow)
	}
	b.Step("open the menu", chromedp.Click(chromedp.CSS(`details.menu > summary`)), chromedp.WaitVisible(chromedp.CSS(`header a[href="/settings"]`)))
	if !anyVisible(`header a[href="/accounts"]`) || !anyVisible(`header a[href="/compose"]`) {
		t.Fatal("phone: the open menu lacks Accounts or New post")
	}

	// Settings, in Japanese: change the zone.
	b.Step("settings", chromedp.Click(chromedp.CSS(`header a[href="/settings"]`)), chromedp.WaitVisible(chromedp.ID("timezone")))
	b.Step("desktop again", chromedp.EmulateViewport(1024, 768))
	b.Step("japanese", chromedp.Click(chromedp.CSS(`header a[hreflang="ja"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="ja"] #timezone`)))
	b.Step("type a bad zone", chromedp.SetValue(chromedp.ID("timezone"), "Asia/Tokio"))
	b.ClickAndLoad("bad zone", `form[action="/settings"] button`, `#error-summary`)
	if s := b.Text("#timezone-error"); !strings.Contains(s, "Asia/Tokio") {
		t.Errorf("zone error %q", s)
	}
	b.Step("type a good zone", chromedp.SetValue(chromedp.ID("timezone"), "America/New_York"))
	b.ClickAndLoad("good zone", `form[action="/settings"] button`, `#flash`)
	if s := b.Text("footer"); !strings.Contains(s, "America/New_York") {
		t.Errorf("footer after the zone change: %q", s)
	}
	b.Shot("settings-ja.png")
	b.Step("posts in the new zone", chromedp.Navigate(e.srv.URL+"/posts"), chromedp.WaitVisible(chromedp.CSS(`table.posts`)))
	if body := b.Text("main"); !strings.Contains(body, "11月28日(土) 07:00") {
		t.Errorf("posts after the zone change:\n%s", body)
	}

	if len(b.Requests()) == 0 {
		t.Fatal("no request recorded")
	}
	for _, r := range b.Foreign() {
		t.Errorf("request to another origin: %s", r)
	}
}
