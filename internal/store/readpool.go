package store

import (
	"context"
	"database/sql"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// On SQLite the process has one write connection, which River's fetches,
// every publish and every write share. Were the pages' reads on it too, one
// slow page would make the publisher wait behind it (issue 16 measured a
// post going out 13 s late while the analytics page rendered). So a page's
// reads go to a pool of read-only connections instead: WAL lets them read
// while the writer commits, and they can never take the write lock.
//
// Which connection a statement uses is decided here, in one place, rather
// than at each query: a statement goes to the read pool only when its
// context was marked by ReadPool (the HTTP server marks every request's),
// it runs outside a transaction, and it is a plain SELECT. Everything else,
// a transaction's reads included, stays on the writer, so a read that a
// write depends on sees the writer's view. Work not started by a request,
// River's jobs above all, is never marked and never waits for a reader.

// ReadConns is the size of the SQLite read pool: enough for a few pages at
// once on a small machine; a page beyond it waits for a free one, within its
// deadline, and never for the writer.
const ReadConns = 4

type readPoolKey struct{}

// ReadPool returns ctx marked so that the store's reads made with it
// outside a transaction use the read-only connections (SQLite; on
// PostgreSQL, whose pool has real concurrency, it changes nothing).
func ReadPool(ctx context.Context) context.Context {
	return context.WithValue(ctx, readPoolKey{}, true)
}

// readsFromPool reports whether ctx was marked by ReadPool.
func readsFromPool(ctx context.Context) bool {
	on, _ := ctx.Value(readPoolKey{}).(bool)
	return on
}

// conns is the store's database handle: the writer, and on SQLite the read
// pool beside it (r == w on PostgreSQL). It has the *sql.DB methods the
// store uses, each going to the connection it must.
type conns struct {
	w, r *sql.DB
}

// writeWord finds a statement that writes behind a WITH clause.
var writeWord = regexp.MustCompile(`(?i)\b(insert|update|delete|replace)\b`)

// readOnlySQL reports whether query is a statement that only reads: a
// SELECT, or a WITH … SELECT that names no write. A write sent to the read
// pool would fail loudly (query_only), never silently, but the check keeps
// it from happening at all.
func readOnlySQL(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n(")
	switch {
	case len(q) >= 6 && strings.EqualFold(q[:6], "select"):
		return true
	case len(q) >= 4 && strings.EqualFold(q[:4], "with"):
		return !writeWord.MatchString(q)
	}
	return false
}

// pick returns the connection pool query should run on.
func (c *conns) pick(ctx context.Context, query string) *sql.DB {
	if c.r != c.w && readsFromPool(ctx) && readOnlySQL(query) {
		return c.r
	}
	return c.w
}

func (c *conns) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.pick(ctx, query).QueryContext(ctx, query, args...)
}

func (c *conns) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return c.pick(ctx, query).QueryRowContext(ctx, query, args...)
}

// ExecContext always writes through the writer.
func (c *conns) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.w.ExecContext(ctx, query, args...)
}

// BeginTx begins on the writer: a transaction's reads see its own writes
// and the writer's view.
func (c *conns) BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error) {
	return c.w.BeginTx(ctx, opts)
}

// Conn reserves a connection of the writer (migrations).
func (c *conns) Conn(ctx context.Context) (*sql.Conn, error) { return c.w.Conn(ctx) }

func (c *conns) Close() error {
	var err error
	if c.r != c.w {
		err = c.r.Close()
	}
	if werr := c.w.Close(); werr != nil {
		err = werr
	}
	return err
}

// openReadPool opens the read-only pool on the SQLite file at path. The
// connections open lazily, at the first page read, so an idle process
// holds none. mode=ro makes SQLite itself refuse a write, and query_only
// says so again at the SQL level; the writer has already put the file in
// WAL mode, which persists, so the readers need not (and, read-only,
// could not) set it.
func openReadPool(path string) (*sql.DB, error) {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "query_only(1)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_time_format", "sqlite")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(ReadConns)
	// Idle readers are closed after a while: each keeps a page cache, and
	// an idle process should hold little memory.
	db.SetMaxIdleConns(2)
	db.SetConnMaxIdleTime(2 * time.Minute)
	return db, nil
}

// ReadDB returns the pool the marked reads use: SQLite's read-only
// connections, or the one pool on PostgreSQL. Tests hold reads open on it.
func (s *Store) ReadDB() *sql.DB { return s.db.r }
