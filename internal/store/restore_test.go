package store_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/jobs"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestSettleRestoredCopy copies a database holding deliveries in every
// state and queued River jobs (as `sns-os backup` does), and settles the
// copy: what was scheduled or in flight waits for the operator, the rest is
// untouched, and no job is left to run.
func TestSettleRestoredCopy(t *testing.T) {
	clk := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	env := storetest.NewWithClock(t, store.SQLite, func() time.Time { return clk })
	s := env.Store
	if err := jobs.Migrate(ctx, s.DB(), nil, nil); err != nil {
		t.Fatal(err)
	}
	jc, err := jobs.New(jobs.Config{DB: s.DB()})
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{{}, clk.Add(time.Hour)} {
		if _, err := jc.Insert(ctx, jobs.HeartbeatArgs{}, &river.InsertOpts{ScheduledAt: at, UniqueOpts: river.UniqueOpts{}}); err != nil {
			t.Fatal(err)
		}
	}
	x := mustAccount(t, s, snsos.PlatformX, "42")
	ids := map[snsos.TargetState]int64{}
	for _, path := range [][]snsos.TargetState{
		{snsos.StateDraft},
		{snsos.StateScheduled},
		{snsos.StateScheduled, snsos.StatePublishing},
		{snsos.StateScheduled, snsos.StatePublishing, snsos.StateRetryWait},
		{snsos.StateScheduled, snsos.StatePublishing, snsos.StateUnknown},
		{snsos.StateScheduled, snsos.StatePublishing, snsos.StatePublished},
	} {
		p := &snsos.Post{Body: fmt.Sprint(path), ScheduledAt: clk.Add(time.Hour), Targets: []*snsos.Target{{AccountID: x.ID, State: path[0]}}}
		if err := s.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		id := p.Targets[0].ID
		for i := 0; i+1 < len(path); i++ {
			tr := store.Transition{TargetID: id, From: path[i], To: path[i+1]}
			if path[i+1] == snsos.StatePublishing {
				tr.Attempt = &snsos.Attempt{Detail: "POST /2/tweets"}
			}
			if _, err := s.TransitionTarget(ctx, tr); err != nil {
				t.Fatal(err)
			}
		}
		ids[path[len(path)-1]] = id
	}
	backup := filepath.Join(t.TempDir(), "copy.db")
	if err := s.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	b, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, store.DBFileName), b, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := store.Open(ctx, store.Options{DataDir: dir, Now: func() time.Time { return clk }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	held, deleted, err := c.SettleRestoredCopy(ctx)
	if err != nil || held != 4 || deleted != 2 {
		t.Fatalf("settle: held %d, jobs %d, %v; want 4 and 2", held, deleted, err)
	}
	for state, id := range ids {
		tg, err := c.FindTargetByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want, reason := state, ""
		if state == snsos.StateScheduled || state == snsos.StatePublishing || state == snsos.StateRetryWait || state == snsos.StateUnknown {
			want, reason = snsos.StateNeedsOperator, fmt.Sprintf(store.RestoredReason, state)
		}
		if tg.State != want || (reason != "" && (tg.Error != reason || tg.OwnerAttempt != 0 || !tg.LeaseUntil.IsZero())) {
			t.Errorf("%s target after settling: %s %q owner %d lease %v", state, tg.State, tg.Error, tg.OwnerAttempt, tg.LeaseUntil)
		}
	}
	var left int
	if err := c.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d jobs left in the copy (%v)", left, err)
	}
	if again, _, err := c.SettleRestoredCopy(ctx); err != nil || again != 0 {
		t.Fatalf("settling twice held %d more (%v)", again, err)
	}
	// The original is untouched.
	if tg, _ := s.FindTargetByID(ctx, ids[snsos.StateScheduled]); tg.State != snsos.StateScheduled {
		t.Fatalf("the original moved to %s", tg.State)
	}
}

