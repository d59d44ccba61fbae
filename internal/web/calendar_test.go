package web

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
)

// calNow is the calendar tests' clock: Wednesday 10 Feb 2027, 10:00 in
// Tokyo. The handler, the store and the fake engine all read it.
var calNow = time.Date(2027, 2, 10, 1, 0, 0, 0, time.UTC)

var calTokyo = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		panic(err)
	}
	return loc
}()

// calFakeEngine schedules through the store as the real engine does
// (scheduled → approved → scheduled at the new time) and records the calls.
type calFakeEngine struct {
	Engine // the other methods are not used here
	s      *store.Store
	now    func() time.Time
	mu     sync.Mutex
	calls  []time.Time
	quota  bool
}

func (f *calFakeEngine) setQuota(on bool) { f.mu.Lock(); f.quota = on; f.mu.Unlock() }

func (f *calFakeEngine) scheduled() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.calls...)
}

func (f *calFakeEngine) Schedule(ctx context.Context, postID int64, at time.Time) (*snsos.Post, error) {
	f.mu.Lock()
	f.calls = append(f.calls, at)
	quota := f.quota
	f.mu.Unlock()
	var v snsos.ValidationErrors
	if at.Before(f.now()) {
		v.Add("scheduled_at", "future", "in the past")
	}
	if quota {
		v.Add("targets[0].scheduled_at", "quota", "over the quota")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	p, err := f.s.FindPostByID(ctx, postID)
	if err != nil {
		return nil, err
	}
	moved := false
	for _, t := range p.Targets {
		if t.State == snsos.StateScheduled {
			if _, err := f.s.TransitionTarget(ctx, snsos.TargetTransition{TargetID: t.ID, From: snsos.StateScheduled, To: snsos.StateApproved}); err != nil {
				return nil, err
			}
			t.State = snsos.StateApproved
		}
		if t.State == snsos.StateApproved {
			if _, err := f.s.TransitionTarget(ctx, snsos.TargetTransition{TargetID: t.ID, From: snsos.StateApproved, To: snsos.StateScheduled,
				Mutate: func(t *snsos.Target) { t.ScheduledAt = at.UTC() }}); err != nil {
				return nil, err
			}
			moved = true
		}
	}
	if !moved {
		return nil, snsos.Errorf(snsos.ECONFLICT, "nothing to schedule")
	}
	if err := f.s.SetPostTimes(ctx, postID, nil, &at); err != nil {
		return nil, err
	}
	return f.s.FindPostByID(ctx, postID)
}

// calEnv is a signed-in client over a handler in Asia/Tokyo at calNow,
// with a feed key and the fake engine.
type calEnv struct {
	*testEnv
	c      *http.Client
	engine *calFakeEngine
	acct   *snsos.Account
}

func newCalEnv(t *testing.T, mod func(*Config)) *calEnv {
	t.Helper()
	e := newTestEnv(t, "pw")
	e.clock.Set(calNow)
	now := e.clock.Now
	eng := &calFakeEngine{s: e.store, now: now}
	cfg := Config{Store: e.store, Engine: eng, Location: calTokyo, Now: now, FeedKey: bytes.Repeat([]byte{9}, 32)}
	if mod != nil {
		mod(&cfg)
	}
	e.h = New(cfg)
	mux := http.NewServeMux()
	e.h.Routes(mux)
	e.srv.Config.Handler = chain(mux)
	a := &snsos.Account{Platform: snsos.PlatformX, RemoteID: "42", Handle: "cal_demo", DisplayName: "Demo"}
	if err := e.store.UpsertAccount(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	ce := &calEnv{testEnv: e, c: e.client(t), engine: eng, acct: a}
	if resp, _ := do(t, ce.c, "POST", e.srv.URL+"/signin", url.Values{"password": {"pw"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	return ce
}

// post creates a post with one X target scheduled at at (a draft when at
// is zero); publishedAt, when set, publishes it then.
func (ce *calEnv) post(t *testing.T, body string, at, publishedAt time.Time) *snsos.Post {
	t.Helper()
	ctx := context.Background()
	p := &snsos.Post{Body: body, ScheduledAt: at, Targets: []*snsos.Target{{AccountID: ce.acct.ID, State: snsos.StateScheduled}}}
	if at.IsZero() {
		p.Targets[0].State = snsos.StateDraft
	}
	if err := ce.store.CreatePost(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	if !publishedAt.IsZero() {
		for _, step := range [][2]snsos.TargetState{{snsos.StateScheduled, snsos.StatePublishing}, {snsos.StatePublishing, snsos.StatePublished}} {
			if _, err := ce.store.TransitionTarget(ctx, snsos.TargetTransition{TargetID: p.Targets[0].ID, From: step[0], To: step[1],
				Mutate: func(tg *snsos.Target) {
					if step[1] == snsos.StatePublished {
						tg.PublishedAt, tg.RemoteID = publishedAt, "1870000000000000001"
					}
				}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return p
}

func (ce *calEnv) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	return do(t, ce.c, "GET", ce.srv.URL+path, nil)
}

// calCell returns the HTML of the first <td> carrying data-date=date in
// html (after the marker, when given), or "".
func calCell(html, marker, date string) string {
	if marker != "" {
		i := strings.Index(html, marker)
		if i < 0 {
			return ""
		}
		html = html[i:]
	}
	i := strings.Index(html, `data-date="`+date+`"`)
	if i < 0 {
		return ""
	}
	if k := strings.LastIndex(html[:i], "<td"); k >= 0 {
		i = k
	}
	rest := html[i:]
	if j := strings.Index(rest, "</td>"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

func TestCalendarMonth(t *testing.T) {
	ce := newCalEnv(t, nil)
	// 15:30 UTC on Friday the 12th is 00:30 on Saturday the 13th in Tokyo.
	late := ce.post(t, "Across midnight, in Tokyo", time.Date(2027, 2, 12, 15, 30, 0, 0, time.UTC), time.Time{})
	pub := ce.post(t, "Published on the first", time.Date(2027, 1, 20, 3, 0, 0, 0, time.UTC), time.Date(2027, 2, 1, 3, 0, 0, 0, time.UTC))
	march := ce.post(t, "First of March", time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), time.Time{})
	ce.post(t, "A draft never shows", time.Time{}, time.Time{})
	for i := range 5 { // five on one day: three, then "+2 more"
		ce.post(t, "Busy day "+string(rune('A'+i)), time.Date(2027, 2, 18, 1+i, 0, 0, 0, time.UTC), time.Time{})
	}

	resp, body := ce.get(t, "/calendar?view=month&date=2027-02")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("month: %d\n%s", resp.StatusCode, body)
	}
	wantAll(t, "month", body, "February 2027", "Times in Asia/Tokyo.", `href="/posts/`, "&#43;2 more",
		`/calendar?date=2027-01&amp;view=month`, `/calendar?date=2027-03&amp;view=month`)
	if strings.Contains(body, "A draft never shows") {
		t.Error("the month shows a draft")
	}
	cell13 := calCell(body, "", "2027-02-13")
	if !strings.Contains(cell13, "Across midnight") || !strings.Contains(cell13, ">00:30<") || !strings.Contains(cell13, "Scheduled · ") {
		t.Errorf("13 Feb cell lacks the post at 00:30:\n%s", cell13)
	}
	if strings.Contains(calCell(body, "", "2027-02-12"), "Across midnight") {
		t.Error("the post is on the 12th (its UTC date)")
	}
	if c := calCell(body, "", "2027-02-01"); !strings.Contains(c, "Published on the first") || !strings.Contains(c, "s-published") ||
		strings.Contains(c, "Change time") {
		t.Errorf("1 Feb cell: %s", c)
	}
	if c := calCell(body, "", "2027-02-13"); !strings.Contains(c, "/calendar/posts/"+itoa(late.ID)+"/time?back=") {
		t.Errorf("scheduled item has no Change time link: %s", c)
	}
	if c := calCell(body, "", "2027-02-13"); !strings.Contains(c, `/compose?at=2027-02-13T09%3A00`) {
		t.Errorf("13 Feb cell has no compose link: %s", c)
	}
	if c := calCell(body, "", "2027-02-09"); strings.Contains(c, "/compose?at=") {
		t.Errorf("a past day offers compose: %s", c)
	}
	// Monday start: February 2027 is exactly four weeks, 1–28.
	if n := strings.Count(body, `<tr class="cal-weekrow"`); n != 4 {
		t.Errorf("monday start: %d week rows, want 4", n)
	}
	if strings.Contains(body, `data-date="2027-03-01"`) || !strings.Contains(body, `<th scope="col" class="">Mon</th>`) {
		t.Error("monday start: the grid should run Mon 1 Feb – Sun 28 Feb")
	}
	_ = pub

	// Sunday start: 31 Jan – 6 Mar, five rows, and March 1 is there.
	if err := ce.store.PutSetting(context.Background(), SettingWeekStart, "sunday"); err != nil {
		t.Fatal(err)
	}
	_, body = ce.get(t, "/calendar?view=month&date=2027-02")
	if n := strings.Count(body, `<tr class="cal-weekrow"`); n != 5 {
		t.Errorf("sunday start: %d week rows, want 5", n)
	}
	if c := calCell(body, "", "2027-03-01"); !strings.Contains(c, "First of March") || !strings.Contains(c, "cal-out") {
		t.Errorf("sunday start: 1 Mar cell %s", c)
	}
	i, j := strings.Index(body, `class="cal-sun">Sun</th>`), strings.Index(body, `class="">Mon</th>`)
	if i < 0 || j < 0 || i > j {
		t.Error("sunday start: Sunday is not the first column")
	}
	_ = march

	// Japanese.
	setLangCal(t, ce, "ja")
	_, body = ce.get(t, "/calendar?view=month&date=2027-02")
	wantAll(t, "ja month", body, "2027年2月", "時刻はAsia/Tokyoで表示しています。", "2027年2月13日(土)", "他2件", "予約済み・")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func setLangCal(t *testing.T, ce *calEnv, code string) {
	t.Helper()
	if resp, _ := do(t, ce.c, "GET", ce.srv.URL+"/lang/"+code, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("lang %s: %d", code, resp.StatusCode)
	}
}

func TestCalendarWeek(t *testing.T) {
	ce := newCalEnv(t, nil)
	ce.post(t, "Across midnight, in Tokyo", time.Date(2027, 2, 12, 15, 30, 0, 0, time.UTC), time.Time{}) // Sat 13, 00:30
	ce.post(t, "Evening post", time.Date(2027, 2, 11, 12, 0, 0, 0, time.UTC), time.Time{})               // Thu 11, 21:00
	ce.post(t, "Monday after", time.Date(2027, 2, 15, 3, 0, 0, 0, time.UTC), time.Time{})                // Mon 15, 12:00

	resp, body := ce.get(t, "/calendar?view=week&date=2027-02-13")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("week: %d", resp.StatusCode)
	}
	wantAll(t, "week", body, "Mon 8 Feb – Sun 14 Feb 2027", "Before 06:00", `/calendar?date=2027-02-01&amp;view=week`, `/calendar?date=2027-02-15&amp;view=week`)
	if strings.Contains(body, "Monday after") {
		t.Error("the week shows a post of the next week")
	}
	if c := calCell(body, ">Before 06:00<", "2027-02-13"); !strings.Contains(c, "Across midnight") {
		t.Errorf("Sat 13 early cell: %s", c)
	}
	if c := calCell(body, ">21:00<", "2027-02-11"); !strings.Contains(c, "Evening post") || !strings.Contains(c, ">21:00<") {
		t.Errorf("Thu 11 21:00 cell: %s", c)
	}
	if c := calCell(body, ">20:00<", "2027-02-11"); strings.Contains(c, "Evening post") {
		t.Errorf("Thu 11 20:00 cell holds the 21:00 post")
	}
	// Empty future slots link to compose at that hour; past ones don't.
	if c := calCell(body, ">21:00<", "2027-02-12"); !strings.Contains(c, `/compose?at=2027-02-12T21%3A00`) {
		t.Errorf("Fri 21:00 slot: %s", c)
	}
	if c := calCell(body, ">09:00<", "2027-02-10"); strings.Contains(c, "/compose") {
		t.Errorf("a past slot (today 09:00, now 10:00) offers compose: %s", c)
	}
	setLangCal(t, ce, "ja")
	_, body = ce.get(t, "/calendar?view=week&date=2027-02-13")
	// Japanese weeks start on Sunday unless the operator chose otherwise.
	wantAll(t, "ja week", body, "2027年2月7日(日)〜2月13日(土)", "06:00より前", "2027年2月13日(土)")
	if err := ce.store.PutSetting(context.Background(), SettingWeekStart, "monday"); err != nil {
		t.Fatal(err)
	}
	_, body = ce.get(t, "/calendar?view=week&date=2027-02-13")
	wantAll(t, "ja week from Monday", body, "2027年2月8日(月)〜2月14日(日)")
}

// TestCalendarWeekAcrossDST: a week in New York that holds the spring
// change (Sunday 14 March 2027 has no 02:00). The clock, a Friday evening
// that week, is the handler's, the store's and the session's.
func TestCalendarWeekAcrossDST(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	ce := newCalEnv(t, func(c *Config) { c.Location = ny })
	ce.clock.Set(time.Date(2027, 3, 12, 18, 0, 0, 0, ny)) // Fri 12 Mar, 18:00 EST
	// A month later than the sign-in, the session has ended: sign in again.
	if resp, _ := do(t, ce.c, "POST", ce.srv.URL+"/signin", url.Values{"password": {"pw"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	ce.post(t, "Saturday nine", time.Date(2027, 3, 13, 14, 0, 0, 0, time.UTC), time.Time{})         // Sat 13, 09:00 EST
	ce.post(t, "Sunday nine", time.Date(2027, 3, 14, 13, 0, 0, 0, time.UTC), time.Time{})           // Sun 14, 09:00 EDT
	ce.post(t, "Just after the change", time.Date(2027, 3, 14, 7, 30, 0, 0, time.UTC), time.Time{}) // Sun 14, 03:30 EDT

	resp, body := ce.get(t, "/calendar?view=week&date=2027-03-14")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("week: %d", resp.StatusCode)
	}
	wantAll(t, "week", body, "Mon 8 Mar – Sun 14 Mar 2027", "Times in America/New_York.")
	for _, c := range []struct{ row, date, want string }{
		{">09:00<", "2027-03-13", "Saturday nine"},
		{">09:00<", "2027-03-14", "Sunday nine"},
		{">Before 06:00<", "2027-03-14", "Just after the change"},
	} {
		if cell := calCell(body, c.row, c.date); !strings.Contains(cell, c.want) {
			t.Errorf("%s %s cell lacks %q: %s", c.date, c.row, c.want, cell)
		}
	}
	if cell := calCell(body, ">08:00<", "2027-03-14"); strings.Contains(cell, "Sunday nine") {
		t.Error("the 09:00 EDT post is in the 08:00 row (a fixed offset across the change)")
	}
	// Compose links: at the local hour on the day after the change, none
	// in the past of the clock.
	if cell := calCell(body, ">09:00<", "2027-03-14"); !strings.Contains(cell, `/compose?at=2027-03-14T09%3A00`) {
		t.Errorf("Sun 09:00 slot: %s", cell)
	}
	if cell := calCell(body, ">17:00<", "2027-03-12"); strings.Contains(cell, "/compose") {
		t.Errorf("a past slot (Fri 17:00, now 18:00) offers compose: %s", cell)
	}
	if cell := calCell(body, ">19:00<", "2027-03-12"); !strings.Contains(cell, `/compose?at=2027-03-12T19%3A00`) {
		t.Errorf("Fri 19:00 slot: %s", cell)
	}
}
