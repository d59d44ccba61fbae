package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/jobs"
	"github.com/sns-os/snsos/internal/secret"
	"github.com/sns-os/snsos/internal/store"
)

// TestRestoreCommand: an archive and a backup of a data dir with a
// delivery in flight and a queued job, each restored into an empty data
// dir: accounts without tokens (archive), the delivery waiting for the
// operator, no job left; a data dir that holds a database is refused and
// left as it was; bad input is refused before anything is written.
func TestRestoreCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := t.TempDir()
	key := mustKey(t)
	box := secret.NewBox(key)
	seed(t, src, box, 1) // an X account with a token
	s, err := store.Open(ctx, store.Options{DataDir: src, Box: box})
	if err != nil {
		t.Fatal(err)
	}
	accts, _ := s.ListAccounts(ctx)
	p := &snsos.Post{Body: "in flight", ScheduledAt: time.Now().Add(time.Hour), Targets: []*snsos.Target{{AccountID: accts[0].ID, State: snsos.StateScheduled}}}
	if err := s.CreatePost(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TransitionTarget(ctx, store.Transition{TargetID: p.Targets[0].ID, From: snsos.StateScheduled, To: snsos.StatePublishing,
		Attempt: &snsos.Attempt{Detail: "POST /2/tweets"}, Lease: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if err := jobs.Migrate(ctx, s.DB(), nil, nil); err != nil {
		t.Fatal(err)
	}
	jc, err := jobs.New(jobs.Config{DB: s.DB()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jc.Insert(ctx, jobs.HeartbeatArgs{}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	envOf := func(data string) map[string]string {
		return map[string]string{"SNSOS_DATA_DIR": data, "SNSOS_MASTER_KEY": key.Encode(), "SNSOS_ARCHIVE_DIR": filepath.Join(src, "archive")}
	}
	if r := run(t, envOf(src), "archive", "sync"); r.code != 0 {
		t.Fatalf("archive sync: %d %s %s", r.code, r.stdout, r.stderr)
	}
	backup := filepath.Join(t.TempDir(), "snsos.backup")
	if r := run(t, envOf(src), "backup", "--out", backup); r.code != 0 {
		t.Fatalf("backup: %d %s", r.code, r.stderr)
	}

	for _, args := range [][]string{{"restore"}, {"restore", "--from-archive", "a", "--from-backup", "b"}} {
		if r := run(t, envOf(t.TempDir()), args...); r.code != 2 || !strings.Contains(r.stderr, "give one of") {
			t.Fatalf("%v: %d %s", args, r.code, r.stderr)
		}
	}

	// From the archive, given as a path and as a file:// URL.
	for _, from := range []string{filepath.Join(src, "archive"), "file://" + filepath.Join(src, "archive")} {
		dst := t.TempDir()
		r := run(t, envOf(dst), "restore", "--from-archive", from)
		if r.code != 0 || !strings.Contains(r.stdout, "restored 1 accounts, 1 posts, 1 deliveries") || !strings.Contains(r.stdout, "1 deliveries were scheduled or in flight") {
			t.Fatalf("restore from %s: %d %s %s", from, r.code, r.stdout, r.stderr)
		}
		st := openRestored(t, dst, box)
		a, err := st.FindAccountByID(ctx, accts[0].ID)
		if err != nil || a.Status != snsos.AccountNeedsReauth {
			t.Fatalf("restored account %+v %v", a, err)
		}
		if _, err := st.FindCredential(ctx, a.ID); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Fatalf("a restored account has a credential: %v", err)
		}
		assertHeld(t, st, p.Targets[0].ID)

		// A second restore into the same data dir is refused, nothing touched.
		db := filepath.Join(dst, store.DBFileName)
		before, _ := os.ReadFile(db)
		if r := run(t, envOf(dst), "restore", "--from-archive", from); r.code != 1 || !strings.Contains(r.stderr, "already holds a database") {
			t.Fatalf("restore over a database: %d %s", r.code, r.stderr)
		}
		if after, _ := os.ReadFile(db); !bytes.Equal(before, after) {
			t.Fatal("a refused restore changed the database")
		}
	}

	// From the backup: tokens kept (sealed), the delivery held, no job left.
	dst := t.TempDir()
	r := run(t, envOf(dst), "restore", "--from-backup", backup)
	if r.code != 0 || !strings.Contains(r.stdout, "1 queued jobs of the copy removed") || !strings.Contains(r.stdout, "1 deliveries were scheduled or in flight") {
		t.Fatalf("restore from the backup: %d %s %s", r.code, r.stdout, r.stderr)
	}
	st := openRestored(t, dst, box)
	assertHeld(t, st, p.Targets[0].ID)
	var jobsLeft int
	if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job`).Scan(&jobsLeft); err != nil || jobsLeft != 0 {
		t.Fatalf("%d jobs left (%v)", jobsLeft, err)
	}
	if fi, err := os.Stat(filepath.Join(dst, store.DBFileName)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the restored database: %v %v", fi, err)
	}

	// Bad input: nothing written.
	notDB := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notDB, []byte("not a database at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"restore", "--from-backup", notDB}, {"restore", "--from-archive", t.TempDir()}} {
		dst := t.TempDir()
		if r := run(t, envOf(dst), args...); r.code != 1 {
			t.Fatalf("%v: %d %s", args, r.code, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(dst, store.DBFileName)); err == nil {
			t.Fatalf("%v left a database behind", args)
		}
	}
}

func openRestored(t *testing.T, data string, box *secret.Box) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{DataDir: data, Box: box})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func assertHeld(t *testing.T, st *store.Store, id int64) {
	t.Helper()
	tg, err := st.FindTargetByID(context.Background(), id)
	if err != nil || tg.State != snsos.StateNeedsOperator || !strings.Contains(tg.Error, "restored from a copy while it was publishing") {
		t.Fatalf("restored delivery %+v %v", tg, err)
	}
}
