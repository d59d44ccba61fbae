package store

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sns-os/snsos"
)

// The analytics pages read published targets in a range of publication
// times, with their numbers from metric_summary: one page of the table, one
// pass of plain integers for the chart and the totals, a bounded sample for
// best hours, and the CSV in chunks. Each is a range read on
// targets_published (or targets_platform_published with a platform) and a
// primary-key lookup in metric_summary per target; none reads every
// snapshot or decodes their JSON, but for the one page the table shows.

// AnalyticsRange selects the published targets of the analytics pages.
type AnalyticsRange struct {
	// From is the first publication time included; zero is all time.
	From time.Time
	// Platform, when set, keeps only that platform's targets.
	Platform snsos.Platform
}

// where is the range's condition on targets aliased t, its arguments
// numbered from $1.
func (r AnalyticsRange) where() (string, []any) {
	return r.walk(nil, true)
}

// walk is the range's condition walked on (published_at, id) from cur
// (from the start when nil), descending when desc. Walking up from a
// cursor, its time is the only lower bound: with the range's start as a
// second one, SQLite picks either for the index range, and with the start
// would read from there up to the cursor at every step.
func (r AnalyticsRange) walk(cur *Cursor, desc bool) (string, []any) {
	w := `t.state = 'published'`
	var args []any
	if r.Platform != "" {
		args = append(args, string(r.Platform))
		w += ` AND t.platform = $1`
	}
	from := r.From
	if from.IsZero() {
		from = time.Unix(0, 0)
	}
	if cur != nil && !desc {
		c := *cur
		if c.At.Before(from) {
			c = Cursor{At: from} // id 0: from the range's first target
		}
		k, args := keysetAfter("t.published_at", "t.id", false, c, args)
		return w + ` AND ` + k, args
	}
	args = append(args, dbTime(from))
	w += ` AND t.published_at >= $` + strconv.Itoa(len(args))
	if cur != nil {
		var k string
		k, args = keysetAfter("t.published_at", "t.id", true, *cur, args)
		w += ` AND ` + k
	}
	return w, args
}

// summaryCols are metric_summary's columns in scanSummary's order.
var summaryCols = func() string {
	var cols []string
	for _, c := range summaryCheckpoints {
		cols = append(cols, "s."+c.prefix+"status", "s."+c.prefix+"reason", "s."+c.prefix+"fetched_at", "s."+c.prefix+"metrics")
	}
	return strings.Join(cols, ", ") + ", s.target_id"
}()

// summaryScan holds one metric_summary row as scanned.
type summaryScan struct {
	status, reason, metrics [3]sql.NullString
	fetched                 [3]sql.NullTime
	row                     sql.NullInt64 // the row's target id: NULL when the target has no row
}

func (ss *summaryScan) dest() []any {
	var d []any
	for i := range summaryCheckpoints {
		d = append(d, &ss.status[i], &ss.reason[i], &ss.fetched[i], &ss.metrics[i])
	}
	return append(d, &ss.row)
}

