package web

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/secret"
	"github.com/sns-os/snsos/internal/store"
)

// fakeEngine does what *publish.Engine does to the store, without jobs, on
// the test's clock.
type fakeEngine struct {
	s   *store.Store
	now func() time.Time
}

func (f *fakeEngine) RetryTarget(ctx context.Context, id int64) (*snsos.Target, error) {
	t, err := f.s.FindTargetByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if t.State != snsos.StateFailed {
		return nil, snsos.Errorf(snsos.ECONFLICT, "target %d is %s; only a failed target can be retried", id, t.State)
	}
	now := f.now().UTC()
	return f.s.TransitionTarget(ctx, snsos.TargetTransition{TargetID: id, From: snsos.StateFailed, To: snsos.StateScheduled, Actor: "operator",
		Mutate: func(t *snsos.Target) { t.ScheduledAt, t.Error = now, "" }})
}

func (f *fakeEngine) ReconcileTarget(ctx context.Context, id int64) (*snsos.Target, error) {
	t, err := f.s.FindTargetByID(ctx, id)
	if err != nil {
		return nil, err
	}
	switch t.State {
	case snsos.StateUnknown:
		return t, nil
	case snsos.StateNeedsOperator:
		return f.s.TransitionTarget(ctx, snsos.TargetTransition{TargetID: id, From: snsos.StateNeedsOperator, To: snsos.StateUnknown, Actor: "operator"})
	}
	return nil, snsos.Errorf(snsos.ECONFLICT, "target %d is %s", id, t.State)
}

func (f *fakeEngine) Cancel(ctx context.Context, postID int64) (*snsos.Post, error) {
	p, err := f.s.FindPostByID(ctx, postID)
	if err != nil {
		return nil, err
	}
	var todo []*snsos.Target
	for _, t := range p.Targets {
		switch t.State {
		case snsos.StatePublishing, snsos.StateUnknown:
			return nil, snsos.Errorf(snsos.ECONFLICT, "target %d is %s", t.ID, t.State)
		case snsos.StateDraft, snsos.StateApproved, snsos.StateScheduled, snsos.StateRetryWait, snsos.StateNeedsOperator:
			todo = append(todo, t)
		}
	}
	if len(todo) == 0 {
		return nil, snsos.Errorf(snsos.ECONFLICT, "post %d has nothing to cancel", postID)
	}
	for _, t := range todo {
		if _, err := f.s.TransitionTarget(ctx, snsos.TargetTransition{TargetID: t.ID, From: t.State, To: snsos.StateCanceled, Actor: "operator"}); err != nil {
			return nil, err
		}
	}
	return f.s.FindPostByID(ctx, postID)
}

const (
	testAccessToken  = "ACCESS-tok-3f9a1c"
	testRefreshToken = "REFRESH-tok-77b2e0"
)

// pagesEnv is a signed-in client over a store holding two accounts (one
// with a credential, one needing reconnect) and posts in several states,
// scheduled at 2026-11-28 12:00 UTC, the day before testEpoch.
type pagesEnv struct {
	*testEnv
	c                                     *http.Client
	failed, unknown, scheduled, published *snsos.Post
}

