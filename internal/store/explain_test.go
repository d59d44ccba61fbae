package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestHotQueryPlans explains every query the dashboard, the calendar, the
// post list and the analytics pages run, on a seeded and analysed data set
// (a few thousand posts: small tables plan differently), and fails on a
// full scan of targets, posts or metric_snapshots: SQLite's "SCAN" of a
// table or an index, unless the query walks it in its own order and stops
// at its LIMIT (an index, or the table in rowid order with no sort);
// PostgreSQL's "Seq Scan".
func TestHotQueryPlans(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a few thousand posts")
	}
	now := time.Date(2027, 3, 15, 12, 0, 0, 0, time.UTC)
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		db := env.Store.DB()
		seedPlans(t, env.Store, db, now)
		if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
			t.Fatal(err)
		}
		// The check bites: a filter on a column no index has, and a sort on
		// an expression no index has, are caught.
		for _, q := range []store.HotQuery{
			{Name: "unindexed filter", SQL: `SELECT id FROM targets WHERE remote_url = $1`, Args: []any{"https://x.test/1"}},
			{Name: "unindexed sort", SQL: `SELECT id FROM posts ORDER BY COALESCE(approved_at, updated_at) DESC LIMIT 26`, Ordered: true},
		} {
			if plan := explain(t, db, env.Dialect, q); fullScan(env.Dialect, plan, q.Ordered) == "" {
				t.Errorf("%s: no full scan found in\n%s", q.Name, plan)
			}
		}
		hot := append(store.HotQueries(now), store.DailyHotQueries(env.Dialect, now)...)
		for _, q := range append(hot, store.CalendarHotQueries(env.Dialect, now)...) {
			plan := explain(t, db, env.Dialect, q)
			if bad := fullScan(env.Dialect, plan, q.Ordered); bad != "" {
				t.Errorf("%s: %s\n%s\nplan:\n%s", q.Name, bad, q.SQL, plan)
			}
		}
	})
}

// explain returns the plan of q, one step a line.
func explain(t *testing.T, db *sql.DB, d store.Dialect, q store.HotQuery) string {
	t.Helper()
	prefix := "EXPLAIN "
	if d == store.SQLite {
		prefix = "EXPLAIN QUERY PLAN "
	}
	rows, err := db.QueryContext(ctx, prefix+q.SQL, q.Args...)
	if err != nil {
		t.Fatalf("%s: explain: %v\n%s", q.Name, err, q.SQL)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, fmt.Sprint(vals[len(vals)-1])) // SQLite's detail, PostgreSQL's one column
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

var (
	// The tables guarded, under the names and aliases the queries use.
	guarded    = `(targets|posts|metric_snapshots|t|p|m)`
	sqliteScan = regexp.MustCompile(`(?m)^\s*SCAN ` + guarded + `\b( USING (COVERING )?INDEX \w+)?`)
	pgSeqScan  = regexp.MustCompile(`Seq Scan on (targets|posts|metric_snapshots)\b`)
)

// fullScan names the full scan in plan, or returns "".
func fullScan(d store.Dialect, plan string, ordered bool) string {
	if d == store.Postgres {
		return pgSeqScan.FindString(plan)
	}
	sorts := strings.Contains(plan, "USE TEMP B-TREE FOR ORDER BY")
	for _, m := range sqliteScan.FindAllStringSubmatch(plan, -1) {
		// An ordered query that walks an index, or the table itself in
		// rowid order (a bare SCAN that needs no sort: the API's newest
		// posts), stops at its LIMIT.
		if !ordered || m[2] == "" && sorts {
			return strings.TrimSpace(m[0])
		}
	}
	return ""
}

// seedPlans writes 3,000 posts over two years before now on three
// accounts, three targets each: 97 % published with their three
// checkpoints (and the summary), 1 % failed, 2 % scheduled ahead.
func seedPlans(t *testing.T, s *store.Store, db *sql.DB, now time.Time) {
	t.Helper()
	accts := []*snsos.Account{mustAccount(t, s, snsos.PlatformX, "p1"), mustAccount(t, s, snsos.PlatformInstagram, "p2"),
		mustAccount(t, s, snsos.PlatformThreads, "p3")}
	const posts = 3000
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var postRows, targetRows, snapRows, sumRows [][]any
	var targetID int64
	start := now.AddDate(-2, 0, 0)
	span := now.Sub(start)
	for i := range posts {
		postID := int64(i + 1)
		at := start.Add(span * time.Duration(i) / posts).Add(time.Duration(i%7) * time.Hour)
		state := snsos.StatePublished
		switch {
		case i%100 == 0:
			state = snsos.StateFailed
		case i >= posts-posts/50:
			state, at = snsos.StateScheduled, now.Add(time.Duration(i-(posts-posts/50)+1)*3*time.Hour)
		}
		postRows = append(postRows, []any{postID, fmt.Sprintf("post %d", i), at, at.Add(-time.Hour), at})
		for _, a := range accts {
			targetID++
			var published any
			if state == snsos.StatePublished {
				published = at
			}
			targetRows = append(targetRows, []any{targetID, postID, a.ID, string(a.Platform), string(state), at, published, at, at})
			if state != snsos.StatePublished {
				continue
			}
			views := int64(100 + i%900)
			for _, cp := range []struct {
				name string
				off  time.Duration
			}{{"1h", time.Hour}, {"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}} {
				snapRows = append(snapRows, []any{targetID, cp.name, "ok", at.Add(cp.off), fmt.Sprintf(`{"views":%d,"likes":%d}`, views, views/10)})
			}
			sumRows = append(sumRows, []any{targetID, "ok", views, views / 10, "ok", views * 3, "ok", views * 5})
		}
	}
	insertRows(t, tx, `INSERT INTO posts (id, body, scheduled_at, created_at, updated_at) VALUES `, postRows)
	insertRows(t, tx, `INSERT INTO targets (id, post_id, account_id, platform, state, scheduled_at, published_at, created_at, updated_at) VALUES `, targetRows)
	insertRows(t, tx, `INSERT INTO metric_snapshots (target_id, checkpoint, status, fetched_at, metrics) VALUES `, snapRows)
	insertRows(t, tx, `INSERT INTO metric_summary (target_id, c1h_status, c1h_views, c1h_likes, c24h_status, c24h_views, c7d_status, c7d_views) VALUES `, sumRows)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// insertRows inserts rows with one statement per hundred rows.
func insertRows(t *testing.T, tx *sql.Tx, prefix string, rows [][]any) {
	t.Helper()
	for len(rows) > 0 {
		n := min(len(rows), 100)
		var b strings.Builder
		var args []any
		for i, r := range rows[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(")
			for j, v := range r {
				if j > 0 {
					b.WriteString(", ")
				}
				args = append(args, v)
				fmt.Fprintf(&b, "$%d", len(args))
			}
			b.WriteString(")")
		}
		if _, err := tx.ExecContext(context.Background(), prefix+b.String(), args...); err != nil {
			t.Fatalf("seed: %v", err)
		}
		rows = rows[n:]
	}
}
