package instagram

// End-to-end tests against the Instagram simulator (internal/sim/instagram)
// over loopback HTTP: the real client, the real shared HTTP client, the
// simulator's real paths, and media served by a second loopback server
// that the simulator fetches. The simulator's clock is advanced by the
// client's injected Sleep, so nothing here sleeps.

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
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	igsim "github.com/sns-os/snsos/internal/sim/instagram"
	"github.com/sns-os/snsos/internal/sim/simclock"
)

const simRedirect = "https://snsos.example/oauth/instagram/callback"

type simEnv struct {
	logs   *logBuffer
	clk    *simclock.Clock
	sim    *igsim.Sim
	media  *httptest.Server
	c      *Client
	user   igsim.User
	auth   platform.Auth
	access string
}

func newSimEnv(t *testing.T, timeout time.Duration) *simEnv {
	t.Helper()
	clk := simclock.New(time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC))
	sim := igsim.New(igsim.Options{ClientID: "ig-sim-app", ClientSecret: testSecret, RedirectURIs: []string{simRedirect}, Now: clk.Now})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close) // runs first: releases hanging handlers
	media := httptest.NewServer(http.HandlerFunc(serveSimMedia))
	t.Cleanup(media.Close)
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	logs := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := New(Config{
		ClientID: "ig-sim-app", ClientSecret: testSecret, RedirectURL: simRedirect, BaseURL: srv.URL, FirstComment: true,
		HTTP:  platform.NewHTTPClient(platform.HTTPOptions{Now: sim.Now, Timeout: timeout, Logger: logger}),
		Now:   sim.Now,
		Sleep: func(_ context.Context, d time.Duration) error { clk.Advance(d); return nil },
	})
	u := sim.AddUser("snsos_test", "sns-os Test")
	access := sim.IssueTokens(u.UserID)
	return &simEnv{logs: logs, clk: clk, sim: sim, media: media, c: c, user: u, access: access,
		auth: platform.Auth{UserID: u.UserID, Handle: u.Username, AccessToken: snsos.Secret(access)}}
}

// serveSimMedia serves a JPEG and an MP4 the simulator can sniff.
func serveSimMedia(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/photo.jpg":
		w.Write(append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 4000)...))
	case "/clip.mp4":
		w.Write(append([]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"), make([]byte, 4000)...))
	default:
		http.NotFound(w, r)
	}
}

func (e *simEnv) photo() platform.Media { return jpeg(e.media.URL+"/photo.jpg", "a photo") }
func (e *simEnv) clip() platform.Media  { return mp4(e.media.URL + "/clip.mp4") }

var (
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	actionRE = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
)

// approve drives the consent page with a plain browser and returns the
// callback URL's query.
func approve(t *testing.T, authURL string) url.Values {
	t.Helper()
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
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, simRedirect) || !strings.HasSuffix(loc, "#_") {
		t.Fatalf("approve: %d %q", resp.StatusCode, loc)
	}
	u, _ := url.Parse(loc)
	return u.Query()
}

// TestSimOAuth connects through the consent page, reads the profile,
// refreshes after 24 hours and refuses a spent code without leaking it.
func TestSimOAuth(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, 0)
	ctx := context.Background()
	q := approve(t, e.c.AuthCodeURL("state-123", ""))
	if q.Get("state") != "state-123" || q.Get("code") == "" {
		t.Fatalf("callback %v", q)
	}
	code := q.Get("code")
	cred, err := e.c.Exchange(ctx, code+"#_", "")
	if err != nil {
		t.Fatal(err)
	}
	if cred.AccessToken.IsZero() || !cred.ExpiresAt.Equal(e.sim.Now().Add(igsim.DefaultLongLivedTTL)) ||
		!strings.Contains(strings.Join(cred.Scopes, ","), ScopeComments) {
		t.Fatalf("credential %+v", cred.Meta())
	}
	prof, err := e.c.Profile(ctx, cred.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if prof.RemoteID != e.user.UserID || prof.Handle != "snsos_test" || prof.Options["app_scoped_id"] != e.user.ID {
		t.Fatalf("profile %+v, user %+v", prof, e.user)
	}
	_, err = e.c.Exchange(ctx, code, "")
	if !errors.Is(err, platform.ErrAuth) || strings.Contains(err.Error(), code) || strings.Contains(err.Error(), testSecret) {
		t.Fatalf("spent code: %v", err)
	}
	e.clk.Advance(25 * time.Hour)
	next, err := e.c.Refresh(ctx, cred)
	if err != nil {
		t.Fatal(err)
	}
	if next.AccessToken == cred.AccessToken || !next.IssuedAt.Equal(e.sim.Now()) {
		t.Fatalf("refreshed %+v", next.Meta())
	}
	if _, err := e.c.Profile(ctx, next.AccessToken); err != nil {
		t.Fatalf("new token: %v", err)
	}
	for _, s := range []string{cred.AccessToken.Reveal(), next.AccessToken.Reveal(), code, testSecret} {
		if strings.Contains(e.logs.String(), s) {
			t.Errorf("secret in logs")
		}
	}
}

