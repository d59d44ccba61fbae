package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos"
)

// TestComposePostNow: "Approve and post now" asks first (the page again,
// everything kept, nothing saved), then approves and schedules the post
// for now, once however often the confirmation is sent.
func TestComposePostNow(t *testing.T) {
	ce := newComposeEnv(t)
	ctx := context.Background()

	// Without a time, post now is the primary action; with one, it is not
	// offered.
	_, body := do(t, ce.c, "GET", ce.srv.URL+"/compose", nil)
	wantAll(t, "compose page", body, `id="approve-now" aria-keyshortcuts="Control+Enter Meta+Enter">Approve and post now<`,
		`class="button secondary" name="do" value="schedule" id="approve-schedule"`, `id="confirm-now" role="group" aria-labelledby="confirm-now-text" hidden`,
		`id="compose-keys"`, "Ctrl&#43;S")
	_, body = do(t, ce.c, "GET", ce.srv.URL+"/compose?at=2030-01-02T09:00", nil)
	wantAll(t, "compose page with a time", body, `class="button" name="do" value="schedule" id="approve-schedule"`, `aria-keyshortcuts="Control+Enter Meta+Enter" hidden>`)

	// The first submit: the confirmation, the text kept, nothing saved.
	f := ce.form("今すぐ出します", "now")
	f.Set("date", "2020-01-02") // ignored by post now
	resp, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("post now: %d", resp.StatusCode)
	}
	wantAll(t, "confirmation", body, "Post to X @snsos_demo now? This cannot be undone once published.",
		`value="now-confirmed" id="confirm-now-yes" autofocus>Post now<`, "今すぐ出します", `name="token" value="`+f.Get("token")+`"`)
	if strings.Contains(body, `id="confirm-now" role="group" aria-labelledby="confirm-now-text" hidden`) {
		t.Fatal("the confirmation is hidden")
	}
	if posts, _ := ce.store.ListPosts(ctx, storePostFilter()); len(posts) != 0 {
		t.Fatalf("%d posts saved before the confirmation", len(posts))
	}

	// Confirmed, twice at once: one post, scheduled now, with its jobs.
	f.Set("do", "now-confirmed")
	var wg sync.WaitGroup
	locs := make([]string, 2)
	for i := range locs {
		wg.Go(func() {
			resp, _ := do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
			locs[i] = resp.Header.Get("Location")
		})
	}
	wg.Wait()
	if locs[0] == "" || locs[0] != locs[1] || !strings.HasSuffix(locs[0], "?flash=compose.now") {
		t.Fatalf("confirmed submits went to %q", locs)
	}
	posts, _ := ce.store.ListPosts(ctx, storePostFilter())
	if len(posts) != 1 {
		t.Fatalf("%d posts from one confirmed form", len(posts))
	}
	tg := posts[0].Targets[0]
	if tg.State != snsos.StateScheduled || !tg.ScheduledAt.Equal(ce.clock.Now()) {
		t.Fatalf("target %+v, want scheduled now", tg)
	}
	if n := ce.jobCount(t, tg.ID); n != 2 {
		t.Fatalf("%d jobs, want publish and preflight", n)
	}
	_, body = do(t, ce.c, "GET", ce.srv.URL+locs[0], nil)
	wantAll(t, "post page", body, "Approved; publishing now.")

	// No account: said at once, no question.
	f = ce.form("nobody", "now")
	f.Del("account")
	if resp, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", f); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose at least one account") {
		t.Fatalf("post now without an account: %d", resp.StatusCode)
	}

	// Japanese.
	setLang(t, &pagesEnv{testEnv: ce.testEnv, c: ce.c}, "ja")
	_, body = do(t, ce.c, "POST", ce.srv.URL+"/compose", ce.form("日本語", "now"))
	wantAll(t, "Japanese confirmation", body, "承認して今すぐ投稿", "X @snsos_demoに今すぐ投稿しますか？公開後は元に戻せません。", ">今すぐ投稿<")
}

