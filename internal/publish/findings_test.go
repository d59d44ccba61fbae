package publish_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/publish"
	xsim "github.com/sns-os/snsos/internal/sim/x"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// gate blocks POST /2/tweets until opened: a slow platform call.
type gate struct {
	mu      sync.Mutex
	closed  bool
	arrived chan struct{}
	open    chan struct{}
}

func newGate() *gate {
	return &gate{closed: true, arrived: make(chan struct{}, 16), open: make(chan struct{})}
}

func (g *gate) before(r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/2/tweets" {
		return
	}
	g.mu.Lock()
	closed := g.closed
	g.mu.Unlock()
	if !closed {
		return
	}
	g.arrived <- struct{}{}
	<-g.open
}

func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		g.closed = false
		close(g.open)
	}
}

func (g *gate) waitArrival(t *testing.T) {
	t.Helper()
	select {
	case <-g.arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("no call reached the platform")
	}
}

// waitJob waits until job id has finished (completed, discarded or
// cancelled) and returns it.
func (h *harness) waitJob(t *testing.T, id int64) *rivertype.JobRow {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		j, err := h.jobs.JobGet(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		switch j.State {
		case rivertype.JobStateCompleted, rivertype.JobStateDiscarded, rivertype.JobStateCancelled:
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d is still %s", id, j.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Finding 1: a leftover publish job (the post was moved to "now" while its
// old job waited) fires while the new attempt's slow call is in flight. It
// must leave the attempt alone; the post goes out once.
func TestLeftoverJobLeavesRunningAttemptAlone(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		g := newGate()
		h := newHarnessWith(t, env, harnessOptions{before: g.before, timeout: time.Minute}, nil)
		t.Cleanup(g.release) // before the server closes (cleanups run last first)
		p := h.schedule(t, "moved to now while slow", time.Now().Add(time.Hour), nil)
		old := p.Targets[0]
		if _, err := h.engine.Schedule(ctx, p.ID, time.Now()); err != nil { // post now
			t.Fatal(err)
		}
		g.waitArrival(t) // the new attempt's call is in flight
		// The old job fires now (its time "came"): same target, old number.
		res, err := h.jobs.Insert(ctx, publish.PublishArgs{TargetID: old.ID, At: time.Now(), Seq: old.JobSeq}, nil)
		if err != nil {
			t.Fatal(err)
		}
		h.waitJob(t, res.Job.ID)
		// And a job with the current number (a rescued one) too.
		cur, _ := env.Store.FindTargetByID(ctx, old.ID)
		res, err = h.jobs.Insert(ctx, publish.PublishArgs{TargetID: old.ID, At: cur.ScheduledAt.Add(-time.Millisecond), Seq: cur.JobSeq}, nil)
		if err != nil {
			t.Fatal(err)
		}
		h.waitJob(t, res.Job.ID)
		if tg, _ := env.Store.FindTargetByID(ctx, old.ID); tg.State != snsos.StatePublishing || tg.Attempts != 1 {
			t.Fatalf("while the call is in flight the target is %s after %d attempts, want publishing after 1", tg.State, tg.Attempts)
		}
		// Another process (its own in-flight list) must wait for the lease.
		other := publish.New(publish.Config{Store: env.Store, Jobs: h.jobs, Tokens: storeTokens{env.Store}})
		if n, err := other.Recover(ctx, false); err != nil || n != 0 {
			t.Fatalf("another process took over a leased attempt: %d, %v", n, err)
		}
		g.release()
		tg := h.waitState(t, old.ID, snsos.StatePublished)
		if n := h.livePosts("moved to now while slow"); n != 1 || tg.Attempts != 1 {
			t.Fatalf("%d posts after %d attempts, want 1 after 1", n, tg.Attempts)
		}
	})
}

// Finding 1 (the write side): a call orphaned by a takeover can no longer
// write progress or an outcome into the target.
func TestOrphanedAttemptCannotWrite(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, nil)
		s := env.Store
		p := &snsos.Post{Body: "orphan", ScheduledAt: time.Now().Add(time.Hour), Targets: []*snsos.Target{{AccountID: h.account.ID, State: snsos.StateScheduled}}}
		if err := s.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		tid := p.Targets[0].ID
		a := &snsos.Attempt{}
		if _, err := s.TransitionTarget(ctx, snsos.TargetTransition{TargetID: tid, From: snsos.StateScheduled, To: snsos.StatePublishing, Attempt: a, Lease: time.Minute}); err != nil {
			t.Fatal(err)
		}
		other := publish.New(publish.Config{Store: s, Jobs: h.jobs, Tokens: storeTokens{s}, LandMargin: time.Hour})
		if n, _ := other.Recover(ctx, false); n != 0 {
			t.Fatal("took over before the lease ran out")
		}
		s.SetDBClockOffset(2 * time.Minute) // the lease runs out on the database's clock
		t.Cleanup(func() { s.SetDBClockOffset(0) })
		if n, err := other.Recover(ctx, false); err != nil || n != 1 {
			t.Fatalf("Recover after the lease = %d, %v", n, err)
		}
		if err := s.SetTargetProgress(ctx, tid, a.ID, platform.PartIDKey(1), "123"); !snsos.IsCode(err, snsos.ECONFLICT) {
			t.Fatalf("the orphaned attempt recorded progress: %v", err)
		}
		_, err := s.TransitionTarget(ctx, snsos.TargetTransition{TargetID: tid, From: snsos.StatePublishing, To: snsos.StatePublished, Owner: a.ID})
		if !snsos.IsCode(err, snsos.ECONFLICT) {
			t.Fatalf("the orphaned attempt recorded an outcome: %v", err)
		}
		tg, _ := s.FindTargetByID(ctx, tid)
		if tg.State != snsos.StateUnknown || tg.SettleAfter.IsZero() || tg.AmbiguousSince.IsZero() {
			t.Fatalf("after the takeover: %+v", tg)
		}
	})
}