func newPagesEnv(t *testing.T) *pagesEnv {
	t.Helper()
	e := newTestEnv(t, "pw")
	key, err := secret.NewKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	e.store.SetBox(secret.NewBox(key))
	now := e.clock.Now()
	loc, _ := time.LoadLocation("Asia/Tokyo")
	e.h = New(Config{Store: e.store, Engine: &fakeEngine{s: e.store, now: e.clock.Now}, Location: loc, Platforms: snsos.Platforms, Now: e.clock.Now})
	mux := http.NewServeMux()
	e.h.Routes(mux)
	e.srv.Config.Handler = chain(mux)

	ctx := context.Background()
	x := &snsos.Account{Platform: snsos.PlatformX, RemoteID: "42", Handle: "snsos_demo", DisplayName: "Demo X"}
	th := &snsos.Account{Platform: snsos.PlatformThreads, RemoteID: "43", Handle: "threads_demo", DisplayName: "Demo Threads", Status: snsos.AccountNeedsReauth}
	for _, a := range []*snsos.Account{x, th} {
		if err := e.store.UpsertAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.store.PutCredential(ctx, &snsos.Credential{AccountID: x.ID, AccessToken: testAccessToken, RefreshToken: testRefreshToken,
		TokenType: "bearer", ExpiresAt: now.Add(100 * time.Minute), RefreshExpiresAt: now.Add(180 * 24 * time.Hour), IssuedAt: now}); err != nil {
		t.Fatal(err)
	}
	mk := func(body string, st snsos.TargetState, mut func(*snsos.Target)) *snsos.Post {
		at := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
		p := &snsos.Post{Body: body, ScheduledAt: at, Targets: []*snsos.Target{{AccountID: x.ID, Platform: snsos.PlatformX, State: st, ScheduledAt: at}}}
		if err := e.store.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		if mut != nil {
			mut(p.Targets[0])
		}
		return p
	}
	pe := &pagesEnv{testEnv: e}
	pe.scheduled = mk("Scheduled <post>", snsos.StateScheduled, nil)
	pe.failed = mk("Failed post", snsos.StateScheduled, func(tg *snsos.Target) {
		a := &snsos.Attempt{}
		if _, err := e.store.TransitionTarget(ctx, snsos.TargetTransition{TargetID: tg.ID, From: snsos.StateScheduled, To: snsos.StatePublishing, Attempt: a}); err != nil {
			t.Fatal(err)
		}
		a.Error = "X said: duplicate content"
		if _, err := e.store.TransitionTarget(ctx, snsos.TargetTransition{TargetID: tg.ID, From: snsos.StatePublishing, To: snsos.StateFailed, Finish: a,
			Mutate: func(t *snsos.Target) { t.Error = "X said: duplicate content" }}); err != nil {
			t.Fatal(err)
		}
	})
	pe.unknown = mk("Unknown post", snsos.StateScheduled, func(tg *snsos.Target) {
		for _, step := range [][2]snsos.TargetState{{snsos.StateScheduled, snsos.StatePublishing}, {snsos.StatePublishing, snsos.StateUnknown}} {
			if _, err := e.store.TransitionTarget(ctx, snsos.TargetTransition{TargetID: tg.ID, From: step[0], To: step[1]}); err != nil {
				t.Fatal(err)
			}
		}
	})
	pe.published = mk("Published post", snsos.StateScheduled, func(tg *snsos.Target) {
		for _, step := range [][2]snsos.TargetState{{snsos.StateScheduled, snsos.StatePublishing}, {snsos.StatePublishing, snsos.StatePublished}} {
			if _, err := e.store.TransitionTarget(ctx, snsos.TargetTransition{TargetID: tg.ID, From: step[0], To: step[1], Mutate: func(t *snsos.Target) {
				if step[1] == snsos.StatePublished {
					t.RemoteID, t.RemoteURL, t.PublishedAt = "1860000000000000001", "https://x.com/snsos_demo/status/1860000000000000001", now.UTC()
				}
			}}); err != nil {
				t.Fatal(err)
			}
		}
		for _, cp := range []snsos.Checkpoint{snsos.Checkpoint1h, snsos.Checkpoint24h} {
			if err := e.store.PutSnapshot(ctx, &snsos.MetricSnapshot{TargetID: tg.ID, Checkpoint: cp, Status: snsos.SnapshotOK, FetchedAt: now.UTC(),
				Values: map[string]int64{snsos.MetricViews: 12345, snsos.MetricLikes: 67, snsos.MetricComments: 8, snsos.MetricShares: 9}}); err != nil {
				t.Fatal(err)
			}
		}
	})
	pe.c = e.client(t)
	if resp, _ := do(t, pe.c, "POST", e.srv.URL+"/signin", url.Values{"password": {"pw"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	return pe
}

func (pe *pagesEnv) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	resp, body := do(t, pe.c, "GET", pe.srv.URL+path, nil)
	if strings.Contains(body, testAccessToken) || strings.Contains(body, testRefreshToken) || strings.Contains(body, "tok-") {
		t.Fatalf("GET %s shows a token", path)
	}
	return resp, body
}

func wantAll(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
	if t.Failed() {
		t.Fatalf("%s:\n%s", what, body)
	}
}

func setLang(t *testing.T, pe *pagesEnv, code string) {
	t.Helper()
	if resp, _ := do(t, pe.c, "GET", pe.srv.URL+"/lang/"+code, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("lang %s: %d", code, resp.StatusCode)
	}
}

func TestAccountsPage(t *testing.T) {
	pe := newPagesEnv(t)
	resp, body := pe.get(t, "/accounts")
	if resp.StatusCode != 200 {
		t.Fatalf("accounts: %d", resp.StatusCode)
	}
	wantAll(t, "accounts page", body, `href="/accounts" aria-current="page"`, "Demo X", "@snsos_demo", "Connected", "Needs reconnect",
		"access expires in 1 h 4", "reconnect needed by ", "Refreshed ", "No sign-in is stored",
		`action="/connect/threads"><button class="button" type="submit">Reconnect<span class="vh"> Threads @threads_demo</span>`, `action="/connect/x"><button class="button secondary" type="submit">Connect X</button>`, `action="/connect/tiktok"><button class="button secondary" type="submit">Connect TikTok</button>`)
	setLang(t, pe, "ja")
	_, body = pe.get(t, "/accounts")
	wantAll(t, "ja accounts page", body, `<html lang="ja">`, "連携中", "再連携が必要", "連携の有効期限まであと1時間4", "Xと連携", ">再連携<")
	// The dashboard links each post to its page.
	_, body = pe.get(t, "/")
	wantAll(t, "dashboard", body, `href="/posts/`+strconv.FormatInt(pe.failed.ID, 10)+`"`, `href="/accounts"`)
}

func TestPostPage(t *testing.T) {
	pe := newPagesEnv(t)
	_, body := pe.get(t, postHref(pe.published.ID))
	wantAll(t, "published post page", body, "Published post", "Published", "1860000000000000001",
		`href="https://x.com/snsos_demo/status/1860000000000000001" rel="noopener noreferrer"`, "Open on X",
		`<time datetime="2026-11-28T12:00:00Z">Sat, 28 Nov 2026, 21:00</time>`, "= 12:00 UTC", "After 1 hour", "After 24 hours", "12,345", ">67<", "Times in Asia/Tokyo.")
	if strings.Contains(body, "/retry") || strings.Contains(body, "/check") || strings.Contains(body, "/cancel") {
		t.Errorf("a published post offers an action:\n%s", body)
	}
	_, body = pe.get(t, postHref(pe.failed.ID))
	wantAll(t, "failed post page", body, "Failed", "This did not go out on X", "X said: duplicate content", "1 attempt",
		`action="/posts/`+strconv.FormatInt(pe.failed.ID, 10)+`/targets/`+strconv.FormatInt(pe.failed.Targets[0].ID, 10)+`/retry"`)
	if strings.Contains(body, "/cancel") || strings.Contains(body, "/check") {
		t.Errorf("failed post offers cancel or check")
	}
	_, body = pe.get(t, postHref(pe.unknown.ID))
	wantAll(t, "unknown post page", body, "Confirming", "/check", "Check again")
	_, body = pe.get(t, postHref(pe.scheduled.ID))
	wantAll(t, "scheduled post page", body, "Scheduled &lt;post&gt;", "/cancel", "Cancel post")

	setLang(t, pe, "ja")
	_, body = pe.get(t, postHref(pe.published.ID))
	wantAll(t, "ja post page", body, `<html lang="ja">`, "投稿済み", "2026年11月28日(土) 21:00", "(UTC 12:00)", "Xで開く", "表示回数", "24時間後")
	_, body = pe.get(t, postHref(pe.failed.ID))
	wantAll(t, "ja failed post page", body, "失敗", "再試行", "試行1回")

	for _, path := range []string{"/posts/999999", "/posts/abc", "/posts/0"} {
		resp, body := pe.get(t, path)
		if resp.StatusCode != 404 || !strings.Contains(body, "ページが見つかりません") {
			t.Errorf("GET %s: %d\n%s", path, resp.StatusCode, body)
		}
	}
}

func TestPostActions(t *testing.T) {
	pe := newPagesEnv(t)
	post := func(path string) string {
		t.Helper()
		resp, _ := do(t, pe.c, "POST", pe.srv.URL+path, url.Values{})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s: %d", path, resp.StatusCode)
		}
		return resp.Header.Get("Location")
	}
	target := func(p *snsos.Post, action string) string {
		return postHref(p.ID) + "/targets/" + strconv.FormatInt(p.Targets[0].ID, 10) + "/" + action
	}
	cases := []struct {
		path, flash, text string
	}{
		{target(pe.failed, "retry"), "retry.ok", "Retry scheduled."},
		{target(pe.failed, "retry"), "retry.conflict", "only a failed target can"},
		{target(pe.unknown, "check"), "check.ok", "check the platform again"},
		{target(pe.published, "check"), "check.conflict", "can&#39;t be checked now"},
		{postHref(pe.unknown.ID) + "/cancel", "cancel.conflict", "can&#39;t be canceled now"},
		{postHref(pe.scheduled.ID) + "/cancel", "cancel.ok", "The post is canceled."},
		{postHref(pe.scheduled.ID) + "/cancel", "cancel.conflict", "can&#39;t be canceled now"},
	}
	for _, tc := range cases {
		loc := post(tc.path)
		u, _ := url.Parse(loc)
		if !strings.HasPrefix(tc.path, u.Path+"/") || u.Query().Get("flash") != tc.flash {
			t.Fatalf("POST %s: Location %s, want flash %s", tc.path, loc, tc.flash)
		}
		resp, body := pe.get(t, loc)
		if resp.StatusCode != 200 || !strings.Contains(body, tc.text) || !strings.Contains(body, `id="flash"`) {
			t.Fatalf("after POST %s: %d, want %q\n%s", tc.path, resp.StatusCode, tc.text, body)
		}
	}
	ctx := context.Background()
	if tg, _ := pe.store.FindTargetByID(ctx, pe.failed.Targets[0].ID); tg.State != snsos.StateScheduled {
		t.Errorf("retried target is %s", tg.State)
	}
	if tg, _ := pe.store.FindTargetByID(ctx, pe.scheduled.Targets[0].ID); tg.State != snsos.StateCanceled {
		t.Errorf("canceled target is %s", tg.State)
	}
	// The flash is in the page's language, and an unknown flash shows nothing.
	setLang(t, pe, "ja")
	_, body := pe.get(t, postHref(pe.scheduled.ID)+"?flash=cancel.ok")
	wantAll(t, "ja flash", body, "投稿をキャンセルしました。")
	_, body = pe.get(t, postHref(pe.scheduled.ID)+"?flash=%3Cscript%3E")
	if strings.Contains(body, `id="flash"`) || strings.Contains(body, "<script>") {
		t.Error("an unknown flash was shown")
	}
	// A target of another post, or an unknown one, is 404.
	for _, path := range []string{postHref(pe.scheduled.ID) + "/targets/" + strconv.FormatInt(pe.failed.Targets[0].ID, 10) + "/retry",
		postHref(pe.scheduled.ID) + "/targets/999999/check", "/posts/999999/cancel"} {
		if resp, _ := do(t, pe.c, "POST", pe.srv.URL+path, url.Values{}); resp.StatusCode != 404 {
			t.Errorf("POST %s: %d", path, resp.StatusCode)
		}
	}
	// Without a session an action does nothing.
	c := pe.client(t)
	if resp, _ := do(t, c, "POST", pe.srv.URL+target(pe.unknown, "check"), url.Values{}); resp.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(resp.Header.Get("Location"), "/signin") {
		t.Errorf("action without a session: %d", resp.StatusCode)
	}
	// A cross-origin form post is refused.
	req, _ := http.NewRequest("POST", pe.srv.URL+postHref(pe.unknown.ID)+"/cancel", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, err := pe.c.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %v %v", resp, err)
	}
}

func TestActionsWithoutEngine(t *testing.T) {
	pe := newPagesEnv(t)
	pe.h.engine = nil
	resp, _ := do(t, pe.c, "POST", pe.srv.URL+postHref(pe.scheduled.ID)+"/cancel", url.Values{})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "flash=action.unavailable") {
		t.Fatalf("cancel without an engine: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func (f *fakeEngine) CreatePost(ctx context.Context, p *snsos.Post, approve bool) error {
	return snsos.Errorf(snsos.EUNAVAILABLE, "the fake engine does not create posts")
}

func (f *fakeEngine) UpdatePost(ctx context.Context, p *snsos.Post, approve bool) error {
	return snsos.Errorf(snsos.EUNAVAILABLE, "the fake engine does not edit posts")
}

func (f *fakeEngine) Approve(ctx context.Context, postID int64) (*snsos.Post, error) {
	return nil, snsos.Errorf(snsos.EUNAVAILABLE, "the fake engine does not approve posts")
}

func (f *fakeEngine) Schedule(ctx context.Context, postID int64, at time.Time) (*snsos.Post, error) {
	return nil, snsos.Errorf(snsos.EUNAVAILABLE, "the fake engine does not schedule posts")
}
