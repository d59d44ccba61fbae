package web

import (
	"bytes"
	"context"
	enc "encoding/binary"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/publish"
)

// fakeCreators answers for TikTok accounts as the test sets them, and
// counts the questions.
type fakeCreators struct {
	mu    sync.Mutex
	info  map[int64]*TikTokCreator
	err   map[int64]error
	calls int
}

func (f *fakeCreators) TikTokCreator(_ context.Context, id int64) (*TikTokCreator, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if err := f.err[id]; err != nil {
		return nil, err
	}
	if ci := f.info[id]; ci != nil {
		c := *ci
		return &c, nil
	}
	return nil, fmt.Errorf("no answer for account %d", id)
}

func (f *fakeCreators) set(id int64, ci *TikTokCreator, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.info[id], f.err[id] = ci, err
}

// publicCreator is an audited app's public account; unauditedCreator the
// demo's (only "Only me").
var (
	publicCreator = TikTokCreator{Nickname: "Harbour Films", Username: "harbour_films",
		PrivacyLevels: []string{"PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"}, MaxVideoSeconds: 300}
	unauditedCreator = TikTokCreator{Nickname: "Harbour Films", Username: "harbour_films", PrivacyLevels: []string{"SELF_ONLY"},
		MaxVideoSeconds: 600}
)

// tiktokEnv is compose with a connected TikTok account (Direct Post, or
// inbox with inbox), a fake Creators, and a 9:16 video in the library.
type tiktokEnv struct {
	*composeEnv
	tt       *snsos.Account
	creators *fakeCreators
	video    int64
}

func newTikTokEnv(t *testing.T, ci TikTokCreator, inbox bool) *tiktokEnv {
	t.Helper()
	ce := newComposeEnv(t)
	ctx := context.Background()
	a := &snsos.Account{Platform: snsos.PlatformTikTok, RemoteID: "open-7f3a", Handle: "harbour_films", DisplayName: "Harbour Films"}
	if inbox {
		a.Options = map[string]string{publish.AccountPublishMode: publish.PublishModeInbox}
	}
	if err := ce.store.UpsertAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	fc := &fakeCreators{info: map[int64]*TikTokCreator{a.ID: &ci}, err: map[int64]error{}}
	ce.reconfigure(t, func(c *Config) { c.Creators = fc })
	v, err := ce.lib.Upload(ctx, bytes.NewReader(testMP4(720, 1280, 12000)), "harbour.mp4")
	if err != nil {
		t.Fatal(err)
	}
	return &tiktokEnv{composeEnv: ce, tt: a, creators: fc, video: v.ID}
}

// form is a compose form to the TikTok account with the video.
func (te *tiktokEnv) form(body, do string) url.Values {
	return url.Values{"token": {newComposeToken()}, "account": {strconv.FormatInt(te.tt.ID, 10)}, "body": {body}, "do": {do},
		"zone": {"Asia/Tokyo"}, "media": {strconv.FormatInt(te.video, 10)}}
}

// page posts f and returns the status and the page's text, unescaped.
func (te *tiktokEnv) page(t *testing.T, f url.Values) (int, string) {
	t.Helper()
	resp, body := do(t, te.c, "POST", te.srv.URL+"/compose", f)
	return resp.StatusCode, html.UnescapeString(body)
}

// selectOptions lists the options of the audience list: value=label,
// a * after a selected one.
var ttOptionRE = regexp.MustCompile(`<option value="([^"]*)"( selected)?>([^<]*)</option>`)

func audienceList(t *testing.T, body string) []string {
	t.Helper()
	start := strings.Index(body, `<select id="privacy_level_tiktok"`)
	if start < 0 {
		t.Fatalf("no audience list:\n%s", body)
	}
	end := strings.Index(body[start:], "</select>")
	var out []string
	for _, m := range ttOptionRE.FindAllStringSubmatch(body[start:start+end], -1) {
		s := m[1] + "=" + m[3]
		if m[2] != "" {
			s += "*"
		}
		out = append(out, s)
	}
	return out
}

