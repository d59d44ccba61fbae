package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

func TestUnreferencedMedia(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		s, err := store.Open(ctx, store.Options{URL: env.URL, DataDir: env.DataDir, Box: env.Box, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		media := func(n int) *snsos.MediaRef {
			sum := fmt.Sprintf("%064x", n)
			m := &snsos.MediaRef{SHA256: sum, Key: "sha256/" + sum[:2] + "/" + sum, Mime: "image/png", Size: int64(n), Filename: fmt.Sprint(n, ".png")}
			if _, err := s.CreateMedia(ctx, m); err != nil {
				t.Fatal(err)
			}
			return m
		}
		oldFree1, oldUsed, oldFree2 := media(1), media(2), media(3)
		now = now.Add(30 * time.Hour)
		newFree := media(4)
		x := mustAccount(t, s, snsos.PlatformX, "gc")
		if err := s.CreatePost(ctx, &snsos.Post{Body: "uses 2", MediaIDs: []int64{oldUsed.ID}, Targets: []*snsos.Target{{AccountID: x.ID}}}, nil); err != nil {
			t.Fatal(err)
		}
		ids := func(ms []*snsos.MediaRef) []int64 {
			out := []int64{}
			for _, m := range ms {
				out = append(out, m.ID)
			}
			return out
		}
		before := now.Add(-24 * time.Hour)
		got, err := s.UnreferencedMedia(ctx, before, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ids(got)) != fmt.Sprint([]int64{oldFree1.ID, oldFree2.ID}) {
			t.Fatalf("UnreferencedMedia = %v, want [%d %d]", ids(got), oldFree1.ID, oldFree2.ID)
		}
		if got[0].Filename != "1.png" || got[0].Size != 1 || !got[0].CreatedAt.Equal(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)) {
			t.Fatalf("record not filled: %+v", got[0])
		}
		// Paging.
		page, err := s.UnreferencedMedia(ctx, before, 0, 1)
		if err != nil || len(page) != 1 || page[0].ID != oldFree1.ID {
			t.Fatalf("first page = %v, %v", ids(page), err)
		}
		page, err = s.UnreferencedMedia(ctx, before, page[0].ID, 1)
		if err != nil || len(page) != 1 || page[0].ID != oldFree2.ID {
			t.Fatalf("second page = %v, %v", ids(page), err)
		}
		// The boundary is exclusive, and the new file is found once old enough.
		if got, _ := s.UnreferencedMedia(ctx, newFree.CreatedAt, 0, 100); len(got) != 2 {
			t.Fatalf("created_at == boundary included: %v", ids(got))
		}
		got, err = s.UnreferencedMedia(ctx, now.Add(time.Second), 0, 100)
		if err != nil || fmt.Sprint(ids(got)) != fmt.Sprint([]int64{oldFree1.ID, oldFree2.ID, newFree.ID}) {
			t.Fatalf("UnreferencedMedia(later) = %v, %v", ids(got), err)
		}
		// A deleted record is gone from the candidates.
		if err := s.DeleteMedia(ctx, oldFree1.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.UnreferencedMedia(ctx, before, 0, 100); fmt.Sprint(ids(got)) != fmt.Sprint([]int64{oldFree2.ID}) {
			t.Fatalf("after delete: %v", ids(got))
		}
	})
}
