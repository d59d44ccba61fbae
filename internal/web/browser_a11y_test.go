package web

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sns-os/snsos/internal/browsertest"
)

// a11yWidths are the screens every page is checked on.
var a11yWidths = []struct {
	name          string
	width, height int64
}{{"desktop", 1280, 900}, {"phone", 375, 740}}

// a11yPageSettled is true once the page's own scripts have finished what
// they do on load (the analytics chart is drawn when there is data for it).
const a11yPageSettled = `(() => {
	const box = document.getElementById("an-chart"), src = document.getElementById("an-chart-data");
	if (!box || !src || typeof uPlot === "undefined") return true;
	try { const d = JSON.parse(src.textContent); if (!d || !d.x || !d.x.length) return true; } catch (e) { return true; }
	return box.dataset.drawn === "1";
})()`

// TestBrowserAccessibility runs axe-core (WCAG 2.1 A and AA and axe's best
// practices) on every operator page, in English and Japanese, on a desktop
// and a phone screen, in the light and the dark palette, and fails on any
// violation of impact serious or critical. Lesser findings are logged.
func TestBrowserAccessibility(t *testing.T) {
	pe := newPagesEnv(t)
	mp := newMetaPosts(t, pe) // Instagram and Threads on their way, and their metrics
	addMetaAccounts(t, pe)    // their sign-ins' health, amber and red among them
	b := browsertest.New(t, pe.srv.URL, 5*time.Minute)
	start := time.Now()

	// Findings, each rule and element once, with where it was seen.
	type finding struct {
		v     browsertest.AxeViolation
		where []string
	}
	var found []*finding
	runs := 0
	check := func(where string) {
		t.Helper()
		runs++
		for _, v := range b.Axe() {
			for _, n := range v.Nodes {
				i := slices.IndexFunc(found, func(f *finding) bool { return f.v.ID == v.ID && f.v.Nodes[0].Target == n.Target })
				if i < 0 {
					one := v
					one.Nodes = []browsertest.AxeNode{n}
					found = append(found, &finding{v: one})
					i = len(found) - 1
				}
				found[i].where = append(found[i].where, where)
			}
		}
	}
	// open shows path on the current screen and checks it in both palettes.
	open := func(where, path, want string) {
		t.Helper()
		b.Step("open "+path, chromedp.Navigate(pe.srv.URL+path), chromedp.WaitReady(chromedp.CSS(want)),
			chromedp.Poll[chromedp.Void](a11yPageSettled, chromedp.WithPollingTimeout(10*time.Second)))
		for _, scheme := range []string{"light", "dark"} {
			b.Step(scheme, systemScheme(scheme))
			check(where + " " + scheme + " " + path)
		}
	}

	// Signed out: the sign-in page.
	for _, lang := range []string{"en", "ja"} {
		b.Step("language "+lang, chromedp.Navigate(pe.srv.URL+"/lang/"+lang+"?next=%2Fsignin"), chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] #password`)))
		for _, w := range a11yWidths {
			b.Step(w.name, chromedp.EmulateViewport(w.width, w.height))
			open(lang+" "+w.name, "/signin", "#password")
		}
	}

	b.Step("sign in", chromedp.EmulateViewport(1280, 900), chromedp.SendKeys(chromedp.ID("password"), "pw"))
	b.ClickAndLoad("submit", `button[type="submit"]`, "#next-h")
	pages := []string{"/", "/compose", "/posts/" + strconv.FormatInt(pe.scheduled.ID, 10) + "/edit",
		"/calendar?view=month", "/calendar?view=week", "/posts", "/posts?state=attention",
		"/posts/" + strconv.FormatInt(pe.failed.ID, 10), "/posts/" + strconv.FormatInt(pe.published.ID, 10),
		"/posts/" + strconv.FormatInt(mp.commented.ID, 10), "/posts/" + strconv.FormatInt(mp.chain.ID, 10),
		"/accounts/" + strconv.FormatInt(mp.commented.Targets[0].AccountID, 10) + "/disconnect",
		"/analytics", "/accounts", "/settings", "/no/such/page"}
	for _, lang := range []string{"en", "ja"} {
		b.Step("language "+lang, chromedp.Navigate(pe.srv.URL+"/lang/"+lang+"?next=%2F"), chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] main`)))
		for _, w := range a11yWidths {
			b.Step(w.name, chromedp.EmulateViewport(w.width, w.height))
			for _, path := range pages {
				open(lang+" "+w.name, path, "main")
			}
		}
	}

	// Serious and critical findings fail; the rest is said.
	for _, f := range found {
		msg := fmt.Sprintf("%s\n\tseen %d times: %s", f.v, len(f.where), strings.Join(f.where[:min(len(f.where), 4)], "; "))
		if f.v.Serious() {
			t.Errorf("axe: %s", msg)
		} else {
			t.Logf("axe (not failing): %s", msg)
		}
	}
	t.Logf("axe-core ran %d times in %s", runs, time.Since(start).Round(100*time.Millisecond))

	// axe finds what it looks for: a field without a label, an image
	// without alt text, a button without a name and a pale day number.
	// (The page's CSP refuses style attributes: the colours go through
	// the CSSOM.)
	if !browsertest.Eval[bool](b, `(() => {
		const main = document.querySelector("main");
		main.insertAdjacentHTML("beforeend", '<input id="probe-input"><img id="probe-img" src="data:,"><button id="probe-button"></button><p id="probe-short">5</p>');
		const p = document.getElementById("probe-short");
		p.style.color = "#949494";
		p.style.background = "#fff";
		return getComputedStyle(p).color === "rgb(148, 148, 148)";
	})()`) {
		t.Fatal("the probe's colour did not apply")
	}
	var probes []string
	for _, v := range b.Axe() {
		for _, n := range v.Nodes {
			if v.Serious() && strings.Contains(n.Target, "#probe-") {
				probes = append(probes, v.ID+" "+n.Target)
			}
		}
	}
	slices.Sort(probes)
	if want := []string{"button-name #probe-button", "color-contrast #probe-short", "image-alt #probe-img", "label #probe-input"}; !slices.Equal(probes, want) {
		t.Errorf("axe found %q in a page given four problems, want %q", probes, want)
	}
	if foreign := b.Foreign(); len(foreign) > 0 {
		t.Fatalf("requests left the origin: %v", foreign)
	}
}

// TestBrowserKeyboard: the first Tab lands on the skip link, which moves
// focus to <main>; focus is visible on "New post" even on the compose page
// (where it is marked as the current page); on a phone, "Approve without a
// time" comes before the action bar fixed at the bottom of compose.
func TestBrowserKeyboard(t *testing.T) {
	pe := newPagesEnv(t)
	b := browsertest.New(t, pe.srv.URL, 90*time.Second)
	b.Step("sign in", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(pe.srv.URL+"/signin"), chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("password"), "pw"))
	b.ClickAndLoad("submit", `button[type="submit"]`, "#next-h")
	tab := func() { b.Step("tab", chromedp.KeyEvent("\t")) }

	// The skip link.
	tab()
	if got := browsertest.Eval[string](b, `document.activeElement.className + "|" + document.activeElement.getAttribute("href")`); got != "skip|#main" {
		t.Fatalf("the first Tab lands on %q, want the skip link", got)
	}
	b.Step("follow the skip link", chromedp.KeyEvent("\r"))
	if got := browsertest.Eval[string](b, `document.activeElement.id || document.activeElement.tagName`); !strings.EqualFold(got, "main") {
		t.Fatalf("after the skip link focus is on %q, want main", got)
	}

	// New post, the current page, shows focus: its outline or shadow
	// changes when Tab reaches it.
	const look = `(() => { const s = getComputedStyle(document.querySelector("a.newpost[aria-current]" + %s));
		return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.outlineOffset, s.boxShadow].join(" | "); })()`
	for _, w := range a11yWidths {
		cls := ".newpost-wide"
		if w.name == "phone" {
			cls = ".newpost-phone"
		}
		b.Step("compose on "+w.name, chromedp.EmulateViewport(w.width, w.height), chromedp.Navigate(pe.srv.URL+"/compose"), chromedp.WaitVisible(chromedp.ID("compose")))
		before := browsertest.Eval[string](b, fmt.Sprintf(look, strconv.Quote(cls)))
		reached := false
		for range 30 {
			tab()
			if browsertest.Eval[bool](b, `document.activeElement.matches("a.newpost`+cls+`")`) {
				reached = true
				break
			}
		}
		if !reached {
			t.Fatalf("%s: 30 Tabs never reach New post", w.name)
		}
		if !browsertest.Eval[bool](b, `document.activeElement.matches(":focus-visible")`) {
			t.Errorf("%s: New post is focused but not :focus-visible", w.name)
		}
		if after := browsertest.Eval[string](b, fmt.Sprintf(look, strconv.Quote(cls))); after == before {
			t.Errorf("%s: focus on New post changes nothing that shows (outline and shadow %q)", w.name, after)
		} else {
			t.Logf("%s: New post unfocused %q, focused %q", w.name, before, after)
		}
	}

	// On a phone the action bar is fixed at the bottom; the page's own
	// "Approve without a time" comes before it in the tab order.
	b.Step("compose on a phone", chromedp.EmulateViewport(375, 740), chromedp.Navigate(pe.srv.URL+"/compose"), chromedp.WaitVisible(chromedp.ID("compose")))
	if pos := browsertest.Eval[string](b, `getComputedStyle(document.querySelector(".compose-actions")).position`); pos != "fixed" {
		t.Fatalf("the action bar is %q on a phone, want fixed", pos)
	}
	var order []string
	for range 300 {
		tab()
		id := browsertest.Eval[string](b, `(() => { const a = document.activeElement; return (a.closest(".compose-actions") ? "bar:" : "") + (a.id || a.tagName.toLowerCase()); })()`)
		order = append(order, id)
		if strings.HasPrefix(id, "bar:") {
			break
		}
	}
	if i := slices.Index(order, "approve"); i < 0 || !strings.HasPrefix(order[len(order)-1], "bar:") {
		t.Errorf("on a phone Tab reaches the action bar (%s) before Approve without a time; order: %q", order[len(order)-1], order)
	}
	if foreign := b.Foreign(); len(foreign) > 0 {
		t.Fatalf("requests left the origin: %v", foreign)
	}
}
