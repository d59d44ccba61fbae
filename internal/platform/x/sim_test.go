package x

// End-to-end tests against the X simulator (internal/sim/x) over loopback
// HTTP: the real client, the real shared HTTP client, the simulator's real
// paths. The simulator's clock is advanced by the client's injected Sleep,
// so nothing here sleeps.

import (
	"context"
	"errors"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	xsim "github.com/sns-os/snsos/internal/sim/x"
)

const simRedirect = "http://127.0.0.1:1/oauth/x/callback"

type simEnv struct {
	logs   *logBuffer
	sim    *xsim.Sim
	srv    *httptest.Server
	c      *Client
	user   xsim.User
	auth   platform.Auth
	access string
}

func newSimEnv(t *testing.T, timeout time.Duration) *simEnv {
	t.Helper()
	start := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	sim := xsim.New(xsim.Options{ClientID: "sim-client", ClientSecret: testSecret, RequireBasicAuth: true,
		Now: func() time.Time { return start }})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close) // runs first: releases hanging handlers
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	logs := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := New(Config{
		ClientID: "sim-client", ClientSecret: testSecret, RedirectURL: simRedirect, BaseURL: srv.URL,
		HTTP:  platform.NewHTTPClient(platform.HTTPOptions{Now: sim.Now, Timeout: timeout, Logger: logger}),
		Now:   sim.Now,
		Sleep: func(_ context.Context, d time.Duration) error { sim.Advance(d); return nil },
	})
	u := sim.AddUser("snsos_test", "sns-os Test")
	access, _ := sim.IssueTokens(u.ID, nil)
	return &simEnv{logs: logs, sim: sim, srv: srv, c: c, user: u, access: access,
		auth: platform.Auth{UserID: u.ID, Handle: u.Username, AccessToken: snsos.Secret(access)}}
}

func text(s string) *platform.PublishRequest {
	return &platform.PublishRequest{Parts: []platform.Part{{Text: s}}}
}

var (
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	actionRE = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
)

