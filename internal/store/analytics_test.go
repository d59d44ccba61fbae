package store_test

import (
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

func TestListTargetsInRange(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		x := mustAccount(t, s, snsos.PlatformX, "r1")
		ig := mustAccount(t, s, snsos.PlatformInstagram, "r2")
		from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		to := from.AddDate(0, 1, 0)
		post := func(body string, acct *snsos.Account, at time.Time) *snsos.Post {
			t.Helper()
			p := &snsos.Post{Body: body, ScheduledAt: at, Targets: []*snsos.Target{{AccountID: acct.ID, State: snsos.StateScheduled}}}
			if at.IsZero() {
				p.Targets[0].State = snsos.StateDraft
			}
			if err := s.CreatePost(ctx, p, nil); err != nil {
				t.Fatal(err)
			}
			return p
		}
		move := func(id int64, steps ...snsos.TargetState) {
			t.Helper()
			for i := 0; i+1 < len(steps); i++ {
				tr := store.Transition{TargetID: id, From: steps[i], To: steps[i+1]}
				if steps[i+1] == snsos.StatePublished {
					tr.Mutate = func(tg *snsos.Target) { tg.PublishedAt = from.Add(2 * time.Hour) }
				}
				if _, err := s.TransitionTarget(ctx, tr); err != nil {
					t.Fatal(err)
				}
			}
		}
		atFrom := post("at from", x, from)                           // in: the bound is inclusive
		atTo := post("at to", x, to)                                 // out: the upper bound is exclusive
		later := post("later", ig, from.Add(10*24*time.Hour))        // in
		published := post("published", x, from.Add(-3*24*time.Hour)) // scheduled before, published inside: in
		move(published.Targets[0].ID, snsos.StateScheduled, snsos.StatePublishing, snsos.StatePublished)
		canceled := post("canceled", x, from.Add(time.Hour))
		move(canceled.Targets[0].ID, snsos.StateScheduled, snsos.StateCanceled)
		post("draft", x, time.Time{}) // no time: never listed
		if err := s.PutSnapshot(ctx, &snsos.MetricSnapshot{TargetID: published.Targets[0].ID, Checkpoint: snsos.Checkpoint1h,
			FetchedAt: from.Add(3 * time.Hour), Values: map[string]int64{snsos.MetricViews: 12}}); err != nil {
			t.Fatal(err)
		}
		_ = atTo

		got, err := s.ListTargetsInRange(ctx, store.TargetRange{From: from, To: to})
		if err != nil {
			t.Fatal(err)
		}
		want := []int64{atFrom.ID, canceled.ID, published.ID, later.ID} // by time
		if len(got) != len(want) {
			t.Fatalf("got %d targets, want %d: %+v", len(got), len(want), got)
		}
		for i, d := range got {
			if d.PostID != want[i] {
				t.Errorf("#%d is post %d (%q), want %d", i, d.PostID, d.PostBody, want[i])
			}
		}
		if got[2].PostBody != "published" || !got[2].At.Equal(from.Add(2*time.Hour)) || got[2].State != snsos.StatePublished {
			t.Errorf("published entry %+v at %v", got[2].Target, got[2].At)
		}
		if len(got[2].Metrics) != 0 {
			t.Errorf("metrics loaded without asking")
		}

		// States, platform and metrics.
		got, err = s.ListTargetsInRange(ctx, store.TargetRange{From: from, To: to, States: []snsos.TargetState{snsos.StatePublished, snsos.StateScheduled},
			Platform: snsos.PlatformX, Metrics: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].PostID != atFrom.ID || got[1].PostID != published.ID {
			t.Fatalf("filtered: %+v", got)
		}
		if m := got[1].Metrics; len(m) != 1 || m[0].Values[snsos.MetricViews] != 12 || m[0].Checkpoint != snsos.Checkpoint1h {
			t.Fatalf("metrics %+v", m)
		}

		// Open bounds.
		got, err = s.ListTargetsInRange(ctx, store.TargetRange{States: []snsos.TargetState{snsos.StateScheduled}})
		if err != nil || len(got) != 3 {
			t.Fatalf("open range: %d targets, %v", len(got), err)
		}
		// A limit keeps the earliest, with their text.
		all := got
		got, err = s.ListTargetsInRange(ctx, store.TargetRange{States: []snsos.TargetState{snsos.StateScheduled}, Limit: 2})
		if err != nil || len(got) != 2 || got[0].ID != all[0].ID || got[1].ID != all[1].ID || got[0].PostBody != all[0].PostBody || got[0].PostBody == "" {
			t.Fatalf("limited: %+v, %v (all %+v)", got, err, all)
		}
		// An empty range.
		got, err = s.ListTargetsInRange(ctx, store.TargetRange{From: to.AddDate(1, 0, 0), To: to.AddDate(2, 0, 0)})
		if err != nil || got == nil || len(got) != 0 {
			t.Fatalf("empty range: %v, %v", got, err)
		}
	})
}