// TestComposeTikTokBlock: with a TikTok account chosen, its tab says who is
// posting, offers exactly the audiences TikTok lists with none chosen,
// leaves comments, Duet and Stitch off, shows the declaration above the
// buttons, and lists the missing audience among what stops approval; the
// same in Japanese.
func TestComposeTikTokBlock(t *testing.T) {
	te := newTikTokEnv(t, publicCreator, false)
	status, body := te.page(t, te.form("Boats at dawn #harbour", "check"))
	if status != http.StatusOK {
		t.Fatalf("check: %d\n%s", status, body)
	}
	wantAll(t, "TikTok block", body, "TikTok post settings", "Posting to <strong>Harbour Films</strong> @harbour_films",
		"Who can see this post", "Allow comments", "Allow Duet", "Allow Stitch", "Disclose commercial content",
		"By posting, you agree to TikTok's Music Usage Confirmation.", "TikTok: Choose who can see this post.",
		"Once sent, TikTok may take a few minutes to process this.", `class="tt-frame"`, `<video src="/media/`+strconv.FormatInt(te.video, 10)+`"`)
	if got, want := strings.Join(audienceList(t, body), ", "), "=Choose…, PUBLIC_TO_EVERYONE=Everyone, MUTUAL_FOLLOW_FRIENDS=Friends, SELF_ONLY=Only me"; got != want {
		t.Errorf("audiences %s, want %s", got, want)
	}
	for _, k := range []string{"comment", "duet", "stitch"} {
		if !regexp.MustCompile(`name="disable_` + k + `_tiktok" value="0" aria-describedby`).MatchString(body) {
			t.Errorf("Allow %s is not an unchecked, enabled checkbox", k)
		}
	}
	if strings.Contains(body, `data-tt-unaudited>`) || !strings.Contains(body, `data-tt-unaudited hidden>`) {
		t.Error("the unaudited note shows for an account offering every audience")
	}
	// The declaration comes right before the buttons.
	if i, j := strings.Index(body, `id="tiktok-consent"`), strings.Index(body, `id="approve"`); i < 0 || j < i {
		t.Error("the declaration is not above the approve buttons")
	}

	setLang(t, &pagesEnv{testEnv: te.testEnv, c: te.c}, "ja")
	_, body = te.page(t, te.form("夜明けの港", "check"))
	wantAll(t, "Japanese TikTok block", body, "TikTokの投稿設定", "投稿先：<strong>Harbour Films</strong>（@harbour_films）", "公開範囲",
		"コメントを許可", "デュエットを許可", "スティッチを許可", "コンテンツの開示", "投稿すると、TikTokの音楽使用確認に同意したことになります。",
		"TikTok：公開範囲を選んでください。")
	if got, want := strings.Join(audienceList(t, body), ", "), "=選択してください, PUBLIC_TO_EVERYONE=全員, MUTUAL_FOLLOW_FRIENDS=友達, SELF_ONLY=自分のみ"; got != want {
		t.Errorf("Japanese audiences %s, want %s", got, want)
	}
}

// TestComposeTikTokUnaudited: an unaudited app's account offers "Only me"
// alone, with a note saying why; interactions the account turned off are
// greyed out and say so; a photo post offers comments only and a title.
func TestComposeTikTokUnaudited(t *testing.T) {
	ci := unauditedCreator
	ci.CommentDisabled, ci.StitchDisabled = true, true
	te := newTikTokEnv(t, ci, false)
	_, body := te.page(t, te.form("Boats", "check"))
	if got := strings.Join(audienceList(t, body), ", "); got != "=Choose…, SELF_ONLY=Only me" {
		t.Errorf("audiences %s", got)
	}
	wantAll(t, "unaudited", body, `data-tt-unaudited>TikTok offers only “Only me” here`,
		`id="disable_comment_tiktok" name="disable_comment_tiktok" value="0" disabled`, `id="disable_stitch_tiktok" name="disable_stitch_tiktok" value="0" disabled`,
		`id="disable_comment_tiktok-off" data-tt-off>Turned off in this TikTok account's settings`)
	if strings.Contains(body, `id="disable_duet_tiktok" name="disable_duet_tiktok" value="0" disabled`) {
		t.Error("Duet is greyed out though the account allows it")
	}
	// A checked box for a turned-off interaction is not sent (greyed
	// out): the post keeps comments off.
	f := te.form("Boats", "draft")
	f.Set("privacy_level_tiktok", "SELF_ONLY")
	f.Add("disable_comment_tiktok", "1")
	f.Add("disable_duet_tiktok", "1")
	f.Add("disable_duet_tiktok", "0") // Allow Duet
	resp, _ := do(t, te.c, "POST", te.srv.URL+"/compose", f)
	p := te.onlyPost(t, resp)
	want := map[string]any{"privacy_level": "SELF_ONLY", "disable_comment": true, "disable_duet": false}
	if got := p.Targets[0].Options; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("stored options %v, want %v", got, want)
	}

	// Photos: comments only, and a title.
	img := te.upload(t, testJPEG(t, 90, 160, 4), "pier.jpg")
	f = te.form("Pier", "check")
	f.Set("media", strconv.FormatInt(img, 10))
	_, body = te.page(t, f)
	wantAll(t, "photo post", body, `data-tt-allow="duet" hidden`, `data-tt-allow="stitch" hidden`, `<div class="tt-allow-item" data-tt-allow="comment">`,
		`<div class="field" data-tt-photo>`, "TikTok: Write a title for this photo post (up to 90 characters).")
}

