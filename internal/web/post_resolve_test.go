package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/publish"
)

// The real engine is what the server wires in.
var _ Engine = (*publish.Engine)(nil)

// fakeStatusID reads the id of an X permalink (the real engine asks the X
// client, tested in internal/platform/x).
var fakeStatusID = regexp.MustCompile(`/status/([0-9]+)/?$`)

// ResolveTarget does to the store what *publish.Engine does with the
// operator's answer: only a target in needs_operator; the link must be
// http(s) and, on X, a post's permalink; not published fails the target so
// Retry can post it again.
func (f *fakeEngine) ResolveTarget(ctx context.Context, id int64, r publish.Resolution) (*snsos.Target, error) {
	t, err := f.s.FindTargetByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if t.State != snsos.StateNeedsOperator {
		return nil, snsos.Errorf(snsos.ECONFLICT, "target %d is %s; only a target waiting for the operator can be resolved", id, t.State)
	}
	if !r.Published {
		return f.s.TransitionTarget(ctx, snsos.TargetTransition{TargetID: id, From: t.State, To: snsos.StateFailed, Actor: "operator",
			Mutate: func(t *snsos.Target) { t.Error, t.Progress = "confirmed by the operator: not published", nil }})
	}
	var v snsos.ValidationErrors
	u, perr := url.Parse(strings.TrimSpace(r.RemoteURL))
	if r.RemoteURL == "" || perr != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		v.Add("remote_url", "url", "give the post's link on %s", t.Platform.DisplayName())
		return nil, v.Err()
	}
	m := fakeStatusID.FindStringSubmatch(u.Path)
	if m == nil {
		v.Add("remote_url", "post_link", "%q is not a link to a post on X", r.RemoteURL)
		return nil, v.Err()
	}
	return f.s.TransitionTarget(ctx, snsos.TargetTransition{TargetID: id, From: t.State, To: snsos.StatePublished, Actor: "operator",
		Mutate: func(t *snsos.Target) {
			t.RemoteURL, t.RemoteID, t.Error = u.String(), m[1], ""
			t.Progress = map[string]string{platform.PartIDKey(1): m[1]}
		}})
}

