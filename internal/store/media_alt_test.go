package store_test

import (
	"errors"
	"maps"
	"strconv"
	"testing"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestPostMediaAlt: alt texts are stored per media item of a post, read
// back by FindPostByID and ListPosts, replaced by UpdatePost, and refused
// for media the post does not carry.
func TestPostMediaAlt(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		x := mustAccount(t, s, snsos.PlatformX, "alt")
		m1 := &snsos.MediaRef{SHA256: "alt1", Key: "ka1", Mime: "image/png", Size: 1}
		m2 := &snsos.MediaRef{SHA256: "alt2", Key: "ka2", Mime: "image/jpeg", Size: 1}
		for _, m := range []*snsos.MediaRef{m1, m2} {
			if _, err := s.CreateMedia(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		alt := map[int64]string{m1.ID: "A dancing cat 🐈", m2.ID: "港の夕暮れ"}
		p := &snsos.Post{Body: "cats", MediaIDs: []int64{m1.ID, m2.ID}, MediaAlt: maps.Clone(alt),
			Targets: []*snsos.Target{{AccountID: x.ID}}}
		if err := s.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		got, err := s.FindPostByID(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got.MediaAlt, alt) {
			t.Fatalf("FindPostByID alt = %v, want %v", got.MediaAlt, alt)
		}
		list, err := s.ListPosts(ctx, store.PostFilter{})
		if err != nil || len(list) == 0 || list[0].ID != p.ID || !maps.Equal(list[0].MediaAlt, alt) {
			t.Fatalf("ListPosts = %+v, %v", list, err)
		}

		// An edit replaces them; an item without alt text has none.
		edit := &snsos.Post{ID: p.ID, Body: "cats", MediaIDs: []int64{m2.ID, m1.ID}, MediaAlt: map[int64]string{m1.ID: "A sleeping cat"},
			Targets: []*snsos.Target{{ID: p.Targets[0].ID, AccountID: x.ID}}}
		if err := s.UpdatePost(ctx, edit, versionsOf(t, s, p.ID), nil); err != nil {
			t.Fatal(err)
		}
		got, _ = s.FindPostByID(ctx, p.ID)
		if want := map[int64]string{m1.ID: "A sleeping cat"}; !maps.Equal(got.MediaAlt, want) || got.MediaIDs[0] != m2.ID {
			t.Fatalf("after the edit: media %v alt %v", got.MediaIDs, got.MediaAlt)
		}
		edit.MediaAlt = nil
		if err := s.UpdatePost(ctx, edit, versionsOf(t, s, p.ID), nil); err != nil {
			t.Fatal(err)
		}
		if got, _ = s.FindPostByID(ctx, p.ID); got.MediaAlt != nil {
			t.Fatalf("alt texts after clearing: %v", got.MediaAlt)
		}

		// Alt text for media the post does not carry is refused.
		bad := &snsos.Post{Body: "x", MediaIDs: []int64{m1.ID}, MediaAlt: map[int64]string{m2.ID: "not here"},
			Targets: []*snsos.Target{{AccountID: x.ID}}}
		err = s.CreatePost(ctx, bad, nil)
		wantCode(t, err, snsos.EINVALID)
		var v snsos.ValidationErrors
		if !errors.As(err, &v) || v[0].Field != "media_alt["+strconv.FormatInt(m2.ID, 10)+"]" || v[0].Rule != "attached" {
			t.Fatalf("alt text of an unattached item: %v", err)
		}
	})
}
