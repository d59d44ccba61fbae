package archive_test

import (
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/archive"
	"github.com/sns-os/snsos/internal/store"
)

// TestReadStatus: a process with the archive configured reads the saved
// status whatever its age; one without reads it only while a writer
// keeps it fresh, so an archive switched off leaves no old failure to
// show. Nothing saved, or something unreadable, is nothing to show.
func TestReadStatus(t *testing.T) {
	b := setup(t, store.SQLite, false)
	read := func(configured bool) (archive.Status, bool) {
		t.Helper()
		st, ok, err := archive.ReadStatus(ctx, b.st, configured, b.clk.now())
		if err != nil {
			t.Fatal(err)
		}
		return st, ok
	}
	for _, configured := range []bool{true, false} {
		if _, ok := read(configured); ok {
			t.Fatalf("configured %v: a status before any pass", configured)
		}
	}
	b.post(t, "saved")
	b.sync(t)
	saved := b.clk.now()
	st, ok := read(false)
	if !ok || !st.SavedAt.Equal(saved) || st.LastCommit != b.w.Repo().Head().String() {
		t.Fatalf("a status just saved, read without the archive configured: %+v %v (saved at %s)", st, ok, saved)
	}

	// The archive is switched off: no writer saves again.
	b.clk.advance(9 * time.Minute)
	if _, ok := read(false); !ok {
		t.Fatal("a status 9 min old was taken for an old one")
	}
	b.clk.advance(2 * time.Minute)
	if _, ok := read(false); ok {
		t.Fatal("a status 11 min old, no archive configured, is still shown")
	}
	if _, ok := read(true); !ok {
		t.Fatal("the archive configured here: its status must show whatever its age")
	}

	// Saved by an older version (no saved_at): only where configured.
	if err := b.st.PutSetting(ctx, archive.StatusKey, `{"dir":"/old","push_failures":9,"files":3}`); err != nil {
		t.Fatal(err)
	}
	if _, ok := read(false); ok {
		t.Fatal("a status without saved_at shown without the archive configured")
	}
	if st, ok := read(true); !ok || st.PushFailures != 9 {
		t.Fatalf("configured: %+v %v", st, ok)
	}
	if err := b.st.PutSetting(ctx, archive.StatusKey, "{not json"); err != nil {
		t.Fatal(err)
	}
	if _, ok := read(true); ok {
		t.Fatal("an unreadable status was shown")
	}
}
