package media

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/sns-os/snsos"
)

// staleQuery returns fixed candidates, as a query run a moment before a
// post started using one would.
type staleQuery []*snsos.MediaRef

func (q staleQuery) UnreferencedMedia(ctx context.Context, before time.Time, after int64, limit int) ([]*snsos.MediaRef, error) {
	var out []*snsos.MediaRef
	for _, m := range q {
		if m.ID > after && len(out) < limit {
			out = append(out, m)
		}
	}
	return out, nil
}

func TestGC(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	lib := newTestLib(t, Limits{})
	var ms []*snsos.MediaRef
	for i := range 3 {
		m, err := lib.Upload(ctx, bytes.NewReader(pngBytes(t, 8+i, 8)), "f.png")
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	free1, used, free2 := ms[0], ms[1], ms[2]
	x := &snsos.Account{Platform: snsos.PlatformX, RemoteID: "1", Handle: "h"}
	if err := lib.db.UpsertAccount(ctx, x); err != nil {
		t.Fatal(err)
	}
	if err := lib.db.CreatePost(ctx, &snsos.Post{Body: "b", MediaIDs: []int64{used.ID}, Targets: []*snsos.Target{{AccountID: x.ID}}}, nil); err != nil {
		t.Fatal(err)
	}
	ids := func(ms []*snsos.MediaRef) []int64 {
		var out []int64
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}

	// Within the grace period: nothing.
	res, err := lib.GC(ctx, lib.db, lib.now.Add(-time.Hour), false)
	if err != nil || len(res.Removed) != 0 || len(files(t, lib.dir)) != 3 {
		t.Fatalf("GC within grace = %+v, %v", res, err)
	}
	later := lib.now.Add(time.Second)
	// Dry run: lists, removes nothing.
	res, err = lib.GC(ctx, lib.db, later, true)
	if err != nil || !slices.Equal(ids(res.Removed), []int64{free1.ID, free2.ID}) || res.Bytes != free1.Size+free2.Size {
		t.Fatalf("dry run = %v (%d bytes), %v", ids(res.Removed), res.Bytes, err)
	}
	if len(files(t, lib.dir)) != 3 {
		t.Fatal("dry run removed files")
	}
	if list, _ := lib.List(ctx, 10); len(list) != 3 {
		t.Fatal("dry run removed records")
	}
	// For real.
	res, err = lib.GC(ctx, lib.db, later, false)
	if err != nil || !slices.Equal(ids(res.Removed), []int64{free1.ID, free2.ID}) {
		t.Fatalf("GC = %v, %v", ids(res.Removed), err)
	}
	if got := files(t, lib.dir); len(got) != 1 || got[0] != used.Key {
		t.Fatalf("files after GC = %v, want [%s]", got, used.Key)
	}
	for _, m := range []*snsos.MediaRef{free1, free2} {
		if _, err := lib.Get(ctx, m.ID); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Fatalf("media %d still recorded: %v", m.ID, err)
		}
	}
	// A candidate a post started using meanwhile is kept.
	res, err = lib.GC(ctx, staleQuery{used}, later, false)
	if err != nil || len(res.Removed) != 0 || !slices.Equal(ids(res.Skipped), []int64{used.ID}) {
		t.Fatalf("GC of a used file = %+v, %v", res, err)
	}
	if _, err := lib.Get(ctx, used.ID); err != nil || len(files(t, lib.dir)) != 1 {
		t.Fatalf("used media removed: %v", err)
	}
}
