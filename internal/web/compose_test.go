package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/jobs"
	"github.com/sns-os/snsos/internal/media"
	"github.com/sns-os/snsos/internal/publish"
	"github.com/sns-os/snsos/internal/rules"
	"github.com/sns-os/snsos/internal/store"
)

// composeEnv is a signed-in client over the real engine (its jobs inserted
// but not worked) and a real media library on disk, all on e.clock.
type composeEnv struct {
	*testEnv
	c     *http.Client
	x, th *snsos.Account
	lib   *media.Library
	loc   *time.Location
}

func newComposeEnv(t *testing.T) *composeEnv {
	t.Helper()
	e := newTestEnv(t, "pw")
	ctx := context.Background()
	if err := jobs.Migrate(ctx, e.store.DB(), e.store.Pool(), nil); err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	eng := publish.New(publish.Config{Store: e.store, Now: e.clock.Now})
	eng.Register(workers)
	jc, err := jobs.New(jobs.Config{DB: e.store.DB(), Pool: e.store.Pool(), Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	eng.SetJobs(jc)
	disk, err := media.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	lib := media.NewLibrary(disk, e.store, media.Limits{})
	loc, _ := time.LoadLocation("Asia/Tokyo")
	e.h = New(Config{Store: e.store, Engine: eng, Media: lib, Location: loc, Now: e.clock.Now})
	mux := http.NewServeMux()
	e.h.Routes(mux)
	e.srv.Config.Handler = chain(mux)
	ce := &composeEnv{testEnv: e, lib: lib, loc: loc}
	ce.x = &snsos.Account{Platform: snsos.PlatformX, RemoteID: "42", Handle: "snsos_demo", DisplayName: "Demo X"}
	ce.th = &snsos.Account{Platform: snsos.PlatformThreads, RemoteID: "43", Handle: "threads_demo", Status: snsos.AccountNeedsReauth}
	for _, a := range []*snsos.Account{ce.x, ce.th} {
		if err := e.store.UpsertAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	ce.c = e.client(t)
	if resp, _ := do(t, ce.c, "POST", e.srv.URL+"/signin", url.Values{"password": {"pw"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	return ce
}

// form is a compose form for the X account.
func (ce *composeEnv) form(body, do string) url.Values {
	return url.Values{"token": {newComposeToken()}, "account": {strconv.FormatInt(ce.x.ID, 10)}, "body": {body}, "do": {do},
		"zone": {"Asia/Tokyo"}}
}

func (ce *composeEnv) jobCount(t *testing.T, targetID int64) int {
	t.Helper()
	rows, err := ce.store.DB().Query(`SELECT json(args) FROM river_job WHERE kind IN ('publish_target', 'preflight_target')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var raw []byte // River's SQLite driver keeps args as JSONB: json() reads them back
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		var args struct {
			TargetID int64 `json:"target_id"`
		}
		if json.Unmarshal(raw, &args) == nil && args.TargetID == targetID {
			n++
		}
	}
	return n
}

func postIDFrom(t *testing.T, loc string) int64 {
	t.Helper()
	rest, ok := strings.CutPrefix(loc, "/posts/")
	if !ok {
		t.Fatalf("redirect to %q, want a post", loc)
	}
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	id, err := strconv.ParseInt(rest[:end], 10, 64)
	if err != nil {
		t.Fatalf("redirect to %q", loc)
	}
	return id
}

func TestComposePage(t *testing.T) {
	ce := newComposeEnv(t)
	resp, body := do(t, ce.c, "GET", ce.srv.URL+"/compose?at=2026-11-30T09:00", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /compose: %d", resp.StatusCode)
	}
	wantAll(t, "compose page", body, `name="token"`, `value="2026-11-30"`, `value="09:00"`, "Demo X", "@snsos_demo",
		"Needs reconnect", `disabled aria-describedby="acct-`, `role="tablist"`, "Customize for X", `aria-live="polite"`,
		`<script src="/static/compose.`, `type="file" id="files" name="files" multiple`, "Asia/Tokyo (UTC&#43;9)",
		"Save draft", "Approve and schedule", `value="Asia/Tokyo" selected`)
	if strings.Contains(body, "style=") || strings.Contains(body, "onclick") || strings.Contains(body, "<script>") {
		t.Fatal("the compose page has inline style or script")
	}
	setLang(t, &pagesEnv{testEnv: ce.testEnv, c: ce.c}, "ja")
	_, body = do(t, ce.c, "GET", ce.srv.URL+"/compose", nil)
	wantAll(t, "Japanese compose page", body, "投稿先", "共通の本文", "下書き保存", "承認して予約", "X用に編集", "Xでは全角1文字を2として数えます")
}

func TestComposeSaveDraftAndSchedule(t *testing.T) {
	ce := newComposeEnv(t)
	ctx := context.Background()

	// Save a draft: back to the editor, saved.
	resp, _ := do(t, ce.c, "POST", ce.srv.URL+"/compose", ce.form("下書きです https://example.com", "draft"))
	if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "/edit?flash=saved") {
		t.Fatalf("save draft: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	id := postIDFrom(t, resp.Header.Get("Location"))
	p, err := ce.store.FindPostByID(ctx, id)
	if err != nil || p.Body != "下書きです https://example.com" || len(p.Targets) != 1 || p.Targets[0].State != snsos.StateDraft {
		t.Fatalf("draft %+v %v", p, err)
	}
	_, body := do(t, ce.c, "GET", ce.srv.URL+resp.Header.Get("Location"), nil)
	wantAll(t, "edit page", body, "Edit post", "下書きです https://example.com", "Saved ", `data-compose-clear="new `, "Estimated X cost: $0.20 (1 post)")

	// Approve and schedule it, with a thread override for X.
	at := ce.clock.Now().In(ce.loc).Add(26 * time.Hour)
	f := ce.form("下書きです https://example.com", "schedule")
	f.Set("date", at.Format("2006-01-02"))
	f.Set("time", at.Format("15:04"))
	f.Set("thread_x", "1")
	f["part_x"] = []string{"one", "two"}
	resp, body = do(t, ce.c, "POST", ce.srv.URL+"/posts/"+strconv.FormatInt(id, 10)+"/edit", f)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != postHref(id)+"?flash=compose.scheduled" {
		t.Fatalf("schedule: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	p, _ = ce.store.FindPostByID(ctx, id)
	tg := p.Targets[0]
	if tg.State != snsos.StateScheduled || !tg.ScheduledAt.Equal(at.UTC()) || len(tg.Options["parts"].([]any)) != 2 {
		t.Fatalf("scheduled target %+v", tg)
	}
	if n := ce.jobCount(t, tg.ID); n != 2 {
		t.Fatalf("%d jobs for the target, want publish and preflight", n)
	}
	_, body = do(t, ce.c, "GET", ce.srv.URL+postHref(id)+"?flash=compose.scheduled", nil)
	wantAll(t, "post page", body, "Approved and scheduled.", "Scheduled · ", `href="/posts/`+strconv.FormatInt(id, 10)+`/edit"`, "Duplicate as draft",
		`data-compose-clear="new `)

	// A new post approved and scheduled in one step.
	f = ce.form("hello", "schedule")
	f.Set("date", at.Format("2006-01-02"))
	f.Set("time", at.Format("15:04"))
	resp, _ = do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("new scheduled: %d", resp.StatusCode)
	}
	p, _ = ce.store.FindPostByID(ctx, postIDFrom(t, resp.Header.Get("Location")))
	if p.Targets[0].State != snsos.StateScheduled || ce.jobCount(t, p.Targets[0].ID) != 2 {
		t.Fatalf("new scheduled post %+v", p.Targets[0])
	}
}

func TestComposeValidation(t *testing.T) {
	ce := newComposeEnv(t)
	long := strings.Repeat("長い文章です。", 30) // 210 characters, 420 weighted
	resp, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", ce.form(long, "draft"))
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("too long: %d", resp.StatusCode)
	}
	wantAll(t, "too long", body, long, `id="error-summary"`, "Too long for X", `href="#body"`, `aria-invalid="true"`, "X 420/280 · 140 over")

	cases := []struct{ name, date, clock, zone, want string }{
		{"zone", "2030-01-02", "09:00", "Mars/Olympus_Mons", "That time zone is not known"},
		{"date", "2030-02-31", "09:00", "Asia/Tokyo", "That is not a date"},
		{"time", "2030-01-02", "25:61", "Asia/Tokyo", "That is not a time"},
		{"gap", "2030-03-10", "02:30", "America/New_York", "does not exist in this zone"},
		{"overlap", "2030-11-03", "01:30", "America/New_York", "happens twice in this zone"},
		{"past", "2020-01-02", "09:00", "Asia/Tokyo", "This time has passed"},
		{"no time", "", "", "Asia/Tokyo", "Choose a date and time to schedule"},
	}
	for _, tc := range cases {
		f := ce.form("予約のテスト", "schedule")
		f.Set("date", tc.date)
		f.Set("time", tc.clock)
		f.Set("zone", tc.zone)
		resp, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("%s: %d", tc.name, resp.StatusCode)
		}
		wantAll(t, tc.name, body, tc.want, "予約のテスト")
	}
	if posts, _ := ce.store.ListPosts(context.Background(), storePostFilter()); len(posts) != 0 {
		t.Fatalf("%d posts stored from invalid forms", len(posts))
	}
	// No account.
	f := ce.form("x", "draft")
	f.Del("account")
	if resp, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", f); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose at least one account") {
		t.Fatalf("no account: %d", resp.StatusCode)
	}
	// The Check button re-renders with the counts, status 200.
	f = ce.form("abc", "check")
	if resp, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", f); resp.StatusCode != http.StatusOK || !strings.Contains(body, "X 3/280 · 277 left") {
		t.Fatalf("check: %d", resp.StatusCode)
	}
}

func TestComposeDoubleSubmit(t *testing.T) {
	ce := newComposeEnv(t)
	f := ce.form("once only", "draft")
	var wg sync.WaitGroup
	locs := make([]string, 3)
	for i := range locs {
		wg.Go(func() {
			resp, _ := do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
			locs[i] = resp.Header.Get("Location")
		})
	}
	wg.Wait()
	resp, _ := do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
	locs = append(locs, resp.Header.Get("Location"))
	for _, l := range locs {
		if l == "" || l != locs[0] {
			t.Fatalf("submits went to %q", locs)
		}
	}
	posts, _ := ce.store.ListPosts(context.Background(), storePostFilter())
	if len(posts) != 1 {
		t.Fatalf("%d posts from one form", len(posts))
	}
}

func TestComposeCrossSite(t *testing.T) {
	ce := newComposeEnv(t)
	for _, path := range []string{"/compose", "/media", "/compose/check"} {
		req, _ := http.NewRequest("POST", ce.srv.URL+path, strings.NewReader(ce.form("from elsewhere", "draft").Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := ce.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-site POST %s: %d", path, resp.StatusCode)
		}
	}
	if posts, _ := ce.store.ListPosts(context.Background(), storePostFilter()); len(posts) != 0 {
		t.Fatal("a cross-site form created a post")
	}
}

func TestComposeEditWhilePublishing(t *testing.T) {
	ce := newComposeEnv(t)
	ctx := context.Background()
	at := ce.clock.Now().Add(time.Hour).UTC()
	p := &snsos.Post{Body: "going out", ScheduledAt: at, Targets: []*snsos.Target{{AccountID: ce.x.ID, State: snsos.StateScheduled, ScheduledAt: at}}}
	if err := ce.store.CreatePost(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	// Opened for editing while scheduled...
	resp, body := do(t, ce.c, "GET", ce.srv.URL+postHref(p.ID)+"/edit", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Approve changes") {
		t.Fatalf("edit page of a scheduled post: %d", resp.StatusCode)
	}
	// ...then the worker starts publishing it.
	if _, err := ce.store.TransitionTarget(ctx, snsos.TargetTransition{TargetID: p.Targets[0].ID, From: snsos.StateScheduled, To: snsos.StatePublishing}); err != nil {
		t.Fatal(err)
	}
	f := ce.form("changed too late", "draft")
	resp, body = do(t, ce.c, "POST", ce.srv.URL+postHref(p.ID)+"/edit", f)
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("edit while publishing: %d", resp.StatusCode)
	}
	wantAll(t, "refused edit", body, "be edited. Duplicate it instead.", "changed too late")
	if got, _ := ce.store.FindPostByID(ctx, p.ID); got.Body != "going out" || got.Targets[0].State != snsos.StatePublishing {
		t.Fatalf("post changed: %+v", got)
	}
	resp, _ = do(t, ce.c, "GET", ce.srv.URL+postHref(p.ID)+"/edit", nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "flash=compose.readonly") {
		t.Fatalf("edit page of a publishing post: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = do(t, ce.c, "GET", ce.srv.URL+postHref(p.ID), nil)
	if strings.Contains(body, `id="edit-post"`) {
		t.Fatal("the post page offers Edit while publishing")
	}
}

func TestComposeDuplicate(t *testing.T) {
	ce := newComposeEnv(t)
	ctx := context.Background()
	m, err := ce.lib.Upload(ctx, bytes.NewReader(testPNG(t)), "cat.png")
	if err != nil {
		t.Fatal(err)
	}
	p := &snsos.Post{Body: "original", MediaIDs: []int64{m.ID}, Targets: []*snsos.Target{{AccountID: ce.x.ID, Body: "for X", Options: map[string]any{"parts": []any{"a", "b"}}}}}
	if err := ce.store.CreatePost(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ce.store.TransitionTarget(ctx, snsos.TargetTransition{TargetID: p.Targets[0].ID, From: snsos.StateDraft, To: snsos.StateCanceled}); err != nil {
		t.Fatal(err)
	}
	resp, _ := do(t, ce.c, "POST", ce.srv.URL+postHref(p.ID)+"/duplicate", url.Values{})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "/edit?flash=duplicated") {
		t.Fatalf("duplicate: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	cp, err := ce.store.FindPostByID(ctx, postIDFrom(t, resp.Header.Get("Location")))
	if err != nil || cp.ID == p.ID || cp.Body != "original" || len(cp.MediaIDs) != 1 || cp.MediaIDs[0] != m.ID || !cp.ScheduledAt.IsZero() {
		t.Fatalf("copy %+v %v", cp, err)
	}
	if tg := cp.Targets[0]; tg.State != snsos.StateDraft || tg.Body != "for X" || len(tg.Options["parts"].([]any)) != 2 {
		t.Fatalf("copied target %+v", tg)
	}
	_, body := do(t, ce.c, "GET", ce.srv.URL+resp.Header.Get("Location"), nil)
	wantAll(t, "copy's editor", body, "new draft copied", "for X", `value="`+strconv.FormatInt(m.ID, 10)+`"`, "cat.png", "1/2", "2/2")
}

func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range 16 {
		img.Set(i, i, color.RGBA{R: 200, A: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestComposeUpload(t *testing.T) {
	ce := newComposeEnv(t)
	ctx := context.Background()
	img := testPNG(t)
	req, _ := http.NewRequest("POST", ce.srv.URL+"/media", bytes.NewReader(img))
	req.Header.Set("X-Filename", url.QueryEscape("ねこ.png"))
	resp, err := ce.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got composeMediaJSON
	json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || got.ID == 0 || got.Mime != "image/png" || got.Filename != "ねこ.png" || !got.Image {
		t.Fatalf("upload: %d %+v", resp.StatusCode, got)
	}
	resp, body := do(t, ce.c, "GET", ce.srv.URL+got.URL, nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" || body != string(img) {
		t.Fatalf("media file: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// Not without a session.
	anon := ce.client(t)
	if resp, _ := do(t, anon, "GET", ce.srv.URL+got.URL, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("media file without a session: %d", resp.StatusCode)
	}
	// A file that is not media.
	req, _ = http.NewRequest("POST", ce.srv.URL+"/media", strings.NewReader("just text, not an image"))
	resp, err = ce.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("text upload: %d", resp.StatusCode)
	}

	// A body cut off halfway: a clear error, and nothing stored.
	big := bytes.Repeat(img, 40)
	other := testPNGSized(t, 64)
	big = append(other, big...)
	u, _ := url.Parse(ce.srv.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var cookie string
	for _, c := range ce.c.Jar.Cookies(u) {
		cookie += c.Name + "=" + c.Value + "; "
	}
	head := "POST /media HTTP/1.1\r\nHost: " + u.Host + "\r\nCookie: " + cookie + "\r\nX-Filename: half.png\r\nContent-Length: " +
		strconv.Itoa(len(big)) + "\r\n\r\n"
	conn.Write([]byte(head))
	conn.Write(big[:len(big)/2])
	conn.(*net.TCPConn).CloseWrite()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	cut, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	var e map[string]string
	json.NewDecoder(cut.Body).Decode(&e)
	if cut.StatusCode != http.StatusBadRequest || !strings.Contains(e["error"], "interrupted") {
		t.Fatalf("cut upload: %d %v", cut.StatusCode, e)
	}
	list, _ := ce.lib.List(ctx, 10)
	if len(list) != 1 {
		t.Fatalf("%d media stored, want only the first upload", len(list))
	}
}

func testPNGSized(t *testing.T, n int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	for i := range n {
		img.Set(i, n-1-i, color.RGBA{B: 200, A: 255})
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

func TestComposeCheckJSON(t *testing.T) {
	ce := newComposeEnv(t)
	text := "日本語のテスト https://example.com/a?b=c 絵文字👍🏽👨‍👩‍👧 #タグ"
	f := ce.form(text, "")
	resp, body := do(t, ce.c, "POST", ce.srv.URL+"/compose/check", f)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("check: %d %s", resp.StatusCode, body)
	}
	var res composeCheckResult
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		t.Fatal(err)
	}
	want := rules.Check(snsos.PlatformX, text, rules.Options{})
	if len(res.Counters) != 1 {
		t.Fatalf("counters %+v", res.Counters)
	}
	c := res.Counters[0]
	if c.Platform != snsos.PlatformX || c.Length != want.Length || c.MaxLength != want.MaxLength || c.Valid != want.Valid || c.State != "ok" {
		t.Fatalf("counter %+v, compose says %+v", c, want)
	}
	if wl := "X " + strconv.Itoa(want.Length) + "/280 · " + strconv.Itoa(280-want.Length) + " left"; c.Line != wl {
		t.Fatalf("line %q, want %q", c.Line, wl)
	}
	if res.Cost != "Estimated X cost: $0.20 (1 post)" {
		t.Fatalf("cost %q", res.Cost)
	}
	// Over the limit: the fit point and the blocking reason.
	f = ce.form(strings.Repeat("あ", 150), "")
	f.Set("date", "2030-01-02")
	f.Set("time", "09:00")
	_, body = do(t, ce.c, "POST", ce.srv.URL+"/compose/check", f)
	res = composeCheckResult{}
	json.Unmarshal([]byte(body), &res)
	if c := res.Counters[0]; c.State != "over" || c.FitEnd != 140 || len(res.Blocking) != 1 || !strings.Contains(res.Blocking[0], "20 over") {
		t.Fatalf("over: %+v", res)
	}
	if res.UTC == "" || !strings.HasPrefix(res.UTC, "= 2030-01-02 00:00 UTC") {
		t.Fatalf("utc %q", res.UTC)
	}
	// Signed out: no JSON, a redirect to sign in.
	if resp, _ := do(t, ce.client(t), "POST", ce.srv.URL+"/compose/check", f); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("check without a session: %d", resp.StatusCode)
	}
}

func storePostFilter() store.PostFilter { return store.PostFilter{Limit: 100} }
