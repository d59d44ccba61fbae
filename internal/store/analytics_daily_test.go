package store_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestAnalyticsDays: the per-day sums are exact at every moment — with every
// day marked (read target by target), once the job has rebuilt them (read
// from metric_daily), and after later changes (a late snapshot, a deleted
// post) before and after the next rebuild — for the whole history, a range
// starting in the middle of a day, and one platform. The expected figures
// are added up here from what the test wrote.
func TestAnalyticsDays(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		rng := rand.New(rand.NewPCG(7, 16))
		accts := map[snsos.Platform]*snsos.Account{
			snsos.PlatformX:       mustAccount(t, s, snsos.PlatformX, "d1"),
			snsos.PlatformThreads: mustAccount(t, s, snsos.PlatformThreads, "d2"),
		}
		base := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
		type tgt struct {
			id, post int64
			platform snsos.Platform
			at       time.Time
			views    [3]*int64 // +1h, +24h, +7d
			eng      int64     // likes + comments + shares at +24h
		}
		var all []*tgt
		cps := []snsos.Checkpoint{snsos.Checkpoint1h, snsos.Checkpoint24h, snsos.Checkpoint7d}
		put := func(tg *tgt, i int, v int64) {
			t.Helper()
			vals := map[string]int64{"views": v}
			if i == 1 {
				l, c := rng.Int64N(50), rng.Int64N(9)
				vals["likes"], vals["comments"] = l, c
				tg.eng = l + c
			}
			if err := s.PutSnapshot(ctx, &snsos.MetricSnapshot{TargetID: tg.id, Checkpoint: cps[i], Status: snsos.SnapshotOK,
				Values: vals, FetchedAt: tg.at.Add(8 * 24 * time.Hour)}); err != nil {
				t.Fatal(err)
			}
			tg.views[i] = &v
		}
		for i := range 40 {
			at := base.Add(time.Duration(rng.Int64N(int64(6 * 24 * time.Hour)))).Truncate(time.Millisecond)
			pl := snsos.PlatformX
			if i%3 == 0 {
				pl = snsos.PlatformThreads
			}
			p := &snsos.Post{Body: fmt.Sprint("post ", i), ScheduledAt: at.Add(-time.Minute),
				Targets: []*snsos.Target{{AccountID: accts[pl].ID, State: snsos.StateScheduled}}}
			if err := s.CreatePost(ctx, p, nil); err != nil {
				t.Fatal(err)
			}
			tg := &tgt{id: p.Targets[0].ID, post: p.ID, platform: pl, at: at}
			final := snsos.StatePublished
			if i%10 == 9 {
				final = snsos.StateFailed // never counted
			}
			for _, st := range [][2]snsos.TargetState{{snsos.StateScheduled, snsos.StatePublishing}, {snsos.StatePublishing, final}} {
				if _, err := s.TransitionTarget(ctx, store.Transition{TargetID: tg.id, From: st[0], To: st[1],
					Mutate: func(x *snsos.Target) {
						if st[1] == snsos.StatePublished {
							x.PublishedAt = at
						}
					}}); err != nil {
					t.Fatal(err)
				}
			}
			if final != snsos.StatePublished {
				continue
			}
			for k := range 3 {
				if rng.IntN(4) > 0 {
					put(tg, k, rng.Int64N(2000))
				}
			}
			all = append(all, tg)
		}

		type want struct {
			posts    int
			sum      [3]int64
			n        [3]int
			eng, ev  int64
			v24      []int64
			byDayLen int
		}
		expect := func(r store.AnalyticsRange) want {
			var w want
			days := map[string]bool{}
			for _, tg := range all {
				if tg.at.Before(r.From) || (r.Platform != "" && tg.platform != r.Platform) {
					continue
				}
				days[string(tg.platform)+tg.at.Format(time.DateOnly)] = true
				w.posts++
				for i, v := range tg.views {
					if v != nil {
						w.sum[i] += *v
						w.n[i]++
					}
				}
				if v := tg.views[1]; v != nil {
					w.v24 = append(w.v24, *v)
					if *v > 0 {
						w.ev += *v
						w.eng += tg.eng
					}
				}
			}
			slices.Sort(w.v24)
			w.byDayLen = len(days)
			return w
		}
		ranges := []store.AnalyticsRange{
			{},
			{From: base.Add(50*time.Hour + 17*time.Minute)},
			{Platform: snsos.PlatformThreads},
			{From: base.Add(26 * time.Hour), Platform: snsos.PlatformX},
		}
		check := func(when string) {
			t.Helper()
			for _, r := range ranges {
				days, err := s.AnalyticsDays(ctx, r)
				if err != nil {
					t.Fatal(err)
				}
				var got want
				for i, d := range days {
					if i > 0 && d.Day.Before(days[i-1].Day) {
						t.Errorf("%s %+v: days out of order", when, r)
					}
					if d.Day.Hour() != 0 || d.Day.Location() != time.UTC {
						t.Errorf("%s %+v: day %v is not a UTC midnight", when, r, d.Day)
					}
					got.posts += d.Posts
					for i := range 3 {
						got.sum[i] += d.Sum[i]
						got.n[i] += d.N[i]
					}
					got.eng += d.Eng
					got.ev += d.EngViews
					got.v24 = append(got.v24, d.V24...)
				}
				slices.Sort(got.v24)
				got.byDayLen = len(days)
				if w := expect(r); fmt.Sprint(got) != fmt.Sprint(w) {
					t.Errorf("%s %+v:\n got %v\nwant %v", when, r, got, w)
				}
			}
		}
		check("every day marked")
		pending, err := s.AnalyticsDaysPending(ctx)
		if err != nil || pending == 0 {
			t.Fatalf("pending %d, %v: the writes marked no day", pending, err)
		}
		if n, err := s.RefreshAnalyticsDays(ctx, 1000); err != nil || n != pending {
			t.Fatalf("rebuilt %d of %d days: %v", n, pending, err)
		}
		if p, _ := s.AnalyticsDaysPending(ctx); p != 0 {
			t.Fatalf("%d days still marked after a rebuild", p)
		}
		check("rebuilt")

		// A late +7d snapshot and a deleted post change two days.
		for _, tg := range all {
			if tg.views[2] == nil {
				put(tg, 2, 777)
				break
			}
		}
		gone := all[len(all)/2]
		if _, err := s.DeletePost(ctx, gone.post); err != nil {
			t.Fatal(err)
		}
		all = slices.DeleteFunc(all, func(tg *tgt) bool { return tg == gone })
		if p, _ := s.AnalyticsDaysPending(ctx); p == 0 || p > 2 {
			t.Fatalf("%d days marked after two changes, want 1 or 2", p)
		}
		check("changed, not rebuilt")
		if _, err := s.RefreshAnalyticsDays(ctx, 1000); err != nil {
			t.Fatal(err)
		}
		check("changed and rebuilt")
	})
}

// TestParseInts: the list reader takes what the rebuild writes (and a
// negative number), and refuses anything else rather than misread it.
func TestParseInts(t *testing.T) {
	got, err := store.ParseInts("0,7,1234567890,-3")
	if err != nil || fmt.Sprint(got) != "[0 7 1234567890 -3]" {
		t.Fatalf("ParseInts = %v, %v", got, err)
	}
	if got, err := store.ParseInts(""); got != nil || err != nil {
		t.Fatalf("empty: %v, %v", got, err)
	}
	for _, bad := range []string{",", "1,", ",1", "1,,2", "1.5", "a", "--1", "1-", "1234567890123456789", " 1"} {
		if _, err := store.ParseInts(bad); err == nil {
			t.Errorf("ParseInts(%q) accepted", bad)
		}
	}
}
