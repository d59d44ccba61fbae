// Package storetest opens real, migrated stores for tests: a SQLite file in
// a temporary directory always, and a PostgreSQL schema of its own when
// SNSOS_TEST_POSTGRES_URL is set (make test sets it). Each is removed when
// the test ends.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/sns-os/snsos/internal/secret"
	"github.com/sns-os/snsos/internal/store"
)

// PostgresEnv names the variable holding the URL of a PostgreSQL database
// tests may create schemas in.
const PostgresEnv = "SNSOS_TEST_POSTGRES_URL"

// Env is one store under test.
type Env struct {
	Store   *store.Store
	Dialect store.Dialect
	// URL is the database URL the store was opened with ("" for SQLite):
	// open a second Store on it to act as a second process.
	URL     string
	DataDir string
	Box     *secret.Box
	Key     *secret.Key // the Box's only key
	// Now is the store's clock (nil: time.Now); Reopen gives it to the
	// second Store too.
	Now func() time.Time
}

// Reopen opens another Store on the same database, as a second process would.
func (e *Env) Reopen(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), store.Options{URL: e.URL, DataDir: e.DataDir, Box: e.Box, Now: e.Now})
	if err != nil {
		t.Fatalf("reopen store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Run calls fn once per available database, each in a subtest named after
// the dialect. Without SNSOS_TEST_POSTGRES_URL the PostgreSQL subtest is
// skipped with a message, unless CI is set, where it fails: CI must test both.
func Run(t *testing.T, fn func(t *testing.T, env *Env)) {
	t.Helper()
	RunWithClock(t, nil, fn)
}

// RunWithClock is Run with stores whose clock is now (see NewWithClock).
func RunWithClock(t *testing.T, now func() time.Time, fn func(t *testing.T, env *Env)) {
	t.Helper()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fn(t, NewWithClock(t, d, now))
		})
	}
}

var schemaSeq atomic.Int64

// New opens a fresh store of dialect d.
func New(t testing.TB, d store.Dialect) *Env {
	t.Helper()
	return NewWithClock(t, d, nil)
}

// NewWithClock opens a fresh store of dialect d whose clock is now (nil:
// time.Now): a test passes the clock it gives every other layer, so the
// times the store records agree with the caller's.
func NewWithClock(t testing.TB, d store.Dialect, now func() time.Time) *Env {
	t.Helper()
	k, err := secret.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{Dialect: d, DataDir: t.TempDir(), Box: secret.NewBox(k), Key: k, Now: now}
	if d == store.Postgres {
		env.URL = PostgresURL(t)
	}
	s, err := store.Open(context.Background(), store.Options{URL: env.URL, DataDir: env.DataDir, Box: env.Box, Now: now})
	if err != nil {
		t.Fatalf("open %s store: %v", d, err)
	}
	t.Cleanup(func() { s.Close() })
	env.Store = s
	return env
}

// PostgresURL creates an empty schema for the test and returns a URL whose
// search_path selects it; the schema is dropped when the test ends. It skips
// the test when SNSOS_TEST_POSTGRES_URL is unset (and fails under CI).
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: CI must run the store suite on PostgreSQL too (make test sets it up)", PostgresEnv)
		}
		t.Skipf("%s is not set: skipping PostgreSQL (make test sets it up)", PostgresEnv)
	}
	name := fmt.Sprintf("t_%d_%d", time.Now().UnixNano()%1e12, schemaSeq.Add(1))
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+name); err != nil {
		t.Fatalf("postgres: create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec(`DROP SCHEMA ` + name + ` CASCADE`)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("postgres: %s is not a URL", PostgresEnv)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// SchemaOf returns the schema name in a URL made by PostgresURL.
func SchemaOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(u.Query().Get("search_path"))
}