// TestSimPublishEachType publishes one post of each media type and checks
// the simulator's record of it.
func TestSimPublishEachType(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, 0)
	ctx := context.Background()
	reqs := []*platform.PublishRequest{
		withOption(request("IMAGE", "An image #one", e.photo()), "first_comment", "first!"),
		request("CAROUSEL", "A carousel", e.photo(), e.clip(), e.photo()),
		withOption(request("REELS", "A reel", e.clip()), "share_to_feed", false),
		request("STORIES", "", e.photo()),
	}
	var pubs []*platform.Published
	for _, r := range reqs {
		var pub *platform.Published
		var err error
		for try := 0; try < 5; try++ { // a video may outlast one call's budget
			pub, err = e.c.Publish(ctx, e.auth, r, platform.NewProgress(nil, nil))
			if _, ok := platform.ContinueAfter(err); !ok {
				break
			}
		}
		if err != nil {
			t.Fatalf("%v: %v", r.Options["media_type"], err)
		}
		pubs = append(pubs, pub)
	}
	posts := e.sim.Posts()
	if len(posts) != 4 {
		t.Fatalf("posts %+v", posts)
	}
	want := []struct{ media, product, caption string }{
		{"IMAGE", "FEED", "An image #one"}, {"CAROUSEL_ALBUM", "FEED", "A carousel"}, {"VIDEO", "REELS", "A reel"}, {"IMAGE", "STORY", ""},
	}
	for i, w := range want {
		p := posts[i]
		if p.ID != pubs[i].RemoteID || p.MediaType != w.media || p.ProductType != w.product || p.Caption != w.caption ||
			p.Permalink != pubs[i].URL || p.OwnerID != e.user.UserID {
			t.Errorf("post %d = %+v, published %+v", i, p, pubs[i])
		}
	}
	if len(posts[0].Comments) != 1 || posts[0].Comments[0].Text != "first!" || posts[0].AltText != "a photo" {
		t.Errorf("image post %+v", posts[0])
	}
	if len(posts[1].Media) != 3 || posts[2].ShareToFeed {
		t.Errorf("carousel media %+v, reel shared to feed %v", posts[1].Media, posts[2].ShareToFeed)
	}
	q, err := e.c.PublishQuota(ctx, e.auth)
	if err != nil || q.Used != 4 || q.Total != igsim.DefaultQuotaTotal || q.Window != 24*time.Hour {
		t.Errorf("quota %+v %v", q, err)
	}
}

// TestSimLostPublish: the publish call hangs after the post went live; the
// client reports outcome-unknown, FindPost finds the post through the
// container, and a resumed Publish does not publish again.
func TestSimLostPublish(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, 300*time.Millisecond)
	ctx := context.Background()
	e.sim.InjectFault(igsim.Fault{Match: "POST /{id}/media_publish", Kind: igsim.FaultHangAfterCommit})
	req := request("IMAGE", "Lost in transit", e.photo())
	pr := platform.NewProgress(nil, nil)
	_, lost := e.c.Publish(ctx, e.auth, req, pr)
	if !errors.Is(lost, platform.ErrOutcomeUnknown) {
		t.Fatalf("err = %v", lost)
	}
	posts := e.sim.Posts()
	if len(posts) != 1 {
		t.Fatalf("posts %+v", posts)
	}
	found, err := e.c.FindPost(ctx, e.auth, platform.PostQuery{Text: "Lost in transit", Part: 1,
		Since: e.sim.Now().Add(-time.Minute), Progress: pr.Values()})
	if err != nil || found.ID != posts[0].ID || found.URL != posts[0].Permalink {
		t.Fatalf("FindPost %+v %v", found, err)
	}
	pub, err := e.c.Publish(ctx, e.auth, req, platform.NewProgress(pr.Values(), nil))
	if err != nil || pub.RemoteID != posts[0].ID {
		t.Fatalf("resumed %+v %v", pub, err)
	}
	if n := len(e.sim.Posts()); n != 1 {
		t.Errorf("%d posts after the resume", n)
	}
	for _, s := range []string{e.access, testSecret} {
		if strings.Contains(lost.Error(), s) || strings.Contains(e.logs.String(), s) {
			t.Error("secret in error or logs")
		}
	}
}