// Finding 2: the start-up recovery never touches an attempt this process
// is running (on SQLite it runs before the workers start; a running one
// would be this process's own).
func TestRecoverSkipsOwnRunningAttempt(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		g := newGate()
		h := newHarnessWith(t, env, harnessOptions{before: g.before, timeout: time.Minute}, nil)
		t.Cleanup(g.release) // before the server closes (cleanups run last first)
		p := h.schedule(t, "recovery races the worker", time.Now(), nil)
		g.waitArrival(t)
		if n, err := h.engine.Recover(ctx, true); err != nil || n != 0 {
			t.Fatalf("Recover took over this process's own running attempt: %d, %v", n, err)
		}
		g.release()
		h.waitState(t, p.Targets[0].ID, snsos.StatePublished)
		if n := h.livePosts("recovery races the worker"); n != 1 {
			t.Fatalf("%d posts, want 1", n)
		}
	})
}

// Finding 3: X's duplicate answer for a text posted before this post was
// sent (recently or long ago) ends the target failed with the time of the
// earlier post — no retry loop, no adoption of the other post.
func TestDuplicateOfAnEarlierPost(t *testing.T) {
	for _, age := range []time.Duration{30 * time.Second, 10 * time.Minute} {
		t.Run(age.String(), func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, env *storetest.Env) {
				// The platform's clock says the earlier post is age old.
				simNow := func() time.Time { return time.Now().Add(-age) }
				h := newHarnessWith(t, env, harnessOptions{sim: xsim.Options{Now: simNow}}, nil)
				text := "said once already"
				postDirect(t, h, text)
				p := h.schedule(t, text, time.Now(), nil)
				tg := h.waitState(t, p.Targets[0].ID, snsos.StateFailed)
				if !strings.Contains(tg.Error, "already has this text from") || tg.Attempts != 1 || tg.RemoteID != "" {
					t.Fatalf("target %+v", tg)
				}
				if n := h.livePosts(text); n != 1 {
					t.Fatalf("%d posts with the text, want the earlier one only", n)
				}
			})
		})
	}
}

// postDirect posts text on the harness account through the X client, as
// the operator would have by hand.
func postDirect(t *testing.T, h *harness, text string) string {
	t.Helper()
	cred, err := h.env.Store.FindCredential(ctx, h.account.ID)
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.client.Publish(ctx, platform.Auth{UserID: h.user.ID, Handle: h.user.Username, AccessToken: cred.AccessToken},
		&platform.PublishRequest{Parts: []platform.Part{{Text: text}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res.RemoteID
}

// Finding 3 (the budget): a call that keeps ending ambiguous while nothing
// goes live is retried within one attempt budget, across the retry and
// reconcile paths, then fails.
func TestAttemptBudgetAcrossReconcile(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, func(c *publish.Config) { c.MaxAttempts = 3 })
		h.sim.InjectFault(xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultStatus, Status: 503, Times: -1})
		p := h.schedule(t, "never accepted", time.Now(), nil)
		tg := h.waitState(t, p.Targets[0].ID, snsos.StateFailed)
		if tg.Attempts != 3 || !strings.Contains(tg.Error, "gave up after 3 attempts") {
			t.Fatalf("target after the budget: attempts %d, %q", tg.Attempts, tg.Error)
		}
	})
}

