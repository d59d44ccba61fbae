package store_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// sameMedia reports whether got is want, telling nil (the post's media)
// from an empty list (no media).
func sameMedia(got, want []int64) bool {
	return (got == nil) == (want == nil) && slices.Equal(got, want)
}

// TestTargetMediaRoundTrip: a target's own media list survives every write
// and read of targets, with nil (the post's media), empty (none) and a
// subset in the target's order kept apart.
func TestTargetMediaRoundTrip(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		var accounts []*snsos.Account
		for i, p := range []snsos.Platform{snsos.PlatformX, snsos.PlatformThreads, snsos.PlatformInstagram} {
			accounts = append(accounts, mustAccount(t, s, p, fmt.Sprint("tm", i)))
		}
		var media []int64
		for i := range 3 {
			m := &snsos.MediaRef{SHA256: fmt.Sprintf("tm%d", i), Key: fmt.Sprintf("ktm%d", i), Mime: "image/jpeg", Size: 1}
			if _, err := s.CreateMedia(ctx, m); err != nil {
				t.Fatal(err)
			}
			media = append(media, m.ID)
		}
		lists := [][]int64{nil, {}, {media[2], media[0]}}
		p := &snsos.Post{Body: "per target", MediaIDs: media}
		for i, a := range accounts {
			p.Targets = append(p.Targets, &snsos.Target{AccountID: a.ID, MediaIDs: lists[i]})
		}
		if err := s.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		check := func(what string, want [][]int64) {
			t.Helper()
			got, err := s.FindPostByID(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			list, err := s.ListPosts(ctx, store.PostFilter{})
			if err != nil || len(list) == 0 || list[0].ID != p.ID {
				t.Fatalf("%s: ListPosts = %v, %v", what, list, err)
			}
			for i, tg := range got.Targets {
				one, err := s.FindTargetByID(ctx, tg.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, ids := range [][]int64{tg.MediaIDs, list[0].Targets[i].MediaIDs, one.MediaIDs} {
					if !sameMedia(ids, want[i]) {
						t.Fatalf("%s: target %d media %#v, want %#v", what, i, ids, want[i])
					}
				}
			}
		}
		check("created", lists)

		// A transition keeps the list.
		tg := p.Targets[2]
		if _, err := s.TransitionTarget(ctx, store.Transition{TargetID: tg.ID, From: snsos.StateDraft, To: snsos.StateApproved}); err != nil {
			t.Fatal(err)
		}
		check("after a transition", lists)

		// An edit rewrites each list: nil becomes a subset, empty becomes
		// nil, a subset becomes empty.
		edited := [][]int64{{media[1]}, nil, {}}
		cur, err := s.FindPostByID(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		expect := versionsOf(t, s, p.ID)
		for i, tg := range cur.Targets {
			tg.MediaIDs = edited[i]
		}
		if err := s.UpdatePost(ctx, cur, expect, nil); err != nil {
			t.Fatal(err)
		}
		check("edited", edited)

		// A list naming media the post does not carry is refused.
		cur, _ = s.FindPostByID(ctx, p.ID)
		cur.Targets[0].MediaIDs = []int64{media[0], 999999}
		err = s.UpdatePost(ctx, cur, versionsOf(t, s, p.ID), nil)
		wantCode(t, err, snsos.EINVALID)
		check("after a refused edit", edited)
	})
}