// TestSimLostPublishSameCaption: two posts with the same caption a minute
// apart, the second one's publish answer lost: FindPost returns the second
// post, proven through its container, not the earlier one.
func TestSimLostPublishSameCaption(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, 300*time.Millisecond)
	ctx := context.Background()
	first, err := e.c.Publish(ctx, e.auth, request("IMAGE", "Good morning", e.photo()), platform.NewProgress(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Minute)
	e.sim.InjectFault(igsim.Fault{Match: "POST /{id}/media_publish", Kind: igsim.FaultHangAfterCommit})
	pr := platform.NewProgress(nil, nil)
	if _, err := e.c.Publish(ctx, e.auth, request("IMAGE", "Good morning", e.photo()), pr); !errors.Is(err, platform.ErrOutcomeUnknown) {
		t.Fatalf("lost publish: %v", err)
	}
	posts := e.sim.Posts()
	if len(posts) != 2 || posts[0].ID != first.RemoteID {
		t.Fatalf("posts %+v", posts)
	}
	found, err := e.c.FindPost(ctx, e.auth, platform.PostQuery{Text: "Good morning", Part: 1, Since: e.sim.Now().Add(-30 * time.Second),
		Progress: pr.Values()})
	if err != nil || found.ID != posts[1].ID || !found.Proven {
		t.Fatalf("FindPost %+v, %v; want %s (the earlier post is %s)", found, err, posts[1].ID, first.RemoteID)
	}
	pub, err := e.c.Publish(ctx, e.auth, request("IMAGE", "Good morning", e.photo()), platform.NewProgress(pr.Values(), nil))
	if err != nil || pub.RemoteID != posts[1].ID || len(e.sim.Posts()) != 2 {
		t.Fatalf("resumed %+v, %v", pub, err)
	}
}

// TestSimLostStoryContainerGone: a story whose publish answer was lost and
// whose container Instagram then no longer knows is found among the
// account's stories (it never appears among the recent media), and a
// story that is live is never reported absent.
func TestSimLostStoryContainerGone(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, 300*time.Millisecond)
	ctx := context.Background()
	e.sim.InjectFault(igsim.Fault{Match: "POST /{id}/media_publish", Kind: igsim.FaultHangAfterCommit})
	pr := platform.NewProgress(nil, nil)
	if _, err := e.c.Publish(ctx, e.auth, request("STORIES", "", e.photo()), pr); !errors.Is(err, platform.ErrOutcomeUnknown) {
		t.Fatalf("lost publish: %v", err)
	}
	posts := e.sim.Posts()
	if len(posts) != 1 || posts[0].ProductType != "STORY" {
		t.Fatalf("posts %+v", posts)
	}
	e.sim.InjectFault(igsim.Fault{Match: "GET /{id}", Kind: igsim.FaultContainerNotFound, Times: -1})
	q := platform.PostQuery{Part: 1, Since: e.sim.Now().Add(-time.Minute), Progress: pr.Values()}
	found, err := e.c.FindPost(ctx, e.auth, q)
	if err != nil || found.ID != posts[0].ID || found.Proven {
		t.Fatalf("FindPost %+v, %v; want story %s, not proven", found, err, posts[0].ID)
	}
	// A second story since then: either could be this post's.
	e.sim.ClearFaults()
	if _, err := e.c.Publish(ctx, e.auth, request("STORIES", "", e.photo()), platform.NewProgress(nil, nil)); err != nil {
		t.Fatal(err)
	}
	e.sim.InjectFault(igsim.Fault{Match: "GET /{id}", Kind: igsim.FaultContainerNotFound, Times: -1})
	if _, err := e.c.FindPost(ctx, e.auth, q); !errors.Is(err, platform.ErrTransient) {
		t.Fatalf("two stories since the publish call: %v, want a transient error", err)
	}
}