// countPosts returns a request hook that calls at(n) when the n-th POST
// /2/tweets arrives, before the simulator sees it (a fault injected there
// applies to that very request).
func countPosts(at func(n int)) func(r *http.Request) {
	var mu sync.Mutex
	n := 0
	return func(r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/2/tweets" {
			mu.Lock()
			n++
			k := n
			mu.Unlock()
			at(k)
		}
	}
}

// Finding 4: a thread whose later part is refused for good is published,
// marked partial, with the ids of the parts that went out.
func TestPartialThreadRefused(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		var sim *xsim.Sim
		h := newHarnessWith(t, env, harnessOptions{before: countPosts(func(n int) {
			if n == 3 { // part 3 is refused: out of credits
				sim.InjectFault(xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultCredits})
			}
		})}, nil)
		sim = h.sim
		p := h.schedule(t, "", time.Now(), map[string]any{"parts": []any{"partial one", "partial two", "partial three"}})
		tg := h.waitState(t, p.Targets[0].ID, snsos.StatePublished)
		if !tg.Partial || tg.RemoteID == "" || tg.RemoteID != tg.Progress[platform.PartIDKey(1)] || tg.Progress[platform.PartIDKey(2)] == "" ||
			tg.Progress[platform.PartIDKey(3)] != "" || !strings.Contains(tg.Error, "only parts 1–2 of 3") {
			t.Fatalf("partial thread: %+v", tg)
		}
		if h.livePosts("partial one") != 1 || h.livePosts("partial two") != 1 || h.livePosts("partial three") != 0 {
			t.Fatal("platform state")
		}
		if h.checkpoint.Load() != 1 {
			t.Fatalf("%d checkpoint schedules, want 1 (a partial thread is measured)", h.checkpoint.Load())
		}
	})
}

// Finding 4: canceling a thread that waits to retry after part 1 went out
// publishes it as partial: it is live, never "canceled".
func TestCancelPartialThread(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
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

// Finding 5: needs_operator has its two real exits, and Cancel is refused.
func TestResolveNeedsOperator(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
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

// Finding 6: a reschedule to the same time is one transaction with a new
// job number: the target never passes through approved, the old job is
// stale, and the post goes out once.
func TestSameTimeReschedule(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
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

// Finding 7: a publication settled by reconciliation records the
// platform's creation time, not the time it was found.
func TestReconciledPublicationTime(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		// The platform's clock runs an hour ahead: the recorded time must be
		// its, not ours.
		h := newHarnessWith(t, env, harnessOptions{sim: xsim.Options{Now: func() time.Time { return time.Now().Add(time.Hour) }}}, nil)
		h.sim.InjectFault(xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultStatusAfterCommit, Status: 502})
		p := h.schedule(t, "found later", time.Now(), nil)
		tg := h.waitState(t, p.Targets[0].ID, snsos.StatePublished)
		var created time.Time
		for _, sp := range h.sim.Posts() {
			if sp.Text == "found later" {
				created = sp.CreatedAt
			}
		}
		if d := tg.PublishedAt.Sub(created); d < -time.Second || d > time.Second {
			t.Fatalf("published_at %s, the platform created it at %s", tg.PublishedAt, created)
		}
	})
}

// Lesser findings: approving a post whose time has passed is refused; a
// stale job of a retry_wait target does nothing, and its current job waits
// for its time.
func TestApproveAfterTimePassed(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
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

func TestRetryWaitJobsKeepTheirTime(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, func(c *publish.Config) { c.Backoff = func(int) time.Duration { return time.Hour } })
		h.sim.InjectFault(xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultRateLimit, Reset: time.Minute})
		p := h.schedule(t, "waits its turn", time.Now(), nil)
		tg := h.waitState(t, p.Targets[0].ID, snsos.StateRetryWait)
		// A leftover job with an older number, due now, does nothing.
		res, err := h.jobs.Insert(ctx, publish.PublishArgs{TargetID: tg.ID, At: time.Now(), Seq: tg.JobSeq - 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		h.waitJob(t, res.Job.ID)
		if got, _ := env.Store.FindTargetByID(ctx, tg.ID); got.State != snsos.StateRetryWait || got.Attempts != 1 {
			t.Fatalf("a stale job acted: %s after %d attempts", got.State, got.Attempts)
		}
		if h.livePosts("waits its turn") != 0 {
			t.Fatal("posted before its retry time")
		}
	})
}
