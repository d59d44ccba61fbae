package web

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sns-os/snsos/internal/browsertest"
)

// TestBrowserTikTokMode runs axe-core on the pages that show a TikTok
// account's publish mode and an inbox upload — the Accounts page, the post
// page, the post list — in English and Japanese, on a desktop and a phone
// screen, in both palettes, and switches the mode with the keyboard and
// the form alone.
func TestBrowserTikTokMode(t *testing.T) {
	pe := newPagesEnv(t)
	a := addTikTok(t, pe, "open-b", map[string]string{"unaudited": "true"})
	const upload = "v_inbox_file~v2-1.90"
	p := publishTikTok(t, pe, a, "Inbox video", upload, map[string]string{"post_mode": "MEDIA_UPLOAD", "inbox": "1", "publish_id": upload}, nil)
	b := browsertest.New(t, pe.srv.URL, 3*time.Minute)
	b.Step("sign in", chromedp.Navigate(pe.srv.URL+"/signin"), chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("password"), "pw"))
	b.ClickAndLoad("submit", `button[type="submit"]`, "#next-h")
	for _, lang := range []string{"en", "ja"} {
		b.Step("language "+lang, chromedp.Navigate(pe.srv.URL+"/lang/"+lang+"?next=%2F"), chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"] main`)))
		for _, w := range a11yWidths {
			b.Step(w.name, chromedp.EmulateViewport(w.width, w.height))
			for _, path := range []string{"/accounts", postHref(p.ID), "/posts"} {
				b.Step("open "+path, chromedp.Navigate(pe.srv.URL+path), chromedp.WaitReady(chromedp.CSS("main")))
				for _, scheme := range []string{"light", "dark"} {
					b.Step(scheme, systemScheme(scheme))
					for _, v := range b.Axe() {
						if v.Serious() {
							t.Errorf("axe %s %s %s %s: %s", lang, w.name, scheme, path, v)
						}
					}
				}
			}
		}
	}

	// The keyboard reaches the inbox choice and Save; the form posts alone.
	id := strconv.FormatInt(a.ID, 10)
	b.Step("accounts", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(pe.srv.URL+"/lang/en?next=%2Faccounts"),
		chromedp.WaitVisible(chromedp.ID("mode-inbox-"+id)), chromedp.Focus("#mode-inbox-"+id), chromedp.KeyEvent(" "))
	b.ClickAndLoad("save", `#account-`+id+` .tt-mode button[type="submit"]`, "#flash")
	if got, _ := pe.store.FindAccountByID(t.Context(), a.ID); got.Options["publish_mode"] != "inbox" {
		t.Fatalf("mode after the form: %v", got.Options)
	}
	if txt := browsertest.Eval[string](b, `document.getElementById("flash").textContent`); !strings.Contains(txt, "TikTok inbox") {
		t.Errorf("flash %q", txt)
	}
	if foreign := b.Foreign(); len(foreign) > 0 {
		t.Errorf("requests to other origins: %v", foreign)
	}
}
