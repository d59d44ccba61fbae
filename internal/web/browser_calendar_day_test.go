package web

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/sns-os/snsos/internal/browsertest"
)

// TestBrowserCalendarBusyDay: in a real browser, a busy day's "+N more"
// is reached and followed with the keyboard alone, leads to the day view
// with every item, reads the same in Japanese, shows on a phone (the
// agenda and the day view), and passes axe.
func TestBrowserCalendarBusyDay(t *testing.T) {
	ce := newCalEnv(t, nil)
	base := time.Date(2027, 2, 18, 9, 0, 0, 0, calTokyo)
	for i := range 8 {
		ce.post(t, fmt.Sprintf("Busy day item %d", i), base.Add(time.Duration(i)*20*time.Minute).UTC(), time.Time{})
	}
	b := browsertest.New(t, ce.srv.URL, 90*time.Second)
	b.Step("open the month", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(ce.srv.URL+"/calendar?view=month&date=2027-02"),
		chromedp.WaitVisible(chromedp.ID("password")))
	b.Step("sign in", chromedp.SendKeys(chromedp.ID("password"), "pw"), chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("table.cal-month")))
	more := `td[data-date="2027-02-18"] a.cal-more`
	// Its name for a screen reader says which day it is.
	if got := browsertest.Eval[string](b, `document.querySelector('`+more+`').textContent`); got != "+5 more on Thu 18 Feb" {
		t.Fatalf("the busy day's link reads %q", got)
	}
	checkAxe := func(where string) {
		t.Helper()
		for _, v := range b.Axe() {
			if v.Serious() {
				t.Errorf("%s: accessibility: %s", where, v)
			}
		}
	}
	checkAxe("month")

	// Tab from the day's last item's Change time link to "+5 more", then Enter.
	b.Step("focus before the link", chromedp.Focus(chromedp.CSS(`td[data-date="2027-02-18"] li.cal-item:last-child a.cal-move`)))
	b.Step("tab", chromedp.KeyEvent(kb.Tab))
	if got := browsertest.Eval[string](b, `document.activeElement.className`); got != "cal-more" {
		t.Fatalf("Tab after the last item reaches %q, not +5 more", got)
	}
	b.Step("enter", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS("ol.cal-day-hours")))
	if loc := b.Location(); loc != "/calendar?date=2027-02-18&view=day" {
		t.Errorf("the link led to %s", loc)
	}
	day := b.Text("main")
	for i := range 8 {
		if !strings.Contains(day, fmt.Sprintf("Busy day item %d", i)) {
			t.Errorf("the day view lacks item %d:\n%s", i, day)
		}
	}
	if !strings.Contains(day, "8 posts on this day.") {
		t.Errorf("the day view's summary:\n%s", day)
	}
	checkAxe("day")

	b.Step("Japanese", chromedp.Click(chromedp.CSS(`a[hreflang="ja"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="ja"] ol.cal-day-hours`)))
	if day := b.Text("main"); !strings.Contains(day, "この日の投稿は8件です。") || !strings.Contains(day, "2027年2月18日(木)") {
		t.Errorf("the Japanese day view:\n%s", day)
	}
	checkAxe("day ja")

	// A phone: the month's agenda carries "+5 more", and the day view shows.
	b.Step("phone month", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(ce.srv.URL+"/calendar?view=month&date=2027-02"), chromedp.WaitVisible(chromedp.CSS(".cal-agenda a.cal-more")))
	if got := b.Text(".cal-agenda a.cal-more"); !strings.Contains(got, "他5件") {
		t.Errorf("the phone's agenda link reads %q", got)
	}
	b.Step("phone day", chromedp.Click(chromedp.CSS(".cal-agenda a.cal-more")), chromedp.WaitVisible(chromedp.CSS("ol.cal-day-hours")))
	checkAxe("phone day")
}
