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
	MonthView, DayView      bool
	Prev, Next, Today       string
	PrevLabel, NextLabel    string
	MonthHref, WeekHref     string
	Weekdays                []calWeekday
	Weeks                   []calWeek  // month view
	Days                    []calDay   // week view: the columns
	Hours                   []calHour  // week view: the rows
	Agenda                  []calDay   // every day with items, for phones
	Day                     calDayList // day view
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
	More                int    // items the cell holds beyond those shown
	MoreText            string // "+N more"
	MoreHref, MoreWhere string // the day view, and the cell it leaves out for a screen reader
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

// calDate is the start of the local day holding t (calStart).
func calDate(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return calStart(y, m, d, 0, loc)
}

// calDayAt is the start of the day i days after day t (a calStart).
func calDayAt(t time.Time, i int) time.Time {
	return calStart(t.Year(), t.Month(), t.Day()+i, 0, t.Location())
}

// calStart is the first instant of hour h of day y-m-d in loc (days and
// hours out of range roll over, as in time.Date). Where the clocks skip
// that hour, time.Date answers an instant before the skip, on the wall
// clock's earlier day or hour: the hour starts when the skip ends. Where
// they pass it twice, time.Date answers the first time.
func calStart(y int, m time.Month, d, h int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, h, 0, 0, 0, loc)
	want := time.Date(y, m, d, h, 0, 0, 0, time.UTC)
	l := t.In(loc)
	if time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), 0, 0, time.UTC).Before(want) {
		if _, end := t.ZoneBounds(); !end.IsZero() {
			t = end.In(loc)
		}
	}
	return t
}

