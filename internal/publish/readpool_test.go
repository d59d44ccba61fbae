package publish_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
)

// TestPublishWhileReadsHeld: every connection of SQLite's read pool is held
// in an open read (rows neither read to the end nor closed, each keeping its
// snapshot), as pages stuck on a slow query would hold them. A page's read
// then waits only until its deadline, and a post due now still goes out:
// River and the engine work on the write connection alone.
func TestPublishWhileReadsHeld(t *testing.T) {
	t.Parallel()
	env := newSQLite(t, nil)
	h := newHarness(t, env, nil)
	held := holdReadPool(t, env.Store)

	pctx, cancel := context.WithTimeout(store.ReadPool(ctx), 100*time.Millisecond)
	_, err := env.Store.ListPosts(pctx, store.PostFilter{})
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a page's read with the pool full: %v, want its deadline", err)
	}

	p := h.schedule(t, "out while the pages read", time.Now(), nil)
	tg := h.waitState(t, p.Targets[0].ID, snsos.StatePublished)
	for i, rows := range held {
		if err := rows.Err(); err != nil {
			t.Fatalf("held read %d ended early: %v", i, err)
		}
	}
	if n := h.livePosts("out while the pages read"); n != 1 || tg.RemoteID == "" {
		t.Fatalf("%d live posts, target %+v", n, tg)
	}
	for _, rows := range held {
		rows.Close()
	}
	// With the pool free again, a page sees the post as published.
	got, err := env.Store.FindPostByID(store.ReadPool(ctx), p.ID)
	if err != nil || got.Targets[0].State != snsos.StatePublished {
		t.Fatalf("read after release: %v, %v", got, err)
	}
}

// holdReadPool opens one read per connection of the read pool and leaves
// each open after its first row.
func holdReadPool(t *testing.T, s *store.Store) []*sql.Rows {
	t.Helper()
	var held []*sql.Rows
	for range store.ReadConns {
		rows, err := s.ReadDB().QueryContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
			SELECT i, (SELECT count(*) FROM targets) FROM n`)
		if err != nil {
			t.Fatal(err)
		}
		if !rows.Next() {
			t.Fatalf("held read: %v", rows.Err())
		}
		held = append(held, rows)
	}
	t.Cleanup(func() {
		for _, r := range held {
			r.Close()
		}
	})
	if st := s.ReadDB().Stats(); st.InUse != store.ReadConns {
		t.Fatalf("read pool: %d in use, want %d", st.InUse, store.ReadConns)
	}
	return held
}
