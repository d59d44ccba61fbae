package cli

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/tiktok"
	ttsim "github.com/sns-os/snsos/internal/sim/tiktok"
	"github.com/sns-os/snsos/internal/web"
)

// creatorsEnv is the real TikTok client against the TikTok simulator over
// loopback, with an account and a token source of the test's own.
type creatorsEnv struct {
	sim    *ttsim.Sim
	user   ttsim.User
	now    time.Time
	mu     sync.Mutex
	token  string
	tokErr error
	c      *tiktokCreators
}

func (e *creatorsEnv) FindAccountByID(_ context.Context, id int64) (*snsos.Account, error) {
	switch id {
	case 1:
		return &snsos.Account{ID: 1, Platform: snsos.PlatformTikTok, RemoteID: e.user.OpenID, Handle: e.user.Username}, nil
	case 2:
		return &snsos.Account{ID: 2, Platform: snsos.PlatformX, RemoteID: "42", Handle: "x_demo"}, nil
	}
	return nil, snsos.Errorf(snsos.ENOTFOUND, "no account %d", id)
}

func (e *creatorsEnv) Credential(context.Context, int64) (*snsos.Credential, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tokErr != nil {
		return nil, e.tokErr
	}
	return &snsos.Credential{AccessToken: snsos.Secret(e.token)}, nil
}

func (e *creatorsEnv) creatorCalls() int {
	n := 0
	for _, r := range e.sim.Requests() {
		if r.Path == "/v2/post/publish/creator_info/query/" {
			n++
		}
	}
	return n
}

func newCreatorsEnv(t *testing.T, opts ttsim.Options) *creatorsEnv {
	t.Helper()
	e := &creatorsEnv{now: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)}
	clock := func() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now }
	opts.ClientKey, opts.ClientSecret, opts.Now = "creators-key", "creators-secret-0123456789", clock
	e.sim = ttsim.New(opts)
	srv := httptest.NewServer(e.sim)
	t.Cleanup(srv.Close)
	t.Cleanup(e.sim.Close)
	e.user = e.sim.AddUser("snsos_demo", "Demo Creator")
	e.token, _ = e.sim.IssueTokens(e.user.OpenID)
	client := tiktok.New(tiktok.Config{ClientKey: "creators-key", ClientSecret: "creators-secret-0123456789", BaseURL: srv.URL,
		RedirectURL: "http://127.0.0.1:1/oauth/tiktok/callback", Now: clock,
		HTTP: platform.NewHTTPClient(platform.HTTPOptions{Now: clock, Timeout: 5 * time.Second})})
	e.c = newTikTokCreators(e, e, client, clock)
	return e
}

func (e *creatorsEnv) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// TestTikTokCreators: compose learns what a TikTok account may post from
// TikTok's creator_info, asked with the account's token; an answer is
// kept a minute (TikTok allows 20 calls a minute), then asked again.
func TestTikTokCreators(t *testing.T) {
	ctx := context.Background()
	e := newCreatorsEnv(t, ttsim.Options{Unaudited: true})
	if err := e.sim.SetCreator(e.user.OpenID, ttsim.Creator{Private: true, DuetDisabled: true, MaxVideoPostDurationSec: 180}); err != nil {
		t.Fatal(err)
	}
	got, err := e.c.TikTokCreator(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := web.TikTokCreator{Nickname: "Demo Creator", Username: "snsos_demo", PrivacyLevels: []string{"SELF_ONLY"}, DuetDisabled: true,
		MaxVideoSeconds: 180}
	if got.Nickname != want.Nickname || got.Username != want.Username || !slices.Equal(got.PrivacyLevels, want.PrivacyLevels) ||
		got.CommentDisabled || !got.DuetDisabled || got.StitchDisabled || got.MaxVideoSeconds != 180 {
		t.Fatalf("creator %+v, want %+v", *got, want)
	}
	for range 5 {
		if _, err := e.c.TikTokCreator(ctx, 1); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.creatorCalls(); n != 1 {
		t.Fatalf("%d creator_info calls within the minute, want 1", n)
	}
	e.advance(61 * time.Second)
	if _, err := e.c.TikTokCreator(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if n := e.creatorCalls(); n != 2 {
		t.Fatalf("%d creator_info calls after the minute, want 2", n)
	}

	// Not a TikTok account: refused, nothing asked.
	if _, err := e.c.TikTokCreator(ctx, 2); !snsos.IsCode(err, snsos.EINVALID) {
		t.Fatalf("an X account: %v", err)
	}
}

// TestTikTokCreatorsRefusals: TikTok's "can't post now" (HTTP 200 with an
// error) and a refused token come back as compose's two errors; a refusal
// is kept less long than an answer.
func TestTikTokCreatorsRefusals(t *testing.T) {
	ctx := context.Background()
	e := newCreatorsEnv(t, ttsim.Options{})
	if err := e.sim.SetCreator(e.user.OpenID, ttsim.Creator{BannedFromPosting: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.TikTokCreator(ctx, 1); !errors.Is(err, web.ErrTikTokCantPost) {
		t.Fatalf("a banned account: %v, want ErrTikTokCantPost", err)
	}
	if err := e.sim.SetCreator(e.user.OpenID, ttsim.Creator{}); err != nil {
		t.Fatal(err)
	}
	e.advance(16 * time.Second)
	got, err := e.c.TikTokCreator(ctx, 1)
	if err != nil || !slices.Contains(got.PrivacyLevels, "PUBLIC_TO_EVERYONE") {
		t.Fatalf("after the ban: %+v %v", got, err)
	}

	// A token TikTok no longer takes, and none at all.
	e.sim.RevokeUser(e.user.OpenID)
	e.advance(61 * time.Second)
	if _, err := e.c.TikTokCreator(ctx, 1); !errors.Is(err, web.ErrTikTokReconnect) {
		t.Fatalf("a revoked token: %v, want ErrTikTokReconnect", err)
	}
	e.mu.Lock()
	e.tokErr = &platform.Error{Kind: platform.KindAuth, Platform: snsos.PlatformTikTok, Op: "use credential", Reason: "reconnect"}
	e.mu.Unlock()
	e.advance(16 * time.Second)
	if _, err := e.c.TikTokCreator(ctx, 1); !errors.Is(err, web.ErrTikTokReconnect) {
		t.Fatalf("no valid token: %v, want ErrTikTokReconnect", err)
	}
	if _, err := e.c.TikTokCreator(ctx, 99); !errors.Is(err, web.ErrTikTokReconnect) && !snsos.IsCode(err, snsos.ENOTFOUND) {
		t.Fatalf("no such account: %v", err)
	}
}
