package web

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/browsertest"
	"github.com/sns-os/snsos/internal/rules"
)

// TestBrowserCompose writes, checks, illustrates, approves and schedules a
// post in a real browser: sign in, upload an image through the file input,
// see the counter refuse a text over 280, fix it, approve and schedule, and
// land on the post page. No request may leave the origin.
func TestBrowserCompose(t *testing.T) {
	ce := newComposeEnv(t)
	pngPath := filepath.Join(t.TempDir(), "sunset.png")
	if err := os.WriteFile(pngPath, testPNGSized(t, 48), 0o644); err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t, ce.srv.URL, 90*time.Second)
	setValue := func(id, v string) {
		t.Helper()
		browsertest.Eval[bool](b, `(document.getElementById(`+strconv.Quote(id)+`).value = `+strconv.Quote(v)+`, true)`)
	}

	// Compose sends a stranger to sign in, and back.
	b.Step("open compose", chromedp.EmulateViewport(1024, 768), chromedp.Navigate(ce.srv.URL+"/compose"), chromedp.WaitVisible(chromedp.ID("password")))
	b.Step("sign in", chromedp.SendKeys(chromedp.ID("password"), "pw"), chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("compose")))

	// Upload an image through the file input: a progress bar, then a
	// numbered thumbnail.
	b.Step("upload", chromedp.SetUploadFiles(chromedp.ID("files"), []string{pngPath}),
		chromedp.WaitVisible(chromedp.CSS(`#tray .tray-item[data-media] img.thumb`)))
	if name := b.Text("#tray .tray-item[data-media] .fname"); name != "sunset.png" {
		t.Fatalf("tray shows %q", name)
	}

	// Over 280 weighted characters: the counter says so, in words.
	long := strings.Repeat("Too long. ", 30)
	b.Step("type too much", chromedp.Click(chromedp.ID("body")), chromedp.SendKeys(chromedp.ID("body"), long),
		chromedp.WaitVisible(chromedp.CSS(`#counters .counter.c-over`)))
	if c := b.Text("#counters .counter"); !strings.Contains(c, "/280 · ") || !strings.Contains(c, " over") {
		t.Fatalf("counter %q", c)
	}
	if bl := b.Text("#blocking"); !strings.Contains(bl, "To approve:") {
		t.Fatalf("blocking list %q", bl)
	}
	if mark := b.Text(`[data-preview="x"] mark`); mark == "" {
		t.Fatal("the preview does not mark what won't fit")
	}

	// Fixed: the counter turns fine.
	setValue("body", "")
	b.Step("fix the text", chromedp.SendKeys(chromedp.ID("body"), "Hello from the compose test"),
		chromedp.WaitVisible(chromedp.CSS(`#counters .counter.c-ok`)))
	if c := b.Text("#counters .counter"); c != "X 27/280 · 253 left" {
		t.Fatalf("counter %q", c)
	}

	// A time a few minutes ahead, in the operator's zone.
	at := ce.clock.Now().In(ce.loc).Add(10 * time.Minute).Truncate(5 * time.Minute).Add(5 * time.Minute)
	setValue("date", at.Format("2006-01-02"))
	setValue("time", at.Format("15:04"))
	b.Step("set the time", chromedp.SendKeys(chromedp.ID("body"), "!"), chromedp.Poll[chromedp.Void](`document.getElementById("utc").textContent.indexOf("UTC") >= 0`))
	if u := b.Text("#utc"); !strings.HasPrefix(u, "= "+at.UTC().Format("2006-01-02 15:04")+" UTC") {
		t.Fatalf("UTC line %q", u)
	}
	b.Shot("compose-en.png")

	b.Step("approve and schedule", chromedp.Click(chromedp.ID("approve-schedule")), chromedp.WaitVisible(chromedp.ID("targets-h")))
	if loc := b.Location(); !strings.Contains(loc, "/posts/") || !strings.HasSuffix(loc, "flash=compose.scheduled") {
		t.Fatalf("after approving at %s", loc)
	}
	if body := b.Text("main"); !strings.Contains(body, "Approved and scheduled.") || !strings.Contains(body, "Scheduled · ") ||
		!strings.Contains(body, "Hello from the compose test!") {
		t.Fatalf("post page shows:\n%s", body)
	}
	posts, err := ce.store.ListPosts(context.Background(), storePostFilter())
	if err != nil || len(posts) != 1 || posts[0].Targets[0].State != snsos.StateScheduled || !posts[0].Targets[0].ScheduledAt.Equal(at.UTC()) ||
		len(posts[0].MediaIDs) != 1 {
		t.Fatalf("stored posts %+v %v", posts, err)
	}
	// The local copy was dropped after the save.
	if left := browsertest.Eval[int](b, `localStorage.length`); left != 0 {
		t.Fatalf("%d local copies left", left)
	}

	// Japanese.
	b.Step("Japanese compose", chromedp.Navigate(ce.srv.URL+"/lang/ja?next=%2Fcompose"), chromedp.WaitVisible(chromedp.ID("compose")),
		chromedp.SendKeys(chromedp.ID("body"), "こんにちは、世界。https://example.com"),
		chromedp.Poll[chromedp.Void](`document.querySelector("#counters .counter") && document.querySelector("#counters .counter").textContent.indexOf("X 0/") < 0`))
	n := rules.Check(snsos.PlatformX, "こんにちは、世界。https://example.com", rules.Options{}).Length
	if c := b.Text("#counters .counter"); c != fmt.Sprintf("X %d/280・あと%d", n, 280-n) {
		t.Fatalf("Japanese counter %q", c)
	}
	b.Shot("compose-ja.png")

	// Chromium draws the icons of the native date and time inputs from
	// data: URLs of its own: no network request (Foreign skips them).
	for _, r := range b.Foreign() {
		t.Errorf("request to another origin: %s", r)
	}
	if !requested(b, "/static/compose.") {
		t.Errorf("compose.js was never requested: %v", b.Requests())
	}
}

