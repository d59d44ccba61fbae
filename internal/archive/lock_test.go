package archive_test

import (
	"testing"

	"github.com/sns-os/snsos/internal/archive"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestOneWriterOnPostgres: two processes on one PostgreSQL database, one
// writer; when it stops, the other takes over.
func TestOneWriterOnPostgres(t *testing.T) {
	env := storetest.New(t, store.Postgres)
	a, b := archive.NewPGLock(env.Store.DB()), archive.NewPGLock(env.Reopen(t).DB())
	for i := range 3 { // held, again and again
		if held, err := a.TryLock(ctx); err != nil || !held {
			t.Fatalf("try %d: first writer: held=%v err=%v", i, held, err)
		}
		if held, err := b.TryLock(ctx); err != nil || held {
			t.Fatalf("try %d: second writer also elected: held=%v err=%v", i, held, err)
		}
	}
	if err := a.Unlock(); err != nil {
		t.Fatal(err)
	}
	if held, err := b.TryLock(ctx); err != nil || !held {
		t.Fatalf("after the first stopped: held=%v err=%v", held, err)
	}
	if held, _ := a.TryLock(ctx); held {
		t.Fatal("the first writer took the lock back while the second holds it")
	}
	b.Unlock()
}