// onlyPost returns the one post a save made.
func (te *tiktokEnv) onlyPost(t *testing.T, resp *http.Response) *snsos.Post {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	p, err := te.store.FindPostByID(context.Background(), postIDFrom(t, resp.Header.Get("Location")))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestComposeTikTokRefusals: approving is refused, next to the field and
// with the reason, for each rule TikTok sets on the account; nothing is
// saved. A draft is saved whatever it lacks.
func TestComposeTikTokRefusals(t *testing.T) {
	te := newTikTokEnv(t, publicCreator, false)
	long := &snsos.MediaRef{SHA256: "long-clip", Key: "sha256/long-clip", Mime: "video/mp4", Size: 4000, Width: 720, Height: 1280,
		DurationMS: 312_000, FrameRate: 30, Filename: "long.mp4"}
	if _, err := te.store.CreateMedia(context.Background(), long); err != nil {
		t.Fatal(err)
	}
	png := te.upload(t, testPNG(t), "diagram.png")
	photo := te.upload(t, testJPEG(t, 90, 160, 5), "pier.jpg")
	cases := []struct {
		name  string
		edit  func(url.Values)
		field string // the id the error summary links to
		msg   string
	}{
		{"no audience", func(url.Values) {}, "privacy_level_tiktok", "Choose who can see this post."},
		{"not offered", func(f url.Values) { f.Set("privacy_level_tiktok", "FOLLOWER_OF_CREATOR") }, "privacy_level_tiktok",
			"This TikTok account doesn't offer “Followers”. Choose who can see this post from the list."},
		{"branded only me", func(f url.Values) {
			f.Set("privacy_level_tiktok", "SELF_ONLY")
			f["commercial_tiktok"] = []string{"0", "1"}
			f["brand_content_toggle_tiktok"] = []string{"0", "1"}
		}, "privacy_level_tiktok", "Branded content can't be “Only me”. Choose a wider audience, or turn off Branded content."},
		{"commercial without a choice", func(f url.Values) {
			f.Set("privacy_level_tiktok", "PUBLIC_TO_EVERYONE")
			f["commercial_tiktok"] = []string{"0", "1"}
			f["brand_content_toggle_tiktok"] = []string{"0"}
		}, "brand_organic_toggle_tiktok", "Commercial content is on: choose Your brand, Branded content, or both."},
		{"video too long", func(f url.Values) {
			f.Set("privacy_level_tiktok", "SELF_ONLY")
			f.Set("media", strconv.FormatInt(long.ID, 10))
		}, "media", "The video is 5 min 12 s long; this TikTok account can post videos of up to 5 min. Trim it or choose another video."},
		{"photo without a title", func(f url.Values) {
			f.Set("privacy_level_tiktok", "SELF_ONLY")
			f.Set("media", strconv.FormatInt(photo, 10))
		}, "title_tiktok", "Write a title for this photo post (up to 90 characters)."},
		{"a file TikTok can't take", func(f url.Values) {
			f.Set("privacy_level_tiktok", "SELF_ONLY")
			f.Set("media", strconv.FormatInt(png, 10))
			f.Set("title_tiktok", "Diagram")
		}, "media", "TikTok images must be JPEG or WebP; this is PNG."},
	}
	for _, c := range cases {
		f := te.form("Boats at dawn", "schedule")
		f.Set("date", "2026-11-30")
		f.Set("time", "09:00")
		c.edit(f)
		status, body := te.page(t, f)
		if status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422", c.name, status)
			continue
		}
		if !strings.Contains(body, `<a href="#`+c.field+`">`) || !strings.Contains(body, c.msg) {
			t.Errorf("%s: no %q linked to #%s:\n%s", c.name, c.msg, c.field, errorSummary(body))
		}
	}
	// A wrong time and a missing audience are both said at once, so the
	// operator fixes everything in one pass.
	f := te.form("Boats at dawn", "schedule")
	f.Set("date", "2026-11-31")
	f.Set("time", "09:00")
	status, body := te.page(t, f)
	if sum := errorSummary(body); status != http.StatusUnprocessableEntity || !strings.Contains(sum, `<a href="#privacy_level_tiktok">`) ||
		!strings.Contains(sum, "Choose who can see this post.") || !strings.Contains(sum, `<a href="#date">`) {
		t.Errorf("a wrong date and no audience: %d, summary:\n%s", status, sum)
	}
	if posts, err := te.store.ListPosts(context.Background(), storePostFilter()); err != nil || len(posts) != 0 {
		t.Fatalf("refused approvals saved %d posts (%v)", len(posts), err)
	}

	// TikTok says the account can't post now: approval waits, a draft not.
	te.creators.set(te.tt.ID, nil, fmt.Errorf("%w: spam_risk_too_many_posts", ErrTikTokCantPost))
	f = te.form("Boats at dawn", "now-confirmed")
	f.Set("privacy_level_tiktok", "SELF_ONLY")
	status, body = te.page(t, f)
	if status != http.StatusUnprocessableEntity || !strings.Contains(errorSummary(body), "TikTok says this account can't post right now. Try again later.") {
		t.Fatalf("can't post: %d\n%s", status, errorSummary(body))
	}
	wantAll(t, "block", body, `<li class="field-error">TikTok @harbour_films: TikTok says this account can't post right now. Try again later.</li>`)
	f.Set("do", "draft")
	f.Set("token", newComposeToken())
	resp, _ := do(t, te.c, "POST", te.srv.URL+"/compose", f)
	te.onlyPost(t, resp)
}

