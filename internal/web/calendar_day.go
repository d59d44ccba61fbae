package web

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos/internal/store"
)

// The day view: every item of one day, in time order, where the month's
// and the week's "+N more" lead. A page holds calDayPage items; "Later on
// this day" continues after the last one by its place (time, then id), so
// a day of thousands costs what a quiet one does.

const calDayPage = 100

// calDayList is the day view's content.
type calDayList struct {
	Hours   []calDayHour // the page's items under their hour
	Summary string       // "11 posts on this day", on its first page
	// Earlier links to the start of the day when the page starts later.
	Earlier string
	// Later continues after the page's last item.
	Later, LaterLabel string
	Compose           string // a new post on this day, unless it is past
	ComposeLabel      string
}

// calDayHour is one hour of the day view.
type calDayHour struct {
	Label string
	Items []calItem
}

// calKey is a day-view cursor in a URL: the item's time in Unix
// microseconds (the stored precision) and its id, "1739862000000000.42".
func calKey(k store.CalendarKey) string {
	return strconv.FormatInt(k.At.UnixMicro(), 10) + "." + strconv.FormatInt(k.ID, 10)
}

// calParseKey reads a cursor written by calKey.
func calParseKey(s string) (store.CalendarKey, bool) {
	at, id, ok := strings.Cut(s, ".")
	us, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || n <= 0 {
		return store.CalendarKey{}, false
	}
	return store.CalendarKey{At: time.UnixMicro(us).UTC(), ID: n}, true
}

// calDayView fills the day view of v.start: from the hour parameter (a
// week slot's "+N more"), or after the cursor in "after" (the next page);
// either outside the day, or one that does not parse, opens the day from
// its start, as a bad cursor opens the first page of the post list.
func (h *Handler) calDayView(ctx context.Context, v *calView, d *calendarData, q url.Values) error {
	day, date := v.start, v.start.Format(calDateLayout)
	from := day
	var after *store.CalendarKey
	if hr, err := strconv.Atoi(q.Get("hour")); err == nil && hr > 0 && hr < 24 {
		from = calStart(day.Year(), day.Month(), day.Day(), hr, v.loc)
	}
	if k, ok := calParseKey(q.Get("after")); ok && !k.At.Before(day) && k.At.Before(v.end) {
		from, after = k.At, &k
	}
	cells, err := h.store.CalendarCells(ctx, store.CalendarQuery{Bounds: []time.Time{from, v.end}, PerCell: calDayPage, After: after})
	if err != nil {
		return err
	}
	cell := cells[0]
	d.Count = cell.Count
	dl := &d.Day
	hour := -1
	for _, e := range cell.Items {
		if hr := e.At.In(v.loc).Hour(); hr != hour || len(dl.Hours) == 0 {
			hour = hr
			dl.Hours = append(dl.Hours, calDayHour{Label: fmt.Sprintf("%02d:00", hr)})
		}
		last := &dl.Hours[len(dl.Hours)-1]
		last.Items = append(last.Items, h.calItem(v, e))
	}
	if from.Equal(day) {
		dl.Summary = v.p.T("cal.day.count", "Count", cell.Count)
	} else {
		dl.Earlier = calDayHref(date, -1)
	}
	if rest := cell.Count - len(cell.Items); rest > 0 && len(cell.Items) > 0 {
		e := cell.Items[len(cell.Items)-1]
		dl.Later = calDayHref(date, -1) + "&after=" + url.QueryEscape(calKey(store.CalendarKey{At: e.At, ID: e.ID}))
		dl.LaterLabel = v.p.T("cal.day.later", "Count", rest)
	}
	var cd calDay
	v.monthCompose(&cd, day)
	dl.Compose, dl.ComposeLabel = cd.Compose, cd.ComposeLabel
	return nil
}
