package web

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sns-os/snsos/internal/browsertest"
)

// a11yCheck runs in the page and lists what keeps it from being usable
// with a screen reader or a keyboard: a missing lang, not exactly one h1,
// a form control without an accessible name, an image without alt, a
// button or link without a name, a duplicate id, a table without headers,
// a positive tabindex (which breaks the focus order).
const a11yCheck = `(() => {
  const out = [];
  const vis = el => !el.closest('[hidden]') && el.getAttribute('aria-hidden') !== 'true' && el.type !== 'hidden';
  const name = el => {
    if (el.getAttribute('aria-label')) return el.getAttribute('aria-label').trim();
    const lb = el.getAttribute('aria-labelledby');
    if (lb) return lb.split(/\s+/).map(id => (document.getElementById(id) || {}).textContent || '').join(' ').trim();
    if (el.labels && el.labels.length) return Array.from(el.labels).map(l => l.textContent).join(' ').trim();
    return (el.textContent || el.value || el.title || el.alt || '').trim();
  };
  if (!document.documentElement.lang) out.push('html has no lang');
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) out.push(h1 + ' h1 elements');
  document.querySelectorAll('input, select, textarea').forEach(el => {
    if (vis(el) && !name(el)) out.push('control without a label: ' + el.outerHTML.slice(0, 120));
  });
  document.querySelectorAll('img').forEach(el => { if (!el.hasAttribute('alt')) out.push('img without alt: ' + el.outerHTML.slice(0, 120)); });
  document.querySelectorAll('button, a[href]').forEach(el => {
    if (vis(el) && !name(el) && !el.querySelector('img[alt]:not([alt=""])')) out.push('unnamed ' + el.tagName.toLowerCase() + ': ' + el.outerHTML.slice(0, 120));
  });
  const seen = {};
  document.querySelectorAll('[id]').forEach(el => { if (seen[el.id]) out.push('duplicate id ' + el.id); seen[el.id] = true; });
  document.querySelectorAll('table').forEach(el => { if (!el.querySelector('th')) out.push('table without headers: ' + (el.id || el.className)); });
  document.querySelectorAll('[tabindex]').forEach(el => { if (+el.getAttribute('tabindex') > 0) out.push('positive tabindex: ' + el.outerHTML.slice(0, 80)); });
  return JSON.stringify(out);
})()`

// TestBrowserAccessibility checks every main page, in English and
// Japanese, with the checks above, and that a keyboard alone reaches the
// main content: the first Tab lands on the skip link, which moves focus to
// <main>.
func TestBrowserAccessibility(t *testing.T) {
	pe := newPagesEnv(t)
	b := browsertest.New(t, pe.srv.URL, 90*time.Second)
	b.Step("sign in", chromedp.Navigate(pe.srv.URL+"/signin"), chromedp.WaitVisible(chromedp.ID("password")))
	check := func(where string) {
		t.Helper()
		var problems []string
		if err := json.Unmarshal([]byte(browsertest.Eval[string](b, a11yCheck)), &problems); err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("%s: %s", where, p)
		}
	}
	check("/signin")
	b.Step("password", chromedp.SendKeys(chromedp.ID("password"), "pw"))
	b.ClickAndLoad("submit", `button[type="submit"]`, "#next-h")
	pages := []string{"/", "/compose", "/calendar", "/calendar?view=week", "/posts", "/posts?state=attention",
		"/posts/" + strconv.FormatInt(pe.failed.ID, 10), "/posts/" + strconv.FormatInt(pe.scheduled.ID, 10) + "/edit",
		"/analytics", "/accounts", "/settings", "/no/such/page"}
	for _, lang := range []string{"en", "ja"} {
		b.Step("language "+lang, chromedp.Navigate(pe.srv.URL+"/lang/"+lang+"?next=%2F"), chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] main`)))
		for _, path := range pages {
			b.Step("open "+path, chromedp.Navigate(pe.srv.URL+path), chromedp.WaitReady(chromedp.CSS("main")))
			check(lang + " " + path)
		}
	}

	// The checker itself finds what it looks for.
	browsertest.Eval[bool](b, `(document.querySelector("main").insertAdjacentHTML("beforeend", '<input id="probe"><img src="data:,"><button></button>'), true)`)
	var found []string
	if err := json.Unmarshal([]byte(browsertest.Eval[string](b, a11yCheck)), &found); err != nil || len(found) != 3 {
		t.Fatalf("the checker found %q in a page given three problems (%v)", found, err)
	}

	// Keyboard: Tab from the top reaches the skip link; following it puts
	// focus in the main content.
	b.Step("home", chromedp.Navigate(pe.srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("next-h")))
	b.Step("tab", chromedp.KeyEvent("\t"))
	if got := browsertest.Eval[string](b, `document.activeElement.className + "|" + document.activeElement.getAttribute("href")`); got != "skip|#main" {
		t.Fatalf("the first Tab lands on %q, want the skip link", got)
	}
	b.Step("follow the skip link", chromedp.KeyEvent("\r"))
	if got := browsertest.Eval[string](b, `document.activeElement.id || document.activeElement.tagName`); !strings.EqualFold(got, "main") {
		t.Fatalf("after the skip link focus is on %q, want main", got)
	}
	if foreign := b.Foreign(); len(foreign) > 0 {
		t.Fatalf("requests left the origin: %v", foreign)
	}
}
