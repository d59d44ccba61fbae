package web

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// calItemRe finds the items a piece of calendar HTML shows, by their text.
var calItemRe = regexp.MustCompile(`<span class="cal-excerpt">([^<]*)</span>`)

func calItemsIn(s string) []string {
	var out []string
	for _, m := range calItemRe.FindAllStringSubmatch(s, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

// calMoreHref returns the href of the "+N more" link in s, unescaped.
func calMoreHref(t *testing.T, s string) string {
	t.Helper()
	m := regexp.MustCompile(`<a class="cal-more" href="([^"]*)">`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no +N more link in\n%s", s)
	}
	return html.UnescapeString(m[1])
}

// calAgendaDay returns the agenda's entry for the day labelled label.
func calAgendaDay(body, label string) string {
	i := strings.Index(body, `<section class="cal-agenda"`)
	if i < 0 {
		return ""
	}
	body = body[i:]
	j := strings.Index(body, ">"+label+"</h3>")
	if j < 0 {
		return ""
	}
	rest := body[j+1:]
	if k := strings.Index(rest, "<h3"); k >= 0 {
		rest = rest[:k]
	} else if k := strings.Index(rest, "</ol>"); k >= 0 {
		rest = rest[:k]
	}
	return rest
}

// TestCalendarBusyDay: a day with ten items shows its first three and
// "+7 more" in the month (grid and agenda), in the week's slots and agenda
// three per slot, and "+7 more" leads to the day view, where all ten are.
func TestCalendarBusyDay(t *testing.T) {
	ce := newCalEnv(t, nil)
	// Thursday 18 Feb 2027 in Tokyo: ten posts, 09:00 to 13:30, written
	// latest first so that the order shown is the times', not the ids'.
	base := time.Date(2027, 2, 18, 9, 0, 0, 0, calTokyo)
	for i := 9; i >= 0; i-- {
		ce.post(t, fmt.Sprintf("Busy %02d", i), base.Add(time.Duration(i)*30*time.Minute).UTC(), time.Time{})
	}
	ce.post(t, "Quiet Friday", time.Date(2027, 2, 19, 9, 0, 0, 0, calTokyo).UTC(), time.Time{})

	resp, body := ce.get(t, "/calendar?view=month&date=2027-02")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("month: %d", resp.StatusCode)
	}
	cell := calCell(body, "", "2027-02-18")
	if got := calItemsIn(cell); strings.Join(got, ",") != "Busy 00,Busy 01,Busy 02" {
		t.Errorf("18 Feb shows %q, want the first three", got)
	}
	if !strings.Contains(cell, "&#43;7 more<span class=\"vh\"> on Thu 18 Feb</span>") {
		t.Errorf("18 Feb cell has no +7 more naming the day:\n%s", cell)
	}
	more := calMoreHref(t, cell)
	if more != "/calendar?date=2027-02-18&view=day" {
		t.Errorf("+7 more links to %q", more)
	}
	if c := calCell(body, "", "2027-02-19"); strings.Contains(c, "cal-more") || len(calItemsIn(c)) != 1 {
		t.Errorf("19 Feb: %s", c)
	}
	agenda := calAgendaDay(body, "Thu, 18 Feb 2027")
	if got := calItemsIn(agenda); len(got) != 3 || !strings.Contains(agenda, "&#43;7 more") {
		t.Errorf("agenda for 18 Feb shows %q:\n%s", got, agenda)
	}
	// The month shows three of the day's items twice (grid and agenda),
	// and Friday's one twice: 8 in all, never the whole day.
	if n := len(calItemsIn(body)); n != 8 {
		t.Errorf("the month renders %d items, want 8", n)
	}

	// The day view holds every item, in time order, from the link.
	resp, day := ce.get(t, more)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("day: %d", resp.StatusCode)
	}
	wantAll(t, "day", day, "Thu, 18 Feb 2027", "10 posts on this day.", "<h2>09:00</h2>", "<h2>13:00</h2>",
		`/calendar?date=2027-02-17&amp;view=day`, `/calendar?date=2027-02-19&amp;view=day`, `/compose?at=2027-02-18T09%3A00`)
	var want []string
	for i := range 10 {
		want = append(want, fmt.Sprintf("Busy %02d", i))
	}
	if got := calItemsIn(day); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("the day shows %q", got)
	}
	if strings.Contains(day, "Later on this day") || strings.Contains(day, "Quiet Friday") {
		t.Error("the day view goes past the day")
	}

	// The week: 09:00 to 13:00 hold two each, so no slot is cut; the
	// agenda's day still shows three and "+7 more".
	_, week := ce.get(t, "/calendar?view=week&date=2027-02-18")
	if c := calCell(week, ">09:00<", "2027-02-18"); strings.Join(calItemsIn(c), ",") != "Busy 00,Busy 01" || strings.Contains(c, "cal-more") {
		t.Errorf("Thu 09:00 slot: %s", c)
	}
	if a := calAgendaDay(week, "Thu, 18 Feb 2027"); strings.Join(calItemsIn(a), ",") != "Busy 00,Busy 01,Busy 02" || !strings.Contains(a, "&#43;7 more") {
		t.Errorf("week agenda for 18 Feb:\n%s", a)
	}

	// Five more at 10:00-10:40 make the 10:00 slot seven: three, "+4 more"
	// to the day from 10:00.
	for i := range 5 {
		ce.post(t, fmt.Sprintf("Ten %d", i), time.Date(2027, 2, 18, 10, 10+i*7, 0, 0, calTokyo).UTC(), time.Time{})
	}
	_, week = ce.get(t, "/calendar?view=week&date=2027-02-18")
	c := calCell(week, ">10:00<", "2027-02-18")
	if got := calItemsIn(c); strings.Join(got, ",") != "Busy 02,Ten 0,Ten 1" {
		t.Errorf("Thu 10:00 slot shows %q", got)
	}
	if !strings.Contains(c, "&#43;4 more<span class=\"vh\"> on Thu 18 Feb at 10:00</span>") {
		t.Errorf("Thu 10:00 slot:\n%s", c)
	}
	slotMore := calMoreHref(t, c)
	if a := calAgendaDay(week, "Thu, 18 Feb 2027"); !strings.Contains(a, "&#43;12 more") {
		t.Errorf("week agenda after five more:\n%s", a)
	}
	_, day = ce.get(t, slotMore)
	if got := calItemsIn(day); len(got) != 13 || got[0] != "Busy 02" {
		t.Errorf("the day from 10:00 (%s) shows %q", slotMore, got)
	}
	wantAll(t, "day from 10:00", day, "Back to the start of the day", `href="/calendar?date=2027-02-18&amp;view=day"`)

	// Japanese.
	setLangCal(t, ce, "ja")
	_, body = ce.get(t, "/calendar?view=month&date=2027-02")
	wantAll(t, "ja month", body, "他12件<span class=\"vh\">（2月18日(木)）</span>")
	_, day = ce.get(t, more)
	wantAll(t, "ja day", day, "2027年2月18日(木)", "この日の投稿は15件です。", "前の日", "次の日")
}