// snapshots turns the row back into the target's checkpoint snapshots
// (ids 0: a page does not need them). A target measured only at other
// checkpoints gets one snapshot without numbers under the checkpoint
// "other", so it still reads as measured (publish.InboxState).
func (ss *summaryScan) snapshots(targetID int64) ([]*snsos.MetricSnapshot, error) {
	var out []*snsos.MetricSnapshot
	for i, c := range summaryCheckpoints {
		if !ss.status[i].Valid {
			continue
		}
		m := &snsos.MetricSnapshot{TargetID: targetID, Checkpoint: c.cp, Status: snsos.SnapshotStatus(ss.status[i].String),
			Reason: ss.reason[i].String, FetchedAt: fromNull(ss.fetched[i]), Values: map[string]int64{}}
		if err := fromJSON(ss.metrics[i].String, &m.Values); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if len(out) == 0 && ss.row.Valid {
		out = append(out, &snsos.MetricSnapshot{TargetID: targetID, Checkpoint: "other", Status: snsos.SnapshotUnavailable, Values: map[string]int64{}})
	}
	return out, nil
}

// prefixed is targetCols with each column qualified by alias.
func prefixed(alias string) string {
	cols := strings.Split(targetCols, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

var targetColsT = prefixed("t")

// TargetPage is one page of a keyset-paged list of targets.
type TargetPage struct {
	Targets []*DatedTarget
	// Prev and Next are the cursors of the pages before and after this
	// one, nil at either end.
	Prev, Next *Cursor
}

// AnalyticsPage returns one page of the range's published targets, newest
// first, with their post's text and their +1h, +24h and +7d snapshots
// (from metric_summary) as Metrics: the first page, the one after the
// cursor after, or the one before the cursor before (not both). It is a
// keyset walk on (published_at, id), so a deep page costs what the first
// does; a page before a cursor that fewer than limit targets precede is
// the first page.
func (s *Store) AnalyticsPage(ctx context.Context, r AnalyticsRange, after, before *Cursor, limit int) (*TargetPage, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	if after != nil && before != nil {
		return nil, snsos.Errorf(snsos.EINVALID, "A page of the analytics table comes after a cursor or before one, not both.")
	}
	cur, back := after, before != nil
	if back {
		cur = before
	}
	out, err := s.analyticsRows(ctx, r, cur, back, limit)
	if err != nil {
		return nil, err
	}
	more := len(out) > limit
	if back && !more { // nothing precedes these but the first page
		cur, back = nil, false
		if out, err = s.analyticsRows(ctx, r, nil, false, limit); err != nil {
			return nil, err
		}
		more = len(out) > limit
	}
	page := &TargetPage{Targets: out[:min(len(out), limit)]}
	if back {
		slices.Reverse(page.Targets)
	}
	if n := len(page.Targets); n > 0 {
		if cur != nil {
			page.Prev = &Cursor{At: page.Targets[0].At, ID: page.Targets[0].ID}
		}
		if back || more {
			page.Next = &Cursor{At: page.Targets[n-1].At, ID: page.Targets[n-1].ID}
		}
	}
	return page, nil
}

// analyticsRows reads up to limit+1 rows of the table from cur (from the
// start when nil), backwards when back.
func (s *Store) analyticsRows(ctx context.Context, r AnalyticsRange, cur *Cursor, back bool, limit int) ([]*DatedTarget, error) {
	query, args := analyticsPageQuery(r, cur, back, limit)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []*DatedTarget{}
	for rows.Next() {
		var ss summaryScan
		var body string
		t, err := scanTarget(withExtra{rows, append([]any{&body}, ss.dest()...)})
		if err != nil {
			return nil, mapErr(err)
		}
		if t.Metrics, err = ss.snapshots(t.ID); err != nil {
			return nil, err
		}
		out = append(out, &DatedTarget{Target: t, PostBody: body, At: t.PublishedAt})
	}
	return out, mapErr(rows.Err())
}

// analyticsPageQuery reads limit+1 targets newest first from cur (from the
// newest when nil), or oldest first back from it.
func analyticsPageQuery(r AnalyticsRange, cur *Cursor, back bool, limit int) (string, []any) {
	where, args := r.walk(cur, !back)
	dir := "DESC"
	if back {
		dir = "ASC"
	}
	return `SELECT ` + targetColsT + `, p.body, ` + summaryCols + `
		FROM targets t JOIN posts p ON p.id = t.post_id LEFT JOIN metric_summary s ON s.target_id = t.id
		WHERE ` + where + ` ORDER BY t.published_at ` + dir + `, t.id ` + dir + ` LIMIT ` + strconv.Itoa(limit+1), args
}

// AnalyticsPlatforms returns the platforms with a published target in the
// range, in snsos.Platforms order: one indexed probe each.
func (s *Store) AnalyticsPlatforms(ctx context.Context, r AnalyticsRange) ([]snsos.Platform, error) {
	out := []snsos.Platform{}
	for _, pl := range snsos.Platforms {
		if r.Platform != "" && pl != r.Platform {
			continue
		}
		query, args := platformProbeQuery(AnalyticsRange{From: r.From, Platform: pl})
		var found int
		err := s.db.QueryRowContext(ctx, query, args...).Scan(&found)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return nil, mapErr(err)
		}
		out = append(out, pl)
	}
	return out, nil
}

// platformProbeQuery finds one target of r, whose Platform is set.
func platformProbeQuery(r AnalyticsRange) (string, []any) {
	where, args := r.where()
	return `SELECT 1 FROM targets t WHERE ` + where + ` LIMIT 1`, args
}

// AnalyticsPoint is one published target of a range as plain numbers:
// when, where, and its standard values at each checkpoint (absent when
// not collected, not ok or not reported).
type AnalyticsPoint struct {
	TargetID int64
	At       time.Time
	Platform snsos.Platform
	// Values[i][j] is summaryMetrics[j] (views, likes, comments, shares)
	// at summaryCheckpoints[i] (+1h, +24h, +7d); Has says which are there.
	Values [3][4]int64
	Has    [3][4]bool
}

// Value returns a metric at a checkpoint and whether there is one.
func (p *AnalyticsPoint) Value(cp snsos.Checkpoint, metric string) (int64, bool) {
	for i, c := range summaryCheckpoints {
		if c.cp != cp {
			continue
		}
		for j, m := range summaryMetrics {
			if m == metric {
				return p.Values[i][j], p.Has[i][j]
			}
		}
	}
	return 0, false
}

// analyticsChunk is how many targets one read of a long pass takes: the
// connection is given back between chunks, so a pass over years of posts
// never holds it for the whole pass.
var analyticsChunk = chunkSize(5000)

// ScanAnalytics calls fn with each published target of the range, oldest
// first (by publication time, then id), as plain integers. It reads in
// chunks, keyset on (published_at, id); fn runs between reads, never
// while a query is open, and an error from it stops the pass.
func (s *Store) ScanAnalytics(ctx context.Context, r AnalyticsRange, fn func(*AnalyticsPoint) error) error {
	var after *AnalyticsPoint
	for {
		var at time.Time
		var id int64
		if after != nil {
			at, id = after.At, after.TargetID
		}
		n := int(analyticsChunk.Load())
		query, args := analyticsScanQuery(r, at, id, n)
		chunk, err := s.analyticsChunk(ctx, query, args...)
		if err != nil {
			return err
		}
		for i := range chunk {
			if err := fn(&chunk[i]); err != nil {
				return err
			}
		}
		if len(chunk) < n {
			return nil
		}
		after = &chunk[len(chunk)-1]
	}
}

// summaryNumCols are metric_summary's numbers in AnalyticsPoint's order.
var summaryNumCols = func() string {
	var cols []string
	for _, c := range summaryCheckpoints {
		for _, m := range summaryMetrics {
			cols = append(cols, "s."+c.prefix+m)
		}
	}
	return strings.Join(cols, ", ")
}()

// keyset is r's condition for an ascending (published_at, id) walk after
// the target (at, id): from the start when at is zero (the first chunk).
func keyset(r AnalyticsRange, at time.Time, id int64) (string, []any) {
	if at.IsZero() {
		return r.where()
	}
	return r.walk(&Cursor{At: at, ID: id}, false)
}

// analyticsScanQuery reads n of r's numbers after (at, id).
func analyticsScanQuery(r AnalyticsRange, at time.Time, id int64, n int) (string, []any) {
	where, args := keyset(r, at, id)
	return `SELECT t.id, t.published_at, t.platform, ` + summaryNumCols + `
		FROM targets t LEFT JOIN metric_summary s ON s.target_id = t.id
		WHERE ` + where + ` ORDER BY t.published_at, t.id LIMIT ` + strconv.Itoa(n), args
}

func (s *Store) analyticsChunk(ctx context.Context, query string, args ...any) ([]AnalyticsPoint, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []AnalyticsPoint
	var vals [12]sql.NullInt64
	dest := make([]any, 0, 15)
	for rows.Next() {
		var p AnalyticsPoint
		var at sql.NullTime
		dest = append(dest[:0], &p.TargetID, &at, &p.Platform)
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, mapErr(err)
		}
		p.At = fromNull(at)
		for i, v := range vals {
			p.Values[i/4][i%4], p.Has[i/4][i%4] = v.Int64, v.Valid
		}
		out = append(out, p)
	}
	return out, mapErr(rows.Err())
}

// BestHoursSample is how many of the latest posts with +24h views best
// hours read: enough for every weekday × hour bucket to hold dozens, and a
// bounded read however long the history.
const BestHoursSample = 5000

// BestHoursPosts returns the publication time and +24h views of the latest
// BestHoursSample published targets (of platform, when set) that have
// them, newest first.
func (s *Store) BestHoursPosts(ctx context.Context, platform snsos.Platform) ([]time.Time, []int64, error) {
	query, args := bestHoursQuery(platform, BestHoursSample)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, mapErr(err)
	}
	defer rows.Close()
	var ats []time.Time
	var views []int64
	for rows.Next() {
		var at time.Time
		var v int64
		if err := rows.Scan(&at, &v); err != nil {
			return nil, nil, mapErr(err)
		}
		ats, views = append(ats, at.UTC()), append(views, v)
	}
	return ats, views, mapErr(rows.Err())
}

