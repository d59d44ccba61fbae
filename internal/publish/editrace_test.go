package publish_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/publish"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// editingTokens runs edit once, the first time a token is asked for from
// after (the publish worker, not the preflight that runs earlier): after the
// worker read the target and the post, before it moves the target to
// publishing.
type editingTokens struct {
	storeTokens
	after  time.Time
	once   sync.Once
	edit   func()
	engine *publish.Engine // set before any job can run
}

func (t *editingTokens) Credential(ctx context.Context, id int64) (*snsos.Credential, error) {
	if !time.Now().Before(t.after) {
		t.once.Do(t.edit)
	}
	return t.storeTokens.Credential(ctx, id)
}

// TestEditRacingPublish: an edit saved while the worker prepares the post
// (the target stays scheduled, or goes back to draft) is what gets
// published, at the edited time, or nothing is.
func TestEditRacingPublish(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		approve bool
		body    string
		later   time.Duration
		want    snsos.TargetState
	}{
		{name: "approved new text", approve: true, body: "edited text", want: snsos.StatePublished},
		{name: "approved later time", approve: true, body: "original text", later: time.Hour, want: snsos.StateScheduled},
		{name: "saved as draft", body: "edited text", want: snsos.StateDraft},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runStores(t, func(t *testing.T, env *storetest.Env) {
				at := time.Now().Add(300 * time.Millisecond)
				edited := make(chan error, 1)
				postID := make(chan int64, 1) // handed to the worker's goroutine once scheduled
				accountID := make(chan int64, 1)
				tokens := &editingTokens{storeTokens: storeTokens{env.Store}, after: at}
				tokens.edit = func() {
					id, acct := <-postID, <-accountID
					edit := &snsos.Post{ID: id, Body: tc.body, ScheduledAt: at.Add(tc.later), Targets: []*snsos.Target{{AccountID: acct}}}
					edited <- tokens.engine.UpdatePost(ctx, edit, tc.approve)
				}
				h := newHarness(t, env, func(c *publish.Config) { c.Tokens = tokens })
				tokens.engine = h.engine
				p := h.schedule(t, "original text", at, nil)
				postID <- p.ID
				accountID <- h.account.ID
				select {
				case err := <-edited:
					if err != nil {
						t.Fatalf("edit: %v", err)
					}
				case <-time.After(30 * time.Second):
					t.Fatal("the worker never asked for a token")
				}
				tid := p.Targets[0].ID
				if tc.want == snsos.StatePublished {
					h.waitState(t, tid, snsos.StatePublished)
				} else {
					// The job for the original time has run to its end.
					waitCompletedPublishJob(t, env)
				}
				tg, err := env.Store.FindTargetByID(ctx, tid)
				if err != nil {
					t.Fatal(err)
				}
				if tg.State != tc.want || !tg.ScheduledAt.Equal(at.Add(tc.later).UTC().Truncate(time.Microsecond)) {
					t.Fatalf("target %s at %v (%s), want %s at %v", tg.State, tg.ScheduledAt, tg.Error, tc.want, at.Add(tc.later))
				}
				wantEdited := 0
				if tc.want == snsos.StatePublished {
					wantEdited = 1
				}
				if n, m := h.livePosts("original text"), h.livePosts("edited text"); n != 0 || m != wantEdited {
					t.Fatalf("on X: %d original, %d edited posts; want 0 and %d", n, m, wantEdited)
				}
			})
		})
	}
}

// waitCompletedPublishJob waits until a publish job has completed (River
// records it), polling the jobs table for at most 30 s.
func waitCompletedPublishJob(t *testing.T, env *storetest.Env) {
	t.Helper()
	eventually(t, 30*time.Second, func() bool {
		var n int
		if err := env.Store.DB().QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'publish_target' AND state = 'completed'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n > 0
	}, func() string { return "the publish job never completed" })
}
