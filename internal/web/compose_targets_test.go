package web

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"image"
	"image/color"
	"image/jpeg"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/rules"
)

// metaAccounts connects an Instagram and a Threads account for compose.
func (ce *composeEnv) metaAccounts(t *testing.T) (ig, th *snsos.Account) {
	t.Helper()
	ig = &snsos.Account{Platform: snsos.PlatformInstagram, RemoteID: "17841400000000001", Handle: "ig_demo", DisplayName: "Demo Instagram"}
	th = &snsos.Account{Platform: snsos.PlatformThreads, RemoteID: "27841400000000002", Handle: "th_demo", DisplayName: "Demo Threads"}
	for _, a := range []*snsos.Account{ig, th} {
		if err := ce.store.UpsertAccount(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	return ig, th
}

// reconfigure rebuilds the handler with a changed configuration (the
// session stays: it is in the store).
func (ce *composeEnv) reconfigure(t *testing.T, fn func(*Config)) {
	t.Helper()
	cfg := ce.h.cfg
	fn(&cfg)
	ce.h = New(cfg)
	mux := http.NewServeMux()
	ce.h.Routes(mux)
	ce.srv.Config.Handler = chain(mux)
}

// upload stores an image in the media library and returns its id.
func (ce *composeEnv) upload(t *testing.T, data []byte, name string) int64 {
	t.Helper()
	m, err := ce.lib.Upload(context.Background(), bytes.NewReader(data), name)
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

// testJPEG is a w×h JPEG, its pixels varied by seed so that each is a
// different file.
func testJPEG(t *testing.T, w, h, seed int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{R: uint8(x * 7), G: uint8(y*5 + seed*40), B: uint8(seed * 13), A: 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var (
	formRE     = regexp.MustCompile(`(?s)<form class="compose" id="compose".*?</form>`)
	inputRE    = regexp.MustCompile(`<input\b[^>]*>`)
	textareaRE = regexp.MustCompile(`(?s)<textarea\b([^>]*)>(.*?)</textarea>`)
	selectRE   = regexp.MustCompile(`(?s)<select\b([^>]*)>(.*?)</select>`)
	optionRE   = regexp.MustCompile(`<option\b([^>]*)>`)
	attrRE     = regexp.MustCompile(`([a-z][a-z-]*)(?:="([^"]*)")?`)
)

// formAttrs reads the attributes of a tag.
func formAttrs(tag string) map[string]string {
	out := map[string]string{}
	for _, m := range attrRE.FindAllStringSubmatch(tag, -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	return out
}

// composeFormValues returns what a browser sends for the compose form of
// a page, without pressing a button: the fields in document order, checked
// boxes only, no files.
func composeFormValues(t *testing.T, body string) url.Values {
	t.Helper()
	f := formRE.FindString(body)
	if f == "" {
		t.Fatal("no compose form on the page")
	}
	type field struct {
		at          int
		name, value string
	}
	var fields []field
	for _, loc := range inputRE.FindAllStringIndex(f, -1) {
		a := formAttrs(strings.TrimPrefix(f[loc[0]:loc[1]], "<input"))
		_, checked := a["checked"]
		_, disabled := a["disabled"]
		switch {
		case a["name"] == "" || disabled || a["type"] == "file":
		case (a["type"] == "checkbox" || a["type"] == "radio") && !checked:
		default:
			fields = append(fields, field{loc[0], a["name"], a["value"]})
		}
	}
	for _, m := range textareaRE.FindAllStringSubmatchIndex(f, -1) {
		a := formAttrs(f[m[2]:m[3]])
		fields = append(fields, field{m[0], a["name"], html.UnescapeString(f[m[4]:m[5]])})
	}
	for _, m := range selectRE.FindAllStringSubmatchIndex(f, -1) {
		a := formAttrs(f[m[2]:m[3]])
		for _, o := range optionRE.FindAllStringSubmatch(f[m[4]:m[5]], -1) {
			if oa := formAttrs(o[1]); oa["selected"] != "" || strings.Contains(o[1], " selected") {
				fields = append(fields, field{m[0], a["name"], oa["value"]})
			}
		}
	}
	slices.SortStableFunc(fields, func(a, b field) int { return a.at - b.at })
	v := url.Values{}
	for _, fl := range fields {
		v.Add(fl.name, fl.value)
	}
	return v
}

// sameTargets fails unless the targets of got publish what want's do:
// account, body, options and media per target (nil and empty apart).
func sameTargets(t *testing.T, what string, got, want []*snsos.Target) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d targets, want %d", what, len(got), len(want))
	}
	byAccount := map[int64]*snsos.Target{}
	for _, g := range got {
		byAccount[g.AccountID] = g
	}
	for _, w := range want {
		g := byAccount[w.AccountID]
		if g == nil {
			t.Fatalf("%s: no target for account %d", what, w.AccountID)
		}
		gj, _ := json.Marshal(g.Options)
		wj, _ := json.Marshal(w.Options)
		if len(g.Options) == 0 && len(w.Options) == 0 {
			gj, wj = nil, nil // the store reads no options as {}
		}
		if g.Body != w.Body || string(gj) != string(wj) || (g.MediaIDs == nil) != (w.MediaIDs == nil) || !slices.Equal(g.MediaIDs, w.MediaIDs) {
			t.Errorf("%s: %s target\n got body %q options %s media %#v\nwant body %q options %s media %#v", what, w.Platform,
				g.Body, gj, g.MediaIDs, w.Body, wj, w.MediaIDs)
		}
	}
}

// TestComposeEditKeepsTargets: saving an edit from the compose page keeps
// every target's options and own media — after a plain save, a Check, a
// Split, and a refused submit shown again — even the options the page has
// no field for (Instagram's first comment while the server does not
// enable it, Threads' media_type).
func TestComposeEditKeepsTargets(t *testing.T) {
	ce := newComposeEnv(t)
	ctx := context.Background()
	ig, th := ce.metaAccounts(t)
	a, b, c := ce.upload(t, testJPEG(t, 64, 64, 1), "a.jpg"), ce.upload(t, testJPEG(t, 64, 64, 2), "b.jpg"), ce.upload(t, testJPEG(t, 64, 64, 3), "c.jpg")
	p := &snsos.Post{Body: "Harbour at dawn #boats", MediaIDs: []int64{a, b, c}, MediaAlt: map[int64]string{b: "Boats"}, Targets: []*snsos.Target{
		{AccountID: ce.x.ID, Body: "Harbour, for X", MediaIDs: []int64{}},
		{AccountID: ig.ID, MediaIDs: []int64{c, a}, Options: map[string]any{"media_type": "CAROUSEL", "first_comment": "More on the blog"}},
		{AccountID: th.ID, MediaIDs: []int64{b}, Options: map[string]any{"topic_tag": "Harbours", "media_type": "IMAGE",
			"parts": []any{"Harbour at dawn", "The boats come in"}}},
	}}
	if err := ce.store.CreatePost(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	// What the edit must keep (Split joins the Threads parts that fit in
	// one; the rest stays).
	want := []*snsos.Target{p.Targets[0], p.Targets[1], {AccountID: th.ID, MediaIDs: []int64{b},
		Options: map[string]any{"topic_tag": "Harbours", "media_type": "IMAGE", "parts": []any{"Harbour at dawn\n\nThe boats come in"}}}}
	edit := ce.srv.URL + postHref(p.ID) + "/edit"
	_, body := do(t, ce.c, "GET", edit, nil)
	wantAll(t, "edit page", body, `value="choose" data-tmode="instagram" checked`, `value="none" data-tmode="x" checked`,
		`value="CAROUSEL" data-type="instagram" checked`, `value="Harbours"`, "Automatic: carousel of 2")

	// A Check, then a Split of the Threads thread (the parts fit: unchanged),
	// then a refused save (a time in the past), each page sent back as is.
	steps := []struct {
		do     string
		change func(url.Values)
		status int
	}{
		{"check", nil, http.StatusOK},
		{"split:threads", nil, http.StatusOK},
		{"schedule", func(v url.Values) { v.Set("date", "2020-01-02"); v.Set("time", "09:00") }, http.StatusUnprocessableEntity},
	}
	for _, st := range steps {
		v := composeFormValues(t, body)
		if st.change != nil {
			st.change(v)
		}
		v.Set("do", st.do)
		var resp *http.Response
		resp, body = do(t, ce.c, "POST", edit, v)
		if resp.StatusCode != st.status {
			t.Fatalf("%s: %d\n%s", st.do, resp.StatusCode, body)
		}
	}
	v := composeFormValues(t, body)
	v.Set("date", "")
	v.Set("time", "")
	v.Set("do", "draft")
	resp, body := do(t, ce.c, "POST", edit, v)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", resp.StatusCode, body)
	}
	got, err := ce.store.FindPostByID(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.MediaIDs, []int64{a, b, c}) || !maps.Equal(got.MediaAlt, p.MediaAlt) {
		t.Fatalf("post media %v %v", got.MediaIDs, got.MediaAlt)
	}
	sameTargets(t, "after check, split, a refusal and save", got.Targets, want)
	for _, tg := range got.Targets {
		if tg.State != snsos.StateDraft {
			t.Errorf("%s target is %s", tg.Platform, tg.State)
		}
	}
}

// TestComposeDuplicateKeepsTargetMedia: Duplicate copies each target's own
// media (none stays none) and options.
func TestComposeDuplicateKeepsTargetMedia(t *testing.T) {
	ce := newComposeEnv(t)
	ctx := context.Background()
	ig, th := ce.metaAccounts(t)
	a, b := ce.upload(t, testJPEG(t, 64, 64, 1), "a.jpg"), ce.upload(t, testJPEG(t, 64, 64, 2), "b.jpg")
	p := &snsos.Post{Body: "Two boats", MediaIDs: []int64{a, b}, Targets: []*snsos.Target{
		{AccountID: ce.x.ID},
		{AccountID: ig.ID, MediaIDs: []int64{b, a}, Options: map[string]any{"media_type": "CAROUSEL"}},
		{AccountID: th.ID, MediaIDs: []int64{}, Options: map[string]any{"topic_tag": "Boats"}},
	}}
	if err := ce.store.CreatePost(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	resp, _ := do(t, ce.c, "POST", ce.srv.URL+postHref(p.ID)+"/duplicate", url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("duplicate: %d", resp.StatusCode)
	}
	cp, err := ce.store.FindPostByID(ctx, postIDFrom(t, resp.Header.Get("Location")))
	if err != nil || cp.ID == p.ID {
		t.Fatalf("copy %+v %v", cp, err)
	}
	sameTargets(t, "the copy", cp.Targets, p.Targets)
}

// TestComposeTabsRoundTrip: the Instagram and Threads tabs without
// JavaScript — type, Share to feed, topic tag, and each tab's media (same,
// chosen and ordered with Move up/down, none) — give the targets' options
// and media_ids, and the editor shows them again.
func TestComposeTabsRoundTrip(t *testing.T) {
	ce := newComposeEnv(t)
	ctx := context.Background()
	ig, th := ce.metaAccounts(t)
	a, b := ce.upload(t, testJPEG(t, 64, 64, 1), "a.jpg"), ce.upload(t, testJPEG(t, 64, 64, 2), "b.jpg")
	ids := []string{itoa(a), itoa(b)}
	f := ce.form("Two boats #harbour", "check")
	f["account"] = []string{itoa(ce.x.ID), itoa(ig.ID), itoa(th.ID)}
	f["media"] = ids
	_, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
	wantAll(t, "tabs", body, `id="tab-instagram"`, `id="tab-threads"`, "Media for Instagram", "Media for Threads", "Same as the post",
		"Automatic: carousel of 2", `name="media_type_instagram" value="REELS"`, "Share to feed", `name="topic_tag_threads"`,
		`name="link_attachment_threads"`, "Threads attaches it to text posts only.", "so it can&#39;t carry a link attachment",
		`value="tmedia:threads:1:up"`, `class="button secondary" name="do" value="split:threads"`, "fit Threads&#39; 500 characters")
	if strings.Contains(body, "first_comment_instagram") {
		t.Fatal("the first comment field is shown without SNSOS_INSTAGRAM_FIRST_COMMENT")
	}

	// Threads: choose, then move b above a, without JavaScript.
	v := composeFormValues(t, body)
	v.Set("tmedia_mode_threads", "choose")
	v.Set("do", "tmedia:threads:1:up")
	resp, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", v)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("move: %d", resp.StatusCode)
	}
	v = composeFormValues(t, body)
	if got := v["tmedia_order_threads"]; !slices.Equal(got, []string{ids[1], ids[0]}) {
		t.Fatalf("Threads order after Move up: %v", got)
	}
	// Only b for Threads; no media on X; Instagram as a Story? No: a
	// carousel of the post's media, its type chosen; a topic tag.
	v["tmedia_threads"] = []string{ids[1]}
	v.Set("tmedia_mode_x", "none")
	v.Set("media_type_instagram", "CAROUSEL")
	v.Set("topic_tag_threads", " Harbours ")
	v.Set("do", "draft")
	resp, body = do(t, ce.c, "POST", ce.srv.URL+"/compose", v)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", resp.StatusCode, body)
	}
	id := postIDFrom(t, resp.Header.Get("Location"))
	p, err := ce.store.FindPostByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	sameTargets(t, "saved", p.Targets, []*snsos.Target{
		{AccountID: ce.x.ID, MediaIDs: []int64{}},
		{AccountID: ig.ID, Options: map[string]any{"media_type": "CAROUSEL"}},
		{AccountID: th.ID, MediaIDs: []int64{b}, Options: map[string]any{"topic_tag": "Harbours"}},
	})
	_, body = do(t, ce.c, "GET", ce.srv.URL+postHref(id)+"/edit", nil)
	wantAll(t, "editor", body, `value="none" data-tmode="x" checked`, `value="choose" data-tmode="threads" checked`,
		`value="same" data-tmode="instagram" checked`, `value="CAROUSEL" data-type="instagram" checked`, `value="Harbours"`)
}

// TestComposeShareToFeed: a reel's Share to feed unchecked is false;
// checked again, the platform's default (no option).
func TestComposeShareToFeed(t *testing.T) {
	ce := newComposeEnv(t)
	ctx := context.Background()
	ig, _ := ce.metaAccounts(t)
	vid := &snsos.MediaRef{SHA256: "reelsha", Key: "sha256/reel", Mime: "video/mp4", Size: 4000, Width: 1080, Height: 1920, DurationMS: 8000,
		FrameRate: 30, Filename: "reel.mp4"}
	if _, err := ce.store.CreateMedia(ctx, vid); err != nil {
		t.Fatal(err)
	}
	r := ce.form("A reel", "draft")
	r["account"] = []string{itoa(ig.ID)}
	r["media"] = []string{itoa(vid.ID)}
	r["share_to_feed_instagram"] = []string{"0"}
	resp, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", r)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reel: %d\n%s", resp.StatusCode, body)
	}
	reel, _ := ce.store.FindPostByID(ctx, postIDFrom(t, resp.Header.Get("Location")))
	if reel.Targets[0].Options["share_to_feed"] != false {
		t.Fatalf("reel options %v", reel.Targets[0].Options)
	}
	_, body = do(t, ce.c, "GET", ce.srv.URL+postHref(reel.ID)+"/edit", nil)
	wantAll(t, "reel editor", body, "Automatic: reel", `data-resolved="REELS"`)
	v := composeFormValues(t, body)
	v["share_to_feed_instagram"] = []string{"0", "1"}
	v.Set("do", "draft")
	if resp, _ = do(t, ce.c, "POST", ce.srv.URL+postHref(reel.ID)+"/edit", v); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reel again: %d", resp.StatusCode)
	}
	reel, _ = ce.store.FindPostByID(ctx, reel.ID)
	if len(reel.Targets[0].Options) != 0 {
		t.Fatalf("reel options after checking Share to feed %v", reel.Targets[0].Options)
	}
}

