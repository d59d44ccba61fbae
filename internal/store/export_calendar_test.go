package store

import "time"

// CalendarHotQueries are the calendar's queries as the month, the week and
// a day's second page ask for them around now in Tokyo, for
// explain_calendar_test.go: the VALUES table is typed per dialect, so
// they are built for d.
func CalendarHotQueries(d Dialect, now time.Time) []HotQuery {
	tokyo := time.FixedZone("JST", 9*60*60)
	local := now.In(tokyo)
	first := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, tokyo)
	var month []time.Time // six weeks of days
	for i := range 43 {
		month = append(month, first.AddDate(0, 0, i-3))
	}
	var week []time.Time // seven days of an early slot and 18 hours
	monday := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, tokyo)
	for i := range 7 {
		day := monday.AddDate(0, 0, i)
		week = append(week, day)
		for h := 6; h < 24; h++ {
			week = append(week, day.Add(time.Duration(h)*time.Hour))
		}
	}
	week = append(week, monday.AddDate(0, 0, 7))
	midday := monday.Add(-36 * time.Hour)
	var out []HotQuery
	for _, c := range []struct {
		name string
		q    CalendarQuery
	}{
		{"calendar month cells", CalendarQuery{Bounds: month, PerCell: 3}},
		{"calendar week slots", CalendarQuery{Bounds: week, PerCell: 3}},
		{"calendar day next page", CalendarQuery{Bounds: []time.Time{midday, midday.Add(12 * time.Hour)}, PerCell: 100,
			After: &CalendarKey{At: midday, ID: 1500}}},
	} {
		counts, firsts, a := calendarSQL(d, c.q)
		out = append(out, HotQuery{Name: c.name + " counts", SQL: counts, Args: a}, HotQuery{Name: c.name + " firsts", SQL: firsts, Args: a})
	}
	out = append(out, HotQuery{Name: "calendar targets", SQL: `SELECT ` + targetCols + ` FROM targets WHERE id IN (1, 2, 3, 500)`})
	return append(out, HotQuery{Name: "calendar bodies", SQL: `SELECT id, body FROM posts WHERE id IN (1, 2, 3, 500)`})
}
