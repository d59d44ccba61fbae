package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos"
)

// The analytics page's cards and chart add up every published target of its
// range. Over years of posts that is hundreds of thousands of rows, and
// reading them one by one costs seconds whatever the query; so the sums are
// kept per platform and UTC day in metric_daily (migration 0019), and a
// range costs its days: about 2,900 rows for two years on four platforms.
//
// The rows are derived data and are allowed to lag: triggers mark a day in
// metric_daily_dirty in the very transaction that changes one of its
// targets or summaries, and RefreshAnalyticsDays rebuilds marked days. A
// reader takes the rows of unmarked days and reads the targets of marked
// days (and of the range's first, partial day) itself, so the answer is
// exact at every moment, fast once the job has run.

// DayAgg is what the analytics page adds up over one platform's published
// targets of one UTC day (or of a part of one).
type DayAgg struct {
	Platform snsos.Platform
	Day      time.Time // midnight UTC
	Posts    int
	// Sum and N are the sums and counts of views at +1h, +24h and +7d.
	Sum [3]int64
	N   [3]int
	// Eng is likes + comments + shares at +24h of the targets with +24h
	// views above zero, EngViews those views.
	Eng, EngViews int64
	// V24 holds every +24h views value, in no order (for the median).
	V24 []int64
}

// Add folds one target's numbers into a.
func (a *DayAgg) Add(p *AnalyticsPoint) {
	a.Posts++
	for i := range a.Sum {
		if p.Has[i][0] {
			a.Sum[i] += p.Values[i][0]
			a.N[i]++
		}
	}
	if p.Has[1][0] {
		v := p.Values[1][0]
		a.V24 = append(a.V24, v)
		if v > 0 {
			a.EngViews += v
			a.Eng += p.Values[1][1] + p.Values[1][2] + p.Values[1][3]
		}
	}
}

// Merge adds o's numbers to a.
func (a *DayAgg) Merge(o *DayAgg) {
	a.Posts += o.Posts
	for i := range a.Sum {
		a.Sum[i] += o.Sum[i]
		a.N[i] += o.N[i]
	}
	a.Eng += o.Eng
	a.EngViews += o.EngViews
	a.V24 = append(a.V24, o.V24...)
}

// maxDirtyDays is how many marked days of a range a reader reads target by
// target; beyond it (after a restore or an upgrade, until the job has run)
// the whole range is read that way, which is slow but exact.
const maxDirtyDays = 64

// AnalyticsDays returns, per platform and UTC day, the sums of r's published
// targets, oldest day first; the range's first day counts only from r.From.
func (s *Store) AnalyticsDays(ctx context.Context, r AnalyticsRange) ([]*DayAgg, error) {
	// full is the first whole day of the range.
	full := time.Unix(0, 0).UTC()
	if !r.From.IsZero() {
		from := r.From.UTC()
		full = from.Truncate(24 * time.Hour)
		if !full.Equal(from) {
			full = full.Add(24 * time.Hour)
		}
	}
	dirty, err := s.dirtyDays(ctx, r.Platform, full)
	if err != nil {
		return nil, err
	}
	out := map[dayKey]*DayAgg{}
	if len(dirty) > maxDirtyDays {
		if err := s.foldRaw(ctx, out, r.Platform, r.From, time.Time{}); err != nil {
			return nil, err
		}
		return sortedDays(out), nil
	}
	if err := s.readDays(ctx, out, r.Platform, full, dirty); err != nil {
		return nil, err
	}
	if !r.From.IsZero() && r.From.Before(full) {
		if err := s.foldRaw(ctx, out, r.Platform, r.From, full); err != nil {
			return nil, err
		}
	}
	for _, d := range dirty {
		if err := s.foldRaw(ctx, out, d.platform, d.day, d.day.Add(24*time.Hour)); err != nil {
			return nil, err
		}
	}
	return sortedDays(out), nil
}

type dayKey struct {
	platform snsos.Platform
	day      time.Time
}

func sortedDays(m map[dayKey]*DayAgg) []*DayAgg {
	out := make([]*DayAgg, 0, len(m))
	for _, a := range m {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b *DayAgg) int {
		if c := a.Day.Compare(b.Day); c != 0 {
			return c
		}
		return strings.Compare(string(a.Platform), string(b.Platform))
	})
	return out
}

// dirtyDays lists the marked days from the day full on (of platform, when
// set).
func (s *Store) dirtyDays(ctx context.Context, platform snsos.Platform, full time.Time) ([]dayKey, error) {
	q, args := dirtyQuery(platform, full)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []dayKey
	for rows.Next() {
		var p, d string
		if err := rows.Scan(&p, &d); err != nil {
			return nil, mapErr(err)
		}
		day, err := time.Parse(time.DateOnly, d)
		if err != nil {
			return nil, fmt.Errorf("metric_daily_dirty: day %q: %w", d, err)
		}
		out = append(out, dayKey{snsos.Platform(p), day})
	}
	return out, mapErr(rows.Err())
}

