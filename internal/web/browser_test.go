package web

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/browsertest"
	"github.com/sns-os/snsos/internal/store"
)

// requested reports whether the pages requested a file of the origin whose
// path starts with prefix.
func requested(b *browsertest.Browser, prefix string) bool {
	return slices.ContainsFunc(b.Requests(), func(r string) bool { return strings.HasPrefix(r, b.Base+prefix) })
}

// TestBrowserSignin drives the sign-in, the dashboard, the language switch
// and the sign-out in a real browser, and checks that no page requests
// anything from another origin.
func TestBrowserSignin(t *testing.T) {
	e := newTestEnv(t, "correct horse battery")
	bg := context.Background()
	a := &snsos.Account{Platform: snsos.PlatformX, RemoteID: "42", Handle: "snsos_demo", DisplayName: "Demo"}
	if err := e.store.UpsertAccount(bg, a); err != nil {
		t.Fatal(err)
	}
	at := e.clock.Now().Add(3 * time.Hour)
	for _, st := range []snsos.TargetState{snsos.StateScheduled, snsos.StateDraft} {
		p := &snsos.Post{Body: "新しい投稿のテスト — hello from sns-os #" + string(st), Targets: []*snsos.Target{{AccountID: a.ID, Platform: snsos.PlatformX, State: st}}}
		if st == snsos.StateScheduled {
			p.ScheduledAt, p.Targets[0].ScheduledAt = at, at
		}
		if err := e.store.CreatePost(bg, p, nil); err != nil {
			t.Fatal(err)
		}
	}
	seedDashboard(t, e, a)
	b := browsertest.New(t, e.srv.URL, 90*time.Second)

	// The dashboard sends a stranger to sign in.
	b.Step("open /", chromedp.EmulateViewport(1024, 768), chromedp.Navigate(e.srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("password")))
	if loc := b.Location(); loc != "/signin?next=%2F" {
		t.Fatalf("redirected to %s, want the sign-in page", loc)
	}
	if h := b.Text("h1"); h != "Sign in to sns-os" {
		t.Fatalf("sign-in heading %q", h)
	}
	b.Shot("signin-en.png")

	// A wrong password shows the error.
	b.Step("wrong password", chromedp.SendKeys(chromedp.ID("password"), "not it"), chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("error-summary")))
	if msg := b.Text("#password-error"); !strings.Contains(msg, "That password is not correct") {
		t.Fatalf("error message %q", msg)
	}

	// The right one opens the dashboard.
	b.Step("right password", chromedp.SendKeys(chromedp.ID("password"), "correct horse battery"), chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("next-h")))
	if loc := b.Location(); loc != "/" {
		t.Fatalf("after sign-in at %s, want /", loc)
	}
	if body := b.Text("main"); !strings.Contains(body, "@snsos_demo") || !strings.Contains(body, "Connected") ||
		!strings.Contains(body, "Next up") || !strings.Contains(body, "新しい投稿のテスト") || !(strings.Contains(body, "in 2 h 59 min") || strings.Contains(body, "in 3 h")) ||
		!strings.Contains(body, "$0.015 for 1 post") || !strings.Contains(body, "Needs attention") || !strings.Contains(body, "12,840") {
		t.Fatalf("dashboard shows:\n%s", body)
	}
	if w := browsertest.Eval[int](b, `(document.querySelector("main img") || {}).naturalWidth || 0`); w != 48 {
		t.Fatalf("the account's picture is %d px wide, want 48", w)
	}
	b.Shot("dashboard-en.png")

	// Japanese.
	b.Step("switch to Japanese", chromedp.Click(chromedp.CSS(`a[hreflang="ja"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="ja"] #next-h`)))
	if h := b.Text("#next-h"); h != "次の予約" {
		t.Fatalf("Japanese heading %q", h)
	}
	if body := b.Text("main"); !strings.Contains(body, "連携中") || !(strings.Contains(body, "あと2時間59分") || strings.Contains(body, "あと3時間")) || !strings.Contains(body, "今後7日間のXの推定費用：$0.015（1件）") {
		t.Fatalf("Japanese dashboard shows:\n%s", body)
	}
	b.Shot("dashboard-ja.png")

	// Readable on a phone: nothing is wider than a 375 px screen.
	b.Step("phone viewport", chromedp.EmulateViewport(375, 740), chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("next-h")))
	if overflow := browsertest.Eval[int](b, `document.documentElement.scrollWidth - window.innerWidth`); overflow > 0 {
		t.Fatalf("on a 375 px screen the page is %d px too wide", overflow)
	}
	b.Shot("dashboard-ja-phone.png")
	noOverflow := func(what string) {
		t.Helper()
		if overflow := browsertest.Eval[int](b, `document.documentElement.scrollWidth - window.innerWidth`); overflow > 0 {
			t.Fatalf("%s: on a 375 px screen the page is %d px too wide", what, overflow)
		}
	}

	// The accounts page, from the header, on the phone.
	// On a phone the navigation is folded into the menu: open it first.
	b.Step("open accounts", chromedp.Click(chromedp.CSS(`details.menu > summary`)),
		chromedp.Click(chromedp.CSS(`header a[href="/accounts"]`)), chromedp.WaitVisible(chromedp.ID("connect-h")))
	if body := b.Text("main"); !strings.Contains(body, "@snsos_demo") || !strings.Contains(body, "連携中") || !strings.Contains(body, "Xと連携") {
		t.Fatalf("accounts page shows:\n%s", body)
	}
	noOverflow("accounts")
	b.Shot("accounts-ja-phone.png")

	// A post page, from the dashboard.
	b.Step("open a post", chromedp.Navigate(e.srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("next-h")),
		chromedp.Click(chromedp.CSS(`td.excerpt a`)), chromedp.WaitVisible(chromedp.ID("targets-h")))
	if loc := b.Location(); !strings.HasPrefix(loc, "/posts/") {
		t.Fatalf("post link went to %s", loc)
	}
	if body := b.Text("main"); !strings.Contains(body, "新しい投稿のテスト") || !strings.Contains(body, "試行0回") {
		t.Fatalf("post page shows:\n%s", body)
	}
	noOverflow("post page")
	b.Shot("post-ja-phone.png")
	b.Step("desktop viewport", chromedp.EmulateViewport(1024, 768), chromedp.Navigate(e.srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("next-h")))

	// Sign out, in Japanese.
	b.Step("sign out", chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)), chromedp.WaitVisible(chromedp.ID("password")))
	if msg := b.Text("main"); !strings.Contains(msg, "ログアウトしました") {
		t.Fatalf("after sign-out:\n%s", msg)
	}
	b.Shot("signin-ja.png")
	b.Step("dashboard after sign-out", chromedp.Navigate(e.srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("password")))
	if loc := b.Location(); !strings.HasPrefix(loc, "/signin") {
		t.Fatalf("dashboard after sign-out went to %s", loc)
	}

	// Every request stayed on the origin.
	if len(b.Requests()) == 0 {
		t.Fatal("no request recorded")
	}
	for _, r := range b.Foreign() {
		t.Errorf("request to another origin: %s", r)
	}
	if !requested(b, "/static/style.") {
		t.Errorf("the stylesheet was never requested: %v", b.Requests())
	}
}

