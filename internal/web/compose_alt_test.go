package web

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/sns-os/snsos"
)

// TestComposeAltText: an alt text per tray item is saved with the draft,
// shown again in the editor and read-only on the post page, kept with the
// input after a refusal (too long, on a video), and copied by Duplicate.
func TestComposeAltText(t *testing.T) {
	ce := newComposeEnv(t)
	ctx := context.Background()
	m, err := ce.lib.Upload(ctx, bytes.NewReader(testPNG(t)), "line.png")
	if err != nil {
		t.Fatal(err)
	}
	vid := &snsos.MediaRef{SHA256: "clipsha", Key: "sha256/clip", Mime: "video/mp4", Size: 1000, Width: 640, Height: 360, DurationMS: 5000, Filename: "clip.mp4"}
	if _, err := ce.store.CreateMedia(ctx, vid); err != nil {
		t.Fatal(err)
	}
	mid := strconv.FormatInt(m.ID, 10)
	const alt = "A red diagonal line on a transparent square"

	// The tray has a labelled alt text field with X's limit.
	f := ce.form("with an image", "check")
	f.Set("media", mid)
	_, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
	wantAll(t, "tray", body, `<label for="alt_`+mid+`">Alt text`, `<textarea id="alt_`+mid+`" name="alt_`+mid+`"`, "X: up to 1,000 characters")

	// Saved with the draft.
	f = ce.form("with an image", "draft")
	f.Set("media", mid)
	f.Set("alt_"+mid, alt)
	f.Set("alt_999", "an item not in the tray is ignored")
	resp, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save draft: %d\n%s", resp.StatusCode, body)
	}
	id := postIDFrom(t, resp.Header.Get("Location"))
	p, err := ce.store.FindPostByID(ctx, id)
	if err != nil || !maps.Equal(p.MediaAlt, map[int64]string{m.ID: alt}) {
		t.Fatalf("stored alt %v %v", p.MediaAlt, err)
	}
	_, body = do(t, ce.c, "GET", ce.srv.URL+resp.Header.Get("Location"), nil)
	wantAll(t, "editor", body, `name="alt_`+mid+`"`, ">"+alt+"</textarea>")
	_, body = do(t, ce.c, "GET", ce.srv.URL+postHref(id), nil)
	wantAll(t, "post page", body, `id="post-media"`, `alt="`+alt+`"`, "<strong>Alt text:</strong> <span data-alt>"+alt+"</span>")

	// Approving with a too long alt text is refused next to the field,
	// with everything typed kept.
	long := strings.Repeat("猫", 1001)
	f = ce.form("with an image", "approve")
	f.Set("media", mid)
	f.Set("alt_"+mid, long)
	resp, body = do(t, ce.c, "POST", ce.srv.URL+postHref(id)+"/edit", f)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("too long: %d", resp.StatusCode)
	}
	wantAll(t, "too long", html.UnescapeString(body), `id="alt_`+mid+`-error"`, "at most 1000 characters", `href="#alt_`+mid+`"`, ">"+long+"</textarea>",
		`aria-invalid="true"`)
	if p, _ = ce.store.FindPostByID(ctx, id); p.MediaAlt[m.ID] != alt || p.Targets[0].State != snsos.StateDraft {
		t.Fatalf("the refused edit changed the post: %v %s", p.MediaAlt, p.Targets[0].State)
	}

	// Alt text on a video is a field error.
	vidID := strconv.FormatInt(vid.ID, 10)
	f = ce.form("a clip", "draft")
	f.Set("media", vidID)
	f.Set("alt_"+vidID, "a clip of the harbour")
	resp, body = do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("alt on a video: %d", resp.StatusCode)
	}
	wantAll(t, "video", body, `id="alt_`+vidID+`-error"`, "images and GIFs only", "a clip of the harbour</textarea>")

	// Duplicate copies the alt text.
	resp, _ = do(t, ce.c, "POST", ce.srv.URL+postHref(id)+"/duplicate", url.Values{})
	cp, err := ce.store.FindPostByID(ctx, postIDFrom(t, resp.Header.Get("Location")))
	if err != nil || cp.ID == id || cp.MediaAlt[m.ID] != alt {
		t.Fatalf("copy %+v %v", cp, err)
	}

	// Japanese.
	u, _ := url.Parse(ce.srv.URL)
	ce.c.Jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: "ja", Path: "/"}})
	_, body = do(t, ce.c, "GET", ce.srv.URL+postHref(id)+"/edit", nil)
	wantAll(t, "ja editor", body, "代替テキスト", "Xでは1,000文字まで")
}

