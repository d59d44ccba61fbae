package store

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos"
)

// CalendarQuery asks for the cells of a calendar view: the days of a
// month, the hour slots of a week, or a page of one day.
type CalendarQuery struct {
	// Bounds are the cells' edges in ascending order: cell i holds the
	// targets whose time falls in [Bounds[i], Bounds[i+1]). The caller
	// computes them in the operator's zone, which the database does not
	// know (SQLite has no time zones).
	Bounds []time.Time
	// PerCell is how many targets each cell returns, earliest first.
	PerCell int
	// After, when set, leaves out the targets at or before it in the
	// calendar's order (time, then id): the next page of a day.
	After *CalendarKey
}

// CalendarKey is a target's place in the calendar's order.
type CalendarKey struct {
	At time.Time
	ID int64
}

// CalendarCell is one cell of a CalendarQuery.
type CalendarCell struct {
	// Items are the cell's first PerCell targets by time, then id.
	Items []*DatedTarget
	// Count is how many targets the cell holds in all.
	Count int
}

// calendarMaxCells bounds a query's cells (a month is 42 days, a week 133
// hour slots), calendarMaxItems a cell's items (a page of a day).
const (
	calendarMaxCells = 400
	calendarMaxItems = 500
)

// CalendarCells returns the cells q asks for, one per pair of bounds: the
// first PerCell targets of each and how many it holds. A target is placed
// as ListTargetsInRange places it (a published target by its publication
// time, any other by its scheduled time); drafts and canceled targets are
// left out, since a calendar plans and reviews deliveries.
//
// It reads what the page shows, whatever the range holds: per cell, a
// count over the range indexes (targets_published,
// targets_unpublished_time) and the first PerCell entries of each index,
// which stop at their LIMIT; then the rows and the posts' text of those
// alone.
func (s *Store) CalendarCells(ctx context.Context, q CalendarQuery) ([]CalendarCell, error) {
	n := len(q.Bounds) - 1
	if n < 1 || n > calendarMaxCells || q.PerCell < 1 || q.PerCell > calendarMaxItems {
		return nil, snsos.Errorf(snsos.EINVALID, "calendar: %d cells of %d items (want 1 to %d cells of 1 to %d items)",
			max(n, 0), q.PerCell, calendarMaxCells, calendarMaxItems)
	}
	for i := 1; i <= n; i++ {
		if q.Bounds[i].Before(q.Bounds[i-1]) {
			return nil, snsos.Errorf(snsos.EINVALID, "calendar: cell bounds out of order at %d", i)
		}
	}
	counts, firsts, args := calendarSQL(s.dialect, q)
	cells := make([]CalendarCell, n)
	if err := s.calendarCounts(ctx, counts, args, cells); err != nil {
		return nil, err
	}
	hits, err := s.calendarFirsts(ctx, firsts, args, n)
	if err != nil {
		return nil, err
	}
	// Each half gave its first PerCell: the cell's are the first of both.
	var ids []int64
	for c, hs := range hits {
		slices.SortFunc(hs, func(a, b calendarHit) int {
			if k := a.at.Compare(b.at); k != 0 {
				return k
			}
			return cmp.Compare(a.id, b.id)
		})
		hits[c] = hs[:min(len(hs), q.PerCell)]
		for _, h := range hits[c] {
			ids = append(ids, h.id)
		}
	}
	if len(ids) == 0 {
		return cells, nil
	}
	byID, err := s.targetsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	var items []*DatedTarget
	for c, hs := range hits {
		for _, h := range hs {
			if t := byID[h.id]; t != nil { // else deleted between the reads
				d := &DatedTarget{Target: t, At: h.at}
				cells[c].Items = append(cells[c].Items, d)
				items = append(items, d)
			}
		}
		// A target that arrived between the reads is not counted yet.
		cells[c].Count = max(cells[c].Count, len(cells[c].Items))
	}
	if err := s.fillBodies(ctx, items); err != nil {
		return nil, err
	}
	return cells, nil
}

// calendarHit is one of a cell's first targets: its id and its time.
type calendarHit struct {
	id int64
	at time.Time
}

// calendarCounts sets each cell's Count from the counts query.
func (s *Store) calendarCounts(ctx context.Context, query string, args []any, cells []CalendarCell) error {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var cell, count int
		if err := rows.Scan(&cell, &count); err != nil {
			return mapErr(err)
		}
		if cell >= 0 && cell < len(cells) {
			cells[cell].Count = count
		}
	}
	return mapErr(rows.Err())
}

// calendarFirsts runs the firsts query: each half's first targets of each
// of the n cells, in no order.
func (s *Store) calendarFirsts(ctx context.Context, query string, args []any, n int) ([][]calendarHit, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	hits := make([][]calendarHit, n)
	for rows.Next() {
		var cell int
		var h calendarHit
		var at sql.NullTime
		if err := rows.Scan(&cell, &h.id, &at); err != nil {
			return nil, mapErr(err)
		}
		if cell >= 0 && cell < n {
			h.at = fromNull(at)
			hits[cell] = append(hits[cell], h)
		}
	}
	return hits, mapErr(rows.Err())
}