// TestSimOAuth drives the consent form with a plain http.Client, exchanges
// the code, reads the profile, rotates the refresh token and revokes.
func TestSimOAuth(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, 0)
	ctx := context.Background()
	verifier := platform.NewVerifier()
	authURL := e.c.AuthCodeURL("state-123", verifier)
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("consent page: %d %s", resp.StatusCode, page)
	}
	form := url.Values{"approve": {"1"}, "username": {"snsos_test"}}
	for _, m := range hiddenRE.FindAllStringSubmatch(string(page), -1) {
		form.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	am := actionRE.FindStringSubmatch(string(page))
	if am == nil {
		t.Fatalf("no form in %s", page)
	}
	action, _ := url.Parse(authURL)
	action, _ = action.Parse(html.UnescapeString(am[1]))
	resp, err = browser.PostForm(action.String(), form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), simRedirect) {
		t.Fatalf("approve: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if loc.Query().Get("state") != "state-123" || loc.Query().Get("code") == "" {
		t.Fatalf("callback %v", loc)
	}
	code := loc.Query().Get("code")
	if _, err := e.c.Exchange(ctx, code, platform.NewVerifier()); !errors.Is(err, platform.ErrAuth) {
		t.Fatalf("wrong verifier accepted: %v", err)
	}
	// A refused exchange may have spent the code: approve again for a fresh one.
	resp, err = browser.PostForm(action.String(), form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ = url.Parse(resp.Header.Get("Location"))
	cred, err := e.c.Exchange(ctx, loc.Query().Get("code"), verifier)
	if err != nil {
		t.Fatal(err)
	}
	if cred.AccessToken.IsZero() || cred.RefreshToken.IsZero() || !cred.ExpiresAt.Equal(e.sim.Now().Add(2*time.Hour)) {
		t.Fatalf("credential %+v", cred.Meta())
	}
	prof, err := e.c.Profile(ctx, cred.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if prof.RemoteID != e.user.ID || prof.Handle != "snsos_test" {
		t.Fatalf("profile %+v, user %+v", prof, e.user)
	}

	next, err := e.c.Refresh(ctx, cred)
	if err != nil {
		t.Fatal(err)
	}
	if next.RefreshToken == cred.RefreshToken || next.AccessToken == cred.AccessToken {
		t.Fatal("refresh did not rotate")
	}
	_, err = e.c.Refresh(ctx, cred)
	if !errors.Is(err, platform.ErrAuth) || strings.Contains(err.Error(), cred.RefreshToken.Reveal()) {
		t.Fatalf("old refresh token: %v", err)
	}
	if _, err := e.c.Profile(ctx, next.AccessToken); err != nil {
		t.Fatalf("new access token: %v", err)
	}
	if err := e.c.Revoke(ctx, next); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Profile(ctx, next.AccessToken); !errors.Is(err, platform.ErrAuth) {
		t.Fatalf("revoked token: %v", err)
	}
}

func TestSimPublishMedia(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, 0)
	ctx := context.Background()
	pub, err := e.c.Publish(ctx, e.auth, text("Hello from sns-os"), platform.NewProgress(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 2000)...)
	img, err := e.c.Publish(ctx, e.auth, &platform.PublishRequest{Parts: []platform.Part{
		{Text: "an image", Media: []platform.Media{platform.BytesMedia("image/png", png)}}}}, platform.NewProgress(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	const videoSize = 9<<20 + 12345 // three 4 MiB segments, generated on the fly
	pr := platform.NewProgress(nil, nil)
	vid, err := e.c.Publish(ctx, e.auth, &platform.PublishRequest{Parts: []platform.Part{
		{Text: "a video", Media: []platform.Media{streamMedia("video/mp4", videoSize)}}}}, pr)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := e.sim.Media(pr.Values()[MediaKey(1, 1)])
	if !ok || m.TotalSize != videoSize || m.Received != videoSize || m.State != "succeeded" {
		t.Errorf("sim media %+v", m)
	}
	posts := e.sim.Posts()
	if len(posts) != 3 {
		t.Fatalf("sim posts %+v", posts)
	}
	for i, want := range []struct {
		id, text string
		media    int
	}{{pub.RemoteID, "Hello from sns-os", 0}, {img.RemoteID, "an image", 1}, {vid.RemoteID, "a video", 1}} {
		if posts[i].ID != want.id || posts[i].Text != want.text || len(posts[i].MediaIDs) != want.media || posts[i].AuthorID != e.user.ID {
			t.Errorf("post %d = %+v, want %+v", i, posts[i], want)
		}
	}
	if !strings.HasSuffix(pub.URL, "/snsos_test/status/"+pub.RemoteID) {
		t.Errorf("url %s", pub.URL)
	}
}

// TestSimThreadResume crashes after part 2 of 3 was posted and saved; the
// resumed Publish posts only part 3, as a reply to part 2.
func TestSimThreadResume(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, 0)
	req := &platform.PublishRequest{Parts: []platform.Part{{Text: "Thread 1/3"}, {Text: "Thread 2/3"}, {Text: "Thread 3/3"}}}
	var mu sync.Mutex
	db := map[string]string{}
	ctx, crash := context.WithCancel(context.Background())
	save := func(_ context.Context, k, v string) error {
		mu.Lock()
		defer mu.Unlock()
		db[k] = v
		if k == TweetKey(2) {
			crash()
		}
		return nil
	}
	if _, err := e.c.Publish(ctx, e.auth, req, platform.NewProgress(nil, save)); err == nil {
		t.Fatal("the crashed attempt succeeded")
	}
	if n := len(e.sim.Posts()); n != 2 {
		t.Fatalf("%d posts after the crash", n)
	}
	pub, err := e.c.Publish(context.Background(), e.auth, req, platform.NewProgress(db, save))
	if err != nil {
		t.Fatal(err)
	}
	posts := e.sim.Posts()
	if len(posts) != 3 {
		t.Fatalf("posts %+v", posts)
	}
	if posts[1].ReplyTo != posts[0].ID || posts[2].ReplyTo != posts[1].ID || posts[2].Text != "Thread 3/3" {
		t.Errorf("reply chain %+v", posts)
	}
	if pub.RemoteID != posts[0].ID || strings.Join(pub.PartIDs, ",") != posts[0].ID+","+posts[1].ID+","+posts[2].ID {
		t.Errorf("published %+v", pub)
	}
	found, err := e.c.FindPost(context.Background(), e.auth, platform.PostQuery{Text: "Thread 3/3", InReplyTo: posts[1].ID,
		Since: e.sim.Now().Add(-time.Minute)})
	if err != nil || found.ID != posts[2].ID {
		t.Errorf("FindPost %+v %v", found, err)
	}
}

func TestSimMetrics(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, 0)
	ctx := context.Background()
	old, err := e.c.Publish(ctx, e.auth, text("an old post"), nil)
	if err != nil {
		t.Fatal(err)
	}
	e.sim.Advance(31 * 24 * time.Hour)
	fresh, _ := e.sim.IssueTokens(e.user.ID, nil) // the 2-hour token expired meanwhile
	e.auth.AccessToken = snsos.Secret(fresh)
	young, err := e.c.Publish(ctx, e.auth, text("a young post"), nil)
	if err != nil {
		t.Fatal(err)
	}
	e.sim.Advance(time.Hour)
	got, err := e.c.Metrics(ctx, e.auth, []platform.PostRef{
		{ID: young.RemoteID, PublishedAt: young.PublishedAt},
		{ID: old.RemoteID, PublishedAt: old.PublishedAt},
		{ID: "1234"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range got[:2] {
		if m.Err != nil || m.Values == nil {
			t.Fatalf("post %d: %+v", i, m)
		}
		for _, k := range []string{"views", "likes", "comments", "shares", "impressions", "bookmarks", "reposts", "quotes", "replies"} {
			if _, ok := m.Values[k]; !ok {
				t.Errorf("post %d lacks %s: %v", i, k, m.Values)
			}
		}
		if len(m.Notes) != 0 {
			t.Errorf("post %d notes %v (private metrics requested for an old post?)", i, m.Notes)
		}
	}
	if _, ok := got[0].Values["engagements"]; !ok {
		t.Errorf("young post lacks private metrics: %v", got[0].Values)
	}
	if _, ok := got[1].Values["engagements"]; ok {
		t.Errorf("old post has private metrics: %v", got[1].Values)
	}
	if got[0].Values["views"] == 0 {
		t.Errorf("a day-old post has no views: %v", got[0].Values)
	}
	if !errors.Is(got[2].Err, platform.ErrRejected) {
		t.Errorf("missing post: %+v", got[2])
	}
}

// TestSimFaults checks each injected fault against the expected class and
// against the simulator's state (was the post stored?).
func TestSimFaults(t *testing.T) {
	t.Parallel()
	video := func() *platform.PublishRequest {
		return &platform.PublishRequest{Parts: []platform.Part{{Text: "v", Media: []platform.Media{streamMedia("video/mp4", 5<<20)}}}}
	}
	tests := []struct {
		name    string
		fault   xsim.Fault
		timeout time.Duration
		call    string // publish, video, profile, metrics
		want    error
		posts   int
		check   func(t *testing.T, e *simEnv, err error)
	}{
		{name: "5xx on read", fault: xsim.Fault{Match: "GET /2/users/me", Kind: xsim.FaultStatus, Status: 503},
			call: "profile", want: platform.ErrTransient},
		{name: "5xx before commit on post", fault: xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultStatus, Status: 500},
			call: "publish", want: platform.ErrOutcomeUnknown, posts: 0},
		{name: "5xx after commit on post", fault: xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultStatusAfterCommit, Status: 502},
			call: "publish", want: platform.ErrOutcomeUnknown, posts: 1},
		{name: "timeout after commit", fault: xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultHangAfterCommit},
			timeout: 300 * time.Millisecond, call: "publish", want: platform.ErrOutcomeUnknown, posts: 1,
			check: func(t *testing.T, e *simEnv, err error) {
				// Reconciliation finds the post the lost answer created.
				found, ferr := e.c.FindPost(context.Background(), e.auth, platform.PostQuery{Text: "fault test", Since: e.sim.Now().Add(-time.Minute)})
				if ferr != nil || found.ID != e.sim.Posts()[0].ID {
					t.Errorf("FindPost %+v %v", found, ferr)
				}
			}},
		{name: "hang before commit on read", fault: xsim.Fault{Match: "GET /2/users/me", Kind: xsim.FaultHang},
			timeout: 300 * time.Millisecond, call: "profile", want: platform.ErrTransient},
		{name: "truncated answer to post", fault: xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultTruncated},
			call: "publish", want: platform.ErrOutcomeUnknown, posts: 1},
		{name: "429", fault: xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultRateLimit, Reset: 7 * time.Minute},
			call: "publish", want: platform.ErrRateLimited, posts: 0,
			check: func(t *testing.T, e *simEnv, err error) {
				at, ok := platform.RetryAt(err)
				if want := e.sim.Now().Add(7 * time.Minute); !ok || at.Unix() != want.Unix() {
					t.Errorf("RetryAt %v, want %v", at, want)
				}
			}},
		{name: "usage cap", fault: xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultUsageCap},
			call: "publish", want: platform.ErrQuotaExhausted, posts: 0,
			check: func(t *testing.T, e *simEnv, err error) {
				if !errors.Is(err, platform.ErrRejected) || errors.Is(err, platform.ErrRateLimited) {
					t.Errorf("usage cap must be final: %v", err)
				}
			}},
		{name: "402 credits", fault: xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultCredits},
			call: "publish", want: platform.ErrQuotaExhausted, posts: 0,
			check: func(t *testing.T, e *simEnv, err error) {
				if !errors.Is(err, platform.ErrRejected) {
					t.Errorf("402 must be rejected: %v", err)
				}
			}},
		{name: "html page on metrics", fault: xsim.Fault{Match: "GET /2/tweets", Kind: xsim.FaultHTML, Status: 503},
			call: "metrics", want: platform.ErrTransient,
			check: func(t *testing.T, e *simEnv, err error) {
				if !strings.Contains(err.Error(), "text/html") {
					t.Errorf("message should name the HTML body: %v", err)
				}
			}},
		{name: "token expired mid-upload", fault: xsim.Fault{Match: "POST /2/media/upload/{id}/append", Kind: xsim.FaultUnauthorized},
			call: "video", want: platform.ErrAuth, posts: 0,
			check: func(t *testing.T, e *simEnv, err error) {
				if !strings.Contains(err.Error(), "append segment 1 of 2") {
					t.Errorf("message should say where: %v", err)
				}
			}},
		{name: "media processing failed", fault: xsim.Fault{Match: "POST /2/media/upload/{id}/finalize", Kind: xsim.FaultMediaFailed, Message: "bad codec"},
			call: "video", want: platform.ErrRejected, posts: 0,
			check: func(t *testing.T, e *simEnv, err error) {
				if !strings.Contains(err.Error(), "bad codec") {
					t.Errorf("message should carry X's reason: %v", err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newSimEnv(t, tt.timeout)
			ctx := context.Background()
			var published *platform.Published
			if tt.call == "metrics" {
				var err error
				if published, err = e.c.Publish(ctx, e.auth, text("for metrics"), nil); err != nil {
					t.Fatal(err)
				}
			}
			e.sim.InjectFault(tt.fault)
			var err error
			switch tt.call {
			case "publish":
				_, err = e.c.Publish(ctx, e.auth, text("fault test"), platform.NewProgress(nil, nil))
			case "video":
				_, err = e.c.Publish(ctx, e.auth, video(), platform.NewProgress(nil, nil))
			case "profile":
				_, err = e.c.Profile(ctx, e.auth.AccessToken)
			case "metrics":
				_, err = e.c.Metrics(ctx, e.auth, []platform.PostRef{{ID: published.RemoteID, PublishedAt: published.PublishedAt}})
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v (kind %v), want %v", err, platform.KindOf(err), tt.want)
			}
			for _, s := range []string{e.access, testSecret} {
				if strings.Contains(err.Error(), s) || strings.Contains(e.logs.String(), s) {
					t.Errorf("secret in error or log: %v", err)
				}
			}
			if !strings.Contains(e.logs.String(), "platform request") {
				t.Error("nothing logged")
			}
			if tt.call == "publish" || tt.call == "video" {
				if n := len(e.sim.Posts()); n != tt.posts {
					t.Errorf("%d posts stored, want %d", n, tt.posts)
				}
			}
			if tt.check != nil {
				tt.check(t, e, err)
			}
		})
	}
}

func TestSimDuplicateAndRevoked(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, 0)
	ctx := context.Background()
	if _, err := e.c.Publish(ctx, e.auth, text("same words"), nil); err != nil {
		t.Fatal(err)
	}
	_, err := e.c.Publish(ctx, e.auth, text("same words"), nil)
	if !errors.Is(err, platform.ErrDuplicate) || !errors.Is(err, platform.ErrRejected) {
		t.Fatalf("duplicate: %v", err)
	}
	e.sim.RevokeUser(e.user.ID)
	if _, err := e.c.Publish(ctx, e.auth, text("after revocation"), nil); !errors.Is(err, platform.ErrAuth) {
		t.Fatalf("revoked: %v", err)
	}
	if n := len(e.sim.Posts()); n != 1 {
		t.Errorf("%d posts", n)
	}
}