// TestIsEmpty: a restore writes only into a store IsEmpty accepts, so it
// must see media as well as accounts and posts.
func TestIsEmpty(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		if empty, err := s.IsEmpty(ctx); err != nil || !empty {
			t.Fatalf("a fresh store: %v %v", empty, err)
		}
		if _, err := s.CreateMedia(ctx, &snsos.MediaRef{SHA256: "ab", Key: "ab", Mime: "image/png"}); err != nil {
			t.Fatal(err)
		}
		if empty, err := s.IsEmpty(ctx); err != nil || empty {
			t.Fatalf("a store with media: %v %v", empty, err)
		}
	})
}

// TestRestoreKeepsIDs writes accounts, a media record and a post with
// explicit ids and checks that the next rows get ids past them on both
// databases; a medium without a record gets a placeholder.
func TestRestoreKeepsIDs(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		created := time.Date(2025, 12, 1, 10, 0, 0, 0, time.UTC)
		acct := &snsos.Account{ID: 40, Platform: snsos.PlatformX, RemoteID: "9", Handle: "a", Status: snsos.AccountConnected, CreatedAt: created}
		if err := s.RestoreAccounts(ctx, []*snsos.Account{acct}); err != nil {
			t.Fatal(err)
		}
		video := &snsos.MediaRef{ID: 6, SHA256: "6f", Key: "sha256/6f/6f", Mime: "video/mp4", Size: 900, Width: 720, Height: 1280,
			DurationMS: 4500, FrameRate: 30, Codec: "avc1", Filename: "clip.mp4", CreatedAt: created}
		if err := s.RestoreMedia(ctx, []*snsos.MediaRef{{ID: 8, SHA256: "8a", Mime: "image/png", CreatedAt: created}}); err == nil {
			t.Fatal("a media record without a storage key was accepted")
		}
		if err := s.RestoreMedia(ctx, []*snsos.MediaRef{video}); err != nil {
			t.Fatal(err)
		}
		p := &snsos.Post{ID: 70, Body: "restored", CreatedAt: created, MediaIDs: []int64{5, 6},
			Targets: []*snsos.Target{{ID: 90, AccountID: 40, State: snsos.StateScheduled, ScheduledAt: created}}}
		held, err := s.RestorePosts(ctx, []*snsos.Post{p}, nil)
		if err != nil || held != 1 {
			t.Fatalf("restore: held %d, %v", held, err)
		}
		if err := s.FinishRestore(ctx); err != nil {
			t.Fatal(err)
		}
		a, err := s.FindAccountByID(ctx, 40)
		if err != nil || a.Status != snsos.AccountNeedsReauth || a.StatusReason != store.RestoredAccountReason {
			t.Fatalf("restored account %+v %v", a, err)
		}
		if m, err := s.FindMediaByID(ctx, 5); err != nil || m.Mime != "application/octet-stream" {
			t.Fatalf("the placeholder of media 5: %+v %v", m, err)
		}
		if m, err := s.FindMediaByID(ctx, 6); err != nil || *m != *video {
			t.Fatalf("restored media 6: %+v %v, want %+v", m, err, video)
		}
		nm := &snsos.MediaRef{SHA256: "77", Key: "sha256/77/77", Mime: "image/png"}
		if _, err := s.CreateMedia(ctx, nm); err != nil || nm.ID <= 6 {
			t.Fatalf("new media id %d (%v) does not follow the restored 6", nm.ID, err)
		}
		a2 := mustAccount(t, s, snsos.PlatformX, "10")
		np := &snsos.Post{Body: "new", Targets: []*snsos.Target{{AccountID: a2.ID}}}
		if err := s.CreatePost(ctx, np, nil); err != nil {
			t.Fatal(err)
		}
		if a2.ID <= 40 || np.ID <= 70 || np.Targets[0].ID <= 90 {
			t.Fatalf("new ids %d %d %d do not follow the restored 40 70 90", a2.ID, np.ID, np.Targets[0].ID)
		}
		bad := &snsos.Post{ID: 500, Body: "x", CreatedAt: created, Targets: []*snsos.Target{{ID: 91, AccountID: 999, State: snsos.StateDraft}}}
		if _, err := s.RestorePosts(ctx, []*snsos.Post{bad}, nil); err == nil {
			t.Fatal("a target of an account not restored was accepted")
		}
		if p, err := s.FindPostByID(ctx, 500); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Fatalf("a failed batch left its post behind: %+v %v", p, err)
		}
	})
}
