package publish_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/jobs"
	"github.com/sns-os/snsos/internal/secret"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// sqliteTemplate is a SQLite database with the store's and River's
// migrations applied, made once per test binary: the migrations are most
// of what a short test costs under -race (the pure-Go SQLite is slow
// there), and each test starts from a copy of the same migrated file.
var sqliteTemplate = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "snsos-sqlite-template-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	k, err := secret.GenerateKey()
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	s, err := store.Open(ctx, store.Options{DataDir: dir, Box: secret.NewBox(k)})
	if err != nil {
		return nil, err
	}
	if err := jobs.Migrate(ctx, s.DB(), nil, nil); err != nil {
		s.Close()
		return nil, err
	}
	// Closing the last connection checkpoints the WAL into the file.
	if err := s.Close(); err != nil {
		return nil, err
	}
	return os.ReadFile(filepath.Join(dir, store.DBFileName))
})

// newSQLite is storetest.NewWithClock for SQLite, on a copy of the
// template.
func newSQLite(t testing.TB, now func() time.Time) *storetest.Env {
	t.Helper()
	db, err := sqliteTemplate()
	if err != nil {
		t.Fatalf("SQLite template: %v", err)
	}
	k, err := secret.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	env := &storetest.Env{Dialect: store.SQLite, DataDir: t.TempDir(), Box: secret.NewBox(k), Key: k, Now: now}
	if err := os.WriteFile(filepath.Join(env.DataDir, store.DBFileName), db, 0o600); err != nil {
		t.Fatalf("copy the SQLite template: %v", err)
	}
	s, err := store.Open(context.Background(), store.Options{DataDir: env.DataDir, Box: env.Box, Now: now})
	if err != nil {
		t.Fatalf("open sqlite store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	env.Store = s
	return env
}

// runStores is storetest.Run with SQLite stores from the template: fn runs
// once per database, in parallel subtests named after the dialect
// (PostgreSQL is skipped without SNSOS_TEST_POSTGRES_URL, as there).
func runStores(t *testing.T, fn func(t *testing.T, env *storetest.Env)) {
	t.Helper()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			if d == store.SQLite {
				fn(t, newSQLite(t, nil))
				return
			}
			fn(t, storetest.New(t, d))
		})
	}
}
