package threads

// End-to-end tests against the Threads simulator (internal/sim/threads)
// over loopback HTTP: the real client, the real shared HTTP client, the
// simulator's real paths. The simulator's clock is advanced by the
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
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	threadssim "github.com/sns-os/snsos/internal/sim/threads"
)

type simEnv struct {
	logs  *logBuffer
	sim   *threadssim.Sim
	srv   *httptest.Server
	media *httptest.Server
	c     *Client
	user  threadssim.User
	auth  platform.Auth
}

func newSimEnv(t *testing.T, timeout time.Duration) *simEnv {
	t.Helper()
	start := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	sim := threadssim.New(threadssim.Options{ClientID: "sim-threads-app", ClientSecret: testSecret,
		Now: func() time.Time { return start }})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close) // runs first: releases hanging handlers
	media := httptest.NewServer(http.HandlerFunc(serveMedia))
	t.Cleanup(media.Close)
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	logs := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := New(Config{
		ClientID: "sim-threads-app", ClientSecret: testSecret, RedirectURL: testRedirect, BaseURL: srv.URL,
		HTTP:  platform.NewHTTPClient(platform.HTTPOptions{Now: sim.Now, Timeout: timeout, Logger: logger}),
		Now:   sim.Now,
		Sleep: func(_ context.Context, d time.Duration) error { sim.Advance(d); return nil },
	})
	u := sim.AddUser("snsos_test", "sns-os Test")
	access := sim.IssueTokens(u.ID)
	return &simEnv{logs: logs, sim: sim, srv: srv, media: media, c: c, user: u,
		auth: platform.Auth{UserID: u.ID, Handle: u.Username, AccessToken: snsos.Secret(access)}}
}

// serveMedia answers /x.jpg and /x.mp4 with a few bytes of the format.
func serveMedia(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasSuffix(r.URL.Path, ".jpg"):
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 2048)...))
	case strings.HasSuffix(r.URL.Path, ".mp4"):
		w.Header().Set("Content-Type", "video/mp4")
		w.Write(append([]byte("\x00\x00\x00\x18ftypmp42"), make([]byte, 4096)...))
	default:
		http.NotFound(w, r)
	}
}

func (e *simEnv) image(name string) platform.Media {
	return platform.Media{MIME: "image/jpeg", Size: 2052, URL: e.media.URL + "/" + name + ".jpg", AltText: "alt " + name}
}

func (e *simEnv) video(name string) platform.Media {
	return platform.Media{MIME: "video/mp4", Size: 4108, URL: e.media.URL + "/" + name + ".mp4"}
}

var (
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	actionRE = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
)

