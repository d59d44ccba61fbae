package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestCalendarCells: each cell returns its first items by time and its
// full count; published targets sit at their publication time, drafts and
// canceled targets nowhere; bounds are inclusive below, exclusive above;
// After pages through one cell.
func TestCalendarCells(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		x := mustAccount(t, s, snsos.PlatformX, "c1")
		day := time.Date(2027, 2, 17, 15, 0, 0, 0, time.UTC) // midnight of the 18th in Tokyo
		post := func(body string, at time.Time, steps ...snsos.TargetState) *snsos.Post {
			t.Helper()
			p := &snsos.Post{Body: body, ScheduledAt: at, Targets: []*snsos.Target{{AccountID: x.ID, State: snsos.StateScheduled}}}
			if err := s.CreatePost(ctx, p, nil); err != nil {
				t.Fatal(err)
			}
			from := snsos.StateScheduled
			for _, to := range steps {
				tr := store.Transition{TargetID: p.Targets[0].ID, From: from, To: to}
				if to == snsos.StatePublished {
					tr.Mutate = func(tg *snsos.Target) { tg.PublishedAt = day.Add(-time.Hour) } // the day before
				}
				if _, err := s.TransitionTarget(ctx, tr); err != nil {
					t.Fatal(err)
				}
				from = to
			}
			return p
		}
		// Ten on the 18th, written latest first so that ids and times disagree.
		var busy []*snsos.Post
		for i := 9; i >= 0; i-- {
			busy = append([]*snsos.Post{post(fmt.Sprintf("busy %d", i), day.Add(time.Duration(i)*time.Hour))}, busy...)
		}
		same := post("same time as busy 0", day) // a tie: ordered by id
		post("at the upper bound", day.Add(48*time.Hour))
		post("canceled", day.Add(30*time.Hour), snsos.StateCanceled)
		moved := post("scheduled on the 19th, published on the 17th", day.Add(26*time.Hour), snsos.StatePublishing, snsos.StatePublished)
		draft := &snsos.Post{Body: "draft", Targets: []*snsos.Target{{AccountID: x.ID, State: snsos.StateDraft}}}
		if err := s.CreatePost(ctx, draft, nil); err != nil {
			t.Fatal(err)
		}

		bounds := []time.Time{day.Add(-24 * time.Hour), day, day.Add(24 * time.Hour), day.Add(48 * time.Hour)}
		cells, err := s.CalendarCells(ctx, store.CalendarQuery{Bounds: bounds, PerCell: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(cells) != 3 {
			t.Fatalf("%d cells, want 3", len(cells))
		}
		if c := cells[0]; c.Count != 1 || len(c.Items) != 1 || c.Items[0].PostID != moved.ID || !c.Items[0].At.Equal(day.Add(-time.Hour)) ||
			c.Items[0].PostBody != moved.Body {
			t.Errorf("the 17th: %d items of %d: %+v", len(c.Items), c.Count, c.Items)
		}
		c := cells[1]
		if c.Count != 11 || len(c.Items) != 3 {
			t.Fatalf("the 18th: %d items of %d, want 3 of 11", len(c.Items), c.Count)
		}
		first, second := busy[0], same
		if first.ID > same.ID {
			first, second = same, busy[0]
		}
		for i, want := range []*snsos.Post{first, second, busy[1]} {
			if got := c.Items[i]; got.PostID != want.ID || got.PostBody != want.Body || got.State != snsos.StateScheduled {
				t.Errorf("the 18th, item %d: post %d %q, want %d %q", i, got.PostID, got.PostBody, want.ID, want.Body)
			}
		}
		if cells[2].Count != 0 || len(cells[2].Items) != 0 {
			t.Errorf("the 19th holds %d (%d shown): the canceled post, or the one published the day before", cells[2].Count, len(cells[2].Items))
		}

		// The rest of the 18th after its third item, a page at a time.
		last := c.Items[2]
		page, err := s.CalendarCells(ctx, store.CalendarQuery{Bounds: []time.Time{last.At, bounds[2]}, PerCell: 5,
			After: &store.CalendarKey{At: last.At, ID: last.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if p := page[0]; p.Count != 8 || len(p.Items) != 5 || p.Items[0].PostID != busy[2].ID || p.Items[4].PostID != busy[6].ID {
			t.Errorf("after the third: %d items of %d: %+v", len(p.Items), p.Count, p.Items)
		}
		// A tie at the cursor's time: the later id comes after it.
		page, err = s.CalendarCells(ctx, store.CalendarQuery{Bounds: []time.Time{day, bounds[2]}, PerCell: 1,
			After: &store.CalendarKey{At: day, ID: first.Targets[0].ID}})
		if err != nil {
			t.Fatal(err)
		}
		if p := page[0]; p.Count != 10 || len(p.Items) != 1 || p.Items[0].PostID != second.ID {
			t.Errorf("after the first of a tie: %d items of %d: %+v", len(p.Items), p.Count, p.Items)
		}

		// Bad queries are refused with a clear error.
		for _, q := range []store.CalendarQuery{
			{Bounds: bounds[:1], PerCell: 3},
			{Bounds: bounds, PerCell: 0},
			{Bounds: bounds, PerCell: 501},
			{Bounds: []time.Time{bounds[1], bounds[0]}, PerCell: 3},
			{Bounds: make([]time.Time, 500), PerCell: 3},
		} {
			_, err := s.CalendarCells(ctx, q)
			wantCode(t, err, snsos.EINVALID)
		}
	})
}
