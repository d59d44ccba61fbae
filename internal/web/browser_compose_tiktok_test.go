package web

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/browsertest"
)

// TestBrowserComposeTikTok composes a TikTok video post in a real browser:
// choosing the account opens what TikTok says of it (who is posting, "Only
// me" alone with why), the video goes in a 9:16 preview, approval waits
// for the audience, commercial content asks whose it is, and the post is
// approved and sent now with the audience picked. No request leaves the
// origin.
func TestBrowserComposeTikTok(t *testing.T) {
	te := newTikTokEnv(t, unauditedCreator, false)
	clip := filepath.Join(t.TempDir(), "harbour.mp4")
	if err := os.WriteFile(clip, testMP4(720, 1280, 8000), 0o644); err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t, te.srv.URL, 90*time.Second)
	b.Step("open compose", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(te.srv.URL+"/compose"), chromedp.WaitVisible(chromedp.ID("password")))
	b.Step("sign in", chromedp.SendKeys(chromedp.ID("password"), "pw"), chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("compose")))
	if browsertest.Eval[bool](b, `!document.getElementById("tiktok-consent").hidden`) {
		t.Fatal("the TikTok declaration shows before a TikTok account is chosen")
	}

	// Choosing the account asks TikTok about it.
	b.Step("choose TikTok", chromedp.Click(chromedp.CSS(`input[name="account"][value="`+strconv.FormatInt(te.tt.ID, 10)+`"]`)),
		chromedp.WaitVisible(chromedp.ID("tab-tiktok")), chromedp.WaitVisible(chromedp.ID("tiktok-consent")))
	b.Step("write", chromedp.Click(chromedp.ID("body")), chromedp.SendKeys(chromedp.ID("body"), "Boats at dawn #harbour"))
	b.Step("upload", chromedp.SetUploadFiles(chromedp.ID("files"), []string{clip}),
		chromedp.WaitVisible(chromedp.CSS(`#tray .tray-item[data-media] .mbadge.ok`)))
	b.Step("TikTok tab", chromedp.Click(chromedp.ID("tab-tiktok")),
		chromedp.Poll[chromedp.Void](`document.querySelector("[data-tt-accounts] strong") && document.querySelectorAll("#privacy_level_tiktok option").length === 2`))
	if who := b.Text("[data-tt-accounts]"); who != "Posting to Harbour Films @harbour_films" {
		t.Fatalf("posting line %q", who)
	}
	if v := browsertest.Eval[string](b, `document.getElementById("privacy_level_tiktok").value`); v != "" {
		t.Fatalf("an audience is chosen before the operator chose: %q", v)
	}
	if note := b.Text("[data-tt-unaudited]"); !strings.HasPrefix(note, "TikTok offers only “Only me” here") {
		t.Fatalf("unaudited note %q", note)
	}
	if bl := b.Text("#blocking"); !strings.Contains(bl, "TikTok: Choose who can see this post.") {
		t.Fatalf("blocking list %q", bl)
	}
	if c := b.Text("#tiktok-consent"); c != "By posting, you agree to TikTok's Music Usage Confirmation." {
		t.Fatalf("declaration %q", c)
	}
	// The preview: the video in a 9:16 frame, the caption over it.
	b.Step("preview", chromedp.WaitVisible(chromedp.CSS(`[data-preview="tiktok"] .tt-frame video`)))
	if ratio := browsertest.Eval[float64](b, `(function (r) { return r.height / r.width; })(document.querySelector('[data-preview="tiktok"] .tt-frame').getBoundingClientRect())`); ratio < 1.7 || ratio > 1.8 {
		t.Errorf("preview frame is %.2f high per wide, want 16/9", ratio)
	}
	if cap := b.Text(`[data-preview="tiktok"] .tt-caption`); cap != "Boats at dawn #harbour" {
		t.Errorf("caption %q", cap)
	}

	// Commercial content: whose, then the label and the branded
	// declaration; off again, both go.
	b.Step("disclose", chromedp.Click(chromedp.ID("commercial_tiktok")), chromedp.WaitVisible(chromedp.ID("brand_content_toggle_tiktok")),
		chromedp.Click(chromedp.ID("brand_content_toggle_tiktok")), chromedp.WaitVisible(chromedp.CSS("[data-tt-label]")))
	if l := b.Text("[data-tt-label]"); l != "This post will be labeled “Paid partnership”." {
		t.Errorf("label %q", l)
	}
	if c := b.Text("#tiktok-consent"); !strings.Contains(c, "Branded Content Policy") {
		t.Errorf("branded declaration %q", c)
	}
	// Accessible as it stands: every field labelled, in contrast (axe).
	for _, v := range b.Axe() {
		if v.Serious() {
			t.Errorf("accessibility: %s", v)
		}
	}
	b.Step("undisclose", chromedp.Click(chromedp.ID("commercial_tiktok")), chromedp.WaitNotVisible(chromedp.ID("brand_content_toggle_tiktok")))
	b.Shot("compose-tiktok.png")

	// The audience chosen, nothing blocks; posted now.
	browsertest.Eval[bool](b, `(function (s) { s.value = "SELF_ONLY"; s.dispatchEvent(new Event("change", {bubbles: true})); return true; })(document.getElementById("privacy_level_tiktok"))`)
	b.Step("audience", chromedp.WaitNotVisible(chromedp.ID("blocking")))
	b.Step("post now", chromedp.Click(chromedp.ID("approve-now")), chromedp.WaitVisible(chromedp.ID("confirm-now-yes")))
	b.ClickAndLoad("confirm", "#confirm-now-yes", "#targets-h")
	if loc := b.Location(); !strings.HasSuffix(loc, "flash=compose.now.tiktok") {
		t.Fatalf("after posting now at %s", loc)
	}
	if body := b.Text("main"); !strings.Contains(body, "TikTok may take a few minutes to process this.") {
		t.Fatalf("post page shows:\n%s", body)
	}
	posts, err := te.store.ListPosts(context.Background(), storePostFilter())
	if err != nil || len(posts) != 1 || len(posts[0].Targets) != 1 {
		t.Fatalf("stored posts %+v %v", posts, err)
	}
	tg := posts[0].Targets[0]
	if tg.State != snsos.StateScheduled || tg.Options["privacy_level"] != "SELF_ONLY" || tg.Options["disable_comment"] != true ||
		tg.Options["brand_content_toggle"] != false {
		t.Fatalf("TikTok target %s %v", tg.State, tg.Options)
	}
	for _, r := range b.Foreign() {
		t.Errorf("request to another origin: %s", r)
	}
}