// TestComposeAltTextLive: /compose/check says what is wrong with each tray
// item's alt text (too long, on a video) for the selected platforms, adds
// it to the "To approve" list, and the Check button (without JavaScript)
// shows it next to the field.
func TestComposeAltTextLive(t *testing.T) {
	ce := newComposeEnv(t)
	ctx := context.Background()
	m, err := ce.lib.Upload(ctx, bytes.NewReader(testPNG(t)), "line.png")
	if err != nil {
		t.Fatal(err)
	}
	vid := &snsos.MediaRef{SHA256: "clipsha", Key: "sha256/clip", Mime: "video/mp4", Size: 1000, Width: 640, Height: 360, DurationMS: 5000, Filename: "clip.mp4"}
	if _, err := ce.store.CreateMedia(ctx, vid); err != nil {
		t.Fatal(err)
	}
	mid, vidID := strconv.FormatInt(m.ID, 10), strconv.FormatInt(vid.ID, 10)
	check := func(f url.Values) composeCheckResult {
		t.Helper()
		_, body := do(t, ce.c, "POST", ce.srv.URL+"/compose/check", f)
		var res composeCheckResult
		if err := json.Unmarshal([]byte(body), &res); err != nil {
			t.Fatalf("%v\n%s", err, body)
		}
		return res
	}
	blocking := func(res composeCheckResult, want string) bool {
		for _, b := range res.Blocking {
			if strings.Contains(b, want) {
				return true
			}
		}
		return false
	}

	// Fine: 1,000 code points (CJK counted once), and a blank alt on a video.
	f := ce.form("two items", "")
	f["media"] = []string{mid, vidID}
	f.Set("alt_"+mid, strings.Repeat("猫", 1000))
	f.Set("alt_"+vidID, "  ")
	res := check(f)
	if len(res.Media) != 2 || len(res.Media[0].Alt) != 0 || len(res.Media[1].Alt) != 0 {
		t.Fatalf("fine alt texts reported: %+v", res.Media)
	}
	if !strings.Contains(mustJSON(t, res), `"alt_errors":[]`) {
		t.Fatal("alt_errors is not [] in JSON")
	}

	// 1,001 code points on the image, any alt on the video.
	f.Set("alt_"+mid, strings.Repeat("猫", 1001))
	f.Set("alt_"+vidID, "the harbour")
	res = check(f)
	if len(res.Media) != 2 || len(res.Media[0].Alt) != 1 || len(res.Media[1].Alt) != 1 {
		t.Fatalf("alt errors %+v", res.Media)
	}
	if got := res.Media[0].Alt[0]; got != "X alt text can be at most 1,000 characters; this one has 1,001." {
		t.Fatalf("too long: %q", got)
	}
	if got := res.Media[1].Alt[0]; !strings.Contains(got, "images and GIFs only") {
		t.Fatalf("video: %q", got)
	}
	if !blocking(res, "Media 1: X alt text can be at most 1,000") || !blocking(res, "Media 2: X takes alt text for images and GIFs only") {
		t.Fatalf("blocking %q", res.Blocking)
	}

	// Without an account chosen, no platform's rules apply.
	g := url.Values{"media": {mid}, "alt_" + mid: {strings.Repeat("a", 1001)}}
	if res := check(g); blocking(res, "alt text") {
		t.Fatalf("checked without a platform: %q", res.Blocking)
	}

	// The Check button: the message next to the field, and in the list.
	f.Set("do", "check")
	_, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
	wantAll(t, "check", body, `<p class="field-error" id="alt_`+mid+`-check" data-alt-check>X alt text can be at most 1,000 characters; this one has 1,001.</p>`,
		`aria-describedby="alt_`+mid+`-hint alt_`+mid+`-check" aria-invalid="true"`, `id="alt_`+vidID+`-check" data-alt-check>X takes alt text`,
		"<li>Media 1: X alt text can be at most 1,000 characters")

	// Japanese.
	u, _ := url.Parse(ce.srv.URL)
	ce.c.Jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: "ja", Path: "/"}})
	res = check(f)
	if got := res.Media[0].Alt[0]; got != "Xの代替テキストは1,000文字までです。現在1,001文字です。" {
		t.Fatalf("ja: %q", got)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
