package publish_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store/storetest"
)

func TestUpdatePost(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, nil)
		at := time.Now().Add(time.Hour).Truncate(time.Minute)
		p := h.schedule(t, "first text", at, nil)
		tid := p.Targets[0].ID

		// Validated exactly as CreatePost: too long for X.
		long := &snsos.Post{ID: p.ID, Body: strings.Repeat("あ", 141), ScheduledAt: at, Targets: []*snsos.Target{{AccountID: h.account.ID}}}
		err := h.engine.UpdatePost(ctx, long, false)
		var fields []string
		if v, ok := asValidation(err); ok {
			for _, f := range v {
				fields = append(fields, f.Field)
			}
		}
		if len(fields) != 1 || fields[0] != "targets[0].body" {
			t.Fatalf("too long: %v (%v)", err, fields)
		}

		// Saving changed content without approving takes it back to draft.
		edit := &snsos.Post{ID: p.ID, Body: "second text", ScheduledAt: at, Targets: []*snsos.Target{{AccountID: h.account.ID}}}
		if err := h.engine.UpdatePost(ctx, edit, false); err != nil {
			t.Fatal(err)
		}
		got, _ := env.Store.FindPostByID(ctx, p.ID)
		if got.Targets[0].ID != tid || got.Targets[0].State != snsos.StateDraft || got.Body != "second text" || !got.ApprovedAt.IsZero() {
			t.Fatalf("after save: %+v %+v", got, got.Targets[0])
		}
		// Approving schedules it again at its time.
		edit = &snsos.Post{ID: p.ID, Body: "second text", ScheduledAt: at, Targets: []*snsos.Target{{AccountID: h.account.ID}}}
		if err := h.engine.UpdatePost(ctx, edit, true); err != nil {
			t.Fatal(err)
		}
		got, _ = env.Store.FindPostByID(ctx, p.ID)
		if got.Targets[0].State != snsos.StateScheduled || !got.Targets[0].ScheduledAt.Equal(at.UTC()) || got.ApprovedAt.IsZero() {
			t.Fatalf("after approve: %+v", got.Targets[0])
		}
		// Saving unchanged content keeps the schedule.
		edit = &snsos.Post{ID: p.ID, Body: "second text", ScheduledAt: at, Targets: []*snsos.Target{{AccountID: h.account.ID}}}
		if err := h.engine.UpdatePost(ctx, edit, false); err != nil {
			t.Fatal(err)
		}
		if got, _ = env.Store.FindPostByID(ctx, p.ID); got.Targets[0].State != snsos.StateScheduled {
			t.Fatalf("unchanged save: %+v", got.Targets[0])
		}

		// Published: read-only.
		now := h.schedule(t, "goes now", time.Now(), nil)
		h.waitState(t, now.Targets[0].ID, snsos.StatePublished)
		edit = &snsos.Post{ID: now.ID, Body: "changed", Targets: []*snsos.Target{{AccountID: h.account.ID}}}
		if err := h.engine.UpdatePost(ctx, edit, false); snsos.ErrorCode(err) != snsos.ECONFLICT {
			t.Fatalf("edit of a published post: %v", err)
		}
	})
}

func asValidation(err error) (snsos.ValidationErrors, bool) {
	var v snsos.ValidationErrors
	return v, errors.As(err, &v)
}