// seedDashboard gives account a a picture, a post published yesterday (by
// e's clock) with its +24h numbers and one that failed, so every block of
// the dashboard shows.
func seedDashboard(t *testing.T, e *testEnv, a *snsos.Account) {
	t.Helper()
	if err := e.store.PutAccountAvatar(context.Background(), &store.Avatar{AccountID: a.ID, ContentType: "image/png", Data: testPNGSized(t, 48)}); err != nil {
		t.Fatal(err)
	}
	for i, body := range []string{"Harbour lights at dusk — the new season's first evening walk", "Spring timetable: ferries every 20 minutes from April"} {
		when := e.clock.Now().Add(-time.Duration(26+i) * time.Hour)
		p := &snsos.Post{Body: body, ScheduledAt: when, Targets: []*snsos.Target{{AccountID: a.ID, Platform: snsos.PlatformX, State: snsos.StateScheduled, ScheduledAt: when}}}
		if err := e.store.CreatePost(context.Background(), p, nil); err != nil {
			t.Fatal(err)
		}
		steps := [][2]snsos.TargetState{{snsos.StateScheduled, snsos.StatePublishing}, {snsos.StatePublishing, snsos.StatePublished}}
		if i == 1 {
			steps[1][1] = snsos.StateFailed
		}
		for _, st := range steps {
			if _, err := e.store.TransitionTarget(context.Background(), snsos.TargetTransition{TargetID: p.Targets[0].ID, From: st[0], To: st[1],
				Mutate: func(tg *snsos.Target) {
					if st[1] == snsos.StatePublished {
						tg.PublishedAt, tg.RemoteID, tg.RemoteURL = when, "1861", "https://x.com/snsos_demo/status/1861"
					} else if st[1] == snsos.StateFailed {
						tg.Error = "X refused the post: duplicate content"
					}
				}}); err != nil {
				t.Fatal(err)
			}
		}
		if i == 0 {
			m := &snsos.MetricSnapshot{TargetID: p.Targets[0].ID, Checkpoint: snsos.Checkpoint24h, FetchedAt: when.Add(24 * time.Hour), Status: snsos.SnapshotOK,
				Values: map[string]int64{snsos.MetricViews: 12840, snsos.MetricLikes: 342, snsos.MetricComments: 18, snsos.MetricShares: 27}}
			if err := e.store.PutSnapshot(context.Background(), m); err != nil {
				t.Fatal(err)
			}
		}
	}
}
