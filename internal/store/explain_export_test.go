package store

import (
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
	add("attention failed", false, `SELECT `+targetCols+` FROM targets WHERE state = $1 ORDER BY id`, string(snsos.StateFailed))
	q, a := rangeQuery(TargetRange{From: month, To: month.AddDate(0, 1, 0)})
	add("calendar month", false, q, a...)
	q, a = rangeQuery(TargetRange{From: now.AddDate(0, 0, -3), To: now.AddDate(0, 0, 4)})
	add("calendar week", false, q, a...)
	q, a = rangeQuery(TargetRange{To: now.Add(7 * 24 * time.Hour), States: []snsos.TargetState{snsos.StateScheduled}})
	add("dashboard next", false, q, a...)
	wh, order, args := postsWhere(PostQuery{})
	add("posts list", true, `SELECT p.id FROM posts p`+wh+order+` LIMIT 26 OFFSET 0`, args...)
	wh, order, args = postsWhere(PostQuery{States: []snsos.TargetState{snsos.StatePublished}, Platform: snsos.PlatformX})
	add("posts list filtered", true, `SELECT p.id FROM posts p`+wh+order+` LIMIT 26 OFFSET 0`, args...)
	for _, r := range []AnalyticsRange{{From: now.AddDate(0, 0, -30)}, {From: now.AddDate(0, 0, -90), Platform: snsos.PlatformInstagram}} {
		name := " " + string(r.Platform)
		q, a = analyticsPageQuery(r, 100, 100)
		add("analytics page"+name, true, q, a...)
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
