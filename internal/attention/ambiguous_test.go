package attention_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/attention"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// moveAmbiguous moves tg through steps as the engine does: a move to
// unknown records when the outcome first became unknown (kept until the
// target ends), each write refreshes updated_at.
func moveAmbiguous(t *testing.T, s *store.Store, tg *snsos.Target, at time.Time, steps ...snsos.TargetState) {
	t.Helper()
	for _, to := range steps {
		nt, err := s.TransitionTarget(context.Background(), snsos.TargetTransition{TargetID: tg.ID, From: tg.State, To: to,
			Mutate: func(t *snsos.Target) {
				if to == snsos.StateUnknown && t.AmbiguousSince.IsZero() {
					t.AmbiguousSince = at
				}
			}})
		if err != nil {
			t.Fatalf("%s → %s: %v", tg.State, to, err)
		}
		*tg = *nt
	}
}

// TestUnknownMeasuredFromFirstAmbiguity: an unknown outcome is listed once
// it has been unknown for UnknownAfter since it first became unknown, not
// since the target's last write; a target looping between unknown and
// retry_wait (each reconcile and retry rewrites it) is listed too, under
// one key for the whole loop; an ordinary retry, or a recent ambiguity, is
// not.
func TestUnknownMeasuredFromFirstAmbiguity(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		s := env.Store
		now := time.Now().UTC()
		x := &snsos.Account{Platform: snsos.PlatformX, RemoteID: "1", Handle: "main"}
		if err := s.UpsertAccount(ctx, x); err != nil {
			t.Fatal(err)
		}
		mk := func(body string) *snsos.Target {
			at := now.Add(-time.Hour)
			p := &snsos.Post{Body: body, ScheduledAt: at, Targets: []*snsos.Target{{AccountID: x.ID, State: snsos.StateScheduled, ScheduledAt: at}}}
			if err := s.CreatePost(ctx, p, nil); err != nil {
				t.Fatal(err)
			}
			return p.Targets[0]
		}
		long := now.Add(-40 * time.Minute).Truncate(time.Microsecond)
		recent := now.Add(-5 * time.Minute).Truncate(time.Microsecond)

		// Unknown for 40 minutes, just rewritten by a reconcile pass
		// (unknown → unknown): listed, its age from the first ambiguity.
		stale := mk("Stale unknown")
		moveAmbiguous(t, s, stale, long, snsos.StatePublishing, snsos.StateUnknown, snsos.StateUnknown)
		// Looping: unknown, not found, retried, unknown again … now in
		// retry_wait, rewritten a moment ago.
		loop := mk("Looping")
		moveAmbiguous(t, s, loop, long, snsos.StatePublishing, snsos.StateUnknown, snsos.StateRetryWait,
			snsos.StatePublishing, snsos.StateUnknown, snsos.StateRetryWait)
		// Not listed: a fresh ambiguity in retry_wait, an ordinary retry
		// (never unknown), a fresh unknown.
		fresh := mk("Fresh loop")
		moveAmbiguous(t, s, fresh, recent, snsos.StatePublishing, snsos.StateUnknown, snsos.StateRetryWait)
		plain := mk("Plain retry")
		moveAmbiguous(t, s, plain, long, snsos.StatePublishing, snsos.StateRetryWait)
		freshUnknown := mk("Fresh unknown")
		moveAmbiguous(t, s, freshUnknown, recent, snsos.StatePublishing, snsos.StateUnknown)
		for _, tg := range []*snsos.Target{stale, loop} {
			if now.Sub(tg.UpdatedAt) > time.Minute || !tg.AmbiguousSince.Equal(long) {
				t.Fatalf("fixture: target %d updated %v, ambiguous since %v", tg.ID, tg.UpdatedAt, tg.AmbiguousSince)
			}
		}

		compute := func(at time.Time) map[int64]attention.Item {
			t.Helper()
			items, err := attention.Compute(ctx, s, at, attention.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[int64]attention.Item{}
			for _, it := range items {
				got[it.TargetID] = it
			}
			return got
		}
		got := compute(now)
		if len(got) != 2 {
			t.Fatalf("listed %d targets, want the stale unknown and the looping one: %+v", len(got), got)
		}
		su, ok := got[stale.ID]
		if !ok || su.Kind != attention.Unknown || !su.Since.Equal(long) || su.Action.Kind != attention.ActionCheck ||
			!strings.Contains(su.Text(time.UTC, now), "after 40 min") {
			t.Errorf("stale unknown = %+v (%s)", su, su.Text(time.UTC, now))
		}
		li, ok := got[loop.ID]
		if !ok || li.Kind != attention.Unknown || !li.Since.Equal(long) || li.Action.Kind != attention.ActionOpen || li.Action.POST ||
			li.Action.Path != li.PostPath || li.PostPath == "" || !strings.Contains(li.Text(time.UTC, now), "after 40 min") {
			t.Errorf("looping target = %+v (%s)", li, li.Text(time.UTC, now))
		}

		// The loop goes on: publishing, unknown, retry_wait again. It stays
		// listed under the same key at each step, so an alert is sent once.
		for _, to := range []snsos.TargetState{snsos.StatePublishing, snsos.StateUnknown, snsos.StateRetryWait} {
			moveAmbiguous(t, s, loop, now, to)
			it, ok := compute(now)[loop.ID]
			if !ok || it.Key != li.Key || !it.Since.Equal(long) {
				t.Errorf("looping target in %s: listed %v, key %q (was %q), since %v", to, ok, it.Key, li.Key, it.Since)
			}
		}
		// When it ends (published), the ambiguity is over: not listed.
		moveAmbiguous(t, s, loop, now, snsos.StatePublishing)
		nt, err := s.TransitionTarget(ctx, snsos.TargetTransition{TargetID: loop.ID, From: snsos.StatePublishing, To: snsos.StatePublished,
			Mutate: func(t *snsos.Target) { t.AmbiguousSince = time.Time{} }})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := compute(now)[nt.ID]; ok {
			t.Error("a published target is still listed")
		}
		// The fresh ones are listed once they are old enough.
		later := compute(now.Add(11 * time.Minute))
		for _, tg := range []*snsos.Target{fresh, freshUnknown} {
			if it, ok := later[tg.ID]; !ok || it.Kind != attention.Unknown || !it.Since.Equal(recent) {
				t.Errorf("target %d (%s) 16 min after it became unknown: %+v", tg.ID, tg.State, it)
			}
		}
		if _, ok := later[plain.ID]; ok {
			t.Error("an ordinary retry is listed")
		}
	})
}
