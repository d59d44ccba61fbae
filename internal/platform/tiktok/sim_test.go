package tiktok

// End-to-end tests against the TikTok simulator (internal/sim/tiktok) over
// loopback HTTP: the real client, the real shared HTTP client, the
// simulator's real paths. The simulator's clock is advanced by the
// client's injected Sleep, so nothing here sleeps.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	ttsim "github.com/sns-os/snsos/internal/sim/tiktok"
)

const simRedirect = "http://127.0.0.1:8765/oauth/tiktok/callback/"

type simEnv struct {
	logs   *logBuffer
	sim    *ttsim.Sim
	srv    *httptest.Server
	c      *Client
	user   ttsim.User
	auth   platform.Auth
	access string
}

func newSimEnv(t *testing.T, opts ttsim.Options, timeout time.Duration) *simEnv {
	t.Helper()
	start := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	opts.ClientKey, opts.ClientSecret = "sim-client-key", testSecret
	opts.Now = func() time.Time { return start }
	sim := ttsim.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close) // runs first: releases hanging handlers
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	logs := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := New(Config{
		ClientKey: "sim-client-key", ClientSecret: testSecret, RedirectURL: simRedirect, BaseURL: srv.URL,
		HTTP:      platform.NewHTTPClient(platform.HTTPOptions{Now: sim.Now, Timeout: timeout, Logger: logger}),
		Now:       sim.Now,
		Sleep:     func(_ context.Context, d time.Duration) error { sim.Advance(d); return nil },
		ChunkSize: MinChunkSize,
	})
	u := sim.AddUser("snsos_test", "sns-os Test")
	access, _ := sim.IssueTokens(u.OpenID)
	return &simEnv{logs: logs, sim: sim, srv: srv, c: c, user: u, access: access,
		auth: platform.Auth{UserID: u.OpenID, Handle: u.Username, AccessToken: snsos.Secret(access)}}
}

// simVideo is an MP4-looking video of n bytes (the simulator sniffs the
// first bytes), streamed without being held.
func simVideo(n int64) (platform.Media, string) {
	head := []byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom")
	open := func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(io.MultiReader(strings.NewReader(string(head)), &patternReader{n: n - int64(len(head))})), nil
	}
	h := sha256.New()
	rc, _ := open(context.Background())
	io.Copy(h, rc)
	return platform.Media{MIME: "video/mp4", Size: n, Open: open}, hex.EncodeToString(h.Sum(nil))
}

func simReq(md platform.Media, opts map[string]any) *platform.PublishRequest {
	return &platform.PublishRequest{Parts: []platform.Part{{Text: "hello from sns-os #test", Media: []platform.Media{md}}}, Options: opts}
}

var (
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	actionRE = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
)