// targetsByID reads the targets with these ids.
func (s *Store) targetsByID(ctx context.Context, ids []int64) (map[int64]*snsos.Target, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+targetCols+` FROM targets WHERE id IN (`+idList(ids)+`)`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := make(map[int64]*snsos.Target, len(ids))
	for rows.Next() {
		t, err := scanTarget(rows)
		if err != nil {
			return nil, mapErr(err)
		}
		out[t.ID] = t
	}
	return out, mapErr(rows.Err())
}

// fillBodies sets each item's PostBody.
func (s *Store) fillBodies(ctx context.Context, items []*DatedTarget) error {
	if len(items) == 0 {
		return nil
	}
	seen := map[int64]bool{}
	ids := make([]int64, 0, len(items))
	for _, d := range items {
		if !seen[d.PostID] {
			seen[d.PostID] = true
			ids = append(ids, d.PostID)
		}
	}
	bodies, err := s.postBodies(ctx, ids)
	if err != nil {
		return err
	}
	for _, d := range items {
		d.PostBody = bodies[d.PostID]
	}
	return nil
}

// calendarSQL builds CalendarCells' two queries over one set of
// arguments: each cell's count (cell, n), and each half's first PerCell
// targets of each cell (cell, id, time), in no order.
//
// The cells are a VALUES table of ranges that drives every read, so that
// each cell costs index range reads on its own bounds: a count, and a walk
// of the index in its order that stops at the LIMIT. Nothing ranks or
// sorts the range as a whole (a window over a busy month sorted every
// target of it, and most of SQLite's time went there). SQLite has no
// LATERAL, but plans "rowid IN (a correlated subquery with a LIMIT)" as
// that walk; PostgreSQL would run such a subquery once per target, so it
// gets a LATERAL join. It also types a bare parameter in VALUES as text,
// hence the casts there; SQLite compares the stored text as it is.
func calendarSQL(d Dialect, q CalendarQuery) (counts, firsts string, args []any) {
	param := func(i int) string { return "$" + strconv.Itoa(i) }
	if d == Postgres {
		param = func(i int) string { return "$" + strconv.Itoa(i) + "::timestamptz" }
	}
	args = make([]any, 0, len(q.Bounds)+2)
	for _, b := range q.Bounds {
		args = append(args, dbTime(b))
	}
	var cells strings.Builder
	cells.WriteString(`WITH cells (cell, lo, hi) AS (VALUES `)
	for i := 0; i < len(q.Bounds)-1; i++ {
		if i > 0 {
			cells.WriteString(", ")
		}
		cells.WriteString("(" + strconv.Itoa(i) + ", " + param(i+1) + ", " + param(i+2) + ")")
	}
	cells.WriteString(")\n")
	// The halves' conditions on the bare table name (what the explain test
	// guards), and the order each index walks.
	half := func(col, state string) string {
		w := state + ` AND targets.` + col + ` >= c.lo AND targets.` + col + ` < c.hi`
		if q.After != nil {
			a, id := param(len(q.Bounds)+1), "$"+strconv.Itoa(len(q.Bounds)+2)
			w += ` AND (targets.` + col + ` > ` + a + ` OR targets.` + col + ` = ` + a + ` AND targets.id > ` + id + `)`
		}
		return w
	}
	if q.After != nil {
		args = append(args, dbTime(q.After.At), q.After.ID)
	}
	pub := half("published_at", `targets.state = 'published'`)
	other := half("scheduled_at", `targets.state <> 'published' AND targets.state NOT IN ('draft', 'canceled')`)
	counts = cells.String() + `SELECT c.cell, (SELECT COUNT(*) FROM targets WHERE ` + pub + `)
		+ (SELECT COUNT(*) FROM targets WHERE ` + other + `) FROM cells c`
	limit := ` LIMIT ` + strconv.Itoa(q.PerCell)
	firstsOf := func(col, where string) string {
		order := ` ORDER BY targets.` + col + `, targets.id` + limit
		if d == Postgres {
			return `SELECT c.cell, x.id, x.at FROM cells c CROSS JOIN LATERAL (SELECT targets.id, targets.` + col + ` AS at FROM targets
				WHERE ` + where + order + `) x`
		}
		return `SELECT c.cell, t.id, t.` + col + ` FROM cells c CROSS JOIN targets t
			WHERE t.id IN (SELECT targets.id FROM targets WHERE ` + where + order + `)`
	}
	firsts = cells.String() + firstsOf("published_at", pub) + "\nUNION ALL\n" + firstsOf("scheduled_at", other)
	return counts, firsts, args
}