func dirtyQuery(platform snsos.Platform, full time.Time) (string, []any) {
	q := `SELECT platform, day FROM metric_daily_dirty WHERE day >= $1`
	args := []any{dayText(full)}
	if platform != "" {
		q += ` AND platform = $2`
		args = append(args, string(platform))
	}
	return q + ` ORDER BY day LIMIT ` + strconv.Itoa(maxDirtyDays+1), args
}

// readDays adds the built rows from the day full on, but for the marked
// days.
func (s *Store) readDays(ctx context.Context, out map[dayKey]*DayAgg, platform snsos.Platform, full time.Time, dirty []dayKey) error {
	q, args := daysQuery(platform, full)
	skip := map[dayKey]bool{}
	for _, d := range dirty {
		skip[d] = true
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var p, d, list string
		a := &DayAgg{}
		var n [3]int64
		var posts int64
		if err := rows.Scan(&p, &d, &posts, &a.Sum[0], &n[0], &a.Sum[1], &n[1], &a.Sum[2], &n[2], &a.Eng, &a.EngViews, &list); err != nil {
			return mapErr(err)
		}
		day, err := time.Parse(time.DateOnly, d)
		if err != nil {
			return fmt.Errorf("metric_daily: day %q: %w", d, err)
		}
		k := dayKey{snsos.Platform(p), day}
		if skip[k] {
			continue
		}
		a.Platform, a.Day, a.Posts = k.platform, day, int(posts)
		for i := range n {
			a.N[i] = int(n[i])
		}
		if a.V24, err = parseInts(list); err != nil {
			return fmt.Errorf("metric_daily %s %s: %w", p, d, err)
		}
		out[k] = a
	}
	return mapErr(rows.Err())
}

func daysQuery(platform snsos.Platform, full time.Time) (string, []any) {
	q := `SELECT platform, day, posts, v1h_sum, v1h_n, v24h_sum, v24h_n, v7d_sum, v7d_n, eng, eng_views, v24h_list
		FROM metric_daily WHERE day >= $1`
	args := []any{dayText(full)}
	if platform != "" {
		q += ` AND platform = $2`
		args = append(args, string(platform))
	}
	return q, args
}

// foldRaw adds, target by target, the published targets of [from, to) (to
// zero: no end) of platform (when set) to their days. One read: a day's
// targets, or the whole range in the rare case that many days are marked.
func (s *Store) foldRaw(ctx context.Context, out map[dayKey]*DayAgg, platform snsos.Platform, from, to time.Time) error {
	q, args := rawQuery(platform, from, to)
	points, err := s.analyticsChunk(ctx, q, args...)
	if err != nil {
		return err
	}
	for i := range points {
		p := &points[i]
		k := dayKey{p.Platform, p.At.Truncate(24 * time.Hour)}
		a := out[k]
		if a == nil {
			a = &DayAgg{Platform: k.platform, Day: k.day}
			out[k] = a
		}
		a.Add(p)
	}
	return nil
}

func rawQuery(platform snsos.Platform, from, to time.Time) (string, []any) {
	if from.IsZero() {
		from = time.Unix(0, 0)
	}
	q := `SELECT t.id, t.published_at, t.platform, ` + summaryNumCols + `
		FROM targets t LEFT JOIN metric_summary s ON s.target_id = t.id
		WHERE t.state = 'published' AND t.published_at >= $1`
	args := []any{dbTime(from)}
	if !to.IsZero() {
		args = append(args, dbTime(to))
		q += ` AND t.published_at < $` + strconv.Itoa(len(args))
	}
	if platform != "" {
		args = append(args, string(platform))
		q += ` AND t.platform = $` + strconv.Itoa(len(args))
	}
	return q, args
}