// consent approves the consent page of authURL like a browser and returns
// the callback's query.
func consent(t *testing.T, browser *http.Client, authURL string) url.Values {
	t.Helper()
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
		form.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	for _, s := range Scopes[1:] {
		form.Add("grant", s)
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
	return loc.Query()
}

// TestSimOAuth drives the consent page, exchanges the code with the hex
// PKCE verifier, reads the profile, rotates the refresh token and revokes.
func TestSimOAuth(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, ttsim.Options{}, 0)
	ctx := context.Background()
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	verifier := platform.NewVerifier()
	q := consent(t, browser, e.c.AuthCodeURL("state-123", verifier))
	if q.Get("state") != "state-123" || q.Get("code") == "" {
		t.Fatalf("callback %v", q)
	}
	if _, err := e.c.Exchange(ctx, q.Get("code"), platform.NewVerifier()); !errors.Is(err, platform.ErrAuth) {
		t.Fatalf("wrong verifier accepted: %v", err)
	}
	q = consent(t, browser, e.c.AuthCodeURL("state-456", verifier))
	cred, err := e.c.Exchange(ctx, q.Get("code"), verifier)
	if err != nil {
		t.Fatal(err)
	}
	if cred.AccessToken.IsZero() || cred.RefreshToken.IsZero() || !cred.ExpiresAt.Equal(e.sim.Now().Add(24*time.Hour)) ||
		!cred.RefreshExpiresAt.Equal(e.sim.Now().Add(365*24*time.Hour)) || len(cred.Scopes) != 4 {
		t.Fatalf("credential %+v", cred.Meta())
	}
	prof, err := e.c.Profile(ctx, cred.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if prof.RemoteID != e.user.OpenID || prof.Handle != "snsos_test" || prof.DisplayName != "sns-os Test" ||
		prof.Options["union_id"] != e.user.UnionID {
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
	if err := e.c.Revoke(ctx, next); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Profile(ctx, next.AccessToken); !errors.Is(err, platform.ErrAuth) {
		t.Fatalf("revoked token: %v", err)
	}
	for _, s := range []string{testSecret, cred.RefreshToken.Reveal(), next.AccessToken.Reveal(), q.Get("code")} {
		if strings.Contains(e.logs.String(), s) {
			t.Errorf("secret in the log")
		}
	}
}

// TestSimDirectPostSelfOnly posts as an unaudited app: only "Only me"
// works; the post has no public id, so the publish_id stands for it.
func TestSimDirectPostSelfOnly(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, ttsim.Options{Unaudited: true}, 0)
	ctx := context.Background()
	const size = 2*MinChunkSize + 12345
	md, sum := simVideo(size)
	_, err := e.c.Publish(ctx, e.auth, simReq(md, map[string]any{"privacy_level": "PUBLIC_TO_EVERYONE"}), platform.NewProgress(nil, nil))
	if !errors.Is(err, platform.ErrRejected) || !strings.Contains(err.Error(), "\"Only me\" (SELF_ONLY)") || len(e.sim.Posts()) != 0 {
		t.Fatalf("public post of an unaudited app: %v", err)
	}
	pr := platform.NewProgress(nil, nil)
	pub, err := e.c.Publish(ctx, e.auth, simReq(md, map[string]any{"privacy_level": "SELF_ONLY"}), pr)
	if err != nil {
		t.Fatal(err)
	}
	posts := e.sim.Posts()
	if len(posts) != 1 {
		t.Fatalf("posts %+v", posts)
	}
	p := posts[0]
	if pub.RemoteID != p.PublishID || pub.URL != "" || pub.Inbox || p.Status != ttsim.StatusPublishComplete ||
		p.PrivacyLevel != "SELF_ONLY" || p.UploadedBytes != size || p.SHA256 != sum || p.Title != "hello from sns-os #test" ||
		!p.DisableComment || !p.DisableDuet || !p.DisableStitch {
		t.Errorf("published %+v, sim post %+v", pub, p)
	}
	if got := pr.Values(); got[PublishIDKey(1)] != p.PublishID || got[PostIDKey] != p.PublishID {
		t.Errorf("progress %v", got)
	}
	m, err := e.c.Metrics(ctx, e.auth, []platform.PostRef{{ID: pub.RemoteID}})
	if err != nil || !errors.Is(m[0].Err, platform.ErrNoMetrics) {
		t.Errorf("metrics of an Only me post: %+v %v", m, err)
	}
}

// TestSimInboxUpload sends a video to the inbox; the operator finishes it
// in the app, after which FindPost finds its public id and its metrics
// are read.
func TestSimInboxUpload(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, ttsim.Options{}, 0)
	ctx := context.Background()
	md, _ := simVideo(3 << 20)
	pr := platform.NewProgress(nil, nil)
	pub, err := e.c.Publish(ctx, e.auth, simReq(md, map[string]any{"post_mode": "MEDIA_UPLOAD"}), pr)
	if err != nil {
		t.Fatal(err)
	}
	posts := e.sim.Posts()
	if !pub.Inbox || pub.RemoteID != posts[0].PublishID || pub.URL != "" || posts[0].Mode != ttsim.ModeInbox ||
		posts[0].Status != ttsim.StatusSendToUserInbox {
		t.Fatalf("published %+v, sim %+v", pub, posts)
	}
	q := platform.PostQuery{Text: "hello from sns-os #test", Part: 1, Progress: pr.Values()}
	if found, err := e.c.FindPost(ctx, e.auth, q); err != nil || found.ID != pub.RemoteID || !found.Proven {
		t.Fatalf("FindPost before the app: %+v %v", found, err)
	}
	if err := e.sim.FinishInbox(pub.RemoteID, true); err != nil {
		t.Fatal(err)
	}
	found, err := e.c.FindPost(ctx, e.auth, q)
	public := e.sim.Posts()[0].PublicID
	if err != nil || public == "" || found.ID != public || found.URL != PostURL("snsos_test", public) {
		t.Fatalf("FindPost after the app: %+v %v (public id %q)", found, err, public)
	}
	e.sim.Advance(6 * time.Hour)
	m, err := e.c.Metrics(ctx, e.auth, []platform.PostRef{{ID: found.ID}})
	if err != nil || m[0].Err != nil || m[0].Values["views"] <= 0 || len(m[0].Values) != 4 {
		t.Fatalf("metrics %+v %v", m, err)
	}
}

