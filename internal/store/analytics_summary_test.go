package store_test

import (
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestMetricSummary: PutSnapshot keeps the summary in step (standard
// checkpoints as columns, a manual refresh left out, the numbers only when
// ok and reported); the analytics reads give back what the snapshots say,
// oldest first across chunks (ties on the time broken by id) and newest
// first by page; migration 0016's backfill rebuilds the same rows from the
// snapshots; deleting a target deletes its row.
func TestMetricSummary(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		x := mustAccount(t, s, snsos.PlatformX, "s1")
		ig := mustAccount(t, s, snsos.PlatformInstagram, "s2")
		base := time.Date(2027, 1, 10, 9, 0, 0, 0, time.UTC)
		var ids []int64
		for i, at := range []time.Time{base, base, base.Add(time.Hour), base.Add(48 * time.Hour), base.Add(-400 * 24 * time.Hour)} {
			acct := x
			if i == 1 {
				acct = ig
			}
			p := &snsos.Post{Body: "post", ScheduledAt: at.Add(-time.Minute), Targets: []*snsos.Target{{AccountID: acct.ID, State: snsos.StateScheduled}}}
			if err := s.CreatePost(ctx, p, nil); err != nil {
				t.Fatal(err)
			}
			id := p.Targets[0].ID
			for _, st := range [][2]snsos.TargetState{{snsos.StateScheduled, snsos.StatePublishing}, {snsos.StatePublishing, snsos.StatePublished}} {
				if _, err := s.TransitionTarget(ctx, store.Transition{TargetID: id, From: st[0], To: st[1],
					Mutate: func(tg *snsos.Target) { tg.PublishedAt = at }}); err != nil {
					t.Fatal(err)
				}
			}
			ids = append(ids, id)
		}
		put := func(id int64, cp snsos.Checkpoint, status snsos.SnapshotStatus, vals map[string]int64) {
			t.Helper()
			if err := s.PutSnapshot(ctx, &snsos.MetricSnapshot{TargetID: id, Checkpoint: cp, Status: status, Values: vals,
				FetchedAt: base.Add(72 * time.Hour), Reason: map[bool]string{true: "gone"}[status == snsos.SnapshotUnavailable]}); err != nil {
				t.Fatal(err)
			}
		}
		put(ids[0], snsos.Checkpoint1h, snsos.SnapshotOK, map[string]int64{"views": 10, "likes": 1})
		put(ids[0], snsos.Checkpoint24h, snsos.SnapshotUnavailable, nil)
		put(ids[0], snsos.CheckpointManual, snsos.SnapshotOK, map[string]int64{"views": 99})
		put(ids[1], snsos.Checkpoint24h, snsos.SnapshotOK, map[string]int64{"views": 300, "reach": 120})
		put(ids[2], "90m", snsos.SnapshotOK, map[string]int64{"views": 5})
		put(ids[4], snsos.Checkpoint7d, snsos.SnapshotOK, map[string]int64{"views": 7000})

		check := func(when string) {
			t.Helper()
			defer store.SetChunks(2)()
			var got []int64
			var views [][3]int64
			if err := s.ScanAnalytics(ctx, store.AnalyticsRange{}, func(p *store.AnalyticsPoint) error {
				got = append(got, p.TargetID)
				var v [3]int64
				for i, cp := range []snsos.Checkpoint{snsos.Checkpoint1h, snsos.Checkpoint24h, snsos.Checkpoint7d} {
					if n, ok := p.Value(cp, snsos.MetricViews); ok {
						v[i] = n
					} else {
						v[i] = -1
					}
				}
				views = append(views, v)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			want := []int64{ids[4], ids[0], ids[1], ids[2], ids[3]}
			wantViews := [][3]int64{{-1, -1, 7000}, {10, -1, -1}, {-1, 300, -1}, {-1, -1, -1}, {-1, -1, -1}}
			if len(got) != len(want) {
				t.Fatalf("%s: scan %v, want %v", when, got, want)
			}
			for i := range want {
				if got[i] != want[i] || views[i] != wantViews[i] {
					t.Errorf("%s: scan %d: target %d views %v, want %d %v", when, i, got[i], views[i], want[i], wantViews[i])
				}
			}
			rg := store.AnalyticsRange{From: base.Add(-time.Hour)}
			first, err := s.AnalyticsPage(ctx, rg, nil, nil, 1)
			if err != nil || len(first.Targets) != 1 || first.Targets[0].ID != ids[3] || first.Next == nil || first.Prev != nil {
				t.Fatalf("%s: first page %+v, %v", when, first, err)
			}
			second, err := s.AnalyticsPage(ctx, rg, first.Next, nil, 2)
			if err != nil {
				t.Fatal(err)
			}
			page := second.Targets
			if second.Next == nil || second.Prev == nil || len(page) != 2 || page[0].ID != ids[2] || page[1].ID != ids[1] {
				t.Fatalf("%s: page %v, next %v", when, page, second.Next)
			}
			if ms := page[1].Metrics; len(ms) != 1 || ms[0].Checkpoint != snsos.Checkpoint24h || ms[0].Values["reach"] != 120 {
				t.Errorf("%s: Instagram's snapshots %+v", when, ms)
			}
			if ms := page[0].Metrics; len(ms) != 1 || ms[0].Checkpoint == snsos.Checkpoint1h || ms[0].Checkpoint == snsos.CheckpointManual {
				t.Errorf("%s: a target measured at 90m only reads as measured, without numbers: %+v", when, ms)
			}
			var csvSnaps int
			if err := s.ScanAnalyticsSnapshots(ctx, store.AnalyticsRange{Platform: snsos.PlatformX}, func(tg *snsos.Target, ms []*snsos.MetricSnapshot) error {
				csvSnaps += len(ms)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if csvSnaps != 5 { // 7d, then 1h, 24h and the refresh, then 90m
				t.Errorf("%s: CSV snapshots %d, want 5", when, csvSnaps)
			}
			ats, vs, err := s.BestHoursPosts(ctx, "")
			if err != nil || len(ats) != 1 || vs[0] != 300 || !ats[0].Equal(base) {
				t.Errorf("%s: best hours %v %v %v", when, ats, vs, err)
			}
			pls, err := s.AnalyticsPlatforms(ctx, store.AnalyticsRange{From: base.Add(-time.Hour)})
			if err != nil || len(pls) != 2 || pls[0] == pls[1] || pls[0] != snsos.PlatformInstagram && pls[0] != snsos.PlatformX {
				t.Errorf("%s: platforms %v %v", when, pls, err)
			}
		}
		check("kept by PutSnapshot")

		db := s.DB()
		if _, err := db.ExecContext(ctx, `DELETE FROM metric_summary`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, store.SummaryBackfill(env.Dialect)); err != nil {
			t.Fatalf("backfill: %v", err)
		}
		check("rebuilt by the migration")

		if _, err := db.ExecContext(ctx, `DELETE FROM metric_snapshots WHERE target_id = $1`, ids[1]); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `DELETE FROM targets WHERE id = $1`, ids[1]); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM metric_summary WHERE target_id = $1`, ids[1]).Scan(&n); err != nil || n != 0 {
			t.Errorf("the deleted target's summary: %d rows, %v", n, err)
		}
	})
}
