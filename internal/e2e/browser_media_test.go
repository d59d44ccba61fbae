package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sns-os/snsos/internal/browsertest"
)

// journeyPlatforms are the platforms the journey posts to, in the order
// compose lists their tabs.
var journeyPlatforms = []string{"x", "instagram", "threads", "tiktok"}

// journeyMedia is what each platform's tab publishes, by file name: the
// images where TikTok's video cannot go, the video alone on TikTok (a
// TikTok post is a video or photos, never both).
var journeyMedia = map[string][]string{
	"x":         {"harbour.jpg", "quay.jpg"},
	"instagram": {"harbour.jpg", "quay.jpg"},
	"threads":   {"harbour.jpg", "quay.jpg"},
	"tiktok":    {"harbour.mp4"},
}

// tabChoice is a tab's "Media for …" choice as the page shows it.
type tabChoice struct {
	Mode   string   `json:"mode"`
	Chosen []string `json:"chosen"` // the ticked items' file names, in list order
}

// tabMedia reads platform key's media choice from the compose page.
func tabMedia(b *browsertest.Browser, key string) tabChoice {
	return browsertest.Eval[tabChoice](b, `(() => {
		const mode = document.querySelector('input[name="tmedia_mode_`+key+`"]:checked');
		const items = [...document.querySelectorAll('[data-tmedia-list="`+key+`"] .tmedia-item')];
		return {mode: mode ? mode.value : "", chosen: items.filter(li => li.querySelector('input[type="checkbox"]').checked).map(li => li.querySelector(".fname").textContent)};
	})()`)
}

// chooseTabMedia opens platform key's tab and, as an operator would,
// chooses its media instead of the post's: "Choose", then ticks exactly
// the items named files (they keep the post's order).
func chooseTabMedia(t *testing.T, b *browsertest.Browser, key string, files ...string) {
	t.Helper()
	list := `[data-tmedia-list="` + key + `"]`
	b.Step("open the "+key+" tab", chromedp.Click(chromedp.ID("tab-"+key)), chromedp.WaitVisible(chromedp.ID("tmedia_"+key)))
	b.Step("choose the media for "+key, chromedp.Click(chromedp.CSS(`input[name="tmedia_mode_`+key+`"][value="choose"]`)),
		chromedp.WaitVisible(chromedp.CSS(list)))
	type item struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Checked bool   `json:"checked"`
	}
	items := browsertest.Eval[[]item](b, `[...document.querySelectorAll('`+list+` .tmedia-item')].map(li => ({
		id: li.dataset.media, name: li.querySelector(".fname").textContent, checked: li.querySelector('input[type="checkbox"]').checked}))`)
	if len(items) != 3 {
		t.Fatalf("the %s tab lists %+v, want the post's three items", key, items)
	}
	for _, it := range items {
		if it.Checked != slices.Contains(files, it.Name) {
			b.Step("tick "+it.Name+" for "+key, chromedp.Click(chromedp.CSS(list+` input[type="checkbox"][value="`+it.ID+`"]`)))
		}
	}
	if got := tabMedia(b, key); got.Mode != "choose" || strings.Join(got.Chosen, ",") != strings.Join(files, ",") {
		t.Fatalf("the media for %s: %+v, want %v", key, got, files)
	}
}

// pickOnlyMe opens the TikTok tab, waits for what TikTok says of the
// account (who posts, the audiences its unaudited app offers: "Only me"
// alone, none chosen), and picks "Only me" in the TikTok block as the
// operator does; nothing then blocks approval.
func pickOnlyMe(t *testing.T, b *browsertest.Browser) {
	t.Helper()
	b.Step("TikTok tab", chromedp.Click(chromedp.ID("tab-tiktok")),
		chromedp.Poll[chromedp.Void](`document.querySelector("[data-tt-accounts] strong") && document.querySelectorAll("#privacy_level_tiktok option").length === 2`,
			chromedp.WithPollingTimeout(20*time.Second)))
	if who := b.Text("[data-tt-accounts]"); !strings.HasPrefix(who, "Posting to ") || !strings.HasSuffix(who, "@snsos_demo") {
		t.Fatalf("the TikTok block says %q, want who is posting", who)
	}
	if v := browsertest.Eval[string](b, `document.getElementById("privacy_level_tiktok").value`); v != "" {
		t.Fatalf("an audience is chosen before the operator chose: %q", v)
	}
	if note := b.Text("[data-tt-unaudited]"); !strings.HasPrefix(note, "TikTok offers only “Only me” here") {
		t.Fatalf("the TikTok block does not say why only “Only me” is offered: %q", note)
	}
	if c := b.Text("#tiktok-consent"); c != "By posting, you agree to TikTok's Music Usage Confirmation." {
		t.Fatalf("TikTok's declaration above the buttons: %q", c)
	}
	// Choosing from the list sets the value and announces the change;
	// the script does both, as TestBrowserComposeTikTok does.
	browsertest.Eval[bool](b, `(function (s) { s.value = "SELF_ONLY"; s.dispatchEvent(new Event("change", {bubbles: true})); return true; })(document.getElementById("privacy_level_tiktok"))`)
	if l := browsertest.Eval[string](b, `document.getElementById("privacy_level_tiktok").selectedOptions[0].textContent`); l != "Only me" {
		t.Fatalf("the chosen audience reads %q, want “Only me”", l)
	}
	b.Step("nothing blocks", chromedp.WaitNotVisible(chromedp.ID("blocking")))
}
