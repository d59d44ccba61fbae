package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
)

const (
	calMonthItems = 3  // items a month cell shows before "+N more"
	calExcerpt    = 30 // characters of a post's text on the calendar
	calEarlyHour  = 6  // the week grid shows hours before this in one row
	calComposeAt  = 9  // the hour a month cell's "+" proposes
	calDateLayout = "2006-01-02"
	calMonthParam = "2006-01"
	calLocalInput = "2006-01-02T15:04" // <input type="datetime-local">
)

// calendarRoutes mounts the calendar pages and the iCal feed.
func (h *Handler) calendarRoutes(mux *http.ServeMux) {
	mux.Handle("GET /calendar", h.page(h.handleCalendar))
	mux.Handle("GET /calendar/posts/{id}/time", h.page(h.handleCalReschedule))
	mux.Handle("POST /calendar/posts/{id}/time", h.page(h.handleCalReschedulePost))
	mux.Handle("POST /calendar/feed/regenerate", h.page(h.handleCalFeedRegenerate))
	// The feed carries its own credential (the token in the path): no
	// session, so calendar apps can fetch it.
	// The token rides in the query: request logs never record queries.
	mux.HandleFunc("GET /feeds/schedule.ics", h.handleCalFeed)
}

// calWeekStart returns the first weekday of the operator's weeks: the
// setting, else Sunday in Japanese and Monday in English (ui-guide §7).
func (h *Handler) calWeekStart(ctx context.Context, lang string) time.Weekday {
	v, err := h.store.Setting(ctx, SettingWeekStart)
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "sunday":
		return time.Sunday
	case "monday":
		return time.Monday
	}
	if err != nil && !snsos.IsCode(err, snsos.ENOTFOUND) {
		h.log.Warn("web: read the week start", "err", err)
	}
	if lang == "ja" {
		return time.Sunday
	}
	return time.Monday
}

type calendarData struct {
	View, Heading           string
	MonthView               bool
	Prev, Next, Today       string
	PrevLabel, NextLabel    string
	MonthHref, WeekHref     string
	Weekdays                []calWeekday
	Weeks                   []calWeek // month view
	Days                    []calDay  // week view: the columns
	Hours                   []calHour // week view: the rows
	Agenda                  []calDay  // every day with items, for phones
	Flash                   string
	FeedURL, FeedRegenerate string
	FeedNext                string
	Count                   int
}

type calWeekday struct{ Name, Class string }

type calWeek struct {
	Label string
	Days  []calDay
}

type calDay struct {
	Date, Number, Label string
	Class               string
	InMonth, Today      bool
	Items               []calItem
	More                int
	MoreHref            string
	Compose             string
	ComposeLabel        string
}

type calHour struct {
	Label string
	Cells []calDay
}

type calItem struct {
	Href, Time, TimeISO string
	Platform, Handle    string
	Excerpt             string
	State, Class, Icon  string
	Reschedule          string
	MoveText, MoveLabel string
}

// calDayName returns a weekday's short name in the page's language.
func calDayName(lang string, d time.Weekday) string {
	if lang == "ja" {
		return weekdaysJA[d]
	}
	return d.String()[:3]
}

// calDayLabel is a day written in full: "Sat, 28 Nov 2026" / "2026年11月28日(土)".
func calDayLabel(lang string, t time.Time) string {
	if lang == "ja" {
		return fmt.Sprintf("%d年%d月%d日(%s)", t.Year(), int(t.Month()), t.Day(), weekdaysJA[t.Weekday()])
	}
	return t.Format("Mon, 2 Jan 2006")
}

// calShortDay is "28 Nov" / "11月28日(土)".
func calShortDay(lang string, t time.Time) string {
	if lang == "ja" {
		return fmt.Sprintf("%d月%d日(%s)", int(t.Month()), t.Day(), weekdaysJA[t.Weekday()])
	}
	return t.Format("Mon 2 Jan")
}