// consent drives the consent page with a plain browser and returns the
// code of the redirect (with Meta's "#_" left on).
func (e *simEnv) consent(t *testing.T) string {
	t.Helper()
	authURL := e.c.AuthCodeURL("state-123", "")
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
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), testRedirect) ||
		loc.Query().Get("state") != "state-123" || loc.Query().Get("code") == "" {
		t.Fatalf("approve: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query().Get("code") + "#" + loc.Fragment
}

// TestSimOAuth connects through the consent page, exchanges the code for a
// long-lived token, reads the profile and refreshes the token.
func TestSimOAuth(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, 0)
	ctx := context.Background()
	code := e.consent(t)
	if !strings.HasSuffix(code, "#_") {
		t.Errorf("code %q has no #_", code)
	}
	cred, err := e.c.Exchange(ctx, code, "")
	if err != nil {
		t.Fatal(err)
	}
	if !cred.ExpiresAt.Equal(e.sim.Now().Add(threadssim.DefaultLongLivedTTL)) || !slices.Equal(cred.Scopes, Scopes()) {
		t.Fatalf("credential %+v", cred.Meta())
	}
	if _, err := e.c.Exchange(ctx, code, ""); !errors.Is(err, platform.ErrAuth) || strings.Contains(err.Error(), strings.TrimSuffix(code, "#_")) {
		t.Fatalf("a used code: %v", err)
	}
	prof, err := e.c.Profile(ctx, cred.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if prof.RemoteID != e.user.ID || prof.Handle != "snsos_test" || prof.DisplayName != "sns-os Test" {
		t.Fatalf("profile %+v, user %+v", prof, e.user)
	}
	e.sim.Advance(25 * time.Hour)
	next, err := e.c.Refresh(ctx, cred)
	if err != nil {
		t.Fatal(err)
	}
	if next.AccessToken == cred.AccessToken || !next.IssuedAt.Equal(e.sim.Now()) {
		t.Fatalf("refreshed %+v", next.Meta())
	}
	// The permissions asked for are enough for a reply chain and the quota.
	auth := platform.Auth{UserID: prof.RemoteID, AccessToken: next.AccessToken}
	if _, err := e.c.Publish(ctx, auth, textReq("granted", "enough"), platform.NewProgress(nil, nil)); err != nil {
		t.Fatal(err)
	}
	if q, err := e.c.PublishQuota(ctx, auth); err != nil || q.Used != 1 {
		t.Fatalf("quota %+v %v", q, err)
	}
	for _, secret := range []string{cred.AccessToken.Reveal(), next.AccessToken.Reveal(), testSecret, strings.TrimSuffix(code, "#_")} {
		if strings.Contains(e.logs.String(), secret) {
			t.Fatalf("secret in logs:\n%s", e.logs)
		}
	}
}

// TestSimRefreshBlip: Meta's transient answer to a refresh (code 2 under
// HTTP 400) leaves the account connected: the refresh is tried again
// later, the old token still works.
func TestSimRefreshBlip(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, 0)
	e.sim.InjectFault(threadssim.Fault{Match: "GET /refresh_access_token", Kind: threadssim.FaultStatus, Status: 400, Code: 2})
	e.sim.Advance(25 * time.Hour)
	cred := &snsos.Credential{AccessToken: e.auth.AccessToken}
	if _, err := e.c.Refresh(context.Background(), cred); !errors.Is(err, platform.ErrTransient) {
		t.Fatalf("a transient refusal: %v (kind %v), want transient", err, platform.KindOf(err))
	}
	if next, err := e.c.Refresh(context.Background(), cred); err != nil || next.AccessToken.IsZero() {
		t.Fatalf("refresh after the blip: %v", err)
	}
}

// TestSimLostReplyFound: with the permissions Scopes asks for (the
// simulator, like Meta, requires threads_read_replies for every reply
// endpoint), a later part of a reply chain whose publish answer was lost
// is found among the account's replies through its published container.
func TestSimLostReplyFound(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, 300*time.Millisecond)
	ctx := context.Background()
	cred, err := e.c.Exchange(ctx, e.consent(t), "")
	if err != nil {
		t.Fatal(err)
	}
	auth := platform.Auth{UserID: e.user.ID, AccessToken: cred.AccessToken}
	pr := platform.NewProgress(nil, nil)
	if _, err := e.c.Publish(ctx, auth, textReq("root"), pr); err != nil {
		t.Fatal(err)
	}
	e.sim.InjectFault(threadssim.Fault{Match: "POST /{id}/threads_publish", Kind: threadssim.FaultHangAfterCommit})
	if _, err := e.c.Publish(ctx, auth, textReq("root", "reply two"), pr); !errors.Is(err, platform.ErrOutcomeUnknown) {
		t.Fatalf("lost publish: %v", err)
	}
	posts := e.sim.Posts()
	if len(posts) != 2 || posts[1].ReplyTo != posts[0].ID {
		t.Fatalf("posts %+v", posts)
	}
	v := pr.Values()
	found, err := e.c.FindPost(ctx, auth, platform.PostQuery{Text: "reply two", Part: 2, InReplyTo: v[platform.PartIDKey(1)],
		Since: e.sim.Now().Add(-time.Minute), Progress: v})
	if err != nil || found.ID != posts[1].ID || !found.Proven || found.InReplyTo != posts[0].ID {
		t.Fatalf("FindPost %+v, %v (kind %v); want reply %s", found, err, platform.KindOf(err), posts[1].ID)
	}
}

