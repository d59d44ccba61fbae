package publish_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/publish"
	xsim "github.com/sns-os/snsos/internal/sim/x"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// Saving a scheduled post without approving it and without a change keeps
// it scheduled — with a job for its new job number.
func TestUnchangedSaveKeepsItsJob(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, nil)
		at := time.Now().Add(time.Second)
		p := h.schedule(t, "saved unchanged", at, nil)
		edit := &snsos.Post{ID: p.ID, Body: "saved unchanged", ScheduledAt: at, Targets: []*snsos.Target{{AccountID: h.account.ID}}}
		if err := h.engine.UpdatePost(ctx, edit, false); err != nil {
			t.Fatal(err)
		}
		if tg, _ := env.Store.FindTargetByID(ctx, p.Targets[0].ID); tg.State != snsos.StateScheduled || tg.JobSeq != 2 {
			t.Fatalf("after the save: %s, job %d", tg.State, tg.JobSeq)
		}
		h.waitState(t, p.Targets[0].ID, snsos.StatePublished)
		if n := h.livePosts("saved unchanged"); n != 1 {
			t.Fatalf("%d posts", n)
		}
	})
}

// A post whose call failed before anything was stored is never settled on
// another post whose words are the same but whose link differs.
func TestReconcileIgnoresAnotherLink(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, func(c *publish.Config) {
			c.ReconcileDelay = 1500 * time.Millisecond
			c.LandMargin = 1500 * time.Millisecond
		})
		h.sim.InjectFault(xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultStatus, Status: 503})
		p := h.schedule(t, "New article: https://example.com/a", time.Now(), nil)
		h.waitState(t, p.Targets[0].ID, snsos.StateUnknown)
		other := postDirect(t, h, "New article: https://example.com/b")
		tg := h.waitState(t, p.Targets[0].ID, snsos.StatePublished)
		if tg.RemoteID == other || h.livePosts("New article: https://example.com/a") != 1 {
			t.Fatalf("target recorded as %s (the other post is %s); its own text live %d times", tg.RemoteID, other, h.livePosts("New article: https://example.com/a"))
		}
	})
}

// A reconciliation whose answer comes late, after the operator's "check
// again" started a new round (which re-published and went ambiguous
// again), must not apply its stale "not found" to the new round.
func TestStaleReconciliationIsRefused(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		var gets atomic.Int32
		hold := make(chan struct{})
		arrived := make(chan struct{}, 1)
		o := harnessOptions{timeout: 30 * time.Second, sim: xsim.Options{AllowDuplicates: true}, after: func(r *http.Request) {
			if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/tweets") && gets.Add(1) == 1 {
				arrived <- struct{}{}
				<-hold // the first lookup's answer (nothing found) is late
			}
		}}
		h := newHarnessWith(t, env, o, func(c *publish.Config) {
			c.ReconcileDelay = 100 * time.Millisecond
			c.LandMargin = 100 * time.Millisecond
		})
		released := false
		t.Cleanup(func() {
			if !released {
				close(hold)
			}
		})
		h.sim.InjectFault(xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultStatus, Status: 503}) // attempt 1: nothing stored
		text := "a late lookup"
		p := h.schedule(t, text, time.Now(), nil)
		tid := p.Targets[0].ID
		h.waitState(t, tid, snsos.StateUnknown)
		<-arrived                                                                                              // lookup 1 has read the empty timeline; its answer is held
		h.sim.InjectFault(xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultStatusAfterCommit, Status: 503}) // attempt 2: stored, answer lost
		cur, _ := env.Store.FindTargetByID(ctx, tid)
		for time.Now().Before(cur.SettleAfter) { // "not found" must be proof for the operator's round
			time.Sleep(10 * time.Millisecond)
		}
		if _, err := h.engine.ReconcileTarget(ctx, tid); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			tg, _ := env.Store.FindTargetByID(ctx, tid)
			if tg.Attempts >= 2 && tg.State == snsos.StateUnknown {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the second round did not start: %s after %d attempts", tg.State, tg.Attempts)
			}
			time.Sleep(5 * time.Millisecond)
		}
		close(hold) // lookup 1 now answers "not found" for the first round
		released = true
		tg := h.waitState(t, tid, snsos.StatePublished)
		if n := h.livePosts(text); n != 1 || tg.Attempts != 2 {
			t.Fatalf("%d posts after %d attempts, want 1 after 2", n, tg.Attempts)
		}
	})
}