// needsOperatorPost makes a post with one X target that waits for the
// operator, and (when withScheduled) a second target, scheduled, on the
// other account.
func needsOperatorPost(t *testing.T, pe *pagesEnv, body string, withScheduled bool) *snsos.Post {
	t.Helper()
	ctx := context.Background()
	accts, err := pe.store.ListAccounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	at := pe.clock.Now().Add(-time.Hour)
	p := &snsos.Post{Body: body, ScheduledAt: at}
	for _, a := range accts { // the X target first
		tg := &snsos.Target{AccountID: a.ID, Platform: a.Platform, State: snsos.StateScheduled, ScheduledAt: at}
		switch {
		case a.Platform == snsos.PlatformX:
			p.Targets = append([]*snsos.Target{tg}, p.Targets...)
		case withScheduled:
			p.Targets = append(p.Targets, tg)
		}
	}
	if err := pe.store.CreatePost(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	tg := p.Targets[0]
	if tg.Platform != snsos.PlatformX {
		t.Fatalf("first target is on %s", tg.Platform)
	}
	a := &snsos.Attempt{}
	steps := []snsos.TargetTransition{
		{TargetID: tg.ID, From: snsos.StateScheduled, To: snsos.StatePublishing, Attempt: a},
		{TargetID: tg.ID, From: snsos.StatePublishing, To: snsos.StateUnknown, Finish: a},
		{TargetID: tg.ID, From: snsos.StateUnknown, To: snsos.StateNeedsOperator, Mutate: func(t *snsos.Target) {
			t.Error = "sns-os could not find out whether the post went live after 5 tries (X is unreachable). Look at the account: if the post is there, mark it published (with its link); if it is not, mark it not published, then Retry."
		}},
	}
	for _, tr := range steps {
		if _, err := pe.store.TransitionTarget(ctx, tr); err != nil {
			t.Fatalf("%s → %s: %v", tr.From, tr.To, err)
		}
	}
	return p
}

func resolvePath(p *snsos.Post) string {
	return postHref(p.ID) + "/targets/" + strconv.FormatInt(p.Targets[0].ID, 10) + "/resolve"
}

// TestPostNeedsOperator: a target waiting for the operator offers its two
// exits — mark it published with a required link, or mark it not published
// — in the engine's words, and no Cancel (the engine refuses: the post may
// be live), even next to a target that could be canceled alone.
func TestPostNeedsOperator(t *testing.T) {
	pe := newPagesEnv(t)
	p := needsOperatorPost(t, pe, "Did it go out?", true)
	tid := strconv.FormatInt(p.Targets[0].ID, 10)
	_, body := pe.get(t, postHref(p.ID))
	wantAll(t, "needs_operator post page", body, "Check needed", "Scheduled",
		"if the post is there, mark it published with its link; if it is not, mark it not published, then retry.",
		`action="`+resolvePath(p)+`"`, `name="outcome" value="published"`, `name="outcome" value="not_published"`,
		`<label for="remote-url-`+tid+`">Link to the post on X</label>`,
		`<input type="url" id="remote-url-`+tid+`" name="remote_url" value="" required`,
		">Mark it published<", ">Mark it not published<", "It is on X", "It is not on X",
		"/check", "Check again")
	if strings.Contains(body, "/cancel") || strings.Contains(body, "Cancel post") {
		t.Errorf("a post with a target in needs_operator offers Cancel:\n%s", body)
	}
	if strings.Contains(body, "/retry") || strings.Contains(body, `id="error-summary"`) {
		t.Errorf("needs_operator page offers Retry or shows errors")
	}
	// Nor while a target is unknown or publishing.
	_, body = pe.get(t, postHref(pe.unknown.ID))
	if strings.Contains(body, "/cancel") {
		t.Error("an unknown post offers Cancel")
	}

	setLang(t, pe, "ja")
	_, body = pe.get(t, postHref(p.ID))
	wantAll(t, "ja needs_operator post page", body, "要確認", "「投稿済みとして登録」を押してください", "「未投稿として登録」を押し、そのあと再試行してください。",
		">Xでの投稿のリンク</label>", ">投稿済みとして登録<", ">未投稿として登録<", "Xに投稿されていた場合", "Xに投稿されていなかった場合")
	if strings.Contains(body, "投稿をキャンセル") || strings.Contains(body, "再投稿") {
		t.Errorf("ja page offers Cancel or says 再投稿:\n%s", body)
	}
}

// TestPostResolveForms sends both forms: "it is live" records the link and
// "not published" fails the target, after which Retry works; a bad link
// comes back next to its field with what was typed; a target that no
// longer waits is a conflict.
func TestPostResolveForms(t *testing.T) {
	pe := newPagesEnv(t)
	ctx := context.Background()
	post := func(path string, form url.Values) (*http.Response, string) {
		t.Helper()
		return do(t, pe.c, "POST", pe.srv.URL+path, form)
	}
	flashOf := func(resp *http.Response) string {
		t.Helper()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d, want 303", resp.StatusCode)
		}
		u, _ := url.Parse(resp.Header.Get("Location"))
		return u.Query().Get("flash")
	}
	live := needsOperatorPost(t, pe, "It went out", false)
	absent := needsOperatorPost(t, pe, "It did not", false)
	liveID := strconv.FormatInt(live.Targets[0].ID, 10)

	// Bad links: the page comes back (422) with the error next to the
	// field, in the summary, and the link as typed; nothing changes.
	for _, tc := range []struct{ link, msg string }{
		{"", "Paste the link to the post on X."},
		{"   ", "Paste the link to the post on X."},
		{"x.com <b>not a link</b>", "That is not a web address."},
		{"https://x.com/snsos_demo", "That is not a link to a post on X."},
	} {
		resp, body := post(resolvePath(live), url.Values{"outcome": {"published"}, "remote_url": {tc.link}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("link %q: %d, want 422\n%s", tc.link, resp.StatusCode, body)
		}
		wantAll(t, "refused link "+tc.link, body, `id="error-summary"`, `<a href="#remote-url-`+liveID+`">`+tc.msg,
			`<p class="field-error" id="remote-url-`+liveID+`-error">`+tc.msg, `aria-invalid="true" autofocus`,
			`aria-describedby="remote-url-`+liveID+`-hint remote-url-`+liveID+`-error"`, "It went out")
		kept := `name="remote_url" value="` + htmlEscape(strings.TrimSpace(tc.link)) + `"`
		if !strings.Contains(body, kept) {
			t.Errorf("link %q not kept: want %s", tc.link, kept)
		}
		if strings.Contains(body, "<b>not a link</b>") {
			t.Error("the typed link is not escaped")
		}
	}
	if tg, _ := pe.store.FindTargetByID(ctx, live.Targets[0].ID); tg.State != snsos.StateNeedsOperator {
		t.Fatalf("after refused links the target is %s", tg.State)
	}

	// It is live.
	link := "https://x.com/snsos_demo/status/1860000000000000077"
	resp, _ := post(resolvePath(live), url.Values{"outcome": {"published"}, "remote_url": {" " + link + " "}})
	if f := flashOf(resp); f != "published.ok" {
		t.Fatalf("published: flash %q", f)
	}
	_, body := pe.get(t, resp.Header.Get("Location"))
	wantAll(t, "after marking published", body, "Marked as published.", "Published", `href="`+link+`"`, "1860000000000000077")
	if strings.Contains(body, "/resolve") {
		t.Error("a published target still offers the answers")
	}
	// Answering again is a conflict, said in words.
	resp, _ = post(resolvePath(live), url.Values{"outcome": {"not_published"}})
	if f := flashOf(resp); f != "notpublished.conflict" {
		t.Fatalf("second answer: flash %q", f)
	}
	_, body = pe.get(t, resp.Header.Get("Location"))
	wantAll(t, "conflict", body, "no longer waiting for a check, so nothing was changed")

	// It is not there: failed, with Retry, which schedules it again.
	resp, _ = post(resolvePath(absent), url.Values{"outcome": {"not_published"}})
	if f := flashOf(resp); f != "notpublished.ok" {
		t.Fatalf("not published: flash %q", f)
	}
	_, body = pe.get(t, resp.Header.Get("Location"))
	retry := postHref(absent.ID) + "/targets/" + strconv.FormatInt(absent.Targets[0].ID, 10) + "/retry"
	wantAll(t, "after marking not published", body, "Marked as not published. Press Retry", "Failed", "confirmed by the operator: not published",
		`action="`+retry+`"`, ">Retry<")
	resp, _ = post(retry, url.Values{})
	if f := flashOf(resp); f != "retry.ok" {
		t.Fatalf("retry after not published: flash %q", f)
	}
	if tg, _ := pe.store.FindTargetByID(ctx, absent.Targets[0].ID); tg.State != snsos.StateScheduled {
		t.Fatalf("retried target is %s", tg.State)
	}

	// Japanese: the error and flash in Japanese.
	setLang(t, pe, "ja")
	again := needsOperatorPost(t, pe, "Once more", false)
	resp, body = post(resolvePath(again), url.Values{"outcome": {"published"}, "remote_url": {"https://x.com/snsos_demo"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("ja bad link: %d", resp.StatusCode)
	}
	wantAll(t, "ja refused link", body, "エラーがあります", "Xの投稿へのリンクではありません。", `value="https://x.com/snsos_demo"`)
	resp, _ = post(resolvePath(again), url.Values{"outcome": {"not_published"}})
	_, body = pe.get(t, resp.Header.Get("Location"))
	wantAll(t, "ja not published", body, "未投稿として登録しました。投稿し直すときは「再試行」を押してください。", ">再試行<")

	// An unknown outcome, another post's target, no session, another site.
	if resp, _ := post(resolvePath(again), url.Values{"outcome": {"maybe"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown outcome: %d", resp.StatusCode)
	}
	other := postHref(pe.scheduled.ID) + "/targets/" + strconv.FormatInt(again.Targets[0].ID, 10) + "/resolve"
	if resp, _ := post(other, url.Values{"outcome": {"not_published"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another post's target: %d", resp.StatusCode)
	}
	c := pe.client(t)
	if resp, _ := do(t, c, "POST", pe.srv.URL+resolvePath(again), url.Values{"outcome": {"not_published"}}); resp.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(resp.Header.Get("Location"), "/signin") {
		t.Errorf("without a session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	req, _ := http.NewRequest("POST", pe.srv.URL+resolvePath(again), strings.NewReader("outcome=not_published"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, err := pe.c.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %v %v", resp, err)
	}

	// Without an engine the answer is refused as unavailable.
	pe.h.engine = nil
	waiting := needsOperatorPost(t, pe, "No engine", false)
	resp, _ = post(resolvePath(waiting), url.Values{"outcome": {"published"}, "remote_url": {link}})
	if f := flashOf(resp); f != "action.unavailable" {
		t.Errorf("without an engine: flash %q", f)
	}
}

// TestPostPartial: a thread published in part says so in its state word
// and lists each part — its link, or that it did not go out — on the post
// page and in the posts list, in both languages.
func TestPostPartial(t *testing.T) {
	pe := newPagesEnv(t)
	ctx := context.Background()
	xID := pe.scheduled.Targets[0].AccountID
	at := pe.clock.Now().Add(-time.Hour)
	p := &snsos.Post{Body: "First of three", ScheduledAt: at, Targets: []*snsos.Target{{AccountID: xID, Platform: snsos.PlatformX,
		State: snsos.StateScheduled, ScheduledAt: at, Options: map[string]any{"parts": []any{"First of three", "Second", "Third"}}}}}
	if err := pe.store.CreatePost(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	tg := p.Targets[0]
	a := &snsos.Attempt{}
	if _, err := pe.store.TransitionTarget(ctx, snsos.TargetTransition{TargetID: tg.ID, From: snsos.StateScheduled, To: snsos.StatePublishing, Attempt: a}); err != nil {
		t.Fatal(err)
	}
	if _, err := pe.store.TransitionTarget(ctx, snsos.TargetTransition{TargetID: tg.ID, From: snsos.StatePublishing, To: snsos.StatePublished, Finish: a,
		Mutate: func(t *snsos.Target) {
			t.Partial = true
			t.RemoteID, t.RemoteURL = "1860000000000000101", "https://x.com/snsos_demo/status/1860000000000000101"
			t.Progress = map[string]string{platform.PartIDKey(1): "1860000000000000101", platform.PartIDKey(2): "1860000000000000102"}
			t.Error = "only parts 1–2 of 3 went out: X refused part 3"
		}}); err != nil {
		t.Fatal(err)
	}
	_, body := pe.get(t, postHref(p.ID))
	wantAll(t, "partial post page", body, "Published (partial)", "Only part of this thread went out on X.", "only parts 1–2 of 3 went out",
		"Parts of the thread", "<dt>Part 1</dt>", "<dt>Part 2</dt>", "<dt>Part 3</dt>",
		`href="https://x.com/snsos_demo/status/1860000000000000101"`, `href="https://x.com/snsos_demo/status/1860000000000000102"`,
		"<code>1860000000000000102</code>", "Did not go out")
	if n := strings.Count(body, "Did not go out"); n != 1 {
		t.Errorf("%d parts did not go out, want 1", n)
	}
	if strings.Contains(body, "/resolve") || strings.Contains(body, "/cancel") || strings.Contains(body, "/retry") {
		t.Error("a partial publication offers an action")
	}
	_, body = pe.get(t, "/posts?state=published")
	wantAll(t, "posts list", body, "First of three", "Published (partial)")
	// A single published post keeps its plain word and no parts list.
	_, body = pe.get(t, postHref(pe.published.ID))
	if strings.Contains(body, "partial") || strings.Contains(body, "Parts of the thread") {
		t.Error("a complete single post shows a partial mark or parts")
	}

	setLang(t, pe, "ja")
	_, body = pe.get(t, postHref(p.ID))
	wantAll(t, "ja partial post page", body, "投稿済み（一部のみ）", "スレッドの各投稿", "<dt>1件目</dt>", "<dt>3件目</dt>", "投稿されませんでした", "Xで開く")
}

// htmlEscape escapes s as html/template writes an attribute value.
func htmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "+", "&#43;")
	return r.Replace(s)
}

// TestHomeLoopingTarget: a target whose outcome keeps becoming unknown
// (now in retry_wait, rewritten a moment ago) is on the dashboard once its
// first ambiguity is old enough, aged from it, with a link to its page.
func TestHomeLoopingTarget(t *testing.T) {
	pe := newPagesEnv(t)
	ctx := context.Background()
	now := pe.clock.Now()
	at := now.Add(-time.Hour)
	p := &snsos.Post{Body: "Looping", ScheduledAt: at, Targets: []*snsos.Target{{AccountID: pe.scheduled.Targets[0].AccountID,
		Platform: snsos.PlatformX, State: snsos.StateScheduled, ScheduledAt: at}}}
	if err := pe.store.CreatePost(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	tg := p.Targets[0]
	for _, step := range [][2]snsos.TargetState{{snsos.StateScheduled, snsos.StatePublishing}, {snsos.StatePublishing, snsos.StateUnknown},
		{snsos.StateUnknown, snsos.StateRetryWait}} {
		to := step[1]
		if _, err := pe.store.TransitionTarget(ctx, snsos.TargetTransition{TargetID: tg.ID, From: step[0], To: to, Mutate: func(t *snsos.Target) {
			if to == snsos.StateUnknown {
				t.AmbiguousSince = now.Add(-40 * time.Minute).UTC()
			}
		}}); err != nil {
			t.Fatal(err)
		}
	}
	_, body := pe.get(t, "/")
	wantAll(t, "dashboard", body, "Still confirming whether this went live on X (@snsos_demo), for 40 min now.",
		`<a class="button" href="`+postHref(p.ID)+`">Open post`)
	setLang(t, pe, "ja")
	_, body = pe.get(t, "/")
	wantAll(t, "ja dashboard", body, ">投稿を開く<")
}
