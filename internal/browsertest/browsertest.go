// Package browsertest drives Debian's headless Chromium for the browser
// tests: it starts a browser with a fresh profile, records every request the
// pages make (so a test can require that nothing left the origin), and
// offers the few steps every test needs. It never downloads a browser.
package browsertest

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// ChromiumPath is Debian's chromium (scripts/chromium.sh installs it).
const ChromiumPath = "/usr/bin/chromium"

// Browser is one headless Chromium tab with a request recorder.
type Browser struct {
	t   testing.TB
	Ctx context.Context
	// Base is the origin under test; requests elsewhere are reported by
	// Foreign unless allowed.
	Base string

	mu       sync.Mutex
	requests []string
}

// New starts a headless Chromium with a fresh profile for the site at base,
// or skips the test when there is none (it fails under CI instead). The
// whole test is bounded by timeout.
func New(t testing.TB, base string, timeout time.Duration) *Browser {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing: CI must run the browser tests (scripts/chromium.sh installs it)", ChromiumPath)
		}
		t.Skipf("%s is missing: skipping the browser test (run scripts/chromium.sh as root to install it)", ChromiumPath)
	}
	tmp := t.TempDir()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ChromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(filepath.Join(tmp, "profile")),
		chromedp.WindowSize(1280, 900),
		chromedp.Env("TMPDIR=" + tmp),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	b := &Browser{t: t, Ctx: ctx, Base: strings.TrimSuffix(base, "/")}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	go func() {
		for ev, err := range chromedp.Events(ctx, network.RequestWillBeSent) {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.requests = append(b.requests, ev.Request.URL)
			b.mu.Unlock()
		}
	}()
	return b
}

// Step runs actions, failing the test with what on error.
func (b *Browser) Step(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.Ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// Text returns the visible text of the first element matching sel.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.Ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// Location returns the current URL without the origin.
func (b *Browser) Location() string {
	b.t.Helper()
	s, err := chromedp.Run(b.Ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return strings.TrimPrefix(s, b.Base)
}

// Eval evaluates a JavaScript expression.
func Eval[T any](b *Browser, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.Ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// Shot saves a full-page screenshot as docs/screenshots/name when
// SNSOS_SCREENSHOTS=1 (make screenshots).
func (b *Browser) Shot(name string) {
	b.t.Helper()
	if os.Getenv("SNSOS_SCREENSHOTS") != "1" {
		return
	}
	png, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// Requests returns every URL the pages requested so far.
func (b *Browser) Requests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.requests)
}

// Foreign returns the requests that went to another origin than Base and
// the allowed origins (such as a simulated platform's consent page).
func (b *Browser) Foreign(allowed ...string) []string {
	origins := []string{b.Base}
	for _, a := range allowed {
		origins = append(origins, strings.TrimSuffix(a, "/"))
	}
	var out []string
	for _, r := range b.Requests() {
		u, err := url.Parse(r)
		if err != nil {
			out = append(out, r)
			continue
		}
		if u.Scheme == "data" || u.Scheme == "blob" {
			continue
		}
		if !slices.Contains(origins, u.Scheme+"://"+u.Host) {
			out = append(out, r)
		}
	}
	return out
}

// ClickAndLoad clicks the element matching click and waits (up to 30 s)
// until a new page has loaded that shows an element matching want. Waiting
// for want alone could match the page being left.
func (b *Browser) ClickAndLoad(what, click, want string) {
	b.t.Helper()
	Eval[bool](b, `(window.__snsosOld = true)`)
	b.Step(what, chromedp.Click(chromedp.CSS(click)))
	cond := `!window.__snsosOld && document.readyState === "complete" && !!document.querySelector(` + strconv.Quote(want) + `)`
	deadline := time.Now().Add(30 * time.Second)
	for {
		// Evaluating fails while the browser navigates; that is expected.
		if ok, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](cond)); err == nil && ok {
			return
		}
		if time.Now().After(deadline) || b.Ctx.Err() != nil {
			b.t.Fatalf("%s: no new page showing %s within 30 s (at %s)", what, want, b.Location())
		}
		time.Sleep(50 * time.Millisecond) // poll interval
	}
}