// calParseDate reads the date parameter, YYYY-MM or YYYY-MM-DD, as the
// start of that day (the first of that month) in loc.
func calParseDate(s string, loc *time.Location) (time.Time, bool) {
	t, err := time.Parse(calDateLayout, s)
	if err != nil {
		if t, err = time.Parse(calMonthParam, s); err != nil {
			return time.Time{}, false
		}
	}
	return calStart(t.Year(), t.Month(), t.Day(), 0, loc), true
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
	if view != "week" && view != "day" {
		view = "month"
	}
	d := &calendarData{View: view, MonthView: view == "month", DayView: view == "day"}
	p := h.newPage(r, "cal.title", true, d)
	if err := h.buildCalendar(r, p, d, q); err != nil {
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
	handles    map[int64]string
	back       string // the page's own address, for Change time
}

// buildCalendar fills d for the view d.View around the date parameter.
func (h *Handler) buildCalendar(r *http.Request, p *page, d *calendarData, q url.Values) error {
	ctx := r.Context()
	loc := h.location()
	now := h.now().In(loc)
	v := &calView{p: p, lang: p.lang, view: d.View, loc: loc, now: now, today: calDate(now, loc), back: r.URL.RequestURI()}
	date := q.Get("date")
	anchor, ok := calParseDate(date, loc)
	if !ok {
		anchor = v.today
	}
	v.ws = h.calWeekStart(ctx, p.lang)
	v.setRange(d, anchor)
	d.Today = calHref(v.view, "")

	accts, err := h.store.ListAccounts(ctx)
	if err != nil {
		return failed("list accounts", err)
	}
	v.handles = handlesOf(accts)
	switch v.view {
	case "month":
		err = h.calMonth(ctx, v, d)
	case "week":
		err = h.calWeek(ctx, v, d)
	default:
		err = h.calDayView(ctx, v, d, q)
	}
	if err != nil {
		return failed("calendar", err)
	}

	switch q.Get("flash") {
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
// month, one week, or one day) and the headings and links that go with it.
func (v *calView) setRange(d *calendarData, anchor time.Time) {
	p, lang, ws := v.p, v.lang, v.ws
	switch v.view {
	case "month":
		first := calStart(anchor.Year(), anchor.Month(), 1, 0, v.loc)
		v.first = first
		v.start = calDayAt(first, -((int(first.Weekday()) - int(ws) + 7) % 7))
		last := calStart(first.Year(), first.Month()+1, 0, 0, v.loc)
		v.end = calDayAt(last, 7-(int(last.Weekday())-int(ws)+7)%7)
		d.Heading = calMonthHeading(lang, first)
		d.Prev, d.Next = calHref("month", first.AddDate(0, -1, 0).Format(calMonthParam)), calHref("month", first.AddDate(0, 1, 0).Format(calMonthParam))
		d.PrevLabel, d.NextLabel = p.T("cal.prev.month"), p.T("cal.next.month")
		d.MonthHref, d.WeekHref = calHref("month", first.Format(calMonthParam)), calHref("week", calWeekAnchor(first, v.today).Format(calDateLayout))
	case "week":
		start := calDayAt(anchor, -((int(anchor.Weekday()) - int(ws) + 7) % 7))
		v.start, v.end = start, calDayAt(start, 7)
		d.Heading = p.T("cal.week.heading", "Start", calShortDay(lang, start), "End", calShortDay(lang, calDayAt(start, 6)), "Year", start.Year())
		d.Prev, d.Next = calHref("week", start.AddDate(0, 0, -7).Format(calDateLayout)), calHref("week", start.AddDate(0, 0, 7).Format(calDateLayout))
		d.PrevLabel, d.NextLabel = p.T("cal.prev.week"), p.T("cal.next.week")
		d.MonthHref, d.WeekHref = calHref("month", start.Format(calMonthParam)), calHref("week", start.Format(calDateLayout))
	default:
		day := anchor
		v.start, v.end = day, calDayAt(day, 1)
		d.Heading = calDayLabel(lang, day)
		d.Prev, d.Next = calHref("day", calDayAt(day, -1).Format(calDateLayout)), calHref("day", v.end.Format(calDateLayout))
		d.PrevLabel, d.NextLabel = p.T("cal.prev.day"), p.T("cal.next.day")
		d.MonthHref, d.WeekHref = calHref("month", day.Format(calMonthParam)), calHref("week", day.Format(calDateLayout))
	}
}

// calItem is the calendar's showing of one target.
func (h *Handler) calItem(v *calView, e *store.DatedTarget) calItem {
	p := v.p
	it := calItem{Href: postHref(e.PostID), Time: e.At.In(v.loc).Format("15:04"), TimeISO: e.At.UTC().Format(time.RFC3339),
		Platform: e.Platform.DisplayName(), Handle: v.handles[e.AccountID], State: h.stateWord(p, e.Target, v.now),
		Class: "s-" + string(e.State), Icon: stateIcons[e.State]}
	body := e.Body
	if strings.TrimSpace(body) == "" {
		body = e.PostBody
	}
	if it.Excerpt = excerpt(body, calExcerpt); it.Excerpt == "" {
		it.Excerpt = p.T("post.notext")
	}
	if e.State == snsos.StateScheduled || e.State == snsos.StateApproved {
		it.Reschedule = "/calendar/posts/" + strconv.FormatInt(e.PostID, 10) + "/time?back=" + url.QueryEscape(v.back)
		it.MoveText, it.MoveLabel = p.T("cal.move.link"), p.T("cal.move.item", "Excerpt", it.Excerpt)
	}
	return it
}

// calCellItems is what one cell shows: its first items and how many it holds.
type calCellItems struct {
	Items []calItem
	Count int
}

// calCells reads the cells between bounds, perCell items each.
func (h *Handler) calCells(ctx context.Context, v *calView, bounds []time.Time, perCell int, after *store.CalendarKey) ([]calCellItems, error) {
	cells, err := h.store.CalendarCells(ctx, store.CalendarQuery{Bounds: bounds, PerCell: perCell, After: after})
	if err != nil {
		return nil, err
	}
	out := make([]calCellItems, len(cells))
	for i, c := range cells {
		out[i].Count = c.Count
		for _, e := range c.Items {
			out[i].Items = append(out[i].Items, h.calItem(v, e))
		}
	}
	return out, nil
}

// newDay is the cell of day t, without items.
func (v *calView) newDay(t time.Time) calDay {
	key := t.Format(calDateLayout)
	return calDay{Date: key, Number: strconv.Itoa(t.Day()), Label: calDayLabel(v.lang, t), Class: calWeekdayClass(t.Weekday()),
		InMonth: v.view != "month" || t.Month() == v.first.Month(), Today: t.Equal(v.today)}
}

// composeAt offers a new post at t in cd, unless t is past.
func (v *calView) composeAt(cd *calDay, t time.Time) {
	if t.Before(v.now) {
		return // no new posts in the past
	}
	cd.Compose = "/compose?at=" + url.QueryEscape(t.Format(calLocalInput))
	cd.ComposeLabel = v.p.T("cal.new.at", "Date", calShortDay(v.lang, t), "Time", t.Format("15:04"))
}

// calWeekAnchor is the day the week view opens on from a month: today when
// it is in that month, else the first.
func calWeekAnchor(first, today time.Time) time.Time {
	if today.Year() == first.Year() && today.Month() == first.Month() {
		return today
	}
	return first
}
