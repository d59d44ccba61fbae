package web

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// The month and week grids. Each reads only what it shows: the store
// returns the first items of each cell (a day of the month, an hour slot
// of the week) and how many the cell holds, never the whole range, so a
// busy day costs a "+N more" link, not a page of items.

const (
	calSlotItems = 3                        // items a week slot shows before "+N more"
	calSlots     = 1 + 24 - calEarlyHour    // week rows a day: the early one, then one an hour
	calDayItems  = calMonthItems            // items an agenda day shows before "+N more"
	calMaxDays   = 7 * 6                    // days a month grid can show
	calMaxSlots  = 7 * calSlots             // slots a week grid shows
	_            = calMaxDays + calMaxSlots // both within store.calendarMaxCells
)

// calDays is how many days the grid shows, start to end.
func (v *calView) calDays() int {
	s := time.Date(v.start.Year(), v.start.Month(), v.start.Day(), 0, 0, 0, 0, time.UTC)
	e := time.Date(v.end.Year(), v.end.Month(), v.end.Day(), 0, 0, 0, 0, time.UTC)
	return int(e.Sub(s).Hours() / 24)
}

// dayBounds are the edges of the grid's days in the operator's zone: a
// target is on the day its local date says, as it always was.
func (v *calView) dayBounds() []time.Time {
	n := v.calDays()
	b := make([]time.Time, 0, n+1)
	for i := range n + 1 {
		b = append(b, calDayAt(v.start, i))
	}
	return b
}

// slotBounds are the edges of the week's slots: each day's early slot
// (before calEarlyHour), then one an hour, by the local hour.
func (v *calView) slotBounds() []time.Time {
	b := make([]time.Time, 0, 7*calSlots+1)
	for i := range 7 {
		day := calDayAt(v.start, i)
		b = append(b, day)
		for hr := calEarlyHour; hr < 24; hr++ {
			b = append(b, calStart(day.Year(), day.Month(), day.Day(), hr, v.loc))
		}
	}
	return append(b, v.end)
}

// calDayHref is the day view of date, from hour (the whole day when
// hour is negative).
func calDayHref(date string, hour int) string {
	q := url.Values{"view": {"day"}, "date": {date}}
	if hour >= 0 {
		q.Set("hour", strconv.Itoa(hour))
	}
	return "/calendar?" + q.Encode()
}

// setMore says what cd leaves out of a cell of count items: "+N more",
// a link to the day view (from hour, when not negative), and the words
// that tell a screen reader which cell it is.
func (v *calView) setMore(cd *calDay, t time.Time, count, hour int) {
	if cd.More = count - len(cd.Items); cd.More <= 0 {
		cd.More = 0
		return
	}
	cd.MoreText, cd.MoreHref = v.p.T("cal.more", "Count", cd.More), calDayHref(cd.Date, hour)
	if hour >= 0 {
		cd.MoreWhere = v.p.T("cal.more.slot", "Date", calShortDay(v.lang, t), "Time", fmt.Sprintf("%02d:00", hour))
	} else {
		cd.MoreWhere = v.p.T("cal.more.day", "Date", calShortDay(v.lang, t))
	}
}

// weekdays is the grid's header.
func (v *calView) weekdays() []calWeekday {
	out := make([]calWeekday, 0, 7)
	for i := range 7 {
		wd := time.Weekday((int(v.ws) + i) % 7)
		out = append(out, calWeekday{Name: calDayName(v.lang, wd), Class: calWeekdayClass(wd)})
	}
	return out
}

// calMonth fills the month view: its weeks, its agenda and its count.
func (h *Handler) calMonth(ctx context.Context, v *calView, d *calendarData) error {
	days, err := h.calCells(ctx, v, v.dayBounds(), calMonthItems, nil)
	if err != nil {
		return err
	}
	d.Weekdays = v.weekdays()
	for i := 0; i < len(days); i += 7 {
		wk := calDayAt(v.start, i)
		week := calWeek{Label: v.p.T("cal.week.of", "Date", calShortDay(v.lang, wk))}
		for j := i; j < i+7 && j < len(days); j++ {
			t := calDayAt(v.start, j)
			cd := v.newDay(t)
			cd.Items = days[j].Items
			v.setMore(&cd, t, days[j].Count, -1)
			v.monthCompose(&cd, t)
			week.Days = append(week.Days, cd)
		}
		d.Weeks = append(d.Weeks, week)
	}
	for j, c := range days {
		d.Count += c.Count
		v.addAgenda(d, calDayAt(v.start, j), c.Items, c.Count)
	}
	return nil
}

// monthCompose offers a new post on day t: at calComposeAt, or today at
// the next hour while today has one.
func (v *calView) monthCompose(cd *calDay, t time.Time) {
	at := calStart(t.Year(), t.Month(), t.Day(), calComposeAt, v.loc)
	if t.Equal(v.today) && at.Before(v.now) {
		at = v.now.Truncate(time.Hour).Add(time.Hour)
		if calDate(at, v.loc) != t {
			return
		}
	}
	v.composeAt(cd, at)
}

// addAgenda adds day t to the agenda (the phone's list) when it has
// items: the first calDayItems of them and "+N more".
func (v *calView) addAgenda(d *calendarData, t time.Time, items []calItem, count int) {
	if count == 0 {
		return
	}
	cd := v.newDay(t)
	cd.Items = items[:min(len(items), calDayItems)]
	v.setMore(&cd, t, count, -1)
	d.Agenda = append(d.Agenda, cd)
}

// calWeek fills the week view: the days as columns, the hour slots as
// rows, the agenda and the week's count.
func (h *Handler) calWeek(ctx context.Context, v *calView, d *calendarData) error {
	slots, err := h.calCells(ctx, v, v.slotBounds(), calSlotItems, nil)
	if err != nil {
		return err
	}
	d.Weekdays = v.weekdays()
	early := calHour{Label: v.p.T("cal.early", "Hour", fmt.Sprintf("%02d:00", calEarlyHour))}
	hours := make([]calHour, calSlots)
	hours[0] = early
	for s := 1; s < calSlots; s++ {
		hours[s].Label = fmt.Sprintf("%02d:00", calEarlyHour+s-1)
	}
	for i := range 7 {
		t := calDayAt(v.start, i)
		d.Days = append(d.Days, v.newDay(t))
		// The day's first items are the first of its slots' in order: each
		// slot returns its own first ones, so nothing earlier is missing.
		var dayItems []calItem
		dayCount := 0
		for s := range calSlots {
			c := slots[i*calSlots+s]
			cd := v.newDay(t)
			cd.Items = c.Items
			hour := -1
			if s > 0 {
				hour = calEarlyHour + s - 1
				if at := calStart(t.Year(), t.Month(), t.Day(), hour, v.loc); at.In(v.loc).Hour() == hour { // a DST gap skips the hour
					v.composeAt(&cd, at)
				}
			}
			v.setMore(&cd, t, c.Count, hour)
			hours[s].Cells = append(hours[s].Cells, cd)
			if len(dayItems) < calDayItems {
				dayItems = append(dayItems, c.Items...)
			}
			dayCount += c.Count
		}
		d.Count += dayCount
		v.addAgenda(d, t, dayItems, dayCount)
	}
	d.Hours = hours
	return nil
}