// errorSummary is the page's error summary.
func errorSummary(body string) string {
	i := strings.Index(body, `id="error-summary"`)
	if i < 0 {
		return "(no error summary)"
	}
	j := strings.Index(body[i:], "</div>")
	return body[i : i+j]
}

// TestComposeTikTokApprove: a video post with its audience chosen is
// approved with TikTok's own option names, the interactions off unless
// allowed; posting it now says TikTok processes it for a while. The
// editor shows the choices again.
func TestComposeTikTokApprove(t *testing.T) {
	te := newTikTokEnv(t, publicCreator, false)
	f := te.form("Boats at dawn #harbour", "now-confirmed")
	f.Set("privacy_level_tiktok", "MUTUAL_FOLLOW_FRIENDS")
	f["disable_comment_tiktok"] = []string{"1", "0"}
	f["disable_duet_tiktok"] = []string{"1"}
	f["disable_stitch_tiktok"] = []string{"1"}
	f["commercial_tiktok"] = []string{"0", "1"}
	f["brand_organic_toggle_tiktok"] = []string{"0", "1"}
	f["brand_content_toggle_tiktok"] = []string{"0"}
	resp, _ := do(t, te.c, "POST", te.srv.URL+"/compose", f)
	if loc := resp.Header.Get("Location"); !strings.HasSuffix(loc, "?flash=compose.now.tiktok") {
		t.Fatalf("after posting now: %d %s", resp.StatusCode, loc)
	}
	p := te.onlyPost(t, resp)
	want := `{"brand_content_toggle":false,"brand_organic_toggle":true,"disable_comment":false,"disable_duet":true,"disable_stitch":true,"privacy_level":"MUTUAL_FOLLOW_FRIENDS"}`
	if got, _ := json.Marshal(p.Targets[0].Options); string(got) != want {
		t.Errorf("options %s\nwant %s", got, want)
	}
	if st := p.Targets[0].State; st != snsos.StateScheduled {
		t.Errorf("target %s, want scheduled", st)
	}
	_, body := do(t, te.c, "GET", te.srv.URL+resp.Header.Get("Location"), nil)
	wantAll(t, "post page", html.UnescapeString(body), "Approved; publishing now. TikTok may take a few minutes to process this.")

	// A draft shows its choices again; the promotional label with them.
	f = te.form("Boats", "draft")
	f.Set("privacy_level_tiktok", "SELF_ONLY")
	f["commercial_tiktok"] = []string{"0", "1"}
	f["brand_organic_toggle_tiktok"] = []string{"0", "1"}
	resp, _ = do(t, te.c, "POST", te.srv.URL+"/compose", f)
	d := te.onlyPost(t, resp)
	_, body = do(t, te.c, "GET", te.srv.URL+postHref(d.ID)+"/edit", nil)
	body = html.UnescapeString(body)
	if got := strings.Join(audienceList(t, body), ", "); got != "=Choose…, PUBLIC_TO_EVERYONE=Everyone, MUTUAL_FOLLOW_FRIENDS=Friends, SELF_ONLY=Only me*" {
		t.Errorf("editor audiences %s", got)
	}
	wantAll(t, "editor", body, `data-tt-commercial checked`, `data-tt-organic checked`, "This post will be labeled “Promotional content”.")
}