// TestSimFaults checks each injected fault against the expected class and
// the simulator's state.
func TestSimFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault igsim.Fault
		want  error
		posts int
		says  string
	}{
		{name: "final media error", fault: igsim.Fault{Match: "POST /{id}/media", Kind: igsim.FaultMediaError, Code: 2207026},
			want: platform.ErrRejected, says: "video format is not supported"},
		{name: "retryable media error: new containers", fault: igsim.Fault{Match: "POST /{id}/media", Kind: igsim.FaultMediaError, Code: 2207052},
			posts: 1},
		{name: "throttled", fault: igsim.Fault{Match: "POST /{id}/media", Kind: igsim.FaultRateLimit, Reset: 12 * time.Minute},
			want: platform.ErrRateLimited},
		{name: "expired session", fault: igsim.Fault{Match: "POST /{id}/media", Kind: igsim.FaultUnauthorized},
			want: platform.ErrAuth},
		{name: "5xx after commit on publish", fault: igsim.Fault{Match: "POST /{id}/media_publish", Kind: igsim.FaultStatusAfterCommit, Status: 502},
			want: platform.ErrOutcomeUnknown, posts: 1},
		{name: "5xx on a status read", fault: igsim.Fault{Match: "GET /{id}", Kind: igsim.FaultStatus, Status: 503},
			want: platform.ErrTransient},
		{name: "server error after commit on publish", fault: igsim.Fault{Match: "POST /{id}/media_publish", Kind: igsim.FaultStatusAfterCommit,
			Status: 500, ContentType: "application/json", Body: `{"error":{"message":"An unexpected error has occurred. Please retry your request later.",` +
				`"type":"IGApiException","code":-1,"error_subcode":2207001,"is_transient":true,"fbtrace_id":"A1"}}`},
			want: platform.ErrOutcomeUnknown, posts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newSimEnv(t, 0)
			e.sim.InjectFault(tt.fault)
			_, err := e.c.Publish(context.Background(), e.auth, request("IMAGE", "fault test", e.photo()), platform.NewProgress(nil, nil))
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err = %v (kind %v), want %v", err, platform.KindOf(err), tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), tt.says) {
				t.Errorf("err %v should say %q", err, tt.says)
			}
			if n := len(e.sim.Posts()); n != tt.posts {
				t.Errorf("%d posts, want %d", n, tt.posts)
			}
			if strings.Contains(e.logs.String(), e.access) || err != nil && strings.Contains(err.Error(), e.access) {
				t.Error("token in error or logs")
			}
		})
	}
}

// TestSimMetrics reads insights before and after the simulator's delay.
func TestSimMetrics(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, 0)
	ctx := context.Background()
	feed, err := e.c.Publish(ctx, e.auth, request("IMAGE", "for metrics", e.photo()), nil)
	if err != nil {
		t.Fatal(err)
	}
	story, err := e.c.Publish(ctx, e.auth, request("STORIES", "", e.photo()), nil)
	if err != nil {
		t.Fatal(err)
	}
	refs := []platform.PostRef{{ID: feed.RemoteID, PublishedAt: feed.PublishedAt}, {ID: story.RemoteID, PublishedAt: story.PublishedAt}}
	got, err := e.c.Metrics(ctx, e.auth, refs)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range got {
		if !errors.Is(m.Err, platform.ErrTransient) || m.Values != nil {
			t.Errorf("before the insights delay: %+v", m)
		}
	}
	e.clk.Advance(2 * time.Hour)
	got, err = e.c.Metrics(ctx, e.auth, refs)
	if err != nil {
		t.Fatal(err)
	}
	if m := got[0]; m.Err != nil || m.Values["views"] == 0 || m.Values["reach"] == 0 || len(m.Notes) != 0 {
		t.Errorf("feed metrics %+v", m)
	}
	for _, k := range []string{"views", "likes", "comments", "shares", "saved", "total_interactions"} {
		if _, ok := got[0].Values[k]; !ok {
			t.Errorf("feed metrics lack %s: %v", k, got[0].Values)
		}
	}
	if m := got[1]; m.Err != nil && !errors.Is(m.Err, platform.ErrNoMetrics) || m.Err == nil && m.Values["replies"] != m.Values["comments"] {
		t.Errorf("story metrics %+v", m)
	}
	e.clk.Advance(24 * time.Hour)
	got, err = e.c.Metrics(ctx, e.auth, refs[1:])
	if err != nil || !errors.Is(got[0].Err, platform.ErrNoMetrics) {
		t.Errorf("story after 24 hours: %+v %v", got, err)
	}
}
