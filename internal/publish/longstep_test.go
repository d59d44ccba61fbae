package publish_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/publish"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// slowPlatform models a platform whose processing outlasts a job (an
// Instagram video container): the first call creates a container and
// asks to continue later; later calls see it in the progress and publish
// once it is "ready".
type slowPlatform struct {
	platform.Platform // the rest is never called
	mu                sync.Mutex
	calls, published  int
	readyAfter        int
}

func (p *slowPlatform) Publish(ctx context.Context, _ platform.Auth, _ *platform.PublishRequest, pr *platform.Progress) (*platform.Published, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if _, ok := pr.Get("container"); !ok {
		if err := pr.Set(ctx, "container", "c-1"); err != nil {
			return nil, err
		}
	}
	if p.calls < p.readyAfter {
		return nil, &platform.Continue{After: 200 * time.Millisecond, Step: "the container is processing"}
	}
	p.published++
	return &platform.Published{RemoteID: "m-1", URL: "https://example.test/m-1"}, nil
}

// A step that outlasts a job snoozes under the same ownership and resumes
// from its progress: one attempt, one publication, and nobody else takes
// the parked attempt over meanwhile.
func TestLongStepResumesUnderTheSameOwner(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		slow := &slowPlatform{readyAfter: 3}
		h := newHarness(t, env, func(c *publish.Config) {
			c.Platforms = map[snsos.Platform]platform.Platform{snsos.PlatformX: slow}
		})
		p := h.schedule(t, "a long step", time.Now(), nil)
		tid := p.Targets[0].ID
		// While parked, recovery and the watchdog leave it alone.
		waitParked(t, env, tid, func() {
			if n, err := h.engine.Recover(ctx, true); err != nil || n != 0 {
				t.Fatalf("Recover took over a parked step: %d, %v", n, err)
			}
			if n, err := h.engine.Watchdog(ctx); err != nil || n != 0 {
				t.Fatalf("the watchdog took over a parked step whose job waits: %d, %v", n, err)
			}
		})
		tg := h.waitState(t, tid, snsos.StatePublished)
		slow.mu.Lock()
		defer slow.mu.Unlock()
		if tg.Attempts != 1 || slow.published != 1 || slow.calls != 3 || tg.RemoteID != "m-1" {
			t.Fatalf("attempts %d, calls %d, published %d, remote %q", tg.Attempts, slow.calls, slow.published, tg.RemoteID)
		}
	})
}

// refusingTokens hands out the stored credential until refuse is set, then
// answers as for an account whose access was revoked.
type refusingTokens struct {
	storeTokens
	refuse atomic.Bool
}

func (t *refusingTokens) Credential(ctx context.Context, id int64) (*snsos.Credential, error) {
	if t.refuse.Load() {
		return nil, &platform.Error{Kind: platform.KindAuth, Platform: snsos.PlatformX, Op: "use credential",
			Reason: "the account needs to be connected again"}
	}
	return t.storeTokens.Credential(ctx, id)
}

// A parked step whose account loses its access meanwhile is settled by
// reconciliation at once, not retried by its job until River gives up with
// the target left publishing (found by the soak: a Threads account revoked
// while a container was processing).
func TestLongStepWhoseAccountLostAccessIsSettled(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		slow := &slowPlatform{readyAfter: 1 << 30}
		tokens := &refusingTokens{storeTokens: storeTokens{env.Store}}
		h := newHarness(t, env, func(c *publish.Config) {
			c.Platforms = map[snsos.Platform]platform.Platform{snsos.PlatformX: slow}
			c.Tokens = tokens
		})
		p := h.schedule(t, "a step that waits", time.Now(), nil)
		tid := p.Targets[0].ID
		waitParked(t, env, tid, func() {})
		tokens.refuse.Store(true)
		// The platform cannot be searched: the operator decides.
		tg := h.waitState(t, tid, snsos.StateNeedsOperator)
		slow.mu.Lock()
		defer slow.mu.Unlock()
		if slow.published != 0 || tg.Attempts != 1 || !strings.Contains(tg.Error, "cannot be searched") {
			t.Fatalf("published %d, attempts %d, error %q", slow.published, tg.Attempts, tg.Error)
		}
	})
}

// waitParked waits until target tid's step is parked (publishing, no
// lease, its container recorded) and runs check at once, while the step's
// job still snoozes.
func waitParked(t *testing.T, env *storetest.Env, tid int64, check func()) {
	t.Helper()
	var tg *snsos.Target
	eventually(t, 30*time.Second, func() bool {
		tg, _ = env.Store.FindTargetByID(ctx, tid)
		if tg.State == snsos.StatePublished {
			t.Fatalf("never parked: %s", tg.State)
		}
		if tg.State == snsos.StatePublishing && tg.LeaseUntil.IsZero() && tg.Progress["container"] == "c-1" {
			check()
			return true
		}
		return false
	}, func() string { return fmt.Sprintf("never parked: %s", tg.State) })
}