// TestComposeMediaBadges: each tray item says, per selected platform,
// whether it can be used and why not; the set's problems appear once under
// the tray; /compose/check returns the same.
func TestComposeMediaBadges(t *testing.T) {
	ce := newComposeEnv(t)
	ctx := context.Background()
	var ids []string
	for i := range 5 {
		m, err := ce.lib.Upload(ctx, strings.NewReader(string(testPNGSized(t, 20+i))), "p"+strconv.Itoa(i)+".png")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, strconv.FormatInt(m.ID, 10))
	}
	f := ce.form("five images", "check")
	f["media"] = ids
	resp, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("check: %d", resp.StatusCode)
	}
	wantAll(t, "badges", body, `<li class="mbadge ok">X ✓</li>`, `id="media-errors"><li>X posts can have at most 4 media items; this has 5.</li>`)
	if n := strings.Count(body, "at most 4 media items"); n != 2 { // under the tray and in the list of what blocks approval
		t.Fatalf("the set's error appears %d times", n)
	}

	// A JPEG-only platform refuses a PNG: Instagram.
	ig := &snsos.Account{Platform: snsos.PlatformInstagram, RemoteID: "44", Handle: "ig_demo"}
	if err := ce.store.UpsertAccount(ctx, ig); err != nil {
		t.Fatal(err)
	}
	f = ce.form("one image", "")
	f.Add("account", strconv.FormatInt(ig.ID, 10))
	f["media"] = ids[:1]
	_, body = do(t, ce.c, "POST", ce.srv.URL+"/compose/check", f)
	var res composeCheckResult
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Media) != 1 || len(res.Media[0].Badges) != 2 {
		t.Fatalf("media badges %+v", res.Media)
	}
	x, insta := res.Media[0].Badges[0], res.Media[0].Badges[1]
	if !x.OK || x.Text != "X ✓" || insta.OK || !strings.HasPrefix(insta.Text, "Instagram ✗ ") || !strings.Contains(insta.Text, "JPEG") {
		t.Fatalf("badges %+v %+v", x, insta)
	}
	if len(res.MediaErrors) != 0 {
		t.Fatalf("set errors %q", res.MediaErrors)
	}
	blocked := false
	for _, b := range res.Blocking {
		blocked = blocked || strings.HasPrefix(b, "Media 1: ")
	}
	if !blocked {
		t.Fatalf("blocking %q", res.Blocking)
	}
	// Instagram without media: said once, for the set.
	f.Del("media")
	_, body = do(t, ce.c, "POST", ce.srv.URL+"/compose/check", f)
	res = composeCheckResult{}
	json.Unmarshal([]byte(body), &res)
	if len(res.Media) != 0 || len(res.MediaErrors) != 1 || !strings.Contains(res.MediaErrors[0], "Instagram posts need at least one image or video") {
		t.Fatalf("no media: %+v %q", res.Media, res.MediaErrors)
	}
}

