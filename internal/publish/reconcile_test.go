package publish_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/publish"
	xsim "github.com/sns-os/snsos/internal/sim/x"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestOrphanedAttemptCannotWrite: a call orphaned by a takeover can no
// longer write progress or an outcome into the target.
func TestOrphanedAttemptCannotWrite(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
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

// TestRecoverSkipsOwnRunningAttempt: the start-up recovery never touches an
// attempt this process is running (on SQLite it runs before the workers
// start; a running one would be this process's own).
func TestRecoverSkipsOwnRunningAttempt(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
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

// TestDuplicateOfAnEarlierPost: X's duplicate answer for a text posted
// before this post was sent (recently or long ago) ends the target failed
// with the time of the earlier post — no retry loop, no adoption of the
// other post.
func TestDuplicateOfAnEarlierPost(t *testing.T) {
	t.Parallel()
	for _, age := range []time.Duration{30 * time.Second, 10 * time.Minute} {
		t.Run(age.String(), func(t *testing.T) {
			runStores(t, func(t *testing.T, env *storetest.Env) {
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

// TestReconciledPublicationTime: a publication settled by reconciliation
// records the platform's creation time, not the time it was found.
func TestReconciledPublicationTime(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
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

// A post whose call failed before anything was stored is never settled on
// another post whose words are the same but whose link differs.
func TestReconcileIgnoresAnotherLink(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
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
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		var gets atomic.Int32
		hold := make(chan struct{})
		arrived := make(chan struct{}, 1)
		o := harnessOptions{timeout: 30 * time.Second, sim: xsim.Options{AllowDuplicates: true}, after: func(r *http.Request) {
			if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/tweets") && gets.Add(1) == 1 {
				arrived <- struct{}{}
				<-hold // the first lookup's answer (nothing found) is late
			}
		}}
		// The second round stays unknown for ReconcileDelay: long enough for
		// the poll below to see it on a loaded machine.
		h := newHarnessWith(t, env, o, func(c *publish.Config) {
			c.ReconcileDelay = time.Second
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
		// "not found" must be proof for the operator's round.
		eventually(t, 10*time.Second, func() bool { return !time.Now().Before(cur.SettleAfter) },
			func() string { return fmt.Sprintf("settle time %s is not near", cur.SettleAfter) })
		if _, err := h.engine.ReconcileTarget(ctx, tid); err != nil {
			t.Fatal(err)
		}
		var tg *snsos.Target
		eventually(t, 20*time.Second, func() bool {
			tg, _ = env.Store.FindTargetByID(ctx, tid)
			return tg.Attempts >= 2 && tg.State == snsos.StateUnknown
		}, func() string {
			return fmt.Sprintf("the second round did not start: %s after %d attempts", tg.State, tg.Attempts)
		})
		close(hold) // lookup 1 now answers "not found" for the first round
		released = true
		tg = h.waitState(t, tid, snsos.StatePublished)
		if n := h.livePosts(text); n != 1 || tg.Attempts != 2 {
			t.Fatalf("%d posts after %d attempts, want 1 after 2", n, tg.Attempts)
		}
	})
}

// provingPlatform is an Instagram-like platform whose publish answer is
// always lost and whose FindPost proves the post from the attempt's own
// container, with the platform's timestamp ten seconds behind sns-os's
// clock.
type provingPlatform struct {
	pullingPlatform
	proven bool
	called atomic.Int64 // when Publish was called, unix nanoseconds
}

func (p *provingPlatform) Publish(context.Context, platform.Auth, *platform.PublishRequest, *platform.Progress) (*platform.Published, error) {
	p.called.CompareAndSwap(0, time.Now().UnixNano())
	return nil, &platform.Error{Kind: platform.KindOutcomeUnknown, Platform: snsos.PlatformInstagram, Op: "publish", Reason: "timeout"}
}

// FindPost dates the post ten seconds before the attempt's call, however
// late the reconciliation runs.
func (p *provingPlatform) FindPost(context.Context, platform.Auth, platform.PostQuery) (*platform.RemotePost, error) {
	at := time.Unix(0, p.called.Load()).Add(-10 * time.Second)
	return &platform.RemotePost{ID: "17920000000000001", Text: "a picture", CreatedAt: at, Proven: p.proven}, nil
}

// TestReconcileTrustsContainerProof: a post the client proves through the
// attempt's own container is the target's own, even when the platform's
// clock dates it before the attempt began; the same post found by text
// alone with that date is someone else's, and is not published again.
func TestReconcileTrustsContainerProof(t *testing.T) {
	t.Parallel()
	for _, proven := range []bool{true, false} {
		t.Run(fmt.Sprintf("proven=%v", proven), func(t *testing.T) {
			runStores(t, func(t *testing.T, env *storetest.Env) {
				srv, _ := mediaServer(t, http.StatusOK)
				pp := &provingPlatform{pullingPlatform: pullingPlatform{name: snsos.PlatformInstagram}, proven: proven}
				pe := newPullEnv(t, env, srv.URL, func(c *publish.Config) {
					c.AllowInsecureMediaLinks = true
					c.Platforms[snsos.PlatformInstagram] = pp
					c.ReconcileDelay = 50 * time.Millisecond
				})
				p := pe.draft(t, time.Now().Add(200*time.Millisecond))
				want := snsos.StatePublished
				if !proven {
					want = snsos.StateFailed
				}
				tg := pe.waitState(t, p.Targets[0].ID, want)
				if proven && tg.RemoteID != "17920000000000001" {
					t.Fatalf("published as %q", tg.RemoteID)
				}
				if !proven && !strings.Contains(tg.Error, "already has this text") {
					t.Fatalf("error %q", tg.Error)
				}
			})
		})
	}
}