// TestBrowserComposeSessionExpires: the session ends while the operator
// writes. The page says so at the next check, the submit leads to sign-in,
// and after signing in again compose restores everything typed.
func TestBrowserComposeSessionExpires(t *testing.T) {
	ce := newComposeEnv(t)
	b := browsertest.New(t, ce.srv.URL, 90*time.Second)
	b.Step("open compose", chromedp.Navigate(ce.srv.URL+"/compose"), chromedp.WaitVisible(chromedp.ID("password")))
	b.Step("sign in", chromedp.SendKeys(chromedp.ID("password"), "pw"), chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("compose")))
	b.Step("write", chromedp.Click(chromedp.ID("body")), chromedp.SendKeys(chromedp.ID("body"), "A long thought about harbours"),
		chromedp.WaitVisible(chromedp.CSS(`#counters .counter.c-ok`)))

	// The server forgets every session (as "sns-os operator password" does).
	if _, err := ce.store.DeleteAllSessions(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.Step("keep writing", chromedp.SendKeys(chromedp.ID("body"), ", and lighthouses"), chromedp.WaitVisible(chromedp.ID("compose-session")))
	if msg := b.Text("#compose-session"); !strings.Contains(msg, "Your session has ended") || !strings.Contains(msg, "kept on this device") {
		t.Fatalf("session notice %q", msg)
	}
	b.ClickAndLoad("save draft", "#save-draft", "#password")
	if posts, err := ce.store.ListPosts(context.Background(), storePostFilter()); err != nil || len(posts) != 0 {
		t.Fatalf("a post was saved without a session: %d %v", len(posts), err)
	}
	b.Step("password again", chromedp.SendKeys(chromedp.ID("password"), "pw"))
	b.ClickAndLoad("sign in again", `button[type="submit"]`, "#compose-restored:not([hidden])")
	if loc := b.Location(); loc != "/compose" {
		t.Fatalf("after signing in again at %s, want /compose", loc)
	}
	if v := browsertest.Eval[string](b, `document.getElementById("body").value`); v != "A long thought about harbours, and lighthouses" {
		t.Fatalf("restored text %q", v)
	}
}