// TestComposeFirstComment: with the server's first comment on, the
// Instagram tab has its field, and the comment is saved and shown again.
func TestComposeFirstComment(t *testing.T) {
	ce := newComposeEnv(t)
	ce.reconfigure(t, func(c *Config) { c.InstagramFirstComment = true })
	ig, _ := ce.metaAccounts(t)
	a := ce.upload(t, testJPEG(t, 64, 64, 1), "a.jpg")
	f := ce.form("One boat", "draft")
	f["account"] = []string{itoa(ig.ID)}
	f["media"] = []string{itoa(a)}
	f.Set("first_comment_instagram", "#boats #harbour")
	resp, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", resp.StatusCode, body)
	}
	id := postIDFrom(t, resp.Header.Get("Location"))
	p, _ := ce.store.FindPostByID(context.Background(), id)
	if p.Targets[0].Options["first_comment"] != "#boats #harbour" {
		t.Fatalf("options %v", p.Targets[0].Options)
	}
	_, body = do(t, ce.c, "GET", ce.srv.URL+postHref(id)+"/edit", nil)
	wantAll(t, "editor", body, `<label for="first_comment_instagram">First comment</label>`, ">#boats #harbour</textarea>")
}

// TestComposeMediaPerTabBadges: a tray item a tab did not choose is "not
// used" there; Instagram refuses a PNG with a short reason and offers the
// conversion; /compose/check says what each target publishes.
func TestComposeMediaPerTabBadges(t *testing.T) {
	ce := newComposeEnv(t)
	ig, th := ce.metaAccounts(t)
	jpg, png := ce.upload(t, testJPEG(t, 64, 64, 1), "a.jpg"), ce.upload(t, testPNG(t), "b.png")
	f := ce.form("Badges", "check")
	f["account"] = []string{itoa(ce.x.ID), itoa(ig.ID), itoa(th.ID)}
	f["media"] = []string{itoa(jpg), itoa(png)}
	f.Set("tmedia_mode_x", "choose")
	f["tmedia_order_x"] = []string{itoa(jpg), itoa(png)}
	f["tmedia_x"] = []string{itoa(jpg)}
	_, body := do(t, ce.c, "POST", ce.srv.URL+"/compose/check", f)
	var res composeCheckResult
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		t.Fatal(err)
	}
	badges := map[string]string{}
	for _, m := range res.Media {
		for _, b := range m.Badges {
			badges[itoa(m.ID)+" "+string(b.Platform)] = b.Text
			if b.Convert != (m.ID == png && b.Platform == snsos.PlatformInstagram) {
				t.Errorf("media %d %s: convert %v", m.ID, b.Platform, b.Convert)
			}
		}
	}
	want := map[string]string{
		itoa(jpg) + " x": "X ✓", itoa(jpg) + " instagram": "Instagram ✓", itoa(jpg) + " threads": "Threads ✓",
		itoa(png) + " x": "X — not used", itoa(png) + " instagram": "Instagram ✗ PNG — JPEG only", itoa(png) + " threads": "Threads ✓",
	}
	if !maps.Equal(badges, want) {
		t.Fatalf("badges %v\nwant %v", badges, want)
	}
	for _, tc := range res.Targets {
		wantIDs := []int64{jpg, png}
		if tc.Platform == snsos.PlatformX {
			wantIDs = []int64{jpg}
		}
		if !slices.Equal(tc.MediaIDs, wantIDs) {
			t.Errorf("%s publishes %v, want %v", tc.Platform, tc.MediaIDs, wantIDs)
		}
	}
	f.Set("do", "check")
	_, body = do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
	wantAll(t, "page", body, `<li class="mbadge unused">X — not used</li>`, `Instagram ✗ PNG — JPEG only</li><li class="mconvert"><button type="submit" class="linkbutton convert" name="do" value="convert:`+itoa(png)+`"`)
}

