package publish_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/publish"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// pullingPlatform is a platform that fetches media by link and reports its
// publishing quota (Instagram, Threads): it records each request it is
// asked to publish.
type pullingPlatform struct {
	platform.Platform // the rest is never called
	name              snsos.Platform

	mu       sync.Mutex
	quota    *platform.Quota
	requests []*platform.PublishRequest
}

func (p *pullingPlatform) Name() snsos.Platform { return p.name }
func (p *pullingPlatform) PullsMedia() bool     { return true }

func (p *pullingPlatform) PublishQuota(context.Context, platform.Auth) (*platform.Quota, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.quota == nil {
		return nil, fmt.Errorf("quota unknown")
	}
	q := *p.quota
	return &q, nil
}

func (p *pullingPlatform) Publish(_ context.Context, _ platform.Auth, req *platform.PublishRequest, _ *platform.Progress) (*platform.Published, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests = append(p.requests, req)
	id := fmt.Sprintf("%s-%d", p.name, len(p.requests))
	return &platform.Published{RemoteID: id, URL: "https://example.test/" + id}, nil
}

func (p *pullingPlatform) calls() []*platform.PublishRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*platform.PublishRequest(nil), p.requests...)
}

var (
	_ platform.MediaPuller = (*pullingPlatform)(nil)
	_ platform.QuotaReader = (*pullingPlatform)(nil)
)

// linkSig is the signature every test link carries: it must never show in
// a message.
const linkSig = "c2lnbmF0dXJlLW9mLXRoZS1saW5r"

// linkMedia hands out media whose links point at base, as the media
// library's signer does.
type linkMedia struct{ base string }

func (l linkMedia) PlatformMedia(_ context.Context, id int64) (platform.Media, error) {
	m := platform.BytesMedia("image/jpeg", []byte("jpeg bytes"))
	m.URL = fmt.Sprintf("%s/m/%d?exp=1900000000&sig=%s", l.base, id, linkSig)
	m.URLExpires = time.Now().Add(time.Hour)
	return m, nil
}