// TestBrowserComposePostNow: with no time set, "Approve and post now" is
// the primary action and asks in place (no window.confirm); Ctrl+Enter
// opens the same question, but not during IME composition; a quick pick
// fills the date and time; media badges arrive with the live check.
func TestBrowserComposePostNow(t *testing.T) {
	ce := newComposeEnv(t)
	pngPath := filepath.Join(t.TempDir(), "tiny.png")
	if err := os.WriteFile(pngPath, testPNGSized(t, 32), 0o644); err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t, ce.srv.URL, 90*time.Second)
	b.Step("open compose", chromedp.EmulateViewport(1024, 768), chromedp.Navigate(ce.srv.URL+"/compose"), chromedp.WaitVisible(chromedp.ID("password")))
	b.Step("sign in", chromedp.SendKeys(chromedp.ID("password"), "pw"), chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("compose")))
	b.Step("write", chromedp.Click(chromedp.ID("body")), chromedp.SendKeys(chromedp.ID("body"), "Right now"),
		chromedp.WaitVisible(chromedp.CSS(`#counters .counter.c-ok`)), chromedp.WaitVisible(chromedp.ID("approve-now")))

	// The badges of an uploaded image.
	b.Step("upload", chromedp.SetUploadFiles(chromedp.ID("files"), []string{pngPath}),
		chromedp.WaitVisible(chromedp.CSS(`#tray .tray-item[data-media] .mbadge.ok`)))
	if badge := b.Text("#tray .mbadge"); badge != "X ✓" {
		t.Fatalf("badge %q", badge)
	}

	// The button asks in place; "Keep editing" closes the question.
	b.Step("ask", chromedp.Click(chromedp.ID("approve-now")), chromedp.WaitVisible(chromedp.ID("confirm-now")))
	if q := b.Text("#confirm-now-text"); q != "Post to X @snsos_demo now? This cannot be undone once published." {
		t.Fatalf("question %q", q)
	}
	if !browsertest.Eval[bool](b, `document.activeElement.id === "confirm-now-yes"`) {
		t.Fatal("the confirm button is not focused")
	}
	b.Step("keep editing", chromedp.Click(chromedp.ID("confirm-now-no")), chromedp.WaitNotVisible(chromedp.ID("confirm-now")))

	// Ctrl+Enter: nothing while composing, the question otherwise.
	key := func(composing bool) string {
		return `(document.getElementById("body").dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", ctrlKey: true, bubbles: true, cancelable: true, isComposing: ` +
			strconv.FormatBool(composing) + `})), true)`
	}
	browsertest.Eval[bool](b, key(true))
	if browsertest.Eval[bool](b, `!document.getElementById("confirm-now").hidden`) {
		t.Fatal("Ctrl+Enter acted during IME composition")
	}
	browsertest.Eval[bool](b, key(false))
	b.Step("ctrl+enter", chromedp.WaitVisible(chromedp.ID("confirm-now")))
	b.Step("close", chromedp.Click(chromedp.ID("confirm-now-no")), chromedp.WaitNotVisible(chromedp.ID("confirm-now")))

	// A quick pick fills the date and time; scheduling becomes the primary.
	b.Step("pick", chromedp.Click(chromedp.CSS(`#pick-next button`)), chromedp.WaitNotVisible(chromedp.ID("approve-now")))
	want := browsertest.Eval[string](b, `document.querySelector("#pick-next button").getAttribute("data-quick")`)
	at, err := time.Parse(time.RFC3339, want)
	if err != nil {
		t.Fatal(err)
	}
	if d, tm := browsertest.Eval[string](b, `document.getElementById("date").value`), browsertest.Eval[string](b, `document.getElementById("time").value`); d != at.In(ce.loc).Format("2006-01-02") || tm != at.In(ce.loc).Format("15:04") {
		t.Fatalf("picked %s %s, want %s", d, tm, at.In(ce.loc))
	}
	if browsertest.Eval[bool](b, `document.getElementById("approve-schedule").classList.contains("secondary")`) {
		t.Fatal("Approve and schedule is not the primary action with a time set")
	}

	// Cleared again, post now, confirmed: the post page.
	browsertest.Eval[bool](b, `(["date", "time"].forEach(function (id) { var el = document.getElementById(id); el.value = ""; el.dispatchEvent(new Event("input", {bubbles: true})); }), true)`)
	b.Step("post now", chromedp.WaitVisible(chromedp.ID("approve-now")), chromedp.Click(chromedp.ID("approve-now")), chromedp.WaitVisible(chromedp.ID("confirm-now-yes")))
	b.ClickAndLoad("confirm", "#confirm-now-yes", "#targets-h")
	if loc := b.Location(); !strings.HasSuffix(loc, "flash=compose.now") {
		t.Fatalf("after posting now at %s", loc)
	}
	if body := b.Text("main"); !strings.Contains(body, "Approved; publishing now.") {
		t.Fatalf("post page shows:\n%s", body)
	}
	posts, err := ce.store.ListPosts(context.Background(), storePostFilter())
	if err != nil || len(posts) != 1 || posts[0].Targets[0].State != snsos.StateScheduled || !posts[0].Targets[0].ScheduledAt.Equal(ce.clock.Now()) {
		t.Fatalf("stored posts %+v %v", posts, err)
	}
	for _, r := range b.Foreign() {
		t.Errorf("request to another origin: %s", r)
	}
}

