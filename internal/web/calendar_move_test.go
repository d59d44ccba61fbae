package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
)

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
