package publish_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/publish"
	xsim "github.com/sns-os/snsos/internal/sim/x"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestCancelPartialThread: canceling a thread that waits to retry after
// part 1 went out publishes it as partial: it is live, never "canceled".
func TestCancelPartialThread(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		var sim *xsim.Sim
		h := newHarnessWith(t, env, harnessOptions{before: countPosts(func(n int) {
			if n == 2 { // part 2 meets a rate limit for an hour
				sim.InjectFault(xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultRateLimit, Reset: time.Hour})
			}
		})}, nil)
		sim = h.sim
		p := h.schedule(t, "", time.Now(), map[string]any{"parts": []any{"cancel one", "cancel two"}})
		tg := h.waitState(t, p.Targets[0].ID, snsos.StateRetryWait)
		if tg.Progress[platform.PartIDKey(1)] == "" {
			t.Fatalf("part 1 not recorded: %+v", tg)
		}
		got, err := h.engine.Cancel(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c := got.Targets[0]; c.State != snsos.StatePublished || !c.Partial || c.RemoteID != tg.Progress[platform.PartIDKey(1)] {
			t.Fatalf("canceled partial thread: %+v", c)
		}
	})
}

// TestResolveNeedsOperator: needs_operator has its two real exits, and
// Cancel is refused.
func TestResolveNeedsOperator(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, func(c *publish.Config) { c.ReconcileTries = 1 })
		mk := func(text string, stored bool) int64 {
			// An ambiguous call, then a search that cannot decide.
			kind := xsim.FaultStatus
			if stored {
				kind = xsim.FaultStatusAfterCommit
			}
			h.sim.InjectFault(xsim.Fault{Match: "POST /2/tweets", Kind: kind, Status: 503})
			h.sim.InjectFault(xsim.Fault{Match: "GET /2/users/{id}/tweets", Kind: xsim.FaultStatus, Status: 503, Times: -1})
			p := h.schedule(t, text, time.Now(), nil)
			h.waitState(t, p.Targets[0].ID, snsos.StateNeedsOperator)
			h.sim.ClearFaults()
			if _, err := h.engine.Cancel(ctx, p.ID); !snsos.IsCode(err, snsos.ECONFLICT) {
				t.Fatalf("cancel of a target that may be live: %v", err)
			}
			return p.Targets[0].ID
		}
		live := mk("operator says live", true)
		id := ""
		for _, sp := range h.sim.Posts() {
			if sp.Text == "operator says live" {
				id = sp.ID
			}
		}
		if _, err := h.engine.ResolveTarget(ctx, live, publish.Resolution{Published: true, RemoteURL: "not a link"}); snsos.ErrorCode(err) != snsos.EINVALID {
			t.Fatalf("a bad link: %v", err)
		}
		tg, err := h.engine.ResolveTarget(ctx, live, publish.Resolution{Published: true, RemoteURL: "https://x.com/" + h.user.Username + "/status/" + id})
		if err != nil || tg.State != snsos.StatePublished || tg.RemoteID != id {
			t.Fatalf("resolved live: %+v %v", tg, err)
		}
		gone := mk("operator says gone", false)
		tg, err = h.engine.ResolveTarget(ctx, gone, publish.Resolution{})
		if err != nil || tg.State != snsos.StateFailed || !strings.Contains(tg.Error, "confirmed by the operator") {
			t.Fatalf("resolved not published: %+v %v", tg, err)
		}
		if _, err := h.engine.ResolveTarget(ctx, gone, publish.Resolution{}); !snsos.IsCode(err, snsos.ECONFLICT) {
			t.Fatalf("resolved twice: %v", err)
		}
		if _, err := h.engine.RetryTarget(ctx, gone); err != nil {
			t.Fatal(err)
		}
		h.waitState(t, gone, snsos.StatePublished)
		if n := h.livePosts("operator says gone"); n != 1 {
			t.Fatalf("%d posts after the retry, want 1", n)
		}
	})
}

// TestSameTimeReschedule: a reschedule to the same time is one transaction
// with a new job number: the target never passes through approved, the old
// job is stale, and the post goes out once.
func TestSameTimeReschedule(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, nil)
		at := time.Now().Add(2 * time.Second)
		p := h.schedule(t, "same time twice", at, nil)
		before := p.Targets[0]
		if _, err := h.engine.Schedule(ctx, p.ID, at); err != nil {
			t.Fatal(err)
		}
		after, _ := env.Store.FindTargetByID(ctx, before.ID)
		if after.State != snsos.StateScheduled || after.JobSeq != before.JobSeq+1 {
			t.Fatalf("after the reschedule: %s, job %d (was %d)", after.State, after.JobSeq, before.JobSeq)
		}
		tg := h.waitState(t, before.ID, snsos.StatePublished)
		if n := h.livePosts("same time twice"); n != 1 || tg.Attempts != 1 {
			t.Fatalf("%d posts, %d attempts", n, tg.Attempts)
		}
		events, err := env.Store.ListAuditEvents(ctx, "target", before.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range events {
			if strings.Contains(ev.Detail, "-> approved") {
				t.Fatalf("the reschedule went through approved: %v", ev.Detail)
			}
		}
	})
}

// TestApproveAfterTimePassed: approving a post whose time has passed is
// refused.
func TestApproveAfterTimePassed(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, nil)
		p := &snsos.Post{Body: "approve late", ScheduledAt: time.Now().Add(-time.Hour), Targets: []*snsos.Target{{AccountID: h.account.ID}}}
		if err := env.Store.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := h.engine.Approve(ctx, p.ID); snsos.ErrorCode(err) != snsos.EINVALID {
			t.Fatalf("Approve of a past time = %v, want a validation error", err)
		}
		if got, _ := env.Store.FindPostByID(ctx, p.ID); got.Targets[0].State != snsos.StateDraft {
			t.Fatalf("target is %s after the refused approval", got.Targets[0].State)
		}
	})
}

// Saving a scheduled post without approving it and without a change keeps
// it scheduled — with a job for its new job number.
func TestUnchangedSaveKeepsItsJob(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
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