func TestSimPublishEachType(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, 0)
	tests := []struct {
		name      string
		req       *platform.PublishRequest
		mediaType string // of the simulator's post
		media     int
	}{
		{"text", &platform.PublishRequest{Parts: []platform.Part{{Text: "Hello from sns-os 👋"}}},
			"TEXT_POST", 0},
		{"image", &platform.PublishRequest{Parts: []platform.Part{{Text: "a picture", Media: []platform.Media{e.image("a")}}},
			Options: map[string]any{OptionMediaType: MediaImage}}, "IMAGE", 1},
		{"video", &platform.PublishRequest{Parts: []platform.Part{{Text: "a film", Media: []platform.Media{e.video("v")}}},
			Options: map[string]any{OptionMediaType: MediaVideo}}, "VIDEO", 1},
		{"carousel", &platform.PublishRequest{Parts: []platform.Part{{Text: "three", Media: []platform.Media{e.image("1"), e.video("2"), e.image("3")}}},
			Options: map[string]any{OptionMediaType: MediaCarousel}}, "CAROUSEL_ALBUM", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pub, err := e.c.Publish(context.Background(), e.auth, tc.req, platform.NewProgress(nil, nil))
			if err != nil {
				t.Fatal(err)
			}
			posts := e.sim.Posts()
			p := posts[len(posts)-1]
			if p.ID != pub.RemoteID || p.MediaType != tc.mediaType || len(p.Media) != tc.media || p.Text != tc.req.Parts[0].Text {
				t.Fatalf("post %+v, published %+v", p, pub)
			}
			if pub.URL == "" || pub.URL != p.Permalink || !pub.PublishedAt.Equal(p.CreatedAt) && pub.PublishedAt.Sub(p.CreatedAt) > time.Minute {
				t.Errorf("published %+v, post %+v", pub, p)
			}
		})
	}
}

func TestSimReplyChain(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, 0)
	req := &platform.PublishRequest{Parts: []platform.Part{{Text: "1/3 a chain"}, {Text: "2/3 goes on"}, {Text: "3/3 ends"}},
		Options: map[string]any{OptionMediaType: MediaText, OptionTopicTag: "snsos"}}
	pr := platform.NewProgress(nil, nil)
	pub, err := e.c.Publish(context.Background(), e.auth, req, pr)
	if err != nil {
		t.Fatal(err)
	}
	posts := e.sim.Posts()
	if len(posts) != 3 || !slices.Equal(pub.PartIDs, []string{posts[0].ID, posts[1].ID, posts[2].ID}) {
		t.Fatalf("posts %+v, published %+v", posts, pub)
	}
	if posts[0].ReplyTo != "" || posts[1].ReplyTo != posts[0].ID || posts[2].ReplyTo != posts[1].ID ||
		posts[2].RootID != posts[0].ID || posts[0].TopicTag != "snsos" || posts[1].TopicTag != "" {
		t.Errorf("chain %+v", posts)
	}
	quotas, err := e.c.Quotas(context.Background(), e.auth)
	if err != nil || quotas.Posts.Used != 1 || quotas.Replies == nil || quotas.Replies.Used != 2 || quotas.Posts.Total != 250 {
		t.Errorf("quotas %+v %v", quotas, err)
	}
	// FindPost finds a reply by its parent when its container is gone
	// after a publish call.
	gone := map[string]string{ContainerKey(3, 1): "18000000000000404", PublishSentKey(3, 1): e.sim.Now().Format(time.RFC3339)}
	got, err := e.c.FindPost(context.Background(), e.auth, platform.PostQuery{Text: "3/3 ends", Since: e.sim.Now().Add(-time.Hour),
		Part: 3, InReplyTo: pub.PartIDs[1], Progress: gone})
	if err != nil || got.ID != pub.PartIDs[2] {
		t.Errorf("found %+v, %v", got, err)
	}
}