// TestComposeTikTokInbox: an inbox account's tab replaces the settings by
// a note; its post is approved without an audience and carries no post
// settings, and no declaration is shown.
func TestComposeTikTokInbox(t *testing.T) {
	te := newTikTokEnv(t, unauditedCreator, true)
	_, body := te.page(t, te.form("Boats", "check"))
	wantAll(t, "inbox", body, `id="tiktok_inbox" data-tt-inbox>Sends the video to your TikTok inbox. Finish and choose who can see it in the TikTok app.`,
		`id="tiktok_block" data-tiktok hidden`, `id="tiktok-consent" data-tt-consent hidden>`)
	if strings.Contains(body, "Choose who can see this post.") {
		t.Error("an inbox upload is asked for an audience")
	}
	f := te.form("Boats", "approve")
	f.Set("privacy_level_tiktok", "SELF_ONLY") // the hidden block's fields are sent all the same
	f["disable_comment_tiktok"] = []string{"1"}
	f["commercial_tiktok"] = []string{"0"}
	f.Set("options_tiktok", `{"video_cover_timestamp_ms":1000}`)
	resp, _ := do(t, te.c, "POST", te.srv.URL+"/compose", f)
	p := te.onlyPost(t, resp)
	if o := p.Targets[0].Options; len(o) != 0 {
		t.Errorf("inbox upload options %v, want none", o)
	}
	if st := p.Targets[0].State; st != snsos.StateApproved {
		t.Errorf("target %s, want approved", st)
	}
}

// TestComposeTikTokCheckJSON: the live check carries the block, asked
// once per check; a new post never has an audience chosen; Duplicate
// copies no TikTok setting.
func TestComposeTikTokCheckJSON(t *testing.T) {
	te := newTikTokEnv(t, unauditedCreator, false)
	resp, body := do(t, te.c, "POST", te.srv.URL+"/compose/check", te.form("Boats", "check"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("check: %d", resp.StatusCode)
	}
	var res struct {
		Blocking []string `json:"blocking"`
		TikTok   struct {
			Selected, Direct, Unaudited, Photo bool
			Accounts                           []composeTikTokAccount
			Levels                             []composeTikTokLevel
			Consent                            string
			Preview                            *composeTikTokMedia
		} `json:"tiktok"`
	}
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		t.Fatal(err)
	}
	tt := res.TikTok
	if !tt.Selected || !tt.Direct || !tt.Unaudited || tt.Photo || len(tt.Levels) != 1 || tt.Levels[0].Value != "SELF_ONLY" || tt.Levels[0].Checked ||
		len(tt.Accounts) != 1 || tt.Accounts[0].Name != "Harbour Films" || tt.Preview == nil || !tt.Preview.Video ||
		tt.Consent != "By posting, you agree to TikTok's Music Usage Confirmation." {
		t.Fatalf("tiktok %+v", tt)
	}
	if !strings.Contains(strings.Join(res.Blocking, "|"), "TikTok: Choose who can see this post.") {
		t.Errorf("blocking %q", res.Blocking)
	}
	if te.creators.calls != 1 {
		t.Errorf("%d creator questions for one check", te.creators.calls)
	}

	// Duplicate: the text, media and account, no TikTok setting.
	ctx := context.Background()
	src := &snsos.Post{Body: "Boats", MediaIDs: []int64{te.video}, Targets: []*snsos.Target{{AccountID: te.tt.ID,
		Options: map[string]any{"privacy_level": "SELF_ONLY", "disable_comment": false, "brand_organic_toggle": true}}}}
	if err := te.store.CreatePost(ctx, src, nil); err != nil {
		t.Fatal(err)
	}
	resp, _ = do(t, te.c, "POST", te.srv.URL+postHref(src.ID)+"/duplicate", url.Values{})
	dup := te.onlyPostAt(t, resp.Header.Get("Location"))
	if dup.ID == src.ID || len(dup.Targets) != 1 || len(dup.Targets[0].Options) != 0 || dup.Targets[0].AccountID != te.tt.ID {
		t.Fatalf("duplicate %+v (options %v)", dup, dup.Targets[0].Options)
	}
	_, body = do(t, te.c, "GET", te.srv.URL+resp.Header.Get("Location"), nil)
	if got := strings.Join(audienceList(t, html.UnescapeString(body)), ", "); got != "=Choose…, SELF_ONLY=Only me" {
		t.Errorf("the duplicate's audiences %s: one is chosen", got)
	}
}