// TestBrowserComposePhone: at 375 px the page never scrolls sideways; an
// Editor / Preview switch shows one column at a time; Save draft and the
// primary approve button stay in a bar at the bottom; the alt text check
// arrives as you type; Split into parts fills the X thread.
func TestBrowserComposePhone(t *testing.T) {
	ce := newComposeEnv(t)
	pngPath := filepath.Join(t.TempDir(), "pier.png")
	if err := os.WriteFile(pngPath, testPNGSized(t, 32), 0o644); err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t, ce.srv.URL, 90*time.Second)
	noOverflow := func(when string) {
		t.Helper()
		if d := browsertest.Eval[int](b, `document.documentElement.scrollWidth - innerWidth`); d > 0 {
			t.Errorf("%s: the page is %d px wider than the screen", when, d)
		}
	}
	visible := func(sel string) bool {
		return browsertest.Eval[bool](b, `(function () { var el = document.querySelector(`+strconv.Quote(sel)+`);
			return !!el && el.getClientRects().length > 0; })()`)
	}
	b.Step("open compose", chromedp.EmulateViewport(375, 740), chromedp.Navigate(ce.srv.URL+"/compose"), chromedp.WaitVisible(chromedp.ID("password")))
	b.Step("sign in", chromedp.SendKeys(chromedp.ID("password"), "pw"), chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("compose-view")))
	noOverflow("editor")

	// Editor first: the text, not the previews.
	if p := browsertest.Eval[string](b, `document.getElementById("view-editor").getAttribute("aria-pressed")`); p != "true" {
		t.Fatalf("Editor pressed %q", p)
	}
	long := "港の朝は静かです。" + strings.Repeat("https://example.com/"+strings.Repeat("a", 80)+" ", 2) + strings.Repeat("とても長い単語", 40)
	b.Step("write", chromedp.Click(chromedp.ID("body")), chromedp.SendKeys(chromedp.ID("body"), long),
		chromedp.WaitVisible(chromedp.CSS(`#counters .counter`)))
	if visible(".previews") || !visible("#body") {
		t.Fatal("Editor view: previews shown or text hidden")
	}
	noOverflow("long text")

	// The bar at the bottom: Save draft and the primary (post now, no time
	// set); "Approve and schedule" is not primary, so not in the bar.
	for _, id := range []string{"save-draft", "approve-now"} {
		if !browsertest.Eval[bool](b, `(function () { var r = document.getElementById("`+id+`").getBoundingClientRect();
			return r.height > 0 && r.bottom <= innerHeight && r.bottom > innerHeight - 140; })()`) {
			t.Errorf("#%s is not in the bottom bar", id)
		}
	}
	if visible("#approve-schedule") {
		t.Error("the secondary Approve and schedule is in the bar")
	}

	// Preview.
	b.Step("preview", chromedp.Click(chromedp.ID("view-preview")), chromedp.WaitVisible(chromedp.CSS(`[data-preview="x"]`)))
	if visible("#body") || browsertest.Eval[string](b, `document.getElementById("view-preview").getAttribute("aria-pressed")`) != "true" {
		t.Fatal("Preview view: the editor is still shown")
	}
	noOverflow("preview")
	b.Step("editor again", chromedp.Click(chromedp.ID("view-editor")), chromedp.WaitVisible(chromedp.ID("body")))

	// The alt text check as you type.
	b.Step("upload", chromedp.SetUploadFiles(chromedp.ID("files"), []string{pngPath}),
		chromedp.WaitVisible(chromedp.CSS(`#tray .tray-item[data-media] textarea[data-alt]`)))
	browsertest.Eval[bool](b, `(function () { var a = document.querySelector("#tray textarea[data-alt]");
		a.value = "`+strings.Repeat("a", 1001)+`"; a.dispatchEvent(new Event("input", {bubbles: true})); return true; })()`)
	b.Step("alt too long", chromedp.WaitVisible(chromedp.CSS(`#tray [data-alt-check]`)))
	if msg := b.Text("#tray [data-alt-check]"); msg != "X alt text can be at most 1,000 characters; this one has 1,001." {
		t.Fatalf("alt check %q", msg)
	}
	if !browsertest.Eval[bool](b, `document.querySelector("#tray textarea[data-alt]").getAttribute("aria-invalid") === "true"`) {
		t.Error("the alt text field is not marked invalid")
	}
	if bl := b.Text("#blocking"); !strings.Contains(bl, "Media 1: X alt text can be at most 1,000") {
		t.Fatalf("blocking %q", bl)
	}
	noOverflow("media")
	browsertest.Eval[bool](b, `(function () { var a = document.querySelector("#tray textarea[data-alt]");
		a.value = "A pier"; a.dispatchEvent(new Event("input", {bubbles: true})); return true; })()`)
	b.Step("alt fixed", chromedp.WaitNotVisible(chromedp.CSS(`#tray [data-alt-check]`)))

	// Split into parts: the X tab comes back with the thread filled.
	b.Step("X tab", chromedp.Click(chromedp.ID("tab-x")), chromedp.WaitVisible(chromedp.ID("split-x")))
	b.ClickAndLoad("split", "#split-x", "#part_x_1")
	want := splitX(long)
	got := browsertest.Eval[[]string](b, `Array.prototype.map.call(document.querySelectorAll('textarea[name="part_x"]'), function (a) { return a.value; })`)
	if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
		t.Fatalf("parts %q, want %q", got, want)
	}
	b.Step("parts fit", chromedp.Poll[chromedp.Void](`document.querySelectorAll("#counters .counter").length === `+strconv.Itoa(len(want))+
		` && !document.querySelector("#counters .counter.c-over")`))
	if v := browsertest.Eval[string](b, `document.querySelector("#tray textarea[data-alt]").value`); v != "A pier" {
		t.Fatalf("alt text after the split %q", v)
	}
	noOverflow("split")
	for _, r := range b.Foreign() {
		t.Errorf("request to another origin: %s", r)
	}
}

