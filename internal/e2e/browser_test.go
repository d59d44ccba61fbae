package e2e

import (
	"encoding/json"
	"image"
	"image/color"
	"image/png"
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
)

// demoProcess is "sns-os demo" running with its X simulator.
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
// browser against the real binary: sign in, connect X through the
// simulator's consent screen, write a post with an image, meet a
// validation error and fix it, approve and schedule it, watch it publish,
// read its numbers in analytics after the accelerated checkpoints, and
// switch to Japanese. No request may leave the origin.
func TestBrowserOperatorJourney(t *testing.T) {
	d := startDemo(t)
	b := browsertest.New(t, d.base, 3*time.Minute)
	imgPath := filepath.Join(t.TempDir(), "harbour.png")
	writePNG(t, imgPath, 320, 200)

	// Sign in.
	b.Step("open", chromedp.Navigate(d.base+"/"), chromedp.WaitVisible(chromedp.ID("password")))
	b.Step("sign in", chromedp.SendKeys(chromedp.ID("password"), d.password), chromedp.Click(chromedp.CSS(`form[action="/signin"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("next-h")))
	if body := b.Text("main"); !strings.Contains(body, "Connect your first account") {
		t.Fatalf("a fresh dashboard should offer to connect an account:\n%s", body)
	}

	// Connect X: the accounts page, the platform's consent screen, back.
	b.Step("accounts", chromedp.Navigate(d.base+"/accounts"), chromedp.WaitVisible(chromedp.ID("connect-h")))
	b.Step("connect X", chromedp.Click(chromedp.CSS(`main form[action="/connect/x"] button`)), chromedp.WaitVisible(chromedp.ID("approve")))
	if loc := b.Location(); !strings.HasPrefix(loc, "/sim/x/i/oauth2/authorize?") {
		t.Fatalf("connect went to %s, want the simulator's consent screen", loc)
	}
	b.Step("consent", chromedp.Click(chromedp.ID("approve")), chromedp.WaitVisible(chromedp.ID("flash")))
	if loc := b.Location(); loc != "/accounts?flash=connected" {
		t.Fatalf("after consent at %s", loc)
	}
	if body := b.Text("main"); !strings.Contains(body, "@snsos_demo") || !strings.Contains(body, "Connected") {
		t.Fatalf("accounts page after connecting:\n%s", body)
	}
	// Its profile picture: fetched by the server from the simulator when it
	// connected, and served by sns-os itself (48×48).
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		w := browsertest.Eval[float64](b, `(function () { var i = document.querySelector("main img.acct-avatar"); return i && i.complete ? i.naturalWidth : -1; })()`)
		if w == 48 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("accounts page after connecting: avatar naturalWidth %v, want 48", w)
		}
	}

	// Compose with an image; an over-long text is caught before approval.
	b.Step("compose", chromedp.Navigate(d.base+"/compose"), chromedp.WaitVisible(chromedp.ID("compose")))
	b.Step("upload", chromedp.SetUploadFiles(chromedp.ID("files"), []string{imgPath}),
		chromedp.WaitVisible(chromedp.CSS(`#tray .tray-item[data-media] img.thumb`)))
	// Describe the image; the description survives the refusal below.
	const altText = "Harbour lights reflected in dark water at dusk"
	b.Step("alt text", chromedp.SendKeys(chromedp.CSS(`#tray .tray-item[data-media] textarea[data-alt]`), altText))
	b.Step("too long", chromedp.Click(chromedp.ID("body")), chromedp.SendKeys(chromedp.ID("body"), strings.Repeat("Harbour lights. ", 20)),
		chromedp.WaitVisible(chromedp.CSS(`#counters .counter.c-over`)))
	b.ClickAndLoad("submit anyway", "#approve-schedule", "#error-summary")
	if msg := b.Text("#error-summary"); !strings.Contains(msg, "Too long for X") || !strings.Contains(msg, "Choose a date and time") {
		t.Fatalf("the refused post shows no length error: %s", msg)
	}
	if v := browsertest.Eval[string](b, `document.getElementById("body").value`); !strings.HasPrefix(v, "Harbour lights.") {
		t.Fatalf("the text was lost after the error: %q", v)
	}
	if v := browsertest.Eval[string](b, `document.querySelector("#tray textarea[data-alt]").value`); v != altText {
		t.Fatalf("the alt text was lost after the error: %q", v)
	}
	const text = "Harbour lights at dusk, from sns-os"
	browsertest.Eval[bool](b, `(document.getElementById("body").value = "", true)`)
	b.Step("fix", chromedp.SendKeys(chromedp.ID("body"), text), chromedp.WaitVisible(chromedp.CSS(`#counters .counter.c-ok`)))

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
	postPath := b.Location()
	if postPath == "/compose" {
		t.Fatalf("approve and schedule refused: %s", b.Text("#error-summary"))
	}
	if !regexp.MustCompile(`^/posts/\d+\?flash=compose\.scheduled$`).MatchString(postPath) {
		t.Fatalf("after approving at %s", postPath)
	}
	postPath = strings.Split(postPath, "?")[0]

	// Watch it publish: the post page shows the permalink.
	waitPage(t, b, d.base+postPath, 60*time.Second, "the post to publish", func(body string) bool {
		return strings.Contains(body, "Published") && browsertest.Eval[bool](b, `!!document.querySelector('main a[href*="/status/"]')`)
	})
	// Exactly once on the platform, with its image.
	resp, err := http.Get(d.base + "/sim/x/__sim/posts")
	if err != nil {
		t.Fatal(err)
	}
	var onX struct {
		Items []struct {
			Text       string `json:"text"`
			MediaCount int    `json:"media_count"`
			Media      []struct {
				AltText string `json:"alt_text"`
			} `json:"media"`
		} `json:"items"`
	}
	err = json.NewDecoder(resp.Body).Decode(&onX)
	resp.Body.Close()
	if err != nil || len(onX.Items) != 1 || onX.Items[0].Text != text || onX.Items[0].MediaCount != 1 {
		t.Fatalf("the simulator holds %+v (%v), want the post once with its image", onX.Items, err)
	}
	if m := onX.Items[0].Media; len(m) != 1 || m[0].AltText != altText {
		t.Fatalf("the image on X has alt text %+v, want %q", m, altText)
	}

	// After the accelerated +1h, +24h and +7d checkpoints, analytics has
	// the post's numbers side by side.
	waitPage(t, b, d.base+"/analytics", 60*time.Second, "three checkpoints in analytics", func(string) bool {
		return browsertest.Eval[int](b, `document.querySelectorAll("#an-posts tbody tr:first-child td.n").length`) >= 3
	})
	if row := b.Text("#an-posts tbody tr:first-child"); !strings.Contains(row, "Harbour lights at dusk") {
		t.Fatalf("analytics row: %s", row)
	}
	if !browsertest.Eval[bool](b, `!!document.querySelector("#an-chart canvas")`) {
		t.Fatal("no chart drawn")
	}

	// Japanese.
	b.Step("Japanese", chromedp.Click(chromedp.CSS(`a[hreflang="ja"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="ja"] #an-posts`)))
	if h := b.Text("h1"); h != "分析" {
		t.Fatalf("Japanese analytics heading %q", h)
	}
	b.Step("Japanese post page", chromedp.Navigate(d.base+postPath), chromedp.WaitVisible(chromedp.ID("targets-h")))
	if body := b.Text("main"); !strings.Contains(body, "投稿済み") {
		t.Fatalf("Japanese post page:\n%s", body)
	}

	if foreign := b.Foreign(); len(foreign) > 0 {
		t.Fatalf("requests left the origin: %v", foreign)
	}
}

// waitPage reloads url until ok says the page shows what the test waits
// for, within limit.
func waitPage(t *testing.T, b *browsertest.Browser, url string, limit time.Duration, what string, ok func(body string) bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		b.Step("load "+url, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("main")))
		if ok(b.Text("main")) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s; the page shows:\n%s", limit, what, b.Text("main"))
		}
		time.Sleep(250 * time.Millisecond) // a poll interval, not a wait for an outcome
	}
}

func writePNG(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(20 + x/3), uint8(60 + y/2), 140, 255})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}
