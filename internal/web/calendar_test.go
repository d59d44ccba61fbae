package web

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

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

func TestCalendarReschedule(t *testing.T) {
	ce := newCalEnv(t, nil)
	p := ce.post(t, "Move me", time.Date(2027, 2, 12, 15, 30, 0, 0, time.UTC), time.Time{})
	pub := ce.post(t, "Published stays", time.Date(2027, 1, 20, 3, 0, 0, 0, time.UTC), time.Date(2027, 2, 1, 3, 0, 0, 0, time.UTC))
	path := "/calendar/posts/" + itoa(p.ID) + "/time"

	resp, body := ce.get(t, path+"?back="+url.QueryEscape("/calendar?view=month&date=2027-02"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("form: %d", resp.StatusCode)
	}
	wantAll(t, "form", body, `value="2027-02-13T00:30"`, `value="Asia/Tokyo"`, `type="datetime-local"`, `<label for="at">`, `<label for="zone">`,
		`name="back" value="/calendar?view=month&amp;date=2027-02"`, "Sat, 13 Feb 2027, 00:30", "= 12 Feb 15:30 UTC")

	post := func(at, zone string) (*http.Response, string) {
		t.Helper()
		return do(t, ce.c, "POST", ce.srv.URL+path, url.Values{"at": {at}, "zone": {zone}, "back": {"/calendar"}})
	}
	cases := []struct {
		name, at, zone, want string
		invalid              string // the field marked aria-invalid
	}{
		{"past", "2027-02-01T09:00", "Asia/Tokyo", "This time has passed. Pick a later time.", "at"},
		{"no such date", "2027-02-30T10:00", "Asia/Tokyo", "That is not a date and time.", "at"},
		{"empty", "", "Asia/Tokyo", "Enter a date and time.", "at"},
		{"zone", "2027-02-20T21:00", "Mars/Olympus", "“Mars/Olympus” is not a time zone sns-os knows.", "zone"},
		{"dst gap", "2027-03-14T02:30", "America/New_York", "That time does not exist in America/New_York", "at"},
		{"dst overlap", "2027-11-07T01:30", "America/New_York", "That time happens twice in America/New_York", "at"},
	}
	for _, c := range cases {
		resp, body := post(c.at, c.zone)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d", c.name, resp.StatusCode)
			continue
		}
		wantAll(t, c.name, body, c.want, `id="error-summary"`, `value="`+c.at+`"`, `value="`+c.zone+`"`,
			`id="`+c.invalid+`" name="`+c.invalid+`"`)
		i := strings.Index(body, `id="`+c.invalid+`" name=`)
		if end := strings.Index(body[i:], ">"); !strings.Contains(body[i:i+end], `aria-invalid="true"`) {
			t.Errorf("%s: %s is not marked invalid", c.name, c.invalid)
		}
	}
	if calls := ce.engine.scheduled(); len(calls) != 0 {
		t.Fatalf("the engine was called for invalid input: %v", calls)
	}

	// The engine's own refusal (the account's quota) is shown too.
	ce.engine.setQuota(true)
	resp, body = post("2027-02-20T21:00", "Asia/Tokyo")
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "posting limit") || !strings.Contains(body, `value="2027-02-20T21:00"`) {
		t.Fatalf("quota: %d\n%s", resp.StatusCode, body)
	}
	ce.engine.setQuota(false)

	// Success: another zone is honoured, then back to the week of the new time.
	resp, _ = post("2027-02-20T07:00", "Europe/London")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reschedule: %d", resp.StatusCode)
	}
	if loc := resp.Header.Get("Location"); loc != "/calendar?date=2027-02-20&view=week&flash=moved" {
		t.Errorf("redirected to %s", loc)
	}
	want := time.Date(2027, 2, 20, 7, 0, 0, 0, time.UTC)
	if calls := ce.engine.scheduled(); len(calls) != 2 || !calls[1].Equal(want) {
		t.Fatalf("engine calls %v, want the last at %v", calls, want)
	}
	got, err := ce.store.FindPostByID(context.Background(), p.ID)
	if err != nil || !got.Targets[0].ScheduledAt.Equal(want) || got.Targets[0].State != snsos.StateScheduled {
		t.Fatalf("stored %+v, %v", got.Targets[0], err)
	}
	_, body = ce.get(t, "/calendar?date=2027-02-20&view=week&flash=moved")
	wantAll(t, "after", body, "The new time is saved.")
	if c := calCell(body, ">16:00<", "2027-02-20"); !strings.Contains(c, "Move me") {
		t.Errorf("moved post not at Sat 20 16:00 Tokyo: %s", c)
	}

	// A published post never moves.
	ppath := "/calendar/posts/" + itoa(pub.ID) + "/time"
	_, body = ce.get(t, ppath)
	if strings.Contains(body, `name="at"`) || !strings.Contains(body, "Published posts never move.") {
		t.Errorf("published form:\n%s", body)
	}
	resp, _ = do(t, ce.c, "POST", ce.srv.URL+ppath, url.Values{"at": {"2027-02-20T21:00"}, "zone": {"Asia/Tokyo"}})
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("moving a published post: %d", resp.StatusCode)
	}
	if resp, _ := ce.get(t, "/calendar/posts/999999/time"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown post: %d", resp.StatusCode)
	}
	// Japanese errors.
	setLangCal(t, ce, "ja")
	_, body = post("2027-02-01T09:00", "Asia/Tokyo")
	wantAll(t, "ja error", body, "この日時はすでに過ぎています。", "日時は変更されていません")
}

