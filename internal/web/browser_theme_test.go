package web

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/browsertest"
)

// systemScheme makes the browser report the system's light or dark
// (prefers-color-scheme) as value.
func systemScheme(value string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: value}}})
		return err
	})
}

// pageColours is what the operator sees of the theme: the relative
// luminance (WCAG) of the page's background (body's, or html's when body
// has none) and of its text, the html element's color-scheme, and the
// lowest contrast of a state badge on the page (0 when there is none).
type pageColours struct {
	Bg, Text    float64
	Scheme      string
	BadgeMin    float64
	Badges      int
	LowestBadge string
}

const pageColoursJS = `(() => {
	const rgb = s => (s.match(/[\d.]+/g) || []).map(Number);
	const opaque = s => { const c = rgb(s); return c.length >= 3 && (c.length < 4 || c[3] > 0); };
	const lum = s => { const [r, g, b] = rgb(s).slice(0, 3).map(v => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
		return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
	const ratio = (a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
	const cs = el => getComputedStyle(el);
	const bg = opaque(cs(document.body).backgroundColor) ? cs(document.body).backgroundColor : cs(document.documentElement).backgroundColor;
	let min = 0, lowest = "";
	const badges = [...document.querySelectorAll(".badge")];
	for (const el of badges) {
		const r = ratio(lum(cs(el).color), lum(cs(el).backgroundColor));
		if (!min || r < min) { min = r; lowest = el.className + ": " + cs(el).color + " on " + cs(el).backgroundColor; }
	}
	return { Bg: lum(bg), Text: lum(cs(document.body).color), Scheme: cs(document.documentElement).colorScheme,
		BadgeMin: min, Badges: badges.length, LowestBadge: lowest };
})()`

// TestBrowserTheme chooses each theme in Settings and checks what the
// browser paints: the setting wins over the system's light or dark, and
// System follows it.
func TestBrowserTheme(t *testing.T) {
	e := newTestEnv(t, "correct horse battery")
	bg := context.Background()
	a := &snsos.Account{Platform: snsos.PlatformX, RemoteID: "42", Handle: "snsos_demo", DisplayName: "Demo"}
	if err := e.store.UpsertAccount(bg, a); err != nil {
		t.Fatal(err)
	}
	// A scheduled post, a published one with numbers and a failed one: the
	// dashboard shows every block and several state badges.
	at := e.clock.Now().Add(3 * time.Hour)
	p := &snsos.Post{Body: "新しい投稿のテスト — hello from sns-os", ScheduledAt: at,
		Targets: []*snsos.Target{{AccountID: a.ID, Platform: snsos.PlatformX, State: snsos.StateScheduled, ScheduledAt: at}}}
	if err := e.store.CreatePost(bg, p, nil); err != nil {
		t.Fatal(err)
	}
	seedDashboard(t, e, a)

	b := browsertest.New(t, e.srv.URL, 90*time.Second)
	b.Step("sign in", chromedp.EmulateViewport(1024, 768), systemScheme("light"), chromedp.Navigate(e.srv.URL+"/signin?next=%2Fsettings"),
		chromedp.WaitVisible(chromedp.ID("password")), chromedp.SendKeys(chromedp.ID("password"), "correct horse battery"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)), chromedp.WaitVisible(chromedp.ID("theme-system")))

	choose := func(theme string) {
		t.Helper()
		b.Step("choose "+theme, chromedp.Click(chromedp.ID("theme-"+theme)))
		b.ClickAndLoad("save "+theme, `form[action="/settings"] button[type="submit"]`, `#flash`)
		if !browsertest.Eval[bool](b, `document.getElementById("theme-`+theme+`").checked`) {
			t.Fatalf("after saving %s it is not checked", theme)
		}
	}
	dashboard := func(what string) pageColours {
		t.Helper()
		b.Step(what, chromedp.Navigate(e.srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("next-h")))
		c := browsertest.Eval[pageColours](b, pageColoursJS)
		if c.Badges == 0 {
			t.Fatalf("%s: no state badge on the dashboard", what)
		}
		if c.BadgeMin < 4.5 {
			t.Errorf("%s: a badge has contrast %.2f, below WCAG AA (%s)", what, c.BadgeMin, c.LowestBadge)
		}
		return c
	}
	wantDark := func(what string, c pageColours) {
		t.Helper()
		if c.Bg >= 0.1 || c.Text <= 0.5 || c.Scheme != "dark" {
			t.Errorf("%s: want dark (background luminance < 0.1, light text, color-scheme dark), got %+v", what, c)
		}
	}
	// scheme is the color-scheme expected on html: "light" when chosen,
	// "light dark" (the system's) under System.
	wantLight := func(what, scheme string, c pageColours) {
		t.Helper()
		if c.Bg <= 0.9 || c.Text >= 0.1 || c.Scheme != scheme {
			t.Errorf("%s: want light (background luminance > 0.9, dark text, color-scheme %s), got %+v", what, scheme, c)
		}
	}

	// System, with the system light, then dark: the page follows.
	wantLight("system, system light", "light dark", dashboard("dashboard, system light"))
	b.Step("system dark", systemScheme("dark"))
	wantDark("system, system dark", dashboard("dashboard, system dark"))

	// Dark wins over a light system.
	b.Step("system light again", systemScheme("light"), chromedp.Navigate(e.srv.URL+"/settings"), chromedp.WaitVisible(chromedp.ID("theme-dark")))
	choose("dark")
	wantDark("settings page, dark", browsertest.Eval[pageColours](b, pageColoursJS))
	if s := browsertest.Eval[string](b, `getComputedStyle(document.getElementById("timezone")).colorScheme`); s != "dark" {
		t.Errorf("the form controls' color-scheme is %q, want dark", s)
	}
	c := dashboard("dashboard, dark")
	wantDark("dark, system light", c)
	t.Logf("dark: background luminance %.4f, text %.4f, lowest badge contrast %.2f", c.Bg, c.Text, c.BadgeMin)
	b.Shot("dashboard-dark.png")

	// Light wins over a dark system.
	b.Step("system dark again", systemScheme("dark"), chromedp.Navigate(e.srv.URL+"/settings"), chromedp.WaitVisible(chromedp.ID("theme-light")))
	choose("light")
	wantLight("light, system dark", "light", dashboard("dashboard, light"))

	for _, r := range b.Foreign() {
		t.Errorf("request to another origin: %s", r)
	}
}