// TestBrowserComposeSignInPlace: the session ends while the operator
// writes; they sign in again inside the page, which keeps everything, and
// the save goes through.
func TestBrowserComposeSignInPlace(t *testing.T) {
	ce := newComposeEnv(t)
	b := browsertest.New(t, ce.srv.URL, 90*time.Second)
	b.Step("open compose", chromedp.Navigate(ce.srv.URL+"/compose"), chromedp.WaitVisible(chromedp.ID("password")))
	b.Step("sign in", chromedp.SendKeys(chromedp.ID("password"), "pw"), chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("compose")))
	b.Step("write", chromedp.Click(chromedp.ID("body")), chromedp.SendKeys(chromedp.ID("body"), "Notes from the harbour"),
		chromedp.WaitVisible(chromedp.CSS(`#counters .counter.c-ok`)))
	if _, err := ce.store.DeleteAllSessions(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.Step("keep writing", chromedp.SendKeys(chromedp.ID("body"), " at dawn"), chromedp.WaitVisible(chromedp.ID("resignin-password")))

	// A wrong password says so and keeps the page.
	b.Step("wrong password", chromedp.SendKeys(chromedp.ID("resignin-password"), "nope"), chromedp.Click(chromedp.ID("resignin-submit")),
		chromedp.WaitVisible(chromedp.ID("resignin-error")))
	b.Step("right password", chromedp.SendKeys(chromedp.ID("resignin-password"), "pw"), chromedp.Click(chromedp.ID("resignin-submit")),
		chromedp.WaitVisible(chromedp.ID("compose-resigned")), chromedp.WaitNotVisible(chromedp.ID("compose-session")))
	if v := browsertest.Eval[string](b, `document.getElementById("body").value`); v != "Notes from the harbour at dawn" {
		t.Fatalf("text after signing in again: %q", v)
	}
	b.ClickAndLoad("save draft", "#save-draft", "#compose")
	posts, err := ce.store.ListPosts(context.Background(), storePostFilter())
	if err != nil || len(posts) != 1 || posts[0].Body != "Notes from the harbour at dawn" {
		t.Fatalf("saved posts %+v, %v", posts, err)
	}
	if foreign := b.Foreign(); len(foreign) > 0 {
		t.Fatalf("requests left the origin: %v", foreign)
	}
}