// icsParse unfolds an iCalendar stream and returns its events as maps of
// property name (without parameters) to value, checking the framing.
func icsParse(t *testing.T, raw string) []map[string]string {
	t.Helper()
	if !strings.HasSuffix(raw, "\r\n") {
		t.Fatal("the feed does not end with CRLF")
	}
	for i, line := range strings.Split(strings.TrimSuffix(raw, "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line %d is %d octets: %q", i, len(line), line)
		}
		if !utf8.ValidString(line) {
			t.Errorf("line %d splits a UTF-8 sequence: %q", i, line)
		}
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("line %d has a bare CR or LF", i)
		}
	}
	unfolded := strings.ReplaceAll(raw, "\r\n ", "")
	var events []map[string]string
	var cur map[string]string
	for _, line := range strings.Split(strings.TrimSuffix(unfolded, "\r\n"), "\r\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("not a content line: %q", line)
		}
		name, _, _ = strings.Cut(name, ";")
		switch {
		case name == "BEGIN" && value == "VEVENT":
			cur = map[string]string{}
		case name == "END" && value == "VEVENT":
			events = append(events, cur)
			cur = nil
		case cur != nil:
			cur[name] = value
		}
	}
	return events
}

// icsUnescape reverses icsText.
func icsUnescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestCalendarFeed(t *testing.T) {
	ce := newCalEnv(t, nil)
	long := "長い日本語の投稿です。カレンダーの行の折り返しで、文字の途中が切れないことを確かめます。絵文字も🎉入れておきます, with a comma; a semicolon and a back\\slash.\nSecond line"
	sched := ce.post(t, long, time.Date(2027, 2, 12, 15, 30, 0, 0, time.UTC), time.Time{})
	pub := ce.post(t, "Published one", time.Date(2027, 1, 20, 3, 0, 0, 0, time.UTC), time.Date(2027, 2, 1, 3, 0, 0, 0, time.UTC))
	ce.post(t, "Too far ahead", time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC), time.Time{})
	ce.post(t, "Long ago", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Time{})
	ce.post(t, "Just a draft", time.Time{}, time.Time{})

	u, err := ce.h.feedURL(context.Background())
	if err != nil || !strings.HasPrefix(u, "/feeds/schedule.ics?token=") {
		t.Fatalf("feed URL %q, %v", u, err)
	}
	token := strings.TrimPrefix(u, "/feeds/schedule.ics?token=")

	// No session needed: a calendar app fetches it.
	anon := ce.client(t)
	resp, raw := do(t, anon, "GET", ce.srv.URL+u, nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("feed: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), raw)
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control %q", cc)
	}
	if !strings.HasPrefix(raw, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") || !strings.HasSuffix(raw, "END:VCALENDAR\r\n") {
		t.Fatalf("framing:\n%s", raw)
	}
	if strings.Contains(raw, token) || strings.Contains(raw, string(bytes.Repeat([]byte{9}, 32))) {
		t.Fatal("the feed contains its token or key")
	}
	events := icsParse(t, raw)
	if len(events) != 2 {
		t.Fatalf("%d events, want 2:\n%s", len(events), raw)
	}
	byUID := map[string]map[string]string{}
	for _, ev := range events {
		byUID[ev["UID"]] = ev
		for _, k := range []string{"UID", "DTSTAMP", "DTSTART", "SUMMARY", "URL"} {
			if ev[k] == "" {
				t.Errorf("event lacks %s: %v", k, ev)
			}
		}
		if ev["DTSTAMP"] != "20270210T010000Z" {
			t.Errorf("DTSTAMP %s", ev["DTSTAMP"])
		}
	}
	ev := byUID["target-"+itoa(sched.Targets[0].ID)+"@sns-os"]
	if ev == nil {
		t.Fatalf("no event for the scheduled target: %v", byUID)
	}
	if ev["DTSTART"] != "20270212T153000Z" || ev["URL"] != ce.srv.URL+"/posts/"+itoa(sched.ID) {
		t.Errorf("scheduled event %v", ev)
	}
	if s := icsUnescape(ev["SUMMARY"]); !strings.HasPrefix(s, "X: 長い日本語の投稿です。") {
		t.Errorf("SUMMARY %q", s)
	}
	if d := icsUnescape(ev["DESCRIPTION"]); !strings.Contains(d, "with a comma; a semicolon and a back\\slash.\nSecond line") ||
		!strings.HasPrefix(d, "Scheduled on X as @cal_demo.") {
		t.Errorf("DESCRIPTION %q", d)
	}
	if !strings.Contains(ev["DESCRIPTION"], `\, with a comma\; a semicolon and a back\\slash.\nSecond line`) {
		t.Errorf("DESCRIPTION not escaped: %q", ev["DESCRIPTION"])
	}
	if ev := byUID["target-"+itoa(pub.Targets[0].ID)+"@sns-os"]; ev == nil || ev["DTSTART"] != "20270201T030000Z" || ev["CATEGORIES"] != "published" {
		t.Errorf("published event %v", ev)
	}

	// A wrong token, and a truncated one, are not found.
	for _, bad := range []string{"/feeds/schedule.ics?token=" + strings.Repeat("A", len(token)), "/feeds/schedule.ics?token=" + token[:10], "/feeds/schedule.ics?token=x", "/feeds/schedule.ics"} {
		if resp, body := do(t, anon, "GET", ce.srv.URL+bad, nil); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "VCALENDAR") {
			t.Errorf("%s: %d", bad, resp.StatusCode)
		}
	}

	// The calendar page shows the feed's address.
	_, body := ce.get(t, "/calendar")
	wantAll(t, "calendar footer", body, ce.srv.URL+u, `action="/calendar/feed/regenerate"`)

	// Regenerating invalidates the old address.
	resp, _ = do(t, ce.c, "POST", ce.srv.URL+"/calendar/feed/regenerate", url.Values{})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/settings" {
		t.Fatalf("regenerate: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	u2, err := ce.h.feedURL(context.Background())
	if err != nil || u2 == u {
		t.Fatalf("new URL %q (old %q), %v", u2, u, err)
	}
	if resp, _ := do(t, anon, "GET", ce.srv.URL+u, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("old URL after regenerating: %d", resp.StatusCode)
	}
	if resp, _ := do(t, anon, "GET", ce.srv.URL+u2, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("new URL: %d", resp.StatusCode)
	}
	resp, _ = do(t, ce.c, "POST", ce.srv.URL+"/calendar/feed/regenerate", url.Values{"next": {"/calendar?view=week&flash=feed"}})
	if resp.Header.Get("Location") != "/calendar?view=week&flash=feed" {
		t.Errorf("regenerate with next: %s", resp.Header.Get("Location"))
	}
	// Regenerating needs a session.
	if resp, _ := do(t, anon, "POST", ce.srv.URL+"/calendar/feed/regenerate", url.Values{}); resp.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(resp.Header.Get("Location"), "/signin") {
		t.Errorf("regenerate without a session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestCalendarFeedDisabledAndPublicURL(t *testing.T) {
	ce := newCalEnv(t, func(c *Config) { c.FeedKey = nil })
	if u, err := ce.h.feedURL(context.Background()); u != "" || err != nil {
		t.Fatalf("disabled feed URL %q, %v", u, err)
	}
	tok := base64Token(bytes.Repeat([]byte{9}, 32), "0")
	if resp, _ := do(t, ce.client(t), "GET", ce.srv.URL+"/feeds/schedule.ics?token="+tok, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("disabled feed: %d", resp.StatusCode)
	}
	_, body := ce.get(t, "/calendar")
	wantAll(t, "calendar", body, "The calendar feed is off on this server.")

	h := New(Config{Store: ce.store, PublicURL: "https://sns.example.com/", FeedKey: []byte("k"), Now: ce.clock.Now})
	u, err := h.feedURL(context.Background())
	if err != nil || u != "https://sns.example.com/feeds/schedule.ics?token="+base64Token([]byte("k"), "0") {
		t.Errorf("feed URL with a public URL: %q, %v", u, err)
	}
}

// base64Token computes the feed token independently of the handler.
func base64Token(key []byte, gen string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("ical-feed:" + gen))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func TestICSFoldAndEscape(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain", "plain"},
		{`a,b;c\d`, `a\,b\;c\\d`},
		{"two\nlines\r\nthree", `two\nlines\nthree`},
		{"tab\tand bell\a", "tab\tand bell"},
	}
	for _, c := range cases {
		if got := icsText(c.in); got != c.want {
			t.Errorf("icsText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	var b bytes.Buffer
	icsFold(&b, "SUMMARY:"+strings.Repeat("あ", 40))
	lines := strings.Split(strings.TrimSuffix(b.String(), "\r\n"), "\r\n")
	if len(lines) != 2 || len(lines[0]) != 74 || !strings.HasPrefix(lines[1], " ") {
		t.Errorf("folded %q", lines)
	}
	b.Reset()
	icsFold(&b, strings.Repeat("x", 75))
	if b.String() != strings.Repeat("x", 75)+"\r\n" {
		t.Errorf("75 octets must not fold: %q", b.String())
	}
}

func FuzzICSFold(f *testing.F) {
	for _, s := range []string{"", "hello", strings.Repeat("é", 60), "日本語🎉,;\\\n" + strings.Repeat("z", 100), "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		text := icsText(s)
		var b bytes.Buffer
		icsFold(&b, "DESCRIPTION:"+text)
		out := b.String()
		if !strings.HasSuffix(out, "\r\n") {
			t.Fatal("no CRLF at the end")
		}
		for _, line := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
			if len(line) > 75 || !utf8.ValidString(line) || strings.ContainsAny(line, "\r\n") {
				t.Fatalf("bad physical line %q", line)
			}
		}
		unfolded := strings.TrimSuffix(strings.ReplaceAll(out, "\r\n ", ""), "\r\n")
		if want := "DESCRIPTION:" + strings.ToValidUTF8(text, "\uFFFD"); unfolded != want {
			t.Fatalf("unfolds to %q, want %q", unfolded, want)
		}
		// Escaping round-trips for text without other control characters.
		clean := strings.Map(func(r rune) rune {
			if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f {
				return -1
			}
			return r
		}, strings.ReplaceAll(s, "\r", ""))
		if got := icsUnescape(icsText(clean)); got != clean {
			t.Fatalf("round trip %q -> %q", clean, got)
		}
	})
}

// joinEngine refuses every schedule with validation errors wrapped in a
// joined error, as a caller adding context may wrap them.
type joinEngine struct{ Engine }

func (joinEngine) Schedule(ctx context.Context, postID int64, at time.Time) (*snsos.Post, error) {
	var v snsos.ValidationErrors
	v.Add("targets[0].scheduled_at", "quota", "over the quota")
	return nil, &snsos.Error{Code: snsos.EINVALID, Message: "refused", Err: errors.Join(errors.New("schedule"), v)}
}

// TestCalRescheduleWrappedValidation: the engine's validation errors are
// found however they are wrapped (errors.As, not a walk that stops at a
// joined error), so the operator reads the rule that was broken.
func TestCalRescheduleWrappedValidation(t *testing.T) {
	ce := newCalEnv(t, func(c *Config) { c.Engine = joinEngine{} })
	p := ce.post(t, "move me", calNow.Add(48*time.Hour), time.Time{})
	resp, body := do(t, ce.c, "POST", ce.srv.URL+"/calendar/posts/"+itoa(p.ID)+"/time",
		url.Values{"at": {"2027-02-20T10:00"}, "zone": {"Asia/Tokyo"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("reschedule: %d", resp.StatusCode)
	}
	wantAll(t, "quota", body, "posting limit around that time")
}
