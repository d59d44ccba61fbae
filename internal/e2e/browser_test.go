package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sns-os/snsos/internal/browsertest"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// demoProcess is "sns-os demo" running with its simulators.
type demoProcess struct {
	base, password string
	stdout, stderr *lockedBuf
}

// startDemo runs the real binary's demo without connecting its account,
// with checkpoints a few seconds apart, and reads its address and operator
// password.
func startDemo(t *testing.T) *demoProcess {
	t.Helper()
	return startDemoWith(t, []string{"--connect=false", "--checkpoint-delays", "2s,4s,6s"}, nil)
}

// startDemoWith runs the real binary's demo with more flags and
// environment (KEY=value; any other SNSOS_ variable is dropped).
func startDemoWith(t *testing.T, args, env []string) *demoProcess {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"demo", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SNSOS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	stdout, stderr := &lockedBuf{}, &lockedBuf{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	pwRE := regexp.MustCompile(`operator password: (\S+)\n`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ready, pw := readyRE.FindStringSubmatch(stderr.String()), pwRE.FindStringSubmatch(stdout.String())
		if ready != nil && pw != nil {
			return &demoProcess{base: "http://" + ready[1], password: pw[1], stdout: stdout, stderr: stderr}
		}
		select {
		case err := <-done:
			t.Fatalf("demo exited: %v\n%s\n%s", err, stdout.String(), stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo not ready:\n%s\n%s", stdout.String(), stderr.String())
		}
	}
}

// TestBrowserOperatorJourney is the operator's first day, in a real
// browser against the real binary: sign in, connect X, Instagram, Threads
// and TikTok through the simulators' consent screens, write one post for
// all four with two JPEG images for the first three and a video for
// TikTok (each tab given its media), meet a validation error and fix it,
// pick TikTok's audience, approve and schedule it, watch it publish once
// on each platform (an Instagram carousel, an "Only me" TikTok video),
// read its numbers in analytics after the accelerated checkpoints,
// Instagram's own among them and none for TikTok, and switch to Japanese.
// No request may leave the origin.
func TestBrowserOperatorJourney(t *testing.T) {
	t.Parallel()
	d := startDemo(t)
	b := browsertest.New(t, d.base, 4*time.Minute)

	// Sign in.
	b.Step("open", chromedp.Navigate(d.base+"/"), chromedp.WaitVisible(chromedp.ID("password")))
	b.Step("sign in", chromedp.SendKeys(chromedp.ID("password"), d.password), chromedp.Click(chromedp.CSS(`form[action="/signin"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("next-h")))
	if body := b.Text("main"); !strings.Contains(body, "Connect your first account") {
		t.Fatalf("a fresh dashboard should offer to connect an account:\n%s", body)
	}
	connectAll(t, b, d.base)
	const text, altText = "Harbour lights at dusk, from sns-os", "Harbour lights reflected in dark water at dusk"
	postPath, clipSHA := composeForAll(t, b, d.base, text, altText)
	watchPublished(t, b, d.base, postPath, text, altText, clipSHA)
	readAnalytics(t, b, d.base)

	// Japanese.
	b.Step("Japanese", chromedp.Click(chromedp.CSS(`a[hreflang="ja"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="ja"] #an-posts`)))
	if h := b.Text("h1"); h != "分析" {
		t.Fatalf("Japanese analytics heading %q", h)
	}
	if body := b.Text("#an-posts"); !strings.Contains(body, "リーチ（Instagram）") {
		t.Fatalf("Japanese analytics lacks Instagram's reach:\n%s", body)
	}
	if body := b.Text("main"); !strings.Contains(body, "TikTokで公開範囲が「自分のみ」の投稿には数値がありません。") {
		t.Fatalf("Japanese analytics lacks TikTok's caveat:\n%s", body)
	}
	b.Step("Japanese post page", chromedp.Navigate(d.base+postPath), chromedp.WaitVisible(chromedp.ID("targets-h")))
	if body := b.Text("main"); !strings.Contains(body, "投稿済み") || !strings.Contains(body, "Instagramで開く") {
		t.Fatalf("Japanese post page:\n%s", body)
	}

	if foreign := b.Foreign(); len(foreign) > 0 {
		t.Fatalf("requests left the origin: %v", foreign)
	}
}

// connectAll connects X, Instagram, Threads and TikTok from the accounts
// page through each simulator's consent screen, and checks the page shows
// the four with their pictures, Meta's self-renewing sign-ins and how the
// TikTok account publishes.
func connectAll(t *testing.T, b *browsertest.Browser, base string) {
	t.Helper()
	for _, c := range []struct{ platform, name, consent string }{
		{"x", "X", "/sim/x/i/oauth2/authorize?"},
		{"instagram", "Instagram", "/sim/instagram/oauth/authorize?"},
		{"threads", "Threads", "/sim/threads/oauth/authorize?"},
		{"tiktok", "TikTok", "/sim/tiktok/v2/auth/authorize/?"},
	} {
		connectPlatform(t, b, base, c.platform, c.name, c.consent)
	}
	// Their profile pictures: fetched by the server from the simulators
	// when they connected, and served by sns-os itself.
	var avatars float64
	storetest.Eventually(t, 10*time.Second, 50*time.Millisecond, func() bool {
		avatars = browsertest.Eval[float64](b, `[...document.querySelectorAll("main img.acct-avatar")].filter(i => i.complete && i.naturalWidth > 0).length`)
		return avatars == 4
	}, func() string {
		return fmt.Sprintf("accounts page after connecting: %v avatars shown, want 4\n%s", avatars, b.Text("main"))
	})
	if body := b.Text("main"); strings.Count(body, "renewed automatically; valid until") != 2 {
		t.Fatalf("the accounts page does not say Meta's sign-ins renew themselves:\n%s", body)
	}
	if !browsertest.Eval[bool](b, `[...document.querySelectorAll("main li.account")].some(c => c.textContent.includes("TikTok") && c.textContent.includes("Post directly") &&
		c.textContent.includes("Not audited: TikTok allows this app to post only “Only me” videos"))`) {
		t.Fatalf("the accounts page does not say the TikTok account posts directly, only “Only me”:\n%s", b.Text("main"))
	}
}

// composeForAll writes one post for the four accounts with two JPEG
// images and a video, gives X, Instagram and Threads the images and TikTok
// the video, meets the X length error and TikTok's missing audience,
// fixes both ("Only me", all the unaudited app may post), approves and
// schedules it a few seconds ahead, and returns the post page's path.
func composeForAll(t *testing.T, b *browsertest.Browser, base, text, altText string) (postPath, clipSHA string) {
	t.Helper()
	dir := t.TempDir()
	imgPaths := []string{filepath.Join(dir, "harbour.jpg"), filepath.Join(dir, "quay.jpg")}
	writeJPEG(t, imgPaths[0], 600, 500, 0)  // 1.2:1
	writeJPEG(t, imgPaths[1], 640, 400, 90) // 1.6:1, other pixels (media are stored by content)
	// TikTok's video: 720×1280 (9:16), 2 s at 25 fps, within its rules.
	clip, video := filepath.Join(dir, "harbour.mp4"), testMP4(720, 1280, 60_000)
	if err := os.WriteFile(clip, video, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(video)
	b.Step("compose", chromedp.Navigate(base+"/compose"), chromedp.WaitVisible(chromedp.ID("compose")))
	for _, pl := range journeyPlatforms {
		sel := `#accounts input[name="account"][data-platform="` + pl + `"]`
		if browsertest.Eval[int](b, `document.querySelectorAll('`+sel+`').length`) != 1 {
			t.Fatalf("compose offers no chip for %s:\n%s", pl, b.Text("#accounts"))
		}
		if !browsertest.Eval[bool](b, `document.querySelector('`+sel+`').checked`) {
			b.Step("choose "+pl, chromedp.Click(chromedp.CSS(sel)))
		}
	}
	b.Step("upload", chromedp.SetUploadFiles(chromedp.ID("files"), append(imgPaths, clip)),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll("#tray .tray-item[data-media]").length === 3 && document.querySelectorAll("#tray .tray-item[data-media] img.thumb").length === 2`,
			chromedp.WithPollingTimeout(20*time.Second)))
	// Describe the first image; the description survives the refusal below.
	b.Step("alt text", chromedp.SendKeys(chromedp.CSS(`#tray .tray-item[data-media] textarea[data-alt]`), altText))
	// Each platform its media: the images for three, the video for TikTok.
	for _, pl := range journeyPlatforms {
		chooseTabMedia(t, b, pl, journeyMedia[pl]...)
	}
	b.Step("back to the text", chromedp.Click(chromedp.ID("tab-all")), chromedp.WaitVisible(chromedp.ID("body")))
	b.Step("too long", chromedp.Click(chromedp.ID("body")), chromedp.SendKeys(chromedp.ID("body"), strings.Repeat("Harbour lights. ", 20)),
		chromedp.WaitVisible(chromedp.CSS(`#counters .counter.c-over`)))
	b.ClickAndLoad("submit anyway", "#approve-schedule", "#error-summary")
	if msg := b.Text("#error-summary"); !strings.Contains(msg, "Too long for X") || !strings.Contains(msg, "Choose a date and time") {
		t.Fatalf("the refused post shows no length error: %s", msg)
	}
	// TikTok's missing audience is in the list of what stops approval.
	b.Step("TikTok's audience missing", chromedp.Poll[chromedp.Void](`(() => { const l = document.getElementById("blocking"); return !l.hidden && l.textContent.includes("TikTok: Choose who can see this post."); })()`,
		chromedp.WithPollingTimeout(10*time.Second)))
	if v := browsertest.Eval[string](b, `document.getElementById("body").value`); !strings.HasPrefix(v, "Harbour lights.") {
		t.Fatalf("the text was lost after the error: %q", v)
	}
	if v := browsertest.Eval[string](b, `document.querySelector("#tray textarea[data-alt]").value`); v != altText {
		t.Fatalf("the alt text was lost after the error: %q", v)
	}
	if n := browsertest.Eval[int](b, `document.querySelectorAll('#accounts input[name="account"]:checked').length`); n != 4 {
		t.Fatalf("%d accounts chosen after the error, want 4", n)
	}
	for _, pl := range journeyPlatforms {
		if got := tabMedia(b, pl); got.Mode != "choose" || strings.Join(got.Chosen, ",") != strings.Join(journeyMedia[pl], ",") {
			t.Fatalf("the media for %s after the error: %+v, want %v", pl, got, journeyMedia[pl])
		}
	}
	browsertest.Eval[bool](b, `(document.getElementById("body").value = "", true)`)
	b.Step("fix", chromedp.SendKeys(chromedp.ID("body"), text), chromedp.WaitVisible(chromedp.CSS(`#counters .counter.c-ok`)),
		chromedp.Poll[chromedp.Void](`!document.querySelector("#counters .counter.c-over")`, chromedp.WithPollingTimeout(10*time.Second)))
	pickOnlyMe(t, b)

	// Approve and schedule a few seconds ahead, in the operator's zone.
	zone := browsertest.Eval[string](b, `document.getElementById("zone").value`)
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatalf("zone %q: %v", zone, err)
	}
	at := time.Now().Add(8 * time.Second).In(loc)
	browsertest.Eval[bool](b, `(document.getElementById("date").value = "`+at.Format("2006-01-02")+`", document.getElementById("time").value = "`+at.Format("15:04:05")+`", true)`)
	// Typing fires input events, which make "Approve and schedule" the
	// primary action; set by script, the fields must say so themselves,
	// or the buttons move under the click.
	browsertest.Eval[bool](b, `(document.getElementById("time").dispatchEvent(new Event("input", {bubbles: true})), true)`)
	b.ClickAndLoad("approve and schedule", "#approve-schedule", "#targets-h, #error-summary")
	postPath = b.Location()
	if postPath == "/compose" {
		t.Fatalf("approve and schedule refused: %s", b.Text("#error-summary"))
	}
	if !regexp.MustCompile(`^/posts/\d+\?flash=compose\.scheduled$`).MatchString(postPath) {
		t.Fatalf("after approving at %s", postPath)
	}
	return strings.Split(postPath, "?")[0], hex.EncodeToString(sum[:])
}

// watchPublished waits until the post page shows the four targets
// published, X's, Instagram's and Threads' with their permalinks linking
// out, and checks each simulator holds the post exactly once with its own
// media: both images (a carousel on Instagram), and on TikTok the video,
// byte for byte, as an "Only me" post.
func watchPublished(t *testing.T, b *browsertest.Browser, base, postPath, text, altText, clipSHA string) {
	t.Helper()
	waitPage(t, b, base+postPath, 90*time.Second, "the post to publish on X, Instagram, Threads and TikTok", func(body string) bool {
		return browsertest.Eval[int](b, `document.querySelectorAll("main .badge.s-published").length`) == 4
	})
	if !browsertest.Eval[bool](b, `[...document.querySelectorAll("main li.card")].some(c => c.querySelector("h3").textContent.startsWith("TikTok") && c.querySelector(".badge.s-published"))`) {
		t.Fatalf("the post page does not show the TikTok target published:\n%s", b.Text("main"))
	}
	for _, href := range []string{`/status/`, `https://www.instagram.com/p/`, `https://www.threads.net/`} {
		if !browsertest.Eval[bool](b, `(() => { const a = document.querySelector('main a.url[href*="`+href+`"]'); return !!a && a.relList.contains("noopener"); })()`) {
			t.Fatalf("the post page has no permalink with %s (rel=noopener):\n%s", href, b.Text("main"))
		}
	}
	onX := simPosts(t, base, "x")
	if len(onX) != 1 || onX[0].Text != text || onX[0].MediaCount != 2 {
		t.Fatalf("the X simulator holds %+v, want the post once with its two images", onX)
	}
	if m := onX[0].Media; len(m) != 2 || m[0].AltText != altText {
		t.Fatalf("the images on X have alt texts %+v, want %q first", m, altText)
	}
	onIG := simPosts(t, base, "instagram")
	if len(onIG) != 1 || onIG[0].Text != text || onIG[0].MediaCount != 2 || onIG[0].MediaType != "CAROUSEL_ALBUM" {
		t.Fatalf("the Instagram simulator holds %+v, want the post once as a carousel of two", onIG)
	}
	onTh := simPosts(t, base, "threads")
	if len(onTh) != 1 || onTh[0].Text != text || onTh[0].MediaCount != 2 {
		t.Fatalf("the Threads simulator holds %+v, want the post once with its two images", onTh)
	}
	onTT := simPosts(t, base, "tiktok")
	if len(onTT) != 1 || onTT[0].Text != text || onTT[0].MediaCount != 1 || onTT[0].SHA256 != clipSHA ||
		onTT[0].PrivacyLevel != "SELF_ONLY" || onTT[0].Status != "PUBLISH_COMPLETE" {
		t.Fatalf("the TikTok simulator holds %+v, want the post once, the video only (SHA-256 %s), SELF_ONLY and PUBLISH_COMPLETE", onTT, clipSHA)
	}
}

// readAnalytics waits until analytics has the views of X, Instagram and
// Threads at the three accelerated checkpoints and TikTok's checkpoints
// collected without numbers, and checks Instagram's reach column and
// caveat and TikTok's.
func readAnalytics(t *testing.T, b *browsertest.Browser, base string) {
	t.Helper()
	waitPage(t, b, base+"/analytics", 60*time.Second, "three checkpoints of four targets in analytics", func(string) bool {
		return browsertest.Eval[bool](b, `(() => {
			const rows = [...document.querySelectorAll("#an-posts tbody tr")];
			const tiktok = r => r.querySelector("th").textContent.includes("TikTok");
			const cells = r => [...r.querySelectorAll("td")].slice(1, 4);
			return rows.length === 4 && rows.filter(tiktok).length === 1 &&
				rows.filter(r => !tiktok(r)).every(r => cells(r).every(c => c.classList.contains("n"))) &&
				rows.filter(tiktok).every(r => cells(r).every(c => c.classList.contains("na") && c.textContent.startsWith("n/a")));
		})()`)
	})
	if row := b.Text("#an-posts tbody tr:first-child"); !strings.Contains(row, "Harbour lights at dusk") {
		t.Fatalf("analytics row: %s", row)
	}
	reach := browsertest.Eval[int](b, `[...document.querySelectorAll("#an-posts th.an-group")].findIndex(h => h.textContent === "Reach (Instagram)")`)
	if reach != 4 {
		t.Fatalf("analytics has Instagram's reach at column group %d, want 4 (after the standard metrics)", reach)
	}
	// The cells after the publication time: 3 per metric, reach the 5th.
	if !browsertest.Eval[bool](b, `[...document.querySelectorAll("#an-posts tbody tr")].some(r => r.querySelector("th").textContent.includes("Instagram") && r.querySelectorAll("td")[13].classList.contains("n"))`) {
		t.Fatalf("the Instagram row has no reach at +1h:\n%s", b.Text("#an-posts"))
	}
	// TikTok keeps no numbers for an "Only me" post, and says so.
	if !browsertest.Eval[bool](b, `[...document.querySelectorAll("#an-posts tbody tr")].some(r => r.querySelector("th").textContent.includes("TikTok") && !r.querySelector("td.n"))`) {
		t.Fatalf("the TikTok row shows numbers:\n%s", b.Text("#an-posts"))
	}
	body := b.Text("main")
	if !strings.Contains(body, "Instagram may report up to 48 h late.") {
		t.Fatal("analytics shows Instagram posts without its caveat")
	}
	if !strings.Contains(body, "TikTok “Only me” posts have no metrics.") {
		t.Fatalf("analytics shows an \"Only me\" TikTok post without its caveat:\n%s", body)
	}
	if !browsertest.Eval[bool](b, `!!document.querySelector("#an-chart canvas")`) {
		t.Fatal("no chart drawn")
	}
}

// connectPlatform connects the demo account of platform (its display name
// name) from the accounts page through the simulator's consent screen at
// consent, and checks the accounts page shows it connected.
func connectPlatform(t *testing.T, b *browsertest.Browser, base, platform, name, consent string) {
	t.Helper()
	b.Step("accounts", chromedp.Navigate(base+"/accounts"), chromedp.WaitVisible(chromedp.ID("connect-h")))
	b.Step("connect "+name, chromedp.Click(chromedp.CSS(`main form[action="/connect/`+platform+`"] button`)), chromedp.WaitVisible(chromedp.ID("approve")))
	if loc := b.Location(); !strings.HasPrefix(loc, consent) {
		t.Fatalf("connect %s went to %s, want the simulator's consent screen", name, loc)
	}
	b.Step("consent "+name, chromedp.Click(chromedp.ID("approve")), chromedp.WaitVisible(chromedp.ID("flash")))
	// Meta appends "#_" to its redirect; the callback's own fragment
	// replaces it, so the accounts page opens at its notice.
	if loc := b.Location(); loc != "/accounts?flash=connected#flash" {
		t.Fatalf("after consenting on %s at %s", name, loc)
	}
	if !browsertest.Eval[bool](b, `[...document.querySelectorAll("main li.account")].some(c => c.textContent.includes("@snsos_demo") && c.textContent.includes("`+name+`") && c.querySelector(".badge.a-connected"))`) {
		t.Fatalf("accounts page after connecting %s:\n%s", name, b.Text("main"))
	}
}

// simPost is one published post as a simulator's __sim/posts lists it.
type simPost struct {
	Text       string `json:"text"`
	MediaType  string `json:"media_type"`
	MediaCount int    `json:"media_count"`
	// TikTok's: the audience, the publish status and the video's SHA-256.
	PrivacyLevel string `json:"privacy_level"`
	Status       string `json:"status"`
	SHA256       string `json:"sha256"`
	Media        []struct {
		AltText string `json:"alt_text"`
	} `json:"media"`
}

// simPosts reads what the demo's simulator of platform holds.
func simPosts(t *testing.T, base, platform string) []simPost {
	t.Helper()
	resp, err := http.Get(base + "/sim/" + platform + "/__sim/posts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Items []simPost `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatalf("%s simulator's posts: %v", platform, err)
	}
	return list.Items
}

// waitPage reloads url until ok says the page shows what the test waits
// for, within limit.
func waitPage(t *testing.T, b *browsertest.Browser, url string, limit time.Duration, what string, ok func(body string) bool) {
	t.Helper()
	storetest.Eventually(t, limit, 250*time.Millisecond, func() bool {
		b.Step("load "+url, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("main")))
		return ok(b.Text("main"))
	}, func() string {
		return fmt.Sprintf("waited %s for %s; the page shows:\n%s", limit, what, b.Text("main"))
	})
}

// writeJPEG writes a w×h JPEG whose colours start at hue.
func writeJPEG(t *testing.T, path string, w, h, hue int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(20 + x/3 + hue), uint8(60 + y/2), uint8(140 + hue), 255})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
}
