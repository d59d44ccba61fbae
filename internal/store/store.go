// Package store keeps sns-os's records in SQLite (the embedded default, via
// the pure-Go modernc.org/sqlite) or PostgreSQL (via pgx), behind one
// database/sql implementation.
//
// The schema lives in embedded, ordered SQL migrations, one directory per
// dialect, applied at Open; Open refuses a database whose schema is newer
// than this program. Store methods own their transactions. Driver errors are
// mapped to snsos error codes (ENOTFOUND, ECONFLICT) at this boundary, and
// platform tokens are written only sealed (see package secret).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/secret"
)

// Dialect names the database engine behind a Store.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DBFileName is the SQLite database file inside the data dir.
const DBFileName = "snsos.db"

// Options configures Open.
type Options struct {
	// URL is empty for SQLite in DataDir, or a postgres:// URL.
	URL     string
	DataDir string
	// Box seals and opens credentials. Required for credential methods.
	Box *secret.Box
	// Now returns the current time; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Store is the database. It is safe for concurrent use.
type Store struct {
	db      *conns        // the writer, and SQLite's read pool (readpool.go)
	pool    *pgxpool.Pool // PostgreSQL only
	dialect Dialect
	path    string // SQLite file
	box     *secret.Box
	now     func() time.Time
	log     *slog.Logger
	// dbClockOffset moves the database's clock in tests (SetDBClockOffset).
	dbClockOffset atomic.Int64
}

// Open connects to the database, applies pending migrations and returns the
// Store. Its errors name the setting to fix.
func Open(ctx context.Context, opts Options) (*Store, error) {
	s := &Store{box: opts.Box, now: opts.Now, log: opts.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if opts.URL == "" {
		err = s.openSQLite(ctx, opts.DataDir)
	} else {
		err = s.openPostgres(ctx, opts.URL)
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// DataDirError explains why a data dir cannot be used.
func DataDirError(dir string, err error) error {
	return fmt.Errorf("SNSOS_DATA_DIR: %s is not a writable directory (%v): choose another with --data or fix its permissions", dir, unwrapPath(err))
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// EnsureDataDir creates dir (0700) if needed and proves it is writable.
func EnsureDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return DataDirError(dir, err)
	}
	f, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return DataDirError(dir, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

func (s *Store) openSQLite(ctx context.Context, dir string) error {
	if err := EnsureDataDir(dir); err != nil {
		return err
	}
	s.dialect = SQLite
	s.path = filepath.Join(dir, DBFileName)
	// Create the file ourselves so it is private; SQLite gives its -wal and
	// -shm files the same mode.
	if f, err := os.OpenFile(s.path, os.O_CREATE|os.O_RDWR, 0o600); err != nil {
		return DataDirError(dir, err)
	} else {
		f.Close()
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_time_format", "sqlite")
	// Every store transaction writes: take the write lock at BEGIN, so a
	// second process waits (busy_timeout) instead of failing to upgrade a
	// read snapshot (SQLITE_BUSY_SNAPSHOT).
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+s.path+"?"+q.Encode())
	if err != nil {
		return fmt.Errorf("open SQLite %s: %w", s.path, err)
	}
	// One write connection: River's SQLite driver and SQLite's single writer
	// both want it, and it makes "database is locked" impossible inside the
	// process. Pages read beside it, on the read pool (readpool.go).
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return fmt.Errorf("SNSOS_DATA_DIR: cannot open the database %s: %w", s.path, err)
	}
	rdb, err := openReadPool(s.path)
	if err != nil {
		db.Close()
		return fmt.Errorf("open SQLite %s read-only: %w", s.path, err)
	}
	s.db = &conns{w: db, r: rdb}
	return nil
}

func (s *Store) openPostgres(ctx context.Context, rawURL string) error {
	s.dialect = Postgres
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return fmt.Errorf("SNSOS_DATABASE_URL: not a valid PostgreSQL URL: %s", redactErr(err, rawURL))
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("SNSOS_DATABASE_URL: %s", redactErr(err, rawURL))
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return fmt.Errorf("SNSOS_DATABASE_URL: cannot reach PostgreSQL at %s:%d: %s; check that the server runs and the URL is right",
			cfg.ConnConfig.Host, cfg.ConnConfig.Port, redactErr(err, rawURL))
	}
	s.pool = pool
	db := stdlib.OpenDBFromPool(pool)
	s.db = &conns{w: db, r: db}
	return nil
}

// redactErr returns err's text with any password from rawURL removed.
func redactErr(err error, rawURL string) string {
	msg := err.Error()
	if u, perr := url.Parse(rawURL); perr == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return msg
}

// Close closes the database.
func (s *Store) Close() error {
	var err error
	if s.db != nil && s.dialect == SQLite {
		// What SQLite recommends before a long-lived connection closes:
		// statistics for the tables this process's queries used.
		s.db.w.ExecContext(context.Background(), `PRAGMA optimize`)
	}
	if s.db != nil {
		err = s.db.Close()
	}
	if s.pool != nil {
		s.pool.Close()
	}
	return err
}

// DB returns the writer's handle (for River and backups): on SQLite the
// one write connection.
func (s *Store) DB() *sql.DB { return s.db.w }

// Pool returns the pgx pool on PostgreSQL, nil on SQLite.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Dialect returns the database engine.
func (s *Store) Dialect() Dialect { return s.dialect }

// Path returns the SQLite file, "" on PostgreSQL.
func (s *Store) Path() string { return s.path }

// SetBox replaces the Box used for credentials (after loading keys).
func (s *Store) SetBox(b *secret.Box) { s.box = b }

// Ready reports whether the database answers and its schema is current.
func (s *Store) Ready(ctx context.Context) error {
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if want := latestVersion(s.dialect); v != want {
		return fmt.Errorf("database schema version %d, want %d", v, want)
	}
	return nil
}

// TxHook is the store's name for snsos.TxHook.
type TxHook = snsos.TxHook

// withTx runs fn in a transaction and commits it when fn returns nil.
func (s *Store) withTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return mapErr(err)
	}
	return nil
}

// dbNow reads the database's own clock inside tx: the clock of leases that
// several processes compare, which their own clocks may disagree with.
func (s *Store) dbNow(ctx context.Context, tx *sql.Tx) (time.Time, error) {
	var t time.Time
	if s.dialect == Postgres {
		if err := tx.QueryRowContext(ctx, `SELECT clock_timestamp()`).Scan(&t); err != nil {
			return time.Time{}, mapErr(err)
		}
	} else {
		var raw string
		if err := tx.QueryRowContext(ctx, `SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')`).Scan(&raw); err != nil {
			return time.Time{}, mapErr(err)
		}
		var err error
		if t, err = time.Parse("2006-01-02 15:04:05.000", raw); err != nil {
			return time.Time{}, fmt.Errorf("store: the database clock said %q: %w", raw, err)
		}
	}
	return t.UTC().Add(time.Duration(s.dbClockOffset.Load())).Truncate(time.Microsecond), nil
}

// SetDBClockOffset moves the database's clock by d as the store reads it:
// the hook through which tests let leases run out without waiting.
func (s *Store) SetDBClockOffset(d time.Duration) { s.dbClockOffset.Store(int64(d)) }

// nowAfter returns the store clock's time, or just after prev when the
// clock has not moved past it (a fixed test clock): a write must always
// change a row's version.
func (s *Store) nowAfter(prev time.Time) time.Time {
	now := s.nowUTC()
	if !now.After(prev) {
		now = prev.Add(time.Microsecond)
	}
	return now
}

// nowUTC returns the store clock's time in UTC, truncated to microseconds
// (PostgreSQL's precision), so values read back equal values written.
func (s *Store) nowUTC() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// dbTime converts t for writing: UTC, microseconds, nil when zero.
func dbTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Truncate(time.Microsecond)
}

// fromNull converts a scanned nullable time.
func fromNull(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

var _ = snsos.ENOTFOUND