// A publish whose answer never comes is outcome-unknown; FindPost settles
// it from the recorded container, and a resumed Publish does not post
// again.
func TestSimTimeoutAfterCommit(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, 2*time.Second)
	e.sim.InjectFault(threadssim.Fault{Match: "POST /{id}/threads_publish", Kind: threadssim.FaultHangAfterCommit, Times: 1})
	since := e.sim.Now()
	pr := platform.NewProgress(nil, nil)
	req := textReq("Did this go out?")
	_, err := e.c.Publish(context.Background(), e.auth, req, pr)
	if !errors.Is(err, platform.ErrOutcomeUnknown) {
		t.Fatalf("err %v", err)
	}
	posts := e.sim.Posts()
	if len(posts) != 1 {
		t.Fatalf("posts %+v", posts)
	}
	found, err := e.c.FindPost(context.Background(), e.auth, platform.PostQuery{Text: "Did this go out?", Since: since,
		Part: 1, Progress: pr.Values()})
	if err != nil || found.ID != posts[0].ID || found.URL != posts[0].Permalink {
		t.Fatalf("found %+v, %v", found, err)
	}
	pub, err := e.c.Publish(context.Background(), e.auth, req, pr)
	if err != nil || pub.RemoteID != posts[0].ID || len(e.sim.Posts()) != 1 {
		t.Fatalf("resumed %+v, %v; posts %d", pub, err, len(e.sim.Posts()))
	}
}

func TestSimMediaFailures(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, 0)
	e.sim.InjectFault(threadssim.Fault{Match: "GET /{id}", Kind: threadssim.FaultMediaError, Message: "INVALID_DURATION", Times: 1})
	req := &platform.PublishRequest{Parts: []platform.Part{{Media: []platform.Media{e.video("long")}}}}
	_, err := e.c.Publish(context.Background(), e.auth, req, platform.NewProgress(nil, nil))
	if !errors.Is(err, platform.ErrRejected) || !strings.Contains(err.Error(), "at most 5 minutes") {
		t.Fatalf("err %v", err)
	}
	// A failed download gets a new container and goes out.
	e.sim.InjectFault(threadssim.Fault{Match: "GET /{id}", Kind: threadssim.FaultMediaError, Times: 1})
	pr := platform.NewProgress(nil, nil)
	pub, err := e.c.Publish(context.Background(), e.auth, req, pr)
	if err != nil || pub.RemoteID == "" || pr.Values()[GenKey(1)] != "2" {
		t.Fatalf("%+v %v %v", pub, err, pr.Values())
	}
	// Too many links are refused in plain words.
	links := textReq("https://a.example https://b.example https://c.example https://d.example https://e.example https://f.example")
	if _, err := e.c.Publish(context.Background(), e.auth, links, platform.NewProgress(nil, nil)); !errors.Is(err, platform.ErrRejected) ||
		!strings.Contains(err.Error(), "at most 5 different links") {
		t.Fatalf("links: %v", err)
	}
}

func TestSimMetrics(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, 0)
	pub, err := e.c.Publish(context.Background(), e.auth, textReq("count me"), platform.NewProgress(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	refs := []platform.PostRef{{ID: pub.RemoteID, PublishedAt: pub.PublishedAt}}
	got, err := e.c.Metrics(context.Background(), e.auth, refs)
	if err != nil || got[0].Values != nil || !errors.Is(got[0].Err, platform.ErrTransient) {
		t.Fatalf("fresh post: %+v %v", got, err)
	}
	e.sim.Advance(threadssim.DefaultInsightsDelay + time.Hour)
	got, err = e.c.Metrics(context.Background(), e.auth, refs)
	if err != nil || got[0].Err != nil {
		t.Fatalf("%+v %v", got, err)
	}
	v := got[0].Values
	for _, name := range []string{snsos.MetricViews, snsos.MetricLikes, snsos.MetricComments, snsos.MetricShares, "replies", "reposts", "quotes"} {
		if _, ok := v[name]; !ok {
			t.Errorf("no %s in %v", name, v)
		}
	}
	if v[snsos.MetricComments] != v["replies"] {
		t.Errorf("comments %d, replies %d", v[snsos.MetricComments], v["replies"])
	}
}