// TestComposeQuickPicks: the next free slot skips the selected accounts'
// scheduled posts (±30 min); a pick fills the date and time without
// JavaScript; best hours come from the analytics computation once there is
// enough history.
func TestComposeQuickPicks(t *testing.T) {
	ce := newCalEnv(t, nil)
	// calNow is 10:00 in Tokyo: the first candidate is 10:10. A post at
	// 10:30 makes 10:10 to 11:00 busy.
	busy := time.Date(2027, 2, 10, 10, 30, 0, 0, calTokyo)
	ce.post(t, "busy", busy, time.Time{})
	_, body := ce.get(t, "/compose") // one account: chosen for the operator
	want := time.Date(2027, 2, 10, 11, 5, 0, 0, calTokyo)
	wantAll(t, "next free slot", body, `value="pick:`+want.UTC().Format(time.RFC3339)+`"`, "Next free slot · 10 Feb 11:05", `id="pick-next"`)

	// Without JavaScript, a pick re-renders the form with the time set.
	f := url.Values{"token": {newComposeToken()}, "account": {strconv.FormatInt(ce.acct.ID, 10)}, "body": {"kept"}, "zone": {"Asia/Tokyo"},
		"do": {"pick:" + want.UTC().Format(time.RFC3339)}}
	resp, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("pick: %d", resp.StatusCode)
	}
	wantAll(t, "picked", body, `value="2027-02-10"`, `value="11:05"`, ">kept</textarea>")
	// In another zone, the same instant.
	f.Set("zone", "UTC")
	_, body = do(t, ce.c, "POST", ce.srv.URL+"/compose", f)
	wantAll(t, "picked in UTC", body, `value="2027-02-10"`, `value="02:05"`)

	// /compose/check: with no account selected, nothing is busy.
	f.Del("account")
	f.Set("do", "")
	_, body = do(t, ce.c, "POST", ce.srv.URL+"/compose/check", f)
	var res composeCheckResult
	json.Unmarshal([]byte(body), &res)
	if res.NextFree == nil || res.NextFree.At != time.Date(2027, 2, 10, 1, 10, 0, 0, time.UTC).Format(time.RFC3339) {
		t.Fatalf("next free %+v", res.NextFree)
	}
	// Editing the busy post itself: its own time is free.
	p := ce.post(t, "own", time.Date(2027, 2, 10, 10, 15, 0, 0, calTokyo), time.Time{})
	_, body = ce.get(t, postHref(p.ID)+"/edit")
	if !strings.Contains(body, `name="post" value="`+strconv.FormatInt(p.ID, 10)+`"`) {
		t.Fatal("the edit form does not name its post")
	}

	// No best hours yet.
	if strings.Contains(body, "your best hour") {
		t.Fatal("best hours offered without history")
	}
	// History as in TestAnalyticsBestHours: Sat 21:00 ×4, Mon 09:00 ×3, Wed 12:00 ×3.
	for _, s := range []struct {
		day   time.Time
		hour  int
		views []int64
	}{
		{time.Date(2027, 1, 9, 0, 0, 0, 0, calTokyo), 21, []int64{100, 200, 300, 1000}},
		{time.Date(2027, 1, 4, 0, 0, 0, 0, calTokyo), 9, []int64{50, 60, 70}},
		{time.Date(2027, 1, 6, 0, 0, 0, 0, calTokyo), 12, []int64{10, 20, 30}},
	} {
		for k, v := range s.views {
			d := s.day.AddDate(0, 0, -7*k)
			at := time.Date(d.Year(), d.Month(), d.Day(), s.hour, 0, 0, 0, calTokyo)
			hp := ce.post(t, "Slot post", at.Add(-time.Hour), at)
			ce.anSnap(t, hp.Targets[0].ID, snsos.Checkpoint24h, at.Add(24*time.Hour), snsos.SnapshotOK, anViews(v))
		}
	}
	_, body = ce.get(t, "/compose")
	sat := time.Date(2027, 2, 13, 21, 0, 0, 0, calTokyo)
	wantAll(t, "best hours", body, "Sat 21:00 · your best hour", `value="pick:`+sat.UTC().Format(time.RFC3339)+`"`, "Mon 09:00 · your best hour",
		"Wed 12:00 · your best hour")
	if a, b := strings.Index(body, "Next free slot"), strings.Index(body, "Sat 21:00 · your best hour"); a < 0 || b < a {
		t.Fatal("the next free slot is not the first pick")
	}
}

// TestComposePostNowRefusesFirst: "post now" on a post that would be
// refused shows the problems, not the question.
func TestComposePostNowRefusesFirst(t *testing.T) {
	ce := newComposeEnv(t)
	resp, body := do(t, ce.c, "POST", ce.srv.URL+"/compose", ce.form(strings.Repeat("Too long. ", 30), "now"))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Too long for X") ||
		!strings.Contains(body, `id="confirm-now" role="group" aria-labelledby="confirm-now-text" hidden`) {
		t.Fatalf("post now of an over-long text: %d\n%s", resp.StatusCode, body)
	}
	if posts, err := ce.store.ListPosts(context.Background(), storePostFilter()); err != nil || len(posts) != 0 {
		t.Fatalf("saved %d posts (%v)", len(posts), err)
	}
}