// TestSimLostAnswers loses answers on the way: an init whose answer never
// came (TikTok cannot be asked about it), a crash after the last chunk
// (FindPost finds the post from the saved publish_id), and a crash before
// it (FindPost proves nothing can go live).
func TestSimLostAnswers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("hang after init", func(t *testing.T) {
		t.Parallel()
		e := newSimEnv(t, ttsim.Options{}, 300*time.Millisecond)
		e.sim.InjectFault(ttsim.Fault{Match: "POST /v2/post/publish/video/init/", Kind: ttsim.FaultHangAfterCommit})
		md, _ := simVideo(1 << 20)
		pr := platform.NewProgress(nil, nil)
		req := simReq(md, map[string]any{"privacy_level": "SELF_ONLY"})
		_, err := e.c.Publish(ctx, e.auth, req, pr)
		if !errors.Is(err, platform.ErrOutcomeUnknown) || len(e.sim.Posts()) != 1 {
			t.Fatalf("err %v, posts %+v", err, e.sim.Posts())
		}
		_, err = e.c.FindPost(ctx, e.auth, platform.PostQuery{Part: 1, Progress: pr.Values()})
		if !errors.Is(err, platform.ErrTransient) || errors.Is(err, platform.ErrNotFound) || !strings.Contains(err.Error(), cannotSearch) {
			t.Fatalf("FindPost: %v", err)
		}
		if _, err := e.c.Publish(ctx, e.auth, req, pr); !errors.Is(err, platform.ErrOutcomeUnknown) || len(e.sim.Posts()) != 1 {
			t.Fatalf("a second attempt: %v, posts %d", err, len(e.sim.Posts()))
		}
	})
	t.Run("crash after the last chunk landed", func(t *testing.T) {
		t.Parallel()
		e, db := crashAt(t, itoa(2*MinChunkSize))
		e.sim.Advance(time.Minute)
		found, err := e.c.FindPost(ctx, e.auth, platform.PostQuery{Part: 1, Progress: db})
		if posts := e.sim.Posts(); err != nil || len(posts) != 1 || found.ID != posts[0].PublicID || !found.Proven {
			t.Fatalf("FindPost %+v %v, posts %+v", found, err, posts)
		}
	})
	t.Run("crash before the last chunk", func(t *testing.T) {
		t.Parallel()
		e, db := crashAt(t, itoa(MinChunkSize))
		e.sim.Advance(2 * time.Hour) // the upload link has expired
		if _, err := e.c.FindPost(ctx, e.auth, platform.PostQuery{Part: 1, Progress: db}); !errors.Is(err, platform.ErrNotFound) {
			t.Fatalf("FindPost: %v", err)
		}
		if posts := e.sim.Posts(); len(posts) != 1 || posts[0].Status != ttsim.StatusProcessingUpload {
			t.Fatalf("posts %+v", posts)
		}
	})
}

// crashAt publishes a public two-chunk video and stops the process right
// after upload.next_offset = offset was saved: nothing is saved after it.
func crashAt(t *testing.T, offset string) (*simEnv, map[string]string) {
	t.Helper()
	e := newSimEnv(t, ttsim.Options{}, 0)
	var mu sync.Mutex
	db := map[string]string{}
	ctx, stop := context.WithCancel(context.Background())
	md, _ := simVideo(2 * MinChunkSize)
	dead := false
	save := func(_ context.Context, k, v string) error {
		mu.Lock()
		defer mu.Unlock()
		if dead {
			return errors.New("the process is gone")
		}
		db[k] = v
		if k == NextOffsetKey(1) && v == offset {
			dead = true
			stop()
		}
		return nil
	}
	if _, err := e.c.Publish(ctx, e.auth, simReq(md, map[string]any{"privacy_level": "PUBLIC_TO_EVERYONE"}), platform.NewProgress(nil, save)); err == nil {
		t.Fatal("the crashed attempt succeeded")
	}
	mu.Lock()
	defer mu.Unlock()
	return e, db
}

