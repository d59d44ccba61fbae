package web

import (
	"bytes"
	"context"
	"net/http"
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

// TestBrowserCalendarAnalytics opens the calendar (month and week) and
// analytics in a real browser, in English and Japanese, checks that uPlot
// drew the chart and that no request left the origin.
func TestBrowserCalendarAnalytics(t *testing.T) {
	ctx := newBrowser(t)
	e := newTestEnv(t, "correct horse battery")
	e.h = New(Config{Store: e.store, Location: calTokyo, FeedKey: bytes.Repeat([]byte{3}, 32)})
	mux := http.NewServeMux()
	e.h.Routes(mux)
	e.srv.Config.Handler = chain(mux)

	bg := context.Background()
	a := &snsos.Account{Platform: snsos.PlatformX, RemoteID: "42", Handle: "snsos_demo", DisplayName: "Demo"}
	if err := e.store.UpsertAccount(bg, a); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Minute)
	mk := func(body string, at, published time.Time) *snsos.Post {
		t.Helper()
		p := &snsos.Post{Body: body, ScheduledAt: at, Targets: []*snsos.Target{{AccountID: a.ID, State: snsos.StateScheduled}}}
		if err := e.store.CreatePost(bg, p, nil); err != nil {
			t.Fatal(err)
		}
		if !published.IsZero() {
			for _, step := range [][2]snsos.TargetState{{snsos.StateScheduled, snsos.StatePublishing}, {snsos.StatePublishing, snsos.StatePublished}} {
				if _, err := e.store.TransitionTarget(bg, snsos.TargetTransition{TargetID: p.Targets[0].ID, From: step[0], To: step[1],
					Mutate: func(tg *snsos.Target) { tg.PublishedAt = published }}); err != nil {
					t.Fatal(err)
				}
			}
		}
		return p
	}
	mk("新しい投稿のテスト — calendar item", now.Add(3*time.Hour), time.Time{})
	mk("Tomorrow's thread about sns-os", now.Add(27*time.Hour), time.Time{})
	// Published posts over the last weeks, with numbers.
	// Four weeks of three regular slots (so best hours has buckets of 4).
	type slot struct{ back, hour int }
	var slots []slot
	for w := 1; w <= 4; w++ {
		slots = append(slots, slot{7*w - 6, 21}, slot{7*w - 4, 12}, slot{7*w - 2, 9})
	}
	for i, sl := range slots {
		hr := sl.hour
		day := now.In(calTokyo).AddDate(0, 0, -sl.back)
		pub := time.Date(day.Year(), day.Month(), day.Day(), hr, 0, 0, 0, calTokyo).UTC()
		p := mk("公開済みの投稿 #"+itoa(int64(i+1)), pub.Add(-time.Minute), pub)
		base := int64(800 + 300*(hr%7) + 40*i)
		for _, cp := range []struct {
			c snsos.Checkpoint
			d time.Duration
			f int64
		}{{snsos.Checkpoint1h, time.Hour, 1}, {snsos.Checkpoint24h, 24 * time.Hour, 4}, {snsos.Checkpoint7d, 7 * 24 * time.Hour, 6}} {
			if pub.Add(cp.d).After(now) {
				continue
			}
			if err := e.store.PutSnapshot(bg, &snsos.MetricSnapshot{TargetID: p.Targets[0].ID, Checkpoint: cp.c, FetchedAt: pub.Add(cp.d),
				Values: map[string]int64{snsos.MetricViews: base * cp.f, snsos.MetricLikes: base * cp.f / 20, snsos.MetricComments: cp.f * 3,
					snsos.MetricShares: cp.f * 5}}); err != nil {
				t.Fatal(err)
			}
		}
	}

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
	// chartPixels counts the painted pixels of the uPlot canvas.
	chartPixels := func() int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`(() => {
			const c = document.querySelector('#an-chart canvas');
			if (!c || !c.width || !c.height) return 0;
			const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
			let n = 0;
			for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
			return n;
		})()`))
		if err != nil {
			t.Fatalf("chart pixels: %v", err)
		}
		return n
	}

	// Sign in on the way to the calendar.
	step("open calendar", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(e.srv.URL+"/calendar?view=month"), chromedp.WaitVisible(chromedp.ID("password")))
	step("sign in", chromedp.SendKeys(chromedp.ID("password"), "correct horse battery"), chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("table.cal-month")))
	if body := text("main"); !strings.Contains(body, "calendar item") || !strings.Contains(body, "Times in Asia/Tokyo.") {
		t.Fatalf("month shows:\n%s", body)
	}
	shot("calendar-en.png")

	step("week view", chromedp.Click(chromedp.CSS(`.cal-views a[href*="view=week"]`)), chromedp.WaitVisible(chromedp.CSS("table.cal-week")))
	if body := text("table.cal-week"); !strings.Contains(body, "calendar item") {
		t.Fatalf("week shows:\n%s", body)
	}

	step("Japanese", chromedp.Click(chromedp.CSS(`a[hreflang="ja"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="ja"] table.cal-week`)))
	step("Japanese month", chromedp.Navigate(e.srv.URL+"/calendar?view=month"), chromedp.WaitVisible(chromedp.CSS("table.cal-month")))
	if h := text("h1"); !strings.HasSuffix(h, "月") {
		t.Fatalf("Japanese month heading %q", h)
	}
	shot("calendar-ja.png")

	// The change-time form, from the calendar.
	step("change time", chromedp.Click(chromedp.CSS(`table.cal-month a.cal-move`)), chromedp.WaitVisible(chromedp.ID("at")))
	if body := text("main"); !strings.Contains(body, "投稿日時の変更") || !strings.Contains(body, "タイムゾーン") {
		t.Fatalf("change-time page shows:\n%s", body)
	}

	// Analytics draws its chart with the vendored uPlot.
	step("analytics ja", chromedp.Navigate(e.srv.URL+"/analytics?range=90d"), chromedp.WaitVisible(chromedp.CSS(`#an-chart[data-drawn="1"] canvas`)))
	if n := chartPixels(); n == 0 {
		t.Fatal("the uPlot canvas is blank")
	}
	if body := text("main"); !strings.Contains(body, "反応の良い時間帯") || !strings.Contains(body, "この時間に予約") {
		t.Fatalf("analytics shows:\n%s", body)
	}
	shot("analytics-ja.png")
	step("analytics en", chromedp.Click(chromedp.CSS(`a[hreflang="en"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] #an-chart[data-drawn="1"] canvas`)))
	if n := chartPixels(); n == 0 {
		t.Fatal("the uPlot canvas is blank (en)")
	}
	// Sorting by views at +24h puts the largest first.
	step("sort", chromedp.Click(chromedp.CSS(`#an-posts thead th.an-sub:nth-child(2) button`)))
	sorted, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const v = [...document.querySelectorAll('#an-posts tbody tr')].map(r => Number(r.cells[3].dataset.sort));
		return v.length > 1 && v.every((x, i) => i === 0 || v[i-1] >= x);
	})()`))
	if err != nil || !sorted {
		t.Errorf("sorting by +24h views: %v %v", sorted, err)
	}
	shot("analytics-en.png")

	origin, _ := url.Parse(e.srv.URL)
	mu.Lock()
	defer mu.Unlock()
	sawUPlot := false
	for _, r := range requests {
		if strings.HasPrefix(r, "data:") {
			continue // inline (Chromium's own date-picker icon): not a request to anyone
		}
		u, err := url.Parse(r)
		if err != nil || u.Scheme != origin.Scheme || u.Host != origin.Host {
			t.Errorf("request to another origin: %s", r)
		}
		sawUPlot = sawUPlot || strings.HasPrefix(u.Path, "/static/uPlot.iife.min.")
	}
	if !sawUPlot {
		t.Errorf("uPlot was never requested: %v", requests)
	}
}