// mediaServer answers HEAD and GET /m/… with status, counting requests.
func mediaServer(t *testing.T, status int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	n := new(atomic.Int32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		code := status
		if !strings.HasPrefix(r.URL.Path, "/m/") || r.URL.Query().Get("sig") != linkSig {
			code = http.StatusForbidden
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	return srv, n
}

// refusedURL is a loopback address nothing listens on any more.
func refusedURL(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	return u
}

// pullEnv is a harness with an Instagram and a Threads account served by
// pulling platforms.
type pullEnv struct {
	*harness
	ig, th       *pullingPlatform
	igAcct, thAc *snsos.Account
	jpeg         int64
}

func newPullEnv(t *testing.T, env *storetest.Env, base string, tune func(*publish.Config)) *pullEnv {
	t.Helper()
	pe := &pullEnv{ig: &pullingPlatform{name: snsos.PlatformInstagram}, th: &pullingPlatform{name: snsos.PlatformThreads}}
	pe.harness = newHarness(t, env, func(c *publish.Config) {
		c.Platforms = maps.Clone(c.Platforms)
		c.Platforms[snsos.PlatformInstagram], c.Platforms[snsos.PlatformThreads] = pe.ig, pe.th
		c.Media = linkMedia{base: base}
		if tune != nil {
			tune(c)
		}
	})
	s := env.Store
	pe.igAcct, pe.thAc = addAccount(t, s, snsos.PlatformInstagram), addAccount(t, s, snsos.PlatformThreads)
	m := &snsos.MediaRef{SHA256: "pull-jpeg", Key: "k-pull-jpeg", Mime: "image/jpeg", Size: 10, Width: 1080, Height: 1080}
	if _, err := s.CreateMedia(ctx, m); err != nil {
		t.Fatal(err)
	}
	pe.jpeg = m.ID
	return pe
}

// addAccount connects an account of platform p with a stored token.
func addAccount(t *testing.T, s *store.Store, p snsos.Platform) *snsos.Account {
	t.Helper()
	a := &snsos.Account{Platform: p, RemoteID: "remote-" + string(p), Handle: "me_" + string(p)}
	if err := s.UpsertAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCredential(ctx, &snsos.Credential{AccountID: a.ID, AccessToken: "tok-" + snsos.Secret(p), ExpiresAt: time.Now().Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return a
}

// draft stores a post with one Instagram target carrying the image.
func (pe *pullEnv) draft(t *testing.T, at time.Time) *snsos.Post {
	t.Helper()
	p := &snsos.Post{Body: "a picture", MediaIDs: []int64{pe.jpeg}, ScheduledAt: at, Targets: []*snsos.Target{{AccountID: pe.igAcct.ID}}}
	if err := pe.engine.CreatePost(ctx, p, !at.IsZero()); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPreflightMediaLinks: preflight says, in plain words and without the
// link's signature, why a platform that fetches media could not.
func TestPreflightMediaLinks(t *testing.T) {
	t.Parallel()
	ok, _ := mediaServer(t, http.StatusOK)
	missing, _ := mediaServer(t, http.StatusNotFound)
	tests := []struct {
		name     string
		base     string
		insecure bool
		want     string // "" for no link problem
	}{
		{"answers", ok.URL, true, ""},
		{"connection refused", refusedURL(t), true, "Instagram fetches media from sns-os's public address, and http://127.0.0.1:"},
		{"not found", missing.URL, true, "answered 404 Not Found; check SNSOS_PUBLIC_URL"},
		{"plain http", ok.URL, false, "is not a public https link; set SNSOS_PUBLIC_URL to the https address Instagram can reach"},
		{"https on loopback", strings.Replace(ok.URL, "http://", "https://", 1), false, "is not a public https link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pe := newPullEnv(t, newSQLite(t, nil), tt.base, func(c *publish.Config) { c.AllowInsecureMediaLinks = tt.insecure })
			p := pe.draft(t, time.Time{})
			problems, err := pe.engine.Preflight(ctx, p.Targets[0])
			if err != nil {
				t.Fatal(err)
			}
			all := strings.Join(problems, "\n")
			if strings.Contains(all, linkSig) {
				t.Fatalf("a problem shows the link's signature: %s", all)
			}
			if tt.want == "" {
				if len(problems) != 0 {
					t.Fatalf("problems %q, want none", problems)
				}
				return
			}
			if len(problems) != 1 || !strings.Contains(problems[0], tt.want) || !strings.Contains(problems[0], "sig=REDACTED") {
				t.Fatalf("problems %q, want one saying %q with the signature redacted", problems, tt.want)
			}
			if tt.name == "connection refused" && !strings.Contains(problems[0], "did not answer (connection refused); check SNSOS_PUBLIC_URL") {
				t.Fatalf("problem %q does not say the connection was refused", problems[0])
			}
		})
	}
}

// TestPublishRetriesUnreachableMediaLinks: right before the call, a link
// that does not answer is a transient failure of the attempt: the platform
// is never called, the target waits and tries again, and once the attempt
// budget is spent it fails with the reason (never the link's signature).
func TestPublishRetriesUnreachableMediaLinks(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		pe := newPullEnv(t, env, refusedURL(t), func(c *publish.Config) {
			c.AllowInsecureMediaLinks = true
			c.MaxAttempts = 2
			c.Backoff = func(int) time.Duration { return 100 * time.Millisecond }
		})
		p := pe.draft(t, time.Now().Add(200*time.Millisecond))
		tg := pe.waitState(t, p.Targets[0].ID, snsos.StateFailed)
		if len(pe.ig.calls()) != 0 || tg.Attempts != 2 {
			t.Fatalf("platform called %d times, %d attempts; want none and 2", len(pe.ig.calls()), tg.Attempts)
		}
		if !strings.Contains(tg.Error, "gave up after 2 attempts") || !strings.Contains(tg.Error, "did not answer (connection refused)") ||
			strings.Contains(tg.Error, linkSig) {
			t.Fatalf("error %q", tg.Error)
		}
	})
}

// TestQuotaUsedUp: preflight warns when the platform's quota is used up,
// and right before the call the target waits for the window (retry_wait,
// an hour on) instead of calling the platform.
func TestQuotaUsedUp(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		srv, _ := mediaServer(t, http.StatusOK)
		pe := newPullEnv(t, env, srv.URL, func(c *publish.Config) { c.AllowInsecureMediaLinks = true })
		pe.ig.quota = &platform.Quota{Used: 50, Total: 50, Window: 24 * time.Hour}

		draft := pe.draft(t, time.Time{})
		problems, err := pe.engine.Preflight(ctx, draft.Targets[0])
		if err != nil {
			t.Fatal(err)
		}
		want := "Instagram's publishing limit for @me_instagram is used up (50 of 50 posts in a rolling 24 hours)"
		if len(problems) != 1 || !strings.Contains(problems[0], want) {
			t.Fatalf("preflight %q, want %q", problems, want)
		}

		start := time.Now()
		p := pe.draft(t, time.Now().Add(200*time.Millisecond))
		tg := pe.waitState(t, p.Targets[0].ID, snsos.StateRetryWait)
		if len(pe.ig.calls()) != 0 || tg.Attempts != 0 {
			t.Fatalf("platform called %d times, %d attempts; want none", len(pe.ig.calls()), tg.Attempts)
		}
		if tg.DueAt.Before(start.Add(publish.QuotaWait-time.Minute)) || tg.DueAt.After(time.Now().Add(publish.QuotaWait+time.Minute)) {
			t.Fatalf("waits until %s, want about an hour from %s", tg.DueAt, start)
		}
		if !strings.Contains(tg.Error, want) || !strings.Contains(tg.Error, "trying again at") {
			t.Fatalf("reason %q", tg.Error)
		}
	})
}