// TestSimMetrics reads the counters of public posts as they grow.
func TestSimMetrics(t *testing.T) {
	t.Parallel()
	e := newSimEnv(t, ttsim.Options{}, 0)
	ctx := context.Background()
	var ids []platform.PostRef
	for range 2 {
		md, _ := simVideo(1 << 20)
		pub, err := e.c.Publish(ctx, e.auth, simReq(md, map[string]any{"privacy_level": "PUBLIC_TO_EVERYONE"}), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !platform.ValidNumericID(pub.RemoteID) || pub.URL != PostURL("snsos_test", pub.RemoteID) {
			t.Fatalf("published %+v", pub)
		}
		ids = append(ids, platform.PostRef{ID: pub.RemoteID, PublishedAt: pub.PublishedAt})
	}
	e.sim.Advance(time.Hour)
	first, err := e.c.Metrics(ctx, e.auth, append(ids, platform.PostRef{ID: "7000000000000000001"}))
	if err != nil {
		t.Fatal(err)
	}
	e.sim.Advance(48 * time.Hour)
	fresh, _ := e.sim.IssueTokens(e.user.OpenID) // the day-long token expired meanwhile
	e.auth.AccessToken = snsos.Secret(fresh)
	later, err := e.c.Metrics(ctx, e.auth, ids)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ids {
		if first[i].Err != nil || later[i].Err != nil || later[i].Values["views"] < first[i].Values["views"] || later[i].Values["views"] == 0 {
			t.Errorf("post %d: %+v then %+v", i, first[i], later[i])
		}
	}
	if !errors.Is(first[2].Err, platform.ErrNoMetrics) {
		t.Errorf("unknown video: %+v", first[2])
	}
}

// TestSimFaults checks injected faults against the expected class and the
// simulator's state.
func TestSimFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault ttsim.Fault
		want  error
		posts int
		check func(t *testing.T, e *simEnv, err error, pr *platform.Progress)
	}{
		{"daily cap at creator_info", ttsim.Fault{Match: "POST /v2/post/publish/creator_info/query/", Kind: ttsim.FaultSpamRisk},
			platform.ErrQuotaExhausted, 0, nil},
		{"rate limited init", ttsim.Fault{Match: "POST /v2/post/publish/video/init/", Kind: ttsim.FaultRateLimit},
			platform.ErrRateLimited, 0, func(t *testing.T, e *simEnv, err error, _ *platform.Progress) {
				if at, ok := platform.RetryAt(err); !ok || !at.Equal(e.sim.Now().Add(time.Minute)) {
					t.Errorf("RetryAt %v", at)
				}
			}},
		{"5xx after init committed", ttsim.Fault{Match: "POST /v2/post/publish/video/init/", Kind: ttsim.FaultStatusAfterCommit, Status: 502},
			platform.ErrOutcomeUnknown, 1, nil},
		{"chunk 5xx twice", ttsim.Fault{Match: "PUT /upload/video/", Kind: ttsim.FaultStatus, Status: 502, Times: 2},
			nil, 1, nil},
		{"upload link expired", ttsim.Fault{Match: "PUT /upload/video/", Kind: ttsim.FaultUploadURLExpired},
			nil, 2, func(t *testing.T, e *simEnv, err error, pr *platform.Progress) {
				if v := pr.Values(); v[KeyGeneration] != "2" || v[UploadURLKey(1)] != "" {
					t.Errorf("progress %v", v)
				}
			}},
		{"processing failed", ttsim.Fault{Match: "POST /v2/post/publish/video/init/", Kind: ttsim.FaultProcessingFailed,
			FailReason: "frame_rate_check_failed"}, platform.ErrRejected, 1, func(t *testing.T, e *simEnv, err error, _ *platform.Progress) {
			if !strings.Contains(err.Error(), "frame rate") {
				t.Errorf("reason: %v", err)
			}
		}},
		{"token refused mid-upload", ttsim.Fault{Match: "POST /v2/post/publish/status/fetch/", Kind: ttsim.FaultUnauthorized},
			platform.ErrAuth, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newSimEnv(t, ttsim.Options{}, 0)
			e.sim.InjectFault(tt.fault)
			md, _ := simVideo(2*MinChunkSize + 1)
			pr := platform.NewProgress(nil, nil)
			_, err := e.c.Publish(context.Background(), e.auth, simReq(md, map[string]any{"privacy_level": "SELF_ONLY"}), pr)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err = %v (kind %v), want %v", err, platform.KindOf(err), tt.want)
			}
			if n := len(e.sim.Posts()); n != tt.posts {
				t.Errorf("%d publishes in the simulator, want %d", n, tt.posts)
			}
			if err != nil {
				for _, s := range []string{e.access, testSecret} {
					if strings.Contains(err.Error(), s) || strings.Contains(e.logs.String(), s) {
						t.Errorf("secret in error or log: %v", err)
					}
				}
			}
			if tt.check != nil {
				tt.check(t, e, err, pr)
			}
		})
	}
}

// logBuffer is a concurrency-safe buffer for a slog handler.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
