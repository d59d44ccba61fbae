package publish_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/publish"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// distinctMedia serves each media id as its own small PNG, so that the
// platform's copy tells which item it is.
type distinctMedia struct{}

func pngOf(id int64) []byte {
	return append(append([]byte("\x89PNG\r\n\x1a\n"), fmt.Sprintf("media %d", id)...), make([]byte, 500)...)
}

func (distinctMedia) PlatformMedia(_ context.Context, id int64) (platform.Media, error) {
	return platform.BytesMedia("image/png", pngOf(id)), nil
}

// TestPublishTargetMediaSubset: a post carries three images; its X target
// lists two of them in its own order, and X receives exactly those, in
// that order.
func TestPublishTargetMediaSubset(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, func(c *publish.Config) { c.Media = distinctMedia{} })
		s := env.Store
		var ids []int64
		for i := range 3 {
			b := pngOf(int64(i)) // the id is not known yet: the record's hash is only a key here
			m := &snsos.MediaRef{SHA256: fmt.Sprintf("subset-%d-%x", i, sha256.Sum256(b)), Key: fmt.Sprintf("k-subset-%d", i), Mime: "image/png", Size: int64(len(b)), Width: 10, Height: 10}
			if _, err := s.CreateMedia(ctx, m); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, m.ID)
		}
		m1, m3 := ids[0], ids[2]
		p := &snsos.Post{Body: "two of three", MediaIDs: ids, ScheduledAt: time.Now().Add(300 * time.Millisecond),
			Targets: []*snsos.Target{{AccountID: h.account.ID, MediaIDs: []int64{m3, m1}}}}
		if err := h.engine.CreatePost(ctx, p, true); err != nil {
			t.Fatal(err)
		}
		tg := h.waitState(t, p.Targets[0].ID, snsos.StatePublished)
		if !slices.Equal(tg.MediaIDs, []int64{m3, m1}) {
			t.Fatalf("stored target media %v", tg.MediaIDs)
		}
		var posted []string
		for _, sp := range h.sim.Posts() {
			if sp.ID == tg.RemoteID {
				posted = sp.MediaIDs
			}
		}
		var got []string
		for _, id := range posted {
			m, ok := h.sim.Media(id)
			if !ok {
				t.Fatalf("media %s unknown to the simulator", id)
			}
			got = append(got, m.SHA256)
		}
		want := []string{sum(pngOf(m3)), sum(pngOf(m1))}
		if !slices.Equal(got, want) {
			t.Fatalf("X has media %v, want media %d then %d (%v)", got, m3, m1, want)
		}
	})
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestUpdateTargetMedia: a target's own media list is content: changing
// it (nil to a list, a list to empty) on Save draft takes the target back
// to draft, keeping it keeps the schedule.
func TestUpdateTargetMedia(t *testing.T) {
	t.Parallel()
	env := newSQLite(t, nil)
	h := newHarness(t, env, func(c *publish.Config) { c.Media = distinctMedia{} })
	var ids []int64
	for i := range 2 {
		m := &snsos.MediaRef{SHA256: fmt.Sprintf("upd-%d", i), Key: fmt.Sprintf("k-upd-%d", i), Mime: "image/png", Size: 10, Width: 10, Height: 10}
		if _, err := env.Store.CreateMedia(ctx, m); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	at := time.Now().Add(time.Hour).Truncate(time.Minute)
	p := &snsos.Post{Body: "pictures", MediaIDs: ids, ScheduledAt: at, Targets: []*snsos.Target{{AccountID: h.account.ID}}}
	if err := h.engine.CreatePost(ctx, p, true); err != nil {
		t.Fatal(err)
	}
	save := func(media []int64, approve bool) snsos.TargetState {
		t.Helper()
		edit := &snsos.Post{ID: p.ID, Body: "pictures", MediaIDs: ids, ScheduledAt: at, Targets: []*snsos.Target{{AccountID: h.account.ID, MediaIDs: media}}}
		if err := h.engine.UpdatePost(ctx, edit, approve); err != nil {
			t.Fatal(err)
		}
		got, err := env.Store.FindPostByID(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if tm := got.Targets[0].MediaIDs; (tm == nil) != (media == nil) || !slices.Equal(tm, media) {
			t.Fatalf("stored media %#v, want %#v", tm, media)
		}
		return got.Targets[0].State
	}
	if st := save(nil, false); st != snsos.StateScheduled {
		t.Fatalf("unchanged save: %s", st)
	}
	if st := save([]int64{ids[1]}, false); st != snsos.StateDraft {
		t.Fatalf("nil → a list: %s, want draft", st)
	}
	if st := save([]int64{ids[1]}, true); st != snsos.StateScheduled {
		t.Fatalf("approved: %s", st)
	}
	if st := save([]int64{}, false); st != snsos.StateDraft {
		t.Fatalf("a list → empty: %s, want draft", st)
	}
}