func calMonthHeading(lang string, t time.Time) string {
	if lang == "ja" {
		return fmt.Sprintf("%d年%d月", t.Year(), int(t.Month()))
	}
	return t.Format("January 2006")
}

func calWeekdayClass(d time.Weekday) string {
	switch d {
	case time.Saturday:
		return "cal-sat"
	case time.Sunday:
		return "cal-sun"
	}
	return ""
}

// calDate is the local midnight of the day holding t.
func calDate(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// calParseDate reads the date parameter: YYYY-MM or YYYY-MM-DD, in loc.
func calParseDate(s string, loc *time.Location) (time.Time, bool) {
	if t, err := time.ParseInLocation(calDateLayout, s, loc); err == nil {
		return t, true
	}
	if t, err := time.ParseInLocation(calMonthParam, s, loc); err == nil {
		return t, true
	}
	return time.Time{}, false
}

func calHref(view, date string) string {
	q := url.Values{"view": {view}}
	if date != "" {
		q.Set("date", date)
	}
	return "/calendar?" + q.Encode()
}

func (h *Handler) handleCalendar(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	view := q.Get("view")
	if view != "week" {
		view = "month"
	}
	d := &calendarData{View: view, MonthView: view == "month"}
	p := h.newPage(r, "cal.title", true, d)
	if err := h.buildCalendar(r, p, d, q.Get("date"), q.Get("flash")); err != nil {
		h.pageError(w, r, err)
		return
	}
	h.render(w, http.StatusOK, "calendar", p)
}

// calView is one showing of the calendar: the range it covers and what
// its cells need to know.
type calView struct {
	p          *page
	lang, view string
	loc        *time.Location
	now, today time.Time
	ws         time.Weekday
	first      time.Time // the month's first day (month view)
	start, end time.Time // the grid's range, whole days
}

// buildCalendar fills d for the view d.View around the date parameter.
func (h *Handler) buildCalendar(r *http.Request, p *page, d *calendarData, date, flash string) error {
	ctx := r.Context()
	loc := h.location()
	now := h.now().In(loc)
	v := &calView{p: p, lang: p.lang, view: d.View, loc: loc, now: now, today: calDate(now, loc)}
	anchor, ok := calParseDate(date, loc)
	if !ok {
		anchor = v.today
	}
	v.ws = h.calWeekStart(ctx, p.lang)
	v.setRange(d, anchor)
	d.Today = calHref(v.view, "")

	entries, err := h.store.ListTargetsInRange(ctx, store.TargetRange{From: v.start, To: v.end})
	if err != nil {
		return failed("calendar", err)
	}
	accts, err := h.store.ListAccounts(ctx)
	if err != nil {
		return failed("list accounts", err)
	}
	byDay, byHour := h.calItems(v, d, entries, handlesOf(accts), r.URL.RequestURI())
	v.fillGrid(d, byDay, byHour)

	switch flash {
	case "moved":
		d.Flash = p.T("cal.flash.moved")
	case "feed":
		d.Flash = p.T("cal.flash.feed")
	}
	if d.FeedURL, err = h.calFeedURL(ctx, h.calBaseURL(r)); err != nil {
		return failed("feed url", err)
	}
	d.FeedRegenerate = "/calendar/feed/regenerate"
	d.FeedNext = calHref(v.view, date) + "&flash=feed"
	return nil
}

// setRange sets the grid's range around anchor (whole weeks around the
// month, or one week) and the headings and links that go with it.
func (v *calView) setRange(d *calendarData, anchor time.Time) {
	p, lang, ws := v.p, v.lang, v.ws
	if v.view == "month" {
		first := time.Date(anchor.Year(), anchor.Month(), 1, 0, 0, 0, 0, v.loc)
		v.first = first
		v.start = first.AddDate(0, 0, -((int(first.Weekday()) - int(ws) + 7) % 7))
		last := first.AddDate(0, 1, -1)
		v.end = last.AddDate(0, 0, 7-(int(last.Weekday())-int(ws)+7)%7)
		d.Heading = calMonthHeading(lang, first)
		d.Prev, d.Next = calHref("month", first.AddDate(0, -1, 0).Format(calMonthParam)), calHref("month", first.AddDate(0, 1, 0).Format(calMonthParam))
		d.PrevLabel, d.NextLabel = p.T("cal.prev.month"), p.T("cal.next.month")
		d.MonthHref, d.WeekHref = calHref("month", first.Format(calMonthParam)), calHref("week", calWeekAnchor(first, v.today).Format(calDateLayout))
		return
	}
	start := anchor.AddDate(0, 0, -((int(anchor.Weekday()) - int(ws) + 7) % 7))
	v.start, v.end = start, start.AddDate(0, 0, 7)
	d.Heading = p.T("cal.week.heading", "Start", calShortDay(lang, start), "End", calShortDay(lang, v.end.AddDate(0, 0, -1)), "Year", start.Year())
	d.Prev, d.Next = calHref("week", start.AddDate(0, 0, -7).Format(calDateLayout)), calHref("week", start.AddDate(0, 0, 7).Format(calDateLayout))
	d.PrevLabel, d.NextLabel = p.T("cal.prev.week"), p.T("cal.next.week")
	d.MonthHref, d.WeekHref = calHref("month", start.Format(calMonthParam)), calHref("week", start.Format(calDateLayout))
}

// calItems turns the range's targets into calendar items, keyed by day
// ("2006-01-02") and by hour ("2006-01-02 15", hours before calEarlyHour
// as "2006-01-02 early"). It counts them in d.Count.
func (h *Handler) calItems(v *calView, d *calendarData, entries []*store.DatedTarget, handles map[int64]string, back string) (byDay, byHour map[string][]calItem) {
	p := v.p
	byDay, byHour = map[string][]calItem{}, map[string][]calItem{}
	for _, e := range entries {
		if e.State == snsos.StateDraft || e.State == snsos.StateCanceled {
			continue // a calendar plans and reviews deliveries
		}
		local := e.At.In(v.loc)
		it := calItem{Href: postHref(e.PostID), Time: local.Format("15:04"), TimeISO: e.At.UTC().Format(time.RFC3339),
			Platform: e.Platform.DisplayName(), Handle: handles[e.AccountID], State: h.stateWord(p, e.Target, v.now),
			Class: "s-" + string(e.State), Icon: stateIcons[e.State]}
		body := e.Body
		if strings.TrimSpace(body) == "" {
			body = e.PostBody
		}
		if it.Excerpt = excerpt(body, calExcerpt); it.Excerpt == "" {
			it.Excerpt = p.T("post.notext")
		}
		if e.State == snsos.StateScheduled || e.State == snsos.StateApproved {
			it.Reschedule = "/calendar/posts/" + strconv.FormatInt(e.PostID, 10) + "/time?back=" + url.QueryEscape(back)
			it.MoveText, it.MoveLabel = p.T("cal.move.link"), p.T("cal.move.item", "Excerpt", it.Excerpt)
		}
		day := local.Format(calDateLayout)
		byDay[day] = append(byDay[day], it)
		hk := day + " early"
		if local.Hour() >= calEarlyHour {
			hk = fmt.Sprintf("%s %02d", day, local.Hour())
		}
		byHour[hk] = append(byHour[hk], it)
		d.Count++
	}
	return byDay, byHour
}

// newDay is the cell of day t, without items.
func (v *calView) newDay(t time.Time) calDay {
	key := t.Format(calDateLayout)
	return calDay{Date: key, Number: strconv.Itoa(t.Day()), Label: calDayLabel(v.lang, t), Class: calWeekdayClass(t.Weekday()),
		InMonth: v.view == "week" || t.Month() == v.first.Month(), Today: t.Equal(v.today)}
}

// composeAt offers a new post at t in cd, unless t is past.
func (v *calView) composeAt(cd *calDay, t time.Time) {
	if t.Before(v.now) {
		return // no new posts in the past
	}
	cd.Compose = "/compose?at=" + url.QueryEscape(t.Format(calLocalInput))
	cd.ComposeLabel = v.p.T("cal.new.at", "Date", calShortDay(v.lang, t), "Time", t.Format("15:04"))
}

// fillGrid lays the items out: the weekday header, the month's weeks or
// the week's hours, and the agenda.
func (v *calView) fillGrid(d *calendarData, byDay, byHour map[string][]calItem) {
	for i := range 7 {
		wd := time.Weekday((int(v.ws) + i) % 7)
		d.Weekdays = append(d.Weekdays, calWeekday{Name: calDayName(v.lang, wd), Class: calWeekdayClass(wd)})
	}
	if v.view == "month" {
		d.Weeks = v.monthWeeks(byDay)
	} else {
		d.Days, d.Hours = v.weekHours(byHour)
	}
	for t := v.start; t.Before(v.end); t = t.AddDate(0, 0, 1) {
		cd := v.newDay(t)
		if cd.Items = byDay[cd.Date]; len(cd.Items) > 0 {
			d.Agenda = append(d.Agenda, cd)
		}
	}
}

// monthWeeks is the month view's rows.
func (v *calView) monthWeeks(byDay map[string][]calItem) []calWeek {
	var weeks []calWeek
	for wk := v.start; wk.Before(v.end); wk = wk.AddDate(0, 0, 7) {
		week := calWeek{Label: v.p.T("cal.week.of", "Date", calShortDay(v.lang, wk))}
		for i := range 7 {
			t := wk.AddDate(0, 0, i)
			cd := v.newDay(t)
			items := byDay[cd.Date]
			if len(items) > calMonthItems {
				cd.More = len(items) - calMonthItems
				cd.MoreHref = calHref("week", cd.Date)
				items = items[:calMonthItems]
			}
			cd.Items = items
			at := time.Date(t.Year(), t.Month(), t.Day(), calComposeAt, 0, 0, 0, v.loc)
			if t.Equal(v.today) && at.Before(v.now) {
				at = v.now.Truncate(time.Hour).Add(time.Hour)
				if calDate(at, v.loc) != t {
					at = time.Time{}
				}
			}
			if !at.IsZero() {
				v.composeAt(&cd, at)
			}
			week.Days = append(week.Days, cd)
		}
		weeks = append(weeks, week)
	}
	return weeks
}

// weekHours is the week view's columns (the days) and rows (the hours).
func (v *calView) weekHours(byHour map[string][]calItem) ([]calDay, []calHour) {
	var days []time.Time
	var cols []calDay
	for i := range 7 {
		t := v.start.AddDate(0, 0, i)
		days = append(days, t)
		cols = append(cols, v.newDay(t))
	}
	early := calHour{Label: v.p.T("cal.early", "Hour", fmt.Sprintf("%02d:00", calEarlyHour))}
	for _, t := range days {
		cd := v.newDay(t)
		cd.Items = byHour[cd.Date+" early"]
		early.Cells = append(early.Cells, cd)
	}
	hours := []calHour{early}
	for hr := calEarlyHour; hr < 24; hr++ {
		row := calHour{Label: fmt.Sprintf("%02d:00", hr)}
		for _, t := range days {
			cd := v.newDay(t)
			cd.Items = byHour[fmt.Sprintf("%s %02d", cd.Date, hr)]
			at := time.Date(t.Year(), t.Month(), t.Day(), hr, 0, 0, 0, v.loc)
			if at.Hour() == hr { // a DST gap skips the hour
				v.composeAt(&cd, at)
			}
			row.Cells = append(row.Cells, cd)
		}
		hours = append(hours, row)
	}
	return cols, hours
}

// calWeekAnchor is the day the week view opens on from a month: today when
// it is in that month, else the first.
func calWeekAnchor(first, today time.Time) time.Time {
	if today.Year() == first.Year() && today.Month() == first.Month() {
		return today
	}
	return first
}
