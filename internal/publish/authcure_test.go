package publish_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/publish"
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
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
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
