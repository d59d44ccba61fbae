package store_test

import (
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store/storetest"
)

func TestUpdatePost(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		x := mustAccount(t, s, snsos.PlatformX, "u1")
		th := mustAccount(t, s, snsos.PlatformThreads, "u2")
		ig := mustAccount(t, s, snsos.PlatformInstagram, "u3")
		at := time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC)
		p := &snsos.Post{Body: "before", ScheduledAt: at, Targets: []*snsos.Target{
			{AccountID: x.ID, State: snsos.StateScheduled, ScheduledAt: at},
			{AccountID: th.ID, State: snsos.StateApproved},
		}}
		if err := s.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		xt := p.Targets[0]
		expect := versionsOf(t, s, p.ID)

		// A stale expectation changes nothing.
		edit := &snsos.Post{ID: p.ID, Body: "after", Targets: []*snsos.Target{{ID: xt.ID, AccountID: x.ID, State: snsos.StateDraft}}}
		stale := versionsOf(t, s, p.ID)
		stale[xt.ID] = snsos.TargetVersion{State: snsos.StateDraft, UpdatedAt: stale[xt.ID].UpdatedAt}
		wantCode(t, s.UpdatePost(ctx, edit, stale, nil), snsos.ECONFLICT)
		if got, _ := s.FindPostByID(ctx, p.ID); got.Body != "before" || len(got.Targets) != 2 {
			t.Fatalf("after a refused update: %+v", got)
		}

		// Body, override, options, a removed target and an added one, in one go.
		edit = &snsos.Post{ID: p.ID, Body: "after", Targets: []*snsos.Target{
			{ID: xt.ID, AccountID: x.ID, State: snsos.StateDraft, Body: "x only", Options: map[string]any{"parts": []any{"a", "b"}}},
			{AccountID: ig.ID, Body: "ig"},
		}}
		if err := s.UpdatePost(ctx, edit, expect, nil); err != nil {
			t.Fatal(err)
		}
		got, err := s.FindPostByID(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Body != "after" || !got.ScheduledAt.IsZero() || len(got.Targets) != 2 {
			t.Fatalf("updated post %+v", got)
		}
		if g := got.Targets[0]; g.ID != xt.ID || g.State != snsos.StateDraft || g.Body != "x only" || len(g.Options["parts"].([]any)) != 2 {
			t.Fatalf("updated target %+v", g)
		}
		if g := got.Targets[1]; g.AccountID != ig.ID || g.State != snsos.StateDraft || g.Platform != snsos.PlatformInstagram {
			t.Fatalf("added target %+v", g)
		}
		events, _ := s.ListAuditEvents(ctx, "post", p.ID, 10)
		if len(events) == 0 || events[0].Action != "post.update" {
			t.Fatalf("audit %+v", events)
		}

		// A post being published cannot be edited.
		tid := got.Targets[0].ID
		for _, step := range [][2]snsos.TargetState{{snsos.StateDraft, snsos.StateApproved}, {snsos.StateApproved, snsos.StateScheduled}, {snsos.StateScheduled, snsos.StatePublishing}} {
			if _, err := s.TransitionTarget(ctx, snsos.TargetTransition{TargetID: tid, From: step[0], To: step[1], Mutate: func(t *snsos.Target) { t.ScheduledAt = at }}); err != nil {
				t.Fatal(err)
			}
		}
		edit = &snsos.Post{ID: p.ID, Body: "too late", Targets: []*snsos.Target{{ID: tid, AccountID: x.ID}}}
		wantCode(t, s.UpdatePost(ctx, edit, versionsOf(t, s, p.ID), nil), snsos.ECONFLICT)
		if g, _ := s.FindPostByID(ctx, p.ID); g.Body != "after" {
			t.Fatalf("a publishing post was edited: %q", g.Body)
		}
		wantCode(t, s.UpdatePost(ctx, &snsos.Post{ID: 999999, Body: "x"}, nil, nil), snsos.ENOTFOUND)
	})
}
