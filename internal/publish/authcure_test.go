package publish_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/publish"
	ttsim "github.com/sns-os/snsos/internal/sim/tiktok"
	xsim "github.com/sns-os/snsos/internal/sim/x"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// curingTokens is a token service whose refresh after a refused access
// works: the account stays connected.
type curingTokens struct {
	storeTokens
	refused atomic.Int32
}

func (t *curingTokens) AuthFailed(context.Context, int64, string) error {
	t.refused.Add(1)
	return nil
}

// A 401 that a token refresh cures is a failed try, not the end of the
// target: it is published on the next attempt, once; a 401 the refresh
// cannot cure fails the target (TestFailures covers that one).
func TestRefusedAccessCuredByARefreshIsRetried(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		tokens := &curingTokens{storeTokens: storeTokens{env.Store}}
		h := newHarness(t, env, func(c *publish.Config) { c.Tokens = tokens })
		h.sim.InjectFault(xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultUnauthorized})
		p := h.schedule(t, "refused once, then cured", time.Now(), nil)
		tg := h.waitState(t, p.Targets[0].ID, snsos.StatePublished)
		if tg.Attempts != 2 || h.livePosts("refused once, then cured") != 1 || tokens.refused.Load() != 1 {
			t.Fatalf("attempts %d, live %d, refusals reported %d", tg.Attempts, h.livePosts("refused once, then cured"), tokens.refused.Load())
		}
		a, err := env.Store.FindAccountByID(ctx, h.account.ID)
		if err != nil || a.Status != snsos.AccountConnected {
			t.Fatalf("account %+v, %v; want still connected", a, err)
		}
	})
}

// A 401 after TikTok took the post (here on status/fetch, once the video is
// uploaded and TikTok publishes it by itself) is no proof that nothing went
// out, even when a refresh cures it: reconciliation reads TikTok's status,
// and the target ends published, once, never retried or cancellable as if
// nothing were live.
func TestRefusedAccessAfterTikTokTookThePostIsReconciled(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		tokens := &curingTokens{storeTokens: storeTokens{env.Store}}
		te := newTikTokEnvTuned(t, env, nil, func(c *publish.Config) {
			c.Tokens = tokens
			c.Backoff = func(int) time.Duration { return time.Hour } // a retry would wait: it must not be one
		})
		te.tt.InjectFault(ttsim.Fault{Match: "POST /v2/post/publish/status/fetch/", Kind: ttsim.FaultUnauthorized})
		p := te.post("uploaded, then refused", map[string]any{"privacy_level": "SELF_ONLY"})
		if err := te.engine.CreatePost(ctx, p, true); err != nil {
			t.Fatal(err)
		}
		tg := te.waitState(t, p.Targets[0].ID, snsos.StatePublished)
		if n := len(te.simPosts("uploaded, then refused")); n != 1 || tg.Attempts != 1 || tokens.refused.Load() != 1 {
			t.Fatalf("TikTok holds %d posts, attempts %d, refusals reported %d; want 1, 1, 1", n, tg.Attempts, tokens.refused.Load())
		}
	})
}