func (te *tiktokEnv) onlyPostAt(t *testing.T, loc string) *snsos.Post {
	t.Helper()
	p, err := te.store.FindPostByID(context.Background(), postIDFrom(t, loc))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// testMP4 is a small MP4 the media library probes as a w×h H.264 video of
// ms milliseconds at 30 frames a second (no real frames: the data is
// filler).
func testMP4(w, h, ms int) []byte {
	box := func(typ string, parts ...[]byte) []byte {
		body := bytes.Join(parts, nil)
		return append(append(enc.BigEndian.AppendUint32(nil, uint32(8+len(body))), typ...), body...)
	}
	u32 := func(vs ...uint32) []byte {
		var b []byte
		for _, v := range vs {
			b = enc.BigEndian.AppendUint32(b, v)
		}
		return b
	}
	u16 := func(vs ...uint16) []byte {
		var b []byte
		for _, v := range vs {
			b = enc.BigEndian.AppendUint16(b, v)
		}
		return b
	}
	const scale = 15360
	frames := uint32(ms * 30 / 1000)
	matrix := u32(0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
	mvhd := box("mvhd", u32(0, 0, 0, 1000, uint32(ms), 0x10000), u16(0x100), make([]byte, 10), matrix, make([]byte, 24), u32(2))
	tkhd := box("tkhd", u32(3, 0, 0, 1, 0, uint32(ms)), make([]byte, 8), u16(0, 0, 0, 0), matrix, u32(uint32(w)<<16, uint32(h)<<16))
	mdhd := box("mdhd", u32(0, 0, 0, scale, uint32(ms)*scale/1000), u16(0x55c4, 0))
	hdlr := box("hdlr", u32(0, 0), []byte("vide"), make([]byte, 12), []byte("Video\x00"))
	avcC := box("avcC", []byte{1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, 4, 0x67, 0x42, 0xc0, 0x1e, 1, 0, 4, 0x68, 0xce, 0x3c, 0x80})
	avc1 := box("avc1", make([]byte, 6), u16(1), make([]byte, 16), u16(uint16(w), uint16(h)), u32(0x480000, 0x480000, 0), u16(1),
		make([]byte, 32), u16(0x18, 0xffff), avcC)
	stbl := box("stbl", box("stsd", u32(0, 1), avc1), box("stts", u32(0, 1, frames, scale/30)), box("stsz", u32(0, 0, 0)))
	minf := box("minf", box("vmhd", u32(1, 0, 0)), box("dinf", box("dref", u32(0, 1), box("url ", u32(1)))), stbl)
	moov := box("moov", mvhd, box("trak", tkhd, box("mdia", mdhd, hdlr, minf)))
	return bytes.Join([][]byte{box("ftyp", []byte("isom"), u32(0x200), []byte("isomiso2avc1mp41")), moov, box("mdat", make([]byte, 2048))}, nil)
}
