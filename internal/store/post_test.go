package store_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

func TestCountAccountDeliveries(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		a := mustAccount(t, s, snsos.PlatformX, "1")
		base := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
		for i, h := range []int{0, 5, 30} {
			p := &snsos.Post{Body: "q", ScheduledAt: base.Add(time.Duration(h) * time.Hour), Targets: []*snsos.Target{{AccountID: a.ID, State: snsos.StateScheduled}}}
			if err := s.CreatePost(ctx, p, nil); err != nil {
				t.Fatal(i, err)
			}
		}
		n, err := s.CountAccountDeliveries(ctx, a.ID, base.Add(-time.Hour), base.Add(24*time.Hour), 0)
		if err != nil || n != 2 {
			t.Fatalf("count = %d, %v; want 2", n, err)
		}
	})
}

// TestPostListsLoadPartsTogether: ListPosts and SearchPosts read the parts
// of a whole page at once (not one post at a time); each post must come
// back exactly as FindPostByID reads it — media in order with their alt
// texts, targets with their own snapshots — and in the page's order.
func TestPostListsLoadPartsTogether(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		x := mustAccount(t, s, snsos.PlatformX, "batch-x")
		th := mustAccount(t, s, snsos.PlatformThreads, "batch-th")
		var media []int64
		for i := range 3 {
			m := &snsos.MediaRef{SHA256: fmt.Sprintf("batch%d", i), Key: fmt.Sprintf("kb%d", i), Mime: "image/png", Size: 1}
			if _, err := s.CreateMedia(ctx, m); err != nil {
				t.Fatal(err)
			}
			media = append(media, m.ID)
		}
		base := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
		var posts []*snsos.Post
		for i := range 4 {
			p := &snsos.Post{Body: fmt.Sprintf("batch post %d", i), ScheduledAt: base.Add(time.Duration(i) * time.Hour)}
			switch i {
			case 0: // media in reverse order, one alt text
				p.MediaIDs = []int64{media[2], media[0]}
				p.MediaAlt = map[int64]string{media[0]: "first alt"}
				p.Targets = []*snsos.Target{{AccountID: x.ID}, {AccountID: th.ID, Body: "own text"}}
			case 1: // no targets, no media
			case 2:
				p.MediaIDs = []int64{media[1]}
				p.Targets = []*snsos.Target{{AccountID: th.ID}}
			case 3:
				p.MediaIDs = []int64{media[0], media[1], media[2]}
				p.MediaAlt = map[int64]string{media[1]: "b", media[2]: "c"}
				p.Targets = []*snsos.Target{{AccountID: x.ID}}
			}
			if err := s.CreatePost(ctx, p, nil); err != nil {
				t.Fatal(err)
			}
			posts = append(posts, p)
		}
		// Snapshots on targets of two different posts.
		for _, tg := range []*snsos.Target{posts[0].Targets[1], posts[3].Targets[0], posts[0].Targets[1]} {
			if err := s.PutSnapshot(ctx, &snsos.MetricSnapshot{TargetID: tg.ID, Checkpoint: snsos.CheckpointManual,
				Values: map[string]int64{"likes": tg.ID}}); err != nil {
				t.Fatal(err)
			}
		}
		want := map[int64]*snsos.Post{}
		for _, p := range posts {
			got, err := s.FindPostByID(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			want[p.ID] = got
		}
		if n := len(want[posts[0].ID].Targets[1].Metrics); n != 2 {
			t.Fatalf("FindPostByID: %d snapshots on target, want 2", n)
		}
		same := func(what string, got []*snsos.Post, order ...int) {
			t.Helper()
			if len(got) != len(order) {
				t.Fatalf("%s: %d posts, want %d", what, len(got), len(order))
			}
			for i, idx := range order {
				w := want[posts[idx].ID]
				if !reflect.DeepEqual(got[i], w) {
					t.Fatalf("%s: post %d = %+v\nwant %+v", what, i, got[i], w)
				}
			}
		}
		list, err := s.ListPosts(ctx, store.PostFilter{})
		if err != nil {
			t.Fatal(err)
		}
		same("ListPosts", list, 3, 2, 1, 0)
		page, err := s.SearchPosts(ctx, store.PostQuery{Ascending: true})
		if err != nil {
			t.Fatal(err)
		}
		same("SearchPosts", page.Posts, 0, 1, 2, 3)
		page, err = s.SearchPosts(ctx, store.PostQuery{Text: "BATCH POST", Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		same("SearchPosts text", page.Posts, 3, 2)
		if page.Next == nil {
			t.Fatal("SearchPosts text: no next page, want one")
		}
		if list, err = s.ListPosts(ctx, store.PostFilter{State: snsos.StateCanceled}); err != nil || len(list) != 0 {
			t.Fatalf("ListPosts of no post = %v, %v", list, err)
		}
	})
}
