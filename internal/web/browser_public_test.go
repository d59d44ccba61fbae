package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sns-os/snsos/internal/browsertest"
)

// TestBrowserPublicPhone reads every public page on a 390 px phone screen
// in both languages, switching language with the page's own link, sends
// the contact form without JavaScript's help, and checks that no page
// scrolls sideways, that axe-core finds nothing serious, and that no
// request left the origin.
func TestBrowserPublicPhone(t *testing.T) {
	e := newSiteEnv(t, nil, nil, nil)
	b := browsertest.New(t, e.srv.URL, 3*time.Minute)
	b.Step("phone", chromedp.EmulateViewport(390, 844))
	check := func(where string) {
		t.Helper()
		if d := browsertest.Eval[int](b, `document.documentElement.scrollWidth - innerWidth`); d > 0 {
			t.Errorf("%s scrolls sideways by %d px", where, d)
		}
		for _, v := range b.Axe() {
			if v.Serious() {
				t.Errorf("%s: %s", where, v)
			}
		}
	}
	for _, lang := range []string{"en", "ja"} {
		prefix := map[string]string{"en": "", "ja": "/ja"}[lang]
		for _, page := range []string{"/privacy", "/terms", "/changelog", "/contact"} {
			path := prefix + page
			b.Step("open "+path, chromedp.Navigate(e.srv.URL+path), chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] .public-footer`)))
			check(path)
			b.Shot("public" + strings.ReplaceAll(path, "/", "-") + "-phone.png")
		}
	}
	// The language switch on the page leads to the same page in the other
	// language.
	b.Step("English policy", chromedp.Navigate(e.srv.URL+"/privacy"), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] h1`)))
	b.ClickAndLoad("switch to Japanese", `.lang a[hreflang="ja"]`, `html[lang="ja"] .public-footer`)
	if loc := b.Location(); loc != "/ja/privacy" {
		t.Fatalf("the switch led to %s", loc)
	}
	if h := b.Text("h1"); h != "プライバシーポリシー" {
		t.Fatalf("Japanese heading %q", h)
	}

	// The form, in Japanese, posted by the browser itself.
	b.Step("open the form", chromedp.Navigate(e.srv.URL+"/ja/contact"), chromedp.WaitVisible(chromedp.ID("name")))
	if visible := browsertest.Eval[bool](b, `document.getElementById("website").offsetParent !== null`); visible {
		t.Fatal("the trap field shows")
	}
	b.Step("fill it", chromedp.SendKeys(chromedp.ID("name"), "佐藤 花子"), chromedp.SendKeys(chromedp.ID("email"), "hanako@example.com"),
		chromedp.SetValue(chromedp.ID("topic"), "deletion"), chromedp.SendKeys(chromedp.ID("message"), "連携したアカウントのデータを削除してください。"))
	b.ClickAndLoad("send", `.contact-form button[type="submit"]`, `a[href^="/ja/deletion/"]`)
	if !strings.HasPrefix(b.Location(), "/ja/contact?sent=deletion&code=") {
		t.Fatalf("after sending at %s", b.Location())
	}
	check("/ja/contact sent")
	b.Shot("public-ja-contact-sent-phone.png")
	if msgs := inbox(t, e.store); len(msgs) != 1 || msgs[0].DeletionCode == "" || msgs[0].Lang != "ja" {
		t.Fatalf("stored %+v", msgs)
	}
	// The operator reads it in the inbox, on the same phone.
	b.Step("sign in", chromedp.Navigate(e.srv.URL+"/signin?next=%2Finbox"), chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("password"), "pw"))
	b.ClickAndLoad("submit", `button[type="submit"]`, `.inbox-table`)
	check("/inbox")
	b.ClickAndLoad("open the message", `.inbox-table a`, `.deletion-box`)
	check("the message")
	b.Shot("inbox-message-phone.png")
	if foreign := b.Foreign(); len(foreign) > 0 {
		t.Fatalf("requests left the origin: %v", foreign)
	}
	if n := len(b.Requests()); n < 10 {
		t.Fatalf("only %d requests recorded", n)
	}
}
