package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the dialect's migrations in order. File names are
// NNNN_name.sql; the number is the schema version the file brings.
func migrations(d Dialect) []migration {
	dir := path.Join("migrations", string(d))
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		panic(err) // embedded: cannot fail
	}
	var ms []migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			panic("store: bad migration file name " + e.Name())
		}
		b, _ := fs.ReadFile(migrationFS, path.Join(dir, e.Name()))
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms
}

func latestVersion(d Dialect) int {
	ms := migrations(d)
	return ms[len(ms)-1].version
}

// SchemaVersion returns the highest migration applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v)
	return int(v.Int64), err
}

// migrate applies pending migrations, each in its own transaction, holding a
// lock so that two processes starting together do not race. It refuses a
// schema newer than this program knows.
func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if s.dialect == Postgres {
		// Any constant works; it only has to be the same in every process.
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7216023)`); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7216023)`)
	}
	ts := "TIMESTAMP"
	if s.dialect == Postgres {
		ts = "TIMESTAMPTZ"
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at `+ts+` NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", mapErr(err))
	}
	var current sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	ms := migrations(s.dialect)
	latest := ms[len(ms)-1].version
	if int(current.Int64) > latest {
		return fmt.Errorf("the database schema is version %d but this sns-os knows only up to %d: run a newer sns-os, or restore a backup made by this version", current.Int64, latest)
	}
	migrated := false
	for _, m := range ms {
		if m.version <= int(current.Int64) {
			continue
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate %04d_%s: %w", m.version, m.name, err)
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate %04d_%s: %w", m.version, m.name, mapErr(err))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			m.version, m.name, s.nowUTC()); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate %04d_%s: %w", m.version, m.name, mapErr(err))
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate %04d_%s: %w", m.version, m.name, mapErr(err))
		}
		s.log.Info("schema migrated", "version", m.version, "name", m.name, "dialect", string(s.dialect))
		migrated = true
	}
	return s.optimizeSQLite(ctx, conn, migrated)
}

// optimizeSQLite keeps SQLite's planner statistics fresh at start: after a
// migration (new indexes, such as 0016's, plan by statistics) a full but
// sampled ANALYZE, else PRAGMA optimize, which analyses only the tables
// whose size changed much since. analysis_limit samples a bounded number
// of rows per index, so neither reads a large database whole.
func (s *Store) optimizeSQLite(ctx context.Context, conn *sql.Conn, migrated bool) error {
	if s.dialect != SQLite {
		return nil
	}
	stmts := []string{`PRAGMA analysis_limit = 1000`, `PRAGMA optimize = 0x10002`}
	if migrated {
		stmts[1] = `ANALYZE`
	}
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("migrate: %s: %w", q, mapErr(err))
		}
	}
	return nil
}