// TestBrowserComposeMeta: with X, Instagram and Threads accounts selected,
// the Instagram and Threads tabs appear; two JPEGs make Instagram's
// Automatic a carousel of 2; Threads chooses one of them (the other is
// "not used" there); the draft is saved with each target's media and
// options, as the store reads them back.
func TestBrowserComposeMeta(t *testing.T) {
	ce := newComposeEnv(t)
	ig, th := ce.metaAccounts(t)
	dir := t.TempDir()
	var paths []string
	for i, name := range []string{"quay.jpg", "lighthouse.jpg"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, testJPEG(t, 64, 64, i), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	b := browsertest.New(t, ce.srv.URL, 90*time.Second)
	account := func(id int64) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.CSS(`input[name="account"][value="` + strconv.FormatInt(id, 10) + `"]`))
	}
	b.Step("open compose", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(ce.srv.URL+"/compose"), chromedp.WaitVisible(chromedp.ID("password")))
	b.Step("sign in", chromedp.SendKeys(chromedp.ID("password"), "pw"), chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("compose")))
	if browsertest.Eval[bool](b, `!document.getElementById("tab-instagram").hidden || !document.getElementById("tab-threads").hidden`) {
		t.Fatal("the Instagram and Threads tabs show before their accounts are chosen")
	}
	b.Step("choose accounts", account(ce.x.ID), account(ig.ID), account(th.ID),
		chromedp.WaitVisible(chromedp.ID("tab-instagram")), chromedp.WaitVisible(chromedp.ID("tab-threads")))
	b.Step("write", chromedp.Click(chromedp.ID("body")), chromedp.SendKeys(chromedp.ID("body"), "Morning at the harbour #boats"))
	b.Step("upload", chromedp.SetUploadFiles(chromedp.ID("files"), paths),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll("#tray .tray-item[data-media] img.thumb").length === 2`))

	// Instagram: Automatic resolves to a carousel of the two.
	b.Step("Instagram tab", chromedp.Click(chromedp.ID("tab-instagram")), chromedp.WaitVisible(chromedp.ID("auto_instagram")),
		chromedp.Poll[chromedp.Void](`document.getElementById("auto_instagram").textContent === "Automatic: carousel of 2"`))
	if c := b.Text(`#counters [data-counter="instagram"]`); !strings.HasPrefix(c, "Instagram 29/2,200 · 2,171 left · hashtags 1/30") {
		t.Fatalf("Instagram counter %q", c)
	}
	if browsertest.Eval[bool](b, `document.getElementById("share_to_feed_instagram").getClientRects().length > 0`) {
		t.Error("Share to feed is offered for a carousel")
	}
	// Its preview: the first image in the frame, two carousel dots.
	b.Step("Instagram preview", chromedp.WaitVisible(chromedp.CSS(`[data-preview="instagram"] .ig-frame img`)),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('[data-preview="instagram"] .ig-dot').length === 2`))

	// Threads: choose, move the lighthouse up, keep only it.
	ids := browsertest.Eval[[]string](b, `Array.prototype.map.call(document.querySelectorAll("#tray .tray-item[data-media]"), function (li) { return li.getAttribute("data-media"); })`)
	order := `Array.prototype.map.call(document.querySelectorAll('[data-tmedia-list="threads"] input[name="tmedia_order_threads"]'), function (i) { return i.value; }).join(",")`
	b.Step("Threads tab", chromedp.Click(chromedp.ID("tab-threads")),
		chromedp.Click(chromedp.CSS(`input[name="tmedia_mode_threads"][value="choose"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-tmedia-list="threads"]`)))
	if got := browsertest.Eval[string](b, order); got != ids[0]+","+ids[1] {
		t.Fatalf("Threads list %s, want the post's order", got)
	}
	b.Step("move up", chromedp.Click(chromedp.CSS(`[data-tmedia-list="threads"] .tmedia-item[data-media="`+ids[1]+`"] button[data-tmove="-1"]`)),
		chromedp.Poll[chromedp.Void](order+` === "`+ids[1]+","+ids[0]+`"`),
		chromedp.Click(chromedp.CSS(`input[name="tmedia_threads"][value="`+ids[0]+`"]`)),
		chromedp.Poll[chromedp.Void](`Array.prototype.some.call(document.querySelectorAll("#tray .mbadge"), function (b) { return b.textContent === "Threads — not used"; })`))
	if n := b.Text(`[data-tmedia-list="threads"] .tmedia-item[data-media="` + ids[1] + `"] .num`); n != "1" {
		t.Fatalf("the lighthouse is numbered %q", n)
	}
	b.Step("Threads preview", chromedp.Poll[chromedp.Void](`document.querySelectorAll('[data-preview="threads"] [data-pimages] img').length === 1`))
	if txt := b.Text(`[data-preview="threads"] .ptext`); txt != "Morning at the harbour #boats" {
		t.Fatalf("Threads preview text %q", txt)
	}
	b.Shot("compose-meta.png")

	b.ClickAndLoad("save draft", "#save-draft", "#compose")
	id := postIDFrom(t, b.Location())
	p, err := ce.store.FindPostByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	first, second := parseIDs(ids[:1])[0], parseIDs(ids[1:])[0]
	if !slices.Equal(p.MediaIDs, []int64{first, second}) {
		t.Fatalf("post media %v", p.MediaIDs)
	}
	sameTargets(t, "stored", p.Targets, []*snsos.Target{{AccountID: ce.x.ID}, {AccountID: ig.ID}, {AccountID: th.ID, MediaIDs: []int64{second}}})
	// The editor shows the choice again.
	if !browsertest.Eval[bool](b, `document.querySelector('input[name="tmedia_mode_threads"][value="choose"]').checked`) {
		t.Fatal("the editor lost Threads' choice")
	}
	for _, r := range b.Foreign() {
		t.Errorf("request to another origin: %s", r)
	}
}
