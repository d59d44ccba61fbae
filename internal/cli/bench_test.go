package cli

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestBenchSeed builds the benchmark's data set with 200 posts on SQLite
// and PostgreSQL and checks what it made: four connected accounts, 3–4
// targets a post, 2 % of the posts ahead of the anchor, the rest delivered
// (about 97 % of the targets published, some failed), every published
// target's checkpoints taken before the anchor, each in the metric
// summary. Both databases get the same data set from the same flags.
func TestBenchSeed(t *testing.T) {
	digests := map[store.Dialect]string{}
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			env := map[string]string{}
			if d == store.Postgres {
				env["SNSOS_DATABASE_URL"] = storetest.PostgresURL(t)
			}
			dir := t.TempDir()
			args := []string{"bench", "seed", "--data", dir, "--posts", "200", "--anchor", "2026-06-01"}
			r := run(t, env, args...)
			if r.code != 0 || !strings.Contains(r.stdout, "bench seed: 200 posts") {
				t.Fatalf("seed: code %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
			}
			if r := run(t, env, args...); r.code != 0 || !strings.Contains(r.stdout, "reusing it") {
				t.Fatalf("second seed with the same flags: code %d %s %s", r.code, r.stdout, r.stderr)
			}
			if r := run(t, env, "bench", "seed", "--data", dir, "--posts", "300"); r.code != 1 || !strings.Contains(r.stderr, "holds another data set") {
				t.Fatalf("seed of another size into the same dir: code %d %s", r.code, r.stderr)
			}
			s, err := store.Open(context.Background(), store.Options{URL: env["SNSOS_DATABASE_URL"], DataDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			digests[d] = checkBenchData(t, s, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
		})
	}
	if a, b := digests[store.SQLite], digests[store.Postgres]; a != "" && b != "" && a != b {
		t.Errorf("the same flags built different data sets: %s on SQLite, %s on PostgreSQL", a, b)
	}
}

// checkBenchData checks the seeded data set and returns a digest of its
// posts and targets.
func checkBenchData(t *testing.T, s *store.Store, anchor time.Time) string {
	t.Helper()
	ctx := context.Background()
	accts, err := s.ListAccounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(accts) != 4 {
		t.Fatalf("%d accounts, want 4", len(accts))
	}
	platforms := map[snsos.Platform]bool{}
	for _, a := range accts {
		platforms[a.Platform] = true
		if a.Status != snsos.AccountConnected {
			t.Errorf("account %s is %s, want connected", a.Handle, a.Status)
		}
	}
	if len(platforms) != 4 {
		t.Errorf("accounts on %v, want one on each platform", platforms)
	}
	posts, err := s.ListPosts(ctx, store.PostFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 200 {
		t.Fatalf("%d posts, want 200", len(posts))
	}
	h := sha256.New()
	states := map[snsos.TargetState]int{}
	var targets, future, published, measured int
	for _, p := range posts {
		if n := len(p.Targets); n < 3 || n > 4 {
			t.Errorf("post %d has %d targets", p.ID, n)
		}
		if p.ScheduledAt.After(anchor) {
			future++
		}
		fmt.Fprintf(h, "%s|%s|", p.Body, p.ScheduledAt.UTC().Format(time.RFC3339))
		for _, tg := range p.Targets {
			targets++
			states[tg.State]++
			fmt.Fprintf(h, "%s/%s/%s;", tg.Platform, tg.State, tg.PublishedAt.UTC().Format(time.RFC3339Nano))
			checkBenchTarget(t, tg, p, anchor)
			if tg.State != snsos.StatePublished {
				continue
			}
			published++
			if n := checkBenchSnapshots(t, s, tg, anchor); n == 3 {
				measured++
			}
		}
	}
	if future != 4 {
		t.Errorf("%d posts after the anchor, want 4 (2 %%)", future)
	}
	if share := float64(states[snsos.StatePublished]) / float64(targets); share < 0.95 || share > 0.99 {
		t.Errorf("%.1f %% of the targets published, want about 97 %%: %v", share*100, states)
	}
	if states[snsos.StatePublished]+states[snsos.StateFailed]+states[snsos.StateScheduled] != targets {
		t.Errorf("targets in other states: %v", states)
	}
	if measured < published*9/10 {
		t.Errorf("only %d of %d published targets have their three checkpoints", measured, published)
	}
	var summaries int
	if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM metric_summary`).Scan(&summaries); err != nil {
		t.Fatal(err)
	}
	if summaries != published {
		t.Errorf("%d metric summaries for %d published targets", summaries, published)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// checkBenchTarget checks one target's state against its post's time.
func checkBenchTarget(t *testing.T, tg *snsos.Target, p *snsos.Post, anchor time.Time) {
	t.Helper()
	switch {
	case p.ScheduledAt.After(anchor):
		if tg.State != snsos.StateScheduled {
			t.Errorf("target %d of a post after the anchor is %s", tg.ID, tg.State)
		}
	case tg.State == snsos.StatePublished:
		if tg.PublishedAt.Before(tg.ScheduledAt) || tg.PublishedAt.After(anchor) || tg.RemoteID == "" || tg.Attempts != 1 {
			t.Errorf("published target %d: due %s, published %s, remote id %q, %d attempts", tg.ID, tg.ScheduledAt, tg.PublishedAt, tg.RemoteID, tg.Attempts)
		}
	case tg.State == snsos.StateFailed:
		if tg.Error == "" || !tg.PublishedAt.IsZero() {
			t.Errorf("failed target %d: error %q, published %s", tg.ID, tg.Error, tg.PublishedAt)
		}
	default:
		t.Errorf("target %d of a past post is %s", tg.ID, tg.State)
	}
}

// checkBenchSnapshots checks a published target's snapshots: the standard
// checkpoints in order, taken after their offset and before the anchor,
// every one due before the anchor present, views growing. It returns how
// many there are.
func checkBenchSnapshots(t *testing.T, s *store.Store, tg *snsos.Target, anchor time.Time) int {
	t.Helper()
	snaps, err := s.ListSnapshots(context.Background(), tg.ID)
	if err != nil {
		t.Fatal(err)
	}
	offsets := []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}
	names := []snsos.Checkpoint{snsos.Checkpoint1h, snsos.Checkpoint24h, snsos.Checkpoint7d}
	var views int64 = -1
	for i, off := range offsets {
		due := tg.PublishedAt.Add(off + 3*time.Minute)
		if i >= len(snaps) {
			if due.Before(anchor) {
				t.Errorf("target %d published %s has no %s snapshot", tg.ID, tg.PublishedAt, names[i])
			}
			continue
		}
		m := snaps[i]
		if m.Checkpoint != names[i] || m.FetchedAt.Before(tg.PublishedAt.Add(off)) || m.FetchedAt.After(anchor) || m.Status != snsos.SnapshotOK {
			t.Errorf("target %d snapshot %d: %s at %s (%s), published %s", tg.ID, i, m.Checkpoint, m.FetchedAt, m.Status, tg.PublishedAt)
		}
		if v := m.Values[snsos.MetricViews]; v < views || v <= 0 && i == 2 {
			t.Errorf("target %d: views %d at %s after %d", tg.ID, v, m.Checkpoint, views)
		} else {
			views = v
		}
	}
	return len(snaps)
}