// TestComposeMetaRefused: what Instagram or Threads would refuse is refused
// on save with the platform's rule, next to its field, everything typed
// kept, and nothing is stored or sent; the live check says it first.
func TestComposeMetaRefused(t *testing.T) {
	ce := newComposeEnv(t)
	ctx := context.Background()
	ig, th := ce.metaAccounts(t)
	png := ce.upload(t, testPNG(t), "boat.png")
	var jpgs []string
	for i := range 11 {
		jpgs = append(jpgs, itoa(ce.upload(t, testJPEG(t, 32, 32, i), "j"+itoa(int64(i))+".jpg")))
	}
	short := &snsos.MediaRef{SHA256: "shortsha", Key: "sha256/short", Mime: "video/mp4", Size: 4000, Width: 1080, Height: 1920,
		DurationMS: 2000, FrameRate: 30, Filename: "short.mp4"}
	if _, err := ce.store.CreateMedia(ctx, short); err != nil {
		t.Fatal(err)
	}
	var tags, links []string
	for i := range 31 {
		tags = append(tags, "#tag"+itoa(int64(i)))
	}
	for i := range 6 {
		links = append(links, "https://example.com/"+itoa(int64(i)))
	}
	igForm := func(body string, media ...string) url.Values {
		f := ce.form(body, "approve")
		f["account"] = []string{itoa(ig.ID)}
		f["media"] = media
		return f
	}
	thForm := func(body string) url.Values {
		f := ce.form(body, "approve")
		f["account"] = []string{itoa(th.ID)}
		return f
	}
	thread := thForm("")
	thread.Set("thread_threads", "1")
	thread["part_threads"] = []string{"A short first part", strings.Repeat("あ", 501)}
	cases := []struct {
		name  string
		form  url.Values
		field string // the id of the field the error is next to
		want  string
	}{
		{"PNG for Instagram", igForm("A boat", itoa(png)), "media-error", "Instagram images must be JPEG; this is PNG."},
		{"11 carousel items", igForm("Eleven", jpgs...), "media-error", "Instagram posts can have at most 10 media items; this has 11."},
		{"two-second reel", igForm("Quick", itoa(short.ID)), "media-error", "Instagram video is 2 s; the minimum is 3 s."},
		{"caption over 2,200", igForm(strings.Repeat("a", 2201), jpgs[0]), "body-error", "Too long for Instagram."},
		{"31 hashtags", igForm(strings.Join(tags, " "), jpgs[0]), "body-error", "Instagram allows at most 30 hashtags."},
		{"Threads part over 500", thread, "part_threads_1", "Too long for Threads."},
		{"6 links", thForm(strings.Join(links, " ")), "body-error", "Threads allows at most 5 different links per post."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			live := url.Values{}
			for k, v := range tc.form {
				live[k] = v
			}
			_, body := do(t, ce.c, "POST", ce.srv.URL+"/compose/check", live)
			var res composeCheckResult
			if err := json.Unmarshal([]byte(body), &res); err != nil || len(res.Blocking) == 0 {
				t.Fatalf("the live check lets it through: %v %s", err, body)
			}
			resp, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", tc.form)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", resp.StatusCode)
			}
			wantAll(t, tc.name, html.UnescapeString(body), `id="error-summary"`, tc.want)
			i := strings.Index(body, `id="`+tc.field+`"`)
			if i < 0 {
				t.Fatalf("no field %s", tc.field)
			}
			if near := body[i:min(len(body), i+4000)]; !strings.Contains(html.UnescapeString(near), tc.want) {
				t.Fatalf("%q is not next to %s", tc.want, tc.field)
			}
			if posts, _ := ce.store.ListPosts(ctx, storePostFilter()); len(posts) != 0 {
				t.Fatalf("%d posts stored", len(posts))
			}
		})
	}
}

// TestComposeSplitThreads: Split into parts on the Threads tab cuts at
// Threads' 500 characters (an emoji counted by its bytes).
func TestComposeSplitThreads(t *testing.T) {
	ce := newComposeEnv(t)
	_, th := ce.metaAccounts(t)
	long := strings.Repeat("The harbour wakes up slowly 🚢. ", 40)
	f := ce.form(long, "split:threads")
	f["account"] = []string{itoa(th.ID)}
	resp, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("split: %d", resp.StatusCode)
	}
	parts := composeFormValues(t, body)["part_threads"]
	if len(parts) < 3 || strings.Join(parts, " ") != strings.TrimSpace(long) {
		t.Fatalf("%d parts: %q", len(parts), parts)
	}
	for i, p := range parts {
		if n := rules.ThreadsLength(p); n > rules.ThreadsMaxLength {
			t.Errorf("part %d counts %d", i+1, n)
		}
	}
	wantAll(t, "split", body, `data-open-tab="threads"`, "Threads 1/"+itoa(int64(len(parts))))
}
