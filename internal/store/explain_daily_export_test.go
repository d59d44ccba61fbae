package store

import (
	"time"

	"github.com/sns-os/snsos"
)

// DailyHotQueries are the analytics days' queries (analytics_daily.go) with
// arguments like the page's, for the plan test.
func DailyHotQueries(d Dialect, now time.Time) []HotQuery {
	day := now.UTC().Truncate(24 * time.Hour).Add(-10 * 24 * time.Hour)
	from := now.Add(-90*24*time.Hour + 5*time.Hour)
	full := from.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	var qs []HotQuery
	add := func(name, q string, args []any) { qs = append(qs, HotQuery{Name: name, SQL: q, Args: args}) }
	q, a := daysQuery("", time.Unix(0, 0))
	add("analytics days, all time", q, a)
	q, a = daysQuery(snsos.PlatformX, full)
	add("analytics days, 90 days of X", q, a)
	q, a = dirtyQuery("", full)
	add("analytics days marked", q, a)
	q, a = rawQuery("", from, full)
	add("analytics days, the first part-day", q, a)
	q, a = rawQuery(snsos.PlatformX, day, day.Add(24*time.Hour))
	add("analytics days, a marked day read target by target", q, a)
	q, a = newerQuery(AnalyticsRange{}, Cursor{At: day.Add(13 * time.Hour), ID: 100})
	add("analytics table place in its day", q, a)
	q, a = rebuildQuery(d, dayKey{snsos.PlatformX, day})
	add("analytics day rebuilt", q, a)
	return qs
}

// ParseInts is parseInts for tests.
var ParseInts = parseInts
