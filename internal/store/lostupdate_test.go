package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestTransitionDoesNotOverwriteAnEdit: on PostgreSQL an edit committed by
// another connection between a transition's read and its update must make
// the transition fail, not be overwritten with the body and time it read.
// (SQLite's write transactions cannot interleave so.)
func TestTransitionDoesNotOverwriteAnEdit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		if env.Dialect != store.Postgres {
			t.Skip("SQLite serialises writers: no interleaving to test")
		}
		ctx := context.Background()
		s := env.Store
		a := mustAccount(t, s, snsos.PlatformX, "racer")
		at := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
		p := &snsos.Post{Body: "old text", ScheduledAt: at, Targets: []*snsos.Target{{AccountID: a.ID, State: snsos.StateScheduled, ScheduledAt: at}}}
		if err := s.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		tid := p.Targets[0].ID
		_, err := s.TransitionTarget(ctx, store.Transition{TargetID: tid, From: snsos.StateScheduled, To: snsos.StatePublishing,
			Mutate: func(*snsos.Target) {
				// Another connection edits the target after the read.
				if _, err := s.DB().ExecContext(ctx, `UPDATE targets SET body = 'edited', updated_at = $1 WHERE id = $2`,
					time.Now().UTC().Add(time.Second), tid); err != nil {
					t.Errorf("concurrent edit: %v", err)
				}
			}})
		if !snsos.IsCode(err, snsos.ECONFLICT) {
			t.Fatalf("transition over a concurrent edit: %v, want a conflict", err)
		}
		got, err := s.FindTargetByID(ctx, tid)
		if err != nil || got.Body != "edited" || got.State != snsos.StateScheduled {
			t.Fatalf("after the race: %+v %v, want the edit kept and the target still scheduled", got, err)
		}
	})
}
