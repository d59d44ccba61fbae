package web

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/browsertest"
)

// TestBrowserCalendarAnalytics opens the calendar (month and week) and
// analytics in a real browser, in English and Japanese, checks that uPlot
// drew the chart and that no request left the origin.
func TestBrowserCalendarAnalytics(t *testing.T) {
	e := newTestEnv(t, "correct horse battery")
	// The server, the store and the data below share one clock at calNow
	// (a Wednesday morning in Tokyo): the post 3 hours ahead is in this
	// week and this month whatever the date the test runs.
	e.clock.Set(calNow)
	e.h = New(Config{Store: e.store, Location: calTokyo, FeedKey: bytes.Repeat([]byte{3}, 32), Now: e.clock.Now})
	mux := http.NewServeMux()
	e.h.Routes(mux)
	e.srv.Config.Handler = chain(mux)

	bg := context.Background()
	a := &snsos.Account{Platform: snsos.PlatformX, RemoteID: "42", Handle: "snsos_demo", DisplayName: "Demo"}
	if err := e.store.UpsertAccount(bg, a); err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now().UTC()
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

	b := browsertest.New(t, e.srv.URL, 90*time.Second)

	// chartPixels counts the painted pixels of the uPlot canvas.
	chartPixels := func() int {
		t.Helper()
		return browsertest.Eval[int](b, `(() => {
			const c = document.querySelector('#an-chart canvas');
			if (!c || !c.width || !c.height) return 0;
			const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
			let n = 0;
			for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
			return n;
		})()`)
	}

	// Sign in on the way to the calendar.
	b.Step("open calendar", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(e.srv.URL+"/calendar?view=month"), chromedp.WaitVisible(chromedp.ID("password")))
	b.Step("sign in", chromedp.SendKeys(chromedp.ID("password"), "correct horse battery"), chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("table.cal-month")))
	if body := b.Text("main"); !strings.Contains(body, "calendar item") || !strings.Contains(body, "Times in Asia/Tokyo.") {
		t.Fatalf("month shows:\n%s", body)
	}
	b.Shot("calendar-en.png")

	b.Step("week view", chromedp.Click(chromedp.CSS(`.cal-views a[href*="view=week"]`)), chromedp.WaitVisible(chromedp.CSS("table.cal-week")))
	if body := b.Text("table.cal-week"); !strings.Contains(body, "calendar item") {
		t.Fatalf("week shows:\n%s", body)
	}

	b.Step("Japanese", chromedp.Click(chromedp.CSS(`a[hreflang="ja"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="ja"] table.cal-week`)))
	b.Step("Japanese month", chromedp.Navigate(e.srv.URL+"/calendar?view=month"), chromedp.WaitVisible(chromedp.CSS("table.cal-month")))
	if h := b.Text("h1"); !strings.HasSuffix(h, "月") {
		t.Fatalf("Japanese month heading %q", h)
	}
	b.Shot("calendar-ja.png")

	// The change-time form, from the calendar.
	b.Step("change time", chromedp.Click(chromedp.CSS(`table.cal-month a.cal-move`)), chromedp.WaitVisible(chromedp.ID("at")))
	if body := b.Text("main"); !strings.Contains(body, "投稿日時の変更") || !strings.Contains(body, "タイムゾーン") {
		t.Fatalf("change-time page shows:\n%s", body)
	}

	// Analytics draws its chart with the vendored uPlot.
	b.Step("analytics ja", chromedp.Navigate(e.srv.URL+"/analytics?range=90d"), chromedp.WaitVisible(chromedp.CSS(`#an-chart[data-drawn="1"] canvas`)))
	if n := chartPixels(); n == 0 {
		t.Fatal("the uPlot canvas is blank")
	}
	if body := b.Text("main"); !strings.Contains(body, "表示回数の多い時間帯") || !strings.Contains(body, "この時間に予約") {
		t.Fatalf("analytics shows:\n%s", body)
	}
	b.Shot("analytics-ja.png")
	b.Step("analytics en", chromedp.Click(chromedp.CSS(`a[hreflang="en"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] #an-chart[data-drawn="1"] canvas`)))
	if n := chartPixels(); n == 0 {
		t.Fatal("the uPlot canvas is blank (en)")
	}
	// Sorting by views at +24h puts the largest first.
	b.Step("sort", chromedp.Click(chromedp.CSS(`#an-posts thead th.an-sub:nth-child(2) button`)))
	if sorted := browsertest.Eval[bool](b, `(() => {
		const v = [...document.querySelectorAll('#an-posts tbody tr')].map(r => Number(r.cells[3].dataset.sort));
		return v.length > 1 && v.every((x, i) => i === 0 || v[i-1] >= x);
	})()`); !sorted {
		t.Error("sorting by +24h views does not put the largest first")
	}
	b.Shot("analytics-en.png")

	// data: URLs are inline (Chromium's own date-picker icon): not a request
	// to anyone (Foreign skips them).
	for _, r := range b.Foreign() {
		t.Errorf("request to another origin: %s", r)
	}
	if !requested(b, "/static/uPlot.iife.min.") {
		t.Errorf("uPlot was never requested: %v", b.Requests())
	}
}
