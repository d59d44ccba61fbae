package store

import (
	"fmt"
	"strings"
	"time"

	"github.com/sns-os/snsos"
)

// HotQuery is one query a page runs, as the store builds it, for
// explain_test.go. Ordered marks a query that walks an index in order and
// stops at its LIMIT: reading the index from one end is its plan, not a
// full scan.
type HotQuery struct {
	Name    string
	SQL     string
	Args    []any
	Ordered bool
}

// HotQueries are the queries of the dashboard, the calendar, the post list
// and the analytics pages, with the arguments a page would pass at now.
func HotQueries(now time.Time) []HotQuery {
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	var out []HotQuery
	add := func(name string, ordered bool, q string, args ...any) {
		out = append(out, HotQuery{Name: name, SQL: q, Args: args, Ordered: ordered})
	}
	add("dashboard recent", true, recentQuery, 5)
	add("dashboard recent undated", true, recentUndatedQuery, 5)
	for _, pk := range []struct {
		name string
		pick targetPick
	}{
		{"failed", problemPick(snsos.StateFailed)}, {"needs_operator", problemPick(snsos.StateNeedsOperator)},
		{"unconfirmed", unconfirmedPick(now.Add(-15 * time.Minute))}, {"at risk", atRiskPick([]int64{2, 3})},
	} {
		add("attention "+pk.name, true, pk.pick.query(10), pk.pick.args...)
		add("attention "+pk.name+" count", false, pk.pick.count(), pk.pick.args...)
	}
	add("attention waiting", false, waitingQuery)
	q, a := rangeQuery(TargetRange{From: month, To: month.AddDate(0, 1, 0)})
	add("calendar month", false, q, a...)
	q, a = rangeQuery(TargetRange{From: now.AddDate(0, 0, -3), To: now.AddDate(0, 0, 4)})
	add("calendar week", false, q, a...)
	q, a = rangeQuery(TargetRange{To: now.Add(7 * 24 * time.Hour), States: []snsos.TargetState{snsos.StateScheduled}})
	add("dashboard next", false, q, a...)
	// A cursor in the middle of the history, as a deep page has.
	mid := &Cursor{At: now.AddDate(-1, 0, 0), ID: 1500}
	published := []snsos.TargetState{snsos.StatePublished}
	for _, pq := range []struct {
		name string
		q    PostQuery
	}{
		{"", PostQuery{}}, {" next", PostQuery{After: mid}}, {" previous", PostQuery{Before: mid}},
		{" upcoming next", PostQuery{After: mid, Ascending: true}},
		{" filtered", PostQuery{States: published, Platform: snsos.PlatformX}},
		{" filtered next", PostQuery{States: published, Platform: snsos.PlatformX, After: mid}},
	} {
		pq.q.Limit = 25
		q, a := postsPageQuery(pq.q)
		add("posts list"+pq.name, true, q, a...)
	}
	// The API's list by id (GET /api/v1/posts?before=). Its state filter
	// is left out: PostgreSQL plans it as a hash join over every post below
	// the cursor, and no page uses it.
	for _, f := range []PostFilter{{}, {BeforeID: 1500}} {
		q, a := listPostsQuery(f)
		add(fmt.Sprintf("api posts %+v", f), true, q, a...)
	}
	for _, r := range []AnalyticsRange{{From: now.AddDate(0, 0, -30)}, {From: now.AddDate(0, 0, -90), Platform: snsos.PlatformInstagram}} {
		name := " " + string(r.Platform)
		q, a = analyticsPageQuery(r, nil, false, 100)
		add("analytics page"+name, true, q, a...)
		cur := &Cursor{At: now.AddDate(0, 0, -20), ID: 1}
		q, a = analyticsPageQuery(r, cur, false, 100)
		add("analytics page next"+name, true, q, a...)
		q, a = analyticsPageQuery(r, cur, true, 100)
		add("analytics page previous"+name, true, q, a...)
		q, a = analyticsScanQuery(r, time.Time{}, 0, 5000)
		add("analytics range"+name, false, q, a...)
		q, a = analyticsScanQuery(r, now.AddDate(0, 0, -20), 1, 5000)
		add("analytics range next chunk"+name, false, q, a...)
		q, a = csvTargetsQuery(r, now.AddDate(0, 0, -20), 1, 500)
		add("analytics csv"+name, false, q, a...)
	}
	q, a = platformProbeQuery(AnalyticsRange{From: now.AddDate(0, 0, -30), Platform: snsos.PlatformThreads})
	add("analytics platforms", true, q, a...)
	// The sample is BestHoursSample of 345,000 targets at scale; here a
	// like share of the few thousand seeded, or the planner rightly reads
	// them all.
	q, a = bestHoursQuery("", 100)
	add("best hours", true, q, a...)
	q, a = bestHoursQuery(snsos.PlatformX, 100)
	add("best hours x", true, q, a...)
	add("csv snapshots", false, `SELECT id, target_id, checkpoint, status, reason, fetched_at, metrics FROM metric_snapshots
		WHERE target_id IN (1, 2, 3, 500) ORDER BY fetched_at, id`)
	return out
}

// SetChunks sets the chunk sizes of the analytics passes (tests walk
// several chunks with few targets) and returns what restores them. Tests
// running beside it only read in smaller chunks meanwhile.
func SetChunks(n int32) func() {
	a, c := analyticsChunk.Swap(n), csvChunk.Swap(n)
	return func() { analyticsChunk.Store(a); csvChunk.Store(c) }
}

// SummaryBackfill is migration 0016's backfill of metric_summary from
// metric_snapshots, for dialect d.
func SummaryBackfill(d Dialect) string {
	for _, m := range migrations(d) {
		if m.version == 16 {
			i := strings.Index(m.sql, "INSERT INTO metric_summary")
			j := strings.Index(m.sql, "-- Published targets")
			return m.sql[i:j]
		}
	}
	return ""
}