// bestHoursQuery reads the latest limit +24h views.
func bestHoursQuery(platform snsos.Platform, limit int) (string, []any) {
	where, args := AnalyticsRange{Platform: platform}.where()
	return `SELECT t.published_at, s.c24h_views FROM targets t JOIN metric_summary s ON s.target_id = t.id
		WHERE ` + where + ` AND s.c24h_views IS NOT NULL ORDER BY t.published_at DESC, t.id DESC LIMIT ` + strconv.Itoa(limit), args
}

// csvChunk is how many targets one step of ScanAnalyticsSnapshots reads.
var csvChunk = chunkSize(500)

// chunkSize is a chunk size tests may lower while others read it.
func chunkSize(n int32) *atomic.Int32 {
	var v atomic.Int32
	v.Store(n)
	return &v
}

// ScanAnalyticsSnapshots calls fn with each published target of the range
// that has snapshots, oldest first (by publication time, then id), and its
// snapshots (every checkpoint and refresh, oldest first): what the CSV
// writes. The target carries its id, post, account, platform and
// publication time only. It reads csvChunk targets and their snapshots at a
// time (keyset on (published_at, id)) and calls fn between reads, so a
// caller writing to a slow client holds neither a connection nor more than
// one chunk.
func (s *Store) ScanAnalyticsSnapshots(ctx context.Context, r AnalyticsRange, fn func(*snsos.Target, []*snsos.MetricSnapshot) error) error {
	var last *snsos.Target
	for {
		var at time.Time
		var id int64
		if last != nil {
			at, id = last.PublishedAt, last.ID
		}
		n := int(csvChunk.Load())
		query, args := csvTargetsQuery(r, at, id, n)
		targets, err := s.csvTargets(ctx, query, args...)
		if err != nil || len(targets) == 0 {
			return err
		}
		ids := make([]int64, len(targets))
		for i, t := range targets {
			ids[i] = t.ID
		}
		snaps, err := s.listSnapshots(ctx, `target_id IN (`+idList(ids)+`)`)
		if err != nil {
			return err
		}
		by := make(map[int64][]*snsos.MetricSnapshot, len(targets))
		for _, m := range snaps {
			by[m.TargetID] = append(by[m.TargetID], m)
		}
		for _, t := range targets {
			if ms := by[t.ID]; len(ms) > 0 {
				if err := fn(t, ms); err != nil {
					return err
				}
			}
		}
		if len(targets) < n {
			return nil
		}
		last = targets[len(targets)-1]
	}
}

// csvTargetsQuery reads n of r's targets after (at, id).
func csvTargetsQuery(r AnalyticsRange, at time.Time, id int64, n int) (string, []any) {
	where, args := keyset(r, at, id)
	return `SELECT t.id, t.post_id, t.account_id, t.platform, t.published_at FROM targets t
		WHERE ` + where + ` ORDER BY t.published_at, t.id LIMIT ` + strconv.Itoa(n), args
}

func (s *Store) csvTargets(ctx context.Context, query string, args ...any) ([]*snsos.Target, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []*snsos.Target
	for rows.Next() {
		t := &snsos.Target{State: snsos.StatePublished}
		var at sql.NullTime
		if err := rows.Scan(&t.ID, &t.PostID, &t.AccountID, &t.Platform, &at); err != nil {
			return nil, mapErr(err)
		}
		t.PublishedAt = fromNull(at)
		out = append(out, t)
	}
	return out, mapErr(rows.Err())
}
