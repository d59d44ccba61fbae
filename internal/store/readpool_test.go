package store_test

import (
	"context"
	"database/sql/driver"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestReadPoolBesideTheWriter: while a transaction holds SQLite's one write
// connection, a read marked by store.ReadPool still answers (it is on the
// read pool), and marked writes, Exec or INSERT … RETURNING alike, go to
// the writer once it is free. The bound on the context only turns a broken
// routing into a failure instead of a hang.
func TestReadPoolBesideTheWriter(t *testing.T) {
	env := storetest.New(t, store.SQLite)
	s := env.Store
	if s.ReadDB() == s.DB() {
		t.Fatal("SQLite store has no separate read pool")
	}
	if err := s.PutSetting(ctx, "reads.probe", "before"); err != nil {
		t.Fatal(err)
	}
	tx, err := s.DB().BeginTx(ctx, nil) // immediate: the write lock and the only write connection
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE settings SET value = 'uncommitted' WHERE key = 'reads.probe'`); err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(store.ReadPool(ctx), 20*time.Second)
	defer cancel()
	v, err := s.Setting(rctx, "reads.probe")
	if err != nil {
		t.Fatalf("marked read while the writer is held: %v", err)
	}
	if v != "before" {
		t.Fatalf("read pool saw %q, want the committed %q", v, "before")
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// A fresh read sees the commit at once: no stale snapshot is kept.
	if v, err := s.Setting(rctx, "reads.probe"); err != nil || v != "uncommitted" {
		t.Fatalf("after commit: %q, %v", v, err)
	}
	if err := s.PutSetting(rctx, "reads.probe", "after"); err != nil {
		t.Fatalf("marked Exec write: %v", err)
	}
	if _, err := s.CreateAPIToken(rctx, "reads", "hash-reads", "snsos_r"); err != nil {
		t.Fatalf("marked INSERT … RETURNING: %v", err)
	}
}

// TestReadPoolRefusesWrites: the read pool cannot write, whatever is sent
// to it.
func TestReadPoolRefusesWrites(t *testing.T) {
	env := storetest.New(t, store.SQLite)
	_, err := env.Store.ReadDB().ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ('x', 'y', '2026-01-01 00:00:00')`)
	if err == nil {
		t.Fatal("the read pool wrote")
	}
	// Even with query_only turned off by a statement, mode=ro holds.
	c, err := env.Store.ReadDB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Raw(func(any) error { return driver.ErrBadConn }) // not back into the pool as it is now
	if _, err := c.ExecContext(ctx, `PRAGMA query_only = 0`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecContext(ctx, `DELETE FROM settings`); err == nil {
		t.Fatal("the read pool wrote with query_only off")
	}
}

// TestReadPoolBothDialects: marked and unmarked calls give the same answers
// on both databases (PostgreSQL has one pool, the mark changes nothing).
func TestReadPoolBothDialects(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		if env.Dialect == store.Postgres && s.ReadDB() != s.DB() {
			t.Fatal("PostgreSQL should keep one pool")
		}
		rctx := store.ReadPool(ctx)
		if err := s.PutSetting(rctx, "k", "v"); err != nil {
			t.Fatal(err)
		}
		if v, err := s.Setting(rctx, "k"); err != nil || v != "v" {
			t.Fatalf("Setting = %q, %v", v, err)
		}
		_, err := s.Setting(rctx, "missing")
		wantCode(t, err, snsos.ENOTFOUND)
	})
}