// TestCalendarDayPages: a day of more than a page continues after the
// page's last item, ties at one time included; a cursor that does not
// parse, or lies outside the day, opens the day from its start.
func TestCalendarDayPages(t *testing.T) {
	ce := newCalEnv(t, nil)
	// calDayPage+5 items, in pairs at the same minute (a tie across the
	// page's edge).
	n := calDayPage + 5
	start := time.Date(2027, 2, 20, 6, 0, 0, 0, calTokyo)
	for i := range n {
		ce.post(t, fmt.Sprintf("Item %03d", i), start.Add(time.Duration(i/2)*time.Minute).UTC(), time.Time{})
	}
	_, first := ce.get(t, "/calendar?view=day&date=2027-02-20")
	items := calItemsIn(first)
	if len(items) != calDayPage || items[0] != "Item 000" || items[calDayPage-1] != fmt.Sprintf("Item %03d", calDayPage-1) {
		t.Fatalf("first page: %d items, %q … %q", len(items), items[0], items[len(items)-1])
	}
	wantAll(t, "first page", first, fmt.Sprintf("%d posts on this day.", n), "Later on this day (5 more)")
	m := regexp.MustCompile(`href="([^"]*after=[^"]*)"`).FindStringSubmatch(first)
	if m == nil {
		t.Fatal("no link to the next page")
	}
	_, second := ce.get(t, html.UnescapeString(m[1]))
	if got := calItemsIn(second); len(got) != 5 || got[0] != fmt.Sprintf("Item %03d", calDayPage) || got[4] != fmt.Sprintf("Item %03d", n-1) {
		t.Errorf("second page: %q", got)
	}
	wantAll(t, "second page", second, "Back to the start of the day")
	if strings.Contains(second, "Later on this day") {
		t.Error("the last page offers a later one")
	}
	for _, bad := range []string{"x", "12.", "1.-3", fmt.Sprint(time.Date(2027, 2, 25, 0, 0, 0, 0, time.UTC).UnixMicro()) + ".5"} {
		_, page := ce.get(t, "/calendar?view=day&date=2027-02-20&after="+bad)
		if got := calItemsIn(page); len(got) != calDayPage || got[0] != "Item 000" {
			t.Errorf("after=%s: %d items from %q", bad, len(got), got[0])
		}
	}
}

// TestCalStart: a cell's edge is the first instant of its local date and
// hour, past a skipped hour, at the first of a repeated one.
func TestCalStart(t *testing.T) {
	load := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	ny, santiago := load("America/New_York"), load("America/Santiago")
	for _, c := range []struct {
		name    string
		y       int
		m       time.Month
		d, h    int
		loc     *time.Location
		wantUTC time.Time
	}{
		{"Tokyo midnight", 2027, 2, 18, 0, calTokyo, time.Date(2027, 2, 17, 15, 0, 0, 0, time.UTC)},
		{"New York, the skipped 02:00 starts at 03:00 EDT", 2027, 3, 14, 2, ny, time.Date(2027, 3, 14, 7, 0, 0, 0, time.UTC)},
		{"New York, the repeated 01:00 starts at the first (EDT)", 2027, 11, 7, 1, ny, time.Date(2027, 11, 7, 5, 0, 0, 0, time.UTC)},
		{"Santiago, a day whose midnight is skipped starts at 01:00", 2026, 9, 6, 0, santiago, time.Date(2026, 9, 6, 4, 0, 0, 0, time.UTC)},
		{"a day out of range rolls over", 2027, 2, 29, 0, calTokyo, time.Date(2027, 2, 28, 15, 0, 0, 0, time.UTC)},
	} {
		got := calStart(c.y, c.m, c.d, c.h, c.loc)
		if !got.Equal(c.wantUTC) {
			t.Errorf("%s: %s, want %s", c.name, got.UTC(), c.wantUTC)
		}
		if l := got.In(c.loc); c.h == 0 && l.Format(calDateLayout) != time.Date(c.y, c.m, c.d, 0, 0, 0, 0, time.UTC).Format(calDateLayout) {
			t.Errorf("%s: starts on %s", c.name, l)
		}
	}
}