// TestRequestCarriesMediaType: the client finds the resolved media type in
// the request — the operator's choice, else the one the target's media
// make — and the inferred one is never stored; a Threads target without
// media is a TEXT thread of parts.
func TestRequestCarriesMediaType(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		srv, hits := mediaServer(t, http.StatusOK)
		pe := newPullEnv(t, env, srv.URL, func(c *publish.Config) { c.AllowInsecureMediaLinks = true })
		s := env.Store
		second := &snsos.MediaRef{SHA256: "pull-jpeg-2", Key: "k-pull-jpeg-2", Mime: "image/jpeg", Size: 10, Width: 1080, Height: 1080}
		if _, err := s.CreateMedia(ctx, second); err != nil {
			t.Fatal(err)
		}
		p := &snsos.Post{Body: "two pictures", MediaIDs: []int64{pe.jpeg, second.ID}, ScheduledAt: time.Now().Add(200 * time.Millisecond),
			Targets: []*snsos.Target{
				{AccountID: pe.igAcct.ID},
				{AccountID: pe.thAc.ID, MediaIDs: []int64{}, Options: map[string]any{"parts": []any{"first", "second"}, "topic_tag": "cats"}},
			}}
		if err := pe.engine.CreatePost(ctx, p, true); err != nil {
			t.Fatal(err)
		}
		ig := pe.waitState(t, p.Targets[0].ID, snsos.StatePublished)
		pe.waitState(t, p.Targets[1].ID, snsos.StatePublished)
		igReq, thReq := pe.ig.calls(), pe.th.calls()
		if len(igReq) != 1 || len(thReq) != 1 {
			t.Fatalf("calls: instagram %d, threads %d", len(igReq), len(thReq))
		}
		if igReq[0].Options["media_type"] != "CAROUSEL" || len(igReq[0].Parts) != 1 || len(igReq[0].Parts[0].Media) != 2 {
			t.Fatalf("instagram request %+v", igReq[0])
		}
		if _, stored := ig.Options["media_type"]; stored {
			t.Fatalf("the inferred media type was stored: %v", ig.Options)
		}
		if thReq[0].Options["media_type"] != "TEXT" || thReq[0].Options["topic_tag"] != "cats" || len(thReq[0].Parts) != 2 ||
			len(thReq[0].Parts[0].Media) != 0 || thReq[0].Parts[1].Text != "second" {
			t.Fatalf("threads request %+v", thReq[0])
		}
		// Each Instagram link is checked right before the call (and by
		// preflight when it runs first); Threads has none to check.
		if n := hits.Load(); n != 2 && n != 4 {
			t.Fatalf("%d link checks, want 2 (or 4 with preflight)", n)
		}
	})
}
