package web

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/compose"
)

// TestBrowserCompose writes, checks, illustrates, approves and schedules a
// post in a real browser: sign in, upload an image through the file input,
// see the counter refuse a text over 280, fix it, approve and schedule, and
// land on the post page. No request may leave the origin.
func TestBrowserCompose(t *testing.T) {
	ctx := newBrowser(t)
	ce := newComposeEnv(t)
	pngPath := filepath.Join(t.TempDir(), "sunset.png")
	if err := os.WriteFile(pngPath, testPNGSized(t, 48), 0o644); err != nil {
		t.Fatal(err)
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
	setValue := func(id, v string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(document.getElementById(`+strconv.Quote(id)+`).value = `+strconv.Quote(v)+`, true)`)); err != nil {
			t.Fatalf("set %s: %v", id, err)
		}
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

	// Compose sends a stranger to sign in, and back.
	step("open compose", chromedp.Navigate(ce.srv.URL+"/compose"), chromedp.WaitVisible(chromedp.ID("password")))
	step("sign in", chromedp.SendKeys(chromedp.ID("password"), "pw"), chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("compose")))

	// Upload an image through the file input: a progress bar, then a
	// numbered thumbnail.
	step("upload", chromedp.SetUploadFiles(chromedp.ID("files"), []string{pngPath}),
		chromedp.WaitVisible(chromedp.CSS(`#tray .tray-item[data-media] img.thumb`)))
	if name := text("#tray .tray-item[data-media] .fname"); name != "sunset.png" {
		t.Fatalf("tray shows %q", name)
	}

	// Over 280 weighted characters: the counter says so, in words.
	long := strings.Repeat("Too long. ", 30)
	step("type too much", chromedp.Click(chromedp.ID("body")), chromedp.SendKeys(chromedp.ID("body"), long),
		chromedp.WaitVisible(chromedp.CSS(`#counters .counter.c-over`)))
	if c := text("#counters .counter"); !strings.Contains(c, "/280 · ") || !strings.Contains(c, " over") {
		t.Fatalf("counter %q", c)
	}
	if b := text("#blocking"); !strings.Contains(b, "To approve:") {
		t.Fatalf("blocking list %q", b)
	}
	if mark := text(`[data-preview="x"] mark`); mark == "" {
		t.Fatal("the preview does not mark what won't fit")
	}

	// Fixed: the counter turns fine.
	setValue("body", "")
	step("fix the text", chromedp.SendKeys(chromedp.ID("body"), "Hello from the compose test"),
		chromedp.WaitVisible(chromedp.CSS(`#counters .counter.c-ok`)))
	if c := text("#counters .counter"); c != "X 27/280 · 253 left" {
		t.Fatalf("counter %q", c)
	}

	// A time a few minutes ahead, in the operator's zone.
	at := time.Now().In(ce.loc).Add(10 * time.Minute).Truncate(5 * time.Minute).Add(5 * time.Minute)
	setValue("date", at.Format("2006-01-02"))
	setValue("time", at.Format("15:04"))
	step("set the time", chromedp.SendKeys(chromedp.ID("body"), "!"), chromedp.Poll[chromedp.Void](`document.getElementById("utc").textContent.indexOf("UTC") >= 0`))
	if u := text("#utc"); !strings.HasPrefix(u, "= "+at.UTC().Format("2006-01-02 15:04")+" UTC") {
		t.Fatalf("UTC line %q", u)
	}
	shot("compose-en.png")

	step("approve and schedule", chromedp.Click(chromedp.ID("approve-schedule")), chromedp.WaitVisible(chromedp.ID("targets-h")))
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(loc, "/posts/") || !strings.HasSuffix(loc, "flash=compose.scheduled") {
		t.Fatalf("after approving at %s", loc)
	}
	if body := text("main"); !strings.Contains(body, "Approved and scheduled.") || !strings.Contains(body, "Scheduled · ") ||
		!strings.Contains(body, "Hello from the compose test!") {
		t.Fatalf("post page shows:\n%s", body)
	}
	posts, err := ce.store.ListPosts(context.Background(), storePostFilter())
	if err != nil || len(posts) != 1 || posts[0].Targets[0].State != snsos.StateScheduled || !posts[0].Targets[0].ScheduledAt.Equal(at.UTC()) ||
		len(posts[0].MediaIDs) != 1 {
		t.Fatalf("stored posts %+v %v", posts, err)
	}
	// The local copy was dropped after the save.
	left, err := chromedp.Run(ctx, chromedp.Evaluate[int](`localStorage.length`))
	if err != nil || left != 0 {
		t.Fatalf("%d local copies left (%v)", left, err)
	}

	// Japanese.
	step("Japanese compose", chromedp.Navigate(ce.srv.URL+"/lang/ja?next=%2Fcompose"), chromedp.WaitVisible(chromedp.ID("compose")),
		chromedp.SendKeys(chromedp.ID("body"), "こんにちは、世界。https://example.com"),
		chromedp.Poll[chromedp.Void](`document.querySelector("#counters .counter") && document.querySelector("#counters .counter").textContent.indexOf("X 0/") < 0`))
	n := compose.Check(snsos.PlatformX, "こんにちは、世界。https://example.com", compose.Options{}).Length
	if c := text("#counters .counter"); c != fmt.Sprintf("X %d/280・あと%d", n, 280-n) {
		t.Fatalf("Japanese counter %q", c)
	}
	shot("compose-ja.png")

	origin, _ := url.Parse(ce.srv.URL)
	mu.Lock()
	defer mu.Unlock()
	sawScript := false
	for _, r := range requests {
		// Chromium draws the icons of the native date and time inputs from
		// data: URLs of its own: no network request.
		if strings.HasPrefix(r, "data:image/svg+xml;") {
			continue
		}
		u, err := url.Parse(r)
		if err != nil || u.Scheme != origin.Scheme || u.Host != origin.Host {
			t.Errorf("request to another origin: %s", r)
			continue
		}
		sawScript = sawScript || strings.HasPrefix(u.Path, "/static/compose.")
	}
	if !sawScript {
		t.Errorf("compose.js was never requested: %v", requests)
	}
}