// RefreshAnalyticsDays rebuilds up to max marked days, a few per
// transaction so that the writer is never held long, and returns how many
// it rebuilt.
func (s *Store) RefreshAnalyticsDays(ctx context.Context, max int) (int, error) {
	const batch = 20
	done := 0
	for done < max {
		var keys []dayKey
		var gens []int64
		err := s.withTx(ctx, func(tx *sql.Tx) error {
			keys, gens = keys[:0], gens[:0]
			q := `SELECT platform, day, gen FROM metric_daily_dirty ORDER BY day LIMIT ` + strconv.Itoa(min(batch, max-done))
			if s.dialect == Postgres {
				// Two rebuilders (a job and a bench, or two processes) take
				// different days rather than writing the same row.
				q += ` FOR UPDATE SKIP LOCKED`
			}
			rows, err := tx.QueryContext(ctx, q)
			if err != nil {
				return err
			}
			for rows.Next() {
				var p, d string
				var g int64
				if err := rows.Scan(&p, &d, &g); err != nil {
					rows.Close()
					return err
				}
				day, err := time.Parse(time.DateOnly, d)
				if err != nil {
					rows.Close()
					return fmt.Errorf("metric_daily_dirty: day %q: %w", d, err)
				}
				keys, gens = append(keys, dayKey{snsos.Platform(p), day}), append(gens, g)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for i, k := range keys {
				if err := s.rebuildDay(ctx, tx, k); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM metric_daily_dirty WHERE platform = $1 AND day = $2 AND gen = $3`,
					string(k.platform), dayText(k.day), gens[i]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return done, mapErr(err)
		}
		done += len(keys)
		if len(keys) < batch {
			break
		}
	}
	return done, nil
}

// rebuildDay writes k's row from its targets (or deletes it when the day
// has no published target left).
func (s *Store) rebuildDay(ctx context.Context, tx *sql.Tx, k dayKey) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM metric_daily WHERE platform = $1 AND day = $2`, string(k.platform), dayText(k.day)); err != nil {
		return err
	}
	q, args := rebuildQuery(s.dialect, k)
	_, err := tx.ExecContext(ctx, q, args...)
	return err
}

// rebuildQuery is the INSERT that writes k's row (none when the day has no
// published target).
func rebuildQuery(d Dialect, k dayKey) (string, []any) {
	list := `group_concat(s.c24h_views, ',')`
	if d == Postgres {
		list = `string_agg(s.c24h_views::text, ',')`
	}
	return `INSERT INTO metric_daily (platform, day, posts, v1h_sum, v1h_n, v24h_sum, v24h_n, v7d_sum, v7d_n, eng, eng_views, v24h_list)
		SELECT $1, $2, count(*),
			coalesce(sum(s.c1h_views), 0), count(s.c1h_views),
			coalesce(sum(s.c24h_views), 0), count(s.c24h_views),
			coalesce(sum(s.c7d_views), 0), count(s.c7d_views),
			coalesce(sum(CASE WHEN s.c24h_views > 0 THEN coalesce(s.c24h_likes, 0) + coalesce(s.c24h_comments, 0) + coalesce(s.c24h_shares, 0) ELSE 0 END), 0),
			coalesce(sum(CASE WHEN s.c24h_views > 0 THEN s.c24h_views ELSE 0 END), 0),
			coalesce(` + list + `, '')
		FROM targets t LEFT JOIN metric_summary s ON s.target_id = t.id
		WHERE t.platform = $1 AND t.state = 'published' AND t.published_at >= $3 AND t.published_at < $4
		HAVING count(*) > 0`,
		[]any{string(k.platform), dayText(k.day), dbTime(k.day), dbTime(k.day.Add(24 * time.Hour))}
}

// AnalyticsNewerInDay counts r's targets of cur's UTC day that come before
// cur in the table (published later, or at the same time with a higher id);
// with the days after it (AnalyticsDays) it places a table page without an
// OFFSET.
func (s *Store) AnalyticsNewerInDay(ctx context.Context, r AnalyticsRange, cur Cursor) (int, error) {
	q, args := newerQuery(r, cur)
	var n int
	err := s.db.QueryRowContext(ctx, q, args...).Scan(&n)
	return n, mapErr(err)
}

func newerQuery(r AnalyticsRange, cur Cursor) (string, []any) {
	end := cur.At.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	q := `SELECT count(*) FROM targets t WHERE t.state = 'published' AND t.published_at >= $1 AND t.published_at < $2
		AND (t.published_at > $1 OR t.id > $3)`
	args := []any{dbTime(cur.At), dbTime(end), cur.ID}
	if r.Platform != "" {
		q += ` AND t.platform = $4`
		args = append(args, string(r.Platform))
	}
	return q, args
}

// AnalyticsDaysPending counts the marked days (the job's backlog).
func (s *Store) AnalyticsDaysPending(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM metric_daily_dirty`).Scan(&n)
	return n, mapErr(err)
}

func dayText(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// parseInts reads a comma-separated list of integers ("" is none). It is
// the analytics page's inner loop over a long range (hundreds of thousands
// of values), so it reads digits itself rather than through strconv.
func parseInts(s string) ([]int64, error) {
	if s == "" {
		return nil, nil
	}
	out := make([]int64, 0, strings.Count(s, ",")+1)
	var v int64
	neg, digits := false, 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if digits == 0 || digits > 18 {
				return nil, fmt.Errorf("not a list of integers near byte %d", i)
			}
			if neg {
				v = -v
			}
			out = append(out, v)
			v, neg, digits = 0, false, 0
			continue
		}
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			v = v*10 + int64(c-'0')
			digits++
		case c == '-' && digits == 0 && !neg:
			neg = true
		default:
			return nil, fmt.Errorf("not a list of integers near byte %d", i)
		}
	}
	return out, nil
}
