package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
)

// anSnap stores a snapshot of target tid.
func (ce *calEnv) anSnap(t *testing.T, tid int64, cp snsos.Checkpoint, fetched time.Time, status snsos.SnapshotStatus, vals map[string]int64) {
	t.Helper()
	if err := ce.store.PutSnapshot(context.Background(), &snsos.MetricSnapshot{TargetID: tid, Checkpoint: cp, Status: status,
		FetchedAt: fetched, Values: vals, Reason: map[bool]string{true: "-1+1 not reported"}[status == snsos.SnapshotUnavailable]}); err != nil {
		t.Fatal(err)
	}
}

func anViews(v int64) map[string]int64 {
	return map[string]int64{snsos.MetricViews: v, snsos.MetricLikes: v / 10, snsos.MetricComments: v / 100, snsos.MetricShares: v / 50}
}

// anRow returns the HTML of the table row holding text.
func anRow(body, table, text string) string {
	i := strings.Index(body, `id="`+table+`"`)
	if i < 0 {
		return ""
	}
	body = body[i:]
	j := strings.Index(body, text)
	if j < 0 {
		return ""
	}
	start := strings.LastIndex(body[:j], "<tr")
	end := strings.Index(body[j:], "</tr>")
	if start < 0 || end < 0 {
		return ""
	}
	return body[start : j+end]
}

// anCells returns the texts of a row's <td> cells, without the
// visually hidden explanations.
func anCells(row string) []string {
	var out []string
	for _, part := range strings.Split(row, "<td")[1:] {
		_, cell, _ := strings.Cut(part, ">")
		cell, _, _ = strings.Cut(cell, "</td>")
		cell, _, _ = strings.Cut(cell, `<span class="vh">`)
		out = append(out, strings.TrimSpace(cell))
	}
	return out
}

func TestAnalyticsPage(t *testing.T) {
	ce := newCalEnv(t, nil)
	// Published 8 Feb 2027 21:00 Tokyo: +1h and +24h collected, +7d due
	// 15 Feb (after now, 10 Feb).
	recent := ce.post(t, "Recent post with numbers", time.Date(2027, 2, 8, 10, 0, 0, 0, time.UTC), time.Date(2027, 2, 8, 12, 0, 0, 0, time.UTC))
	rt := recent.Targets[0].ID
	ce.anSnap(t, rt, snsos.Checkpoint1h, time.Date(2027, 2, 8, 13, 0, 0, 0, time.UTC), snsos.SnapshotOK, anViews(1234))
	ce.anSnap(t, rt, snsos.Checkpoint24h, time.Date(2027, 2, 9, 12, 0, 0, 0, time.UTC), snsos.SnapshotOK, anViews(5678))
	// Older: +1h unavailable, +24h missing past its time, +7d collected.
	older := ce.post(t, "Older post", time.Date(2027, 1, 20, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 20, 3, 0, 0, 0, time.UTC))
	ot := older.Targets[0].ID
	ce.anSnap(t, ot, snsos.Checkpoint1h, time.Date(2027, 1, 20, 4, 0, 0, 0, time.UTC), snsos.SnapshotUnavailable, nil)
	ce.anSnap(t, ot, snsos.Checkpoint7d, time.Date(2027, 1, 27, 3, 0, 0, 0, time.UTC), snsos.SnapshotOK, anViews(9000))
	// Outside 30 days.
	ancient := ce.post(t, "Ancient post", time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 1, 3, 0, 0, 0, time.UTC))
	ce.anSnap(t, ancient.Targets[0].ID, snsos.Checkpoint24h, time.Date(2026, 10, 2, 3, 0, 0, 0, time.UTC), snsos.SnapshotOK, anViews(77))
	ce.post(t, "Still scheduled", time.Date(2027, 2, 20, 0, 0, 0, 0, time.UTC), time.Time{})

	resp, body := ce.get(t, "/analytics?range=30d&platform=x")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("analytics: %d\n%s", resp.StatusCode, body)
	}
	wantAll(t, "analytics", body, "Views by checkpoint", `<th scope="colgroup" colspan="3" class="an-group">Views</th>`,
		`href="/analytics.csv?platform=x&amp;range=30d"`, `<option value="30d" selected>`, `<option value="x" selected>`,
		`id="an-chart-data"`, `/static/uPlot.iife.min.`, `/static/analytics.`, "Publish at least 10 posts to see your best hours (2 so far).")
	if strings.Contains(body, "Ancient post") || strings.Contains(body, "Still scheduled") {
		t.Error("the 30-day table shows a post outside the range or not published")
	}
	// Views | likes | comments | shares, each +1h | +24h | +7d.
	row := anCells(anRow(body, "an-posts", "Recent post with numbers"))
	want := []string{"<time", "1,234", "5,678", "—", "123", "567", "—", "12", "56", "—", "24", "113", "—"}
	if len(row) != len(want) {
		t.Fatalf("recent row cells %q", row)
	}
	for i := 1; i < len(want); i++ {
		if row[i] != want[i] {
			t.Errorf("recent row cell %d = %q, want %q (row %q)", i, row[i], want[i], row)
		}
	}
	if r := anRow(body, "an-posts", "Recent post with numbers"); !strings.Contains(r, `title="Not collected yet (due 15 Feb 21:00)"`) {
		t.Errorf("the +7d cell does not say when it is due: %s", r)
	}
	row = anCells(anRow(body, "an-posts", "Older post"))
	if len(row) != 13 || row[1] != "n/a" || row[2] != "—" || row[3] != "9,000" || row[12] != "180" {
		t.Errorf("older row %q", row)
	}
	if r := anRow(body, "an-posts", "Older post"); !strings.Contains(r, `title="Not collected"`) || !strings.Contains(r, `title="Not reported by this platform"`) {
		t.Errorf("older row titles: %s", r)
	}
	// Totals by platform: 2 posts, views at +7d 9,000, median +24h 5,678.
	tot := anCells(anRow(body, "an-totals", ">X</th>"))
	if len(tot) != 4 || tot[0] != "2" || !strings.HasPrefix(tot[1], "9,000") || !strings.HasPrefix(tot[2], "5,678") || tot[3] != "13.0%" {
		t.Errorf("totals %q", tot)
	}
	// The chart's data: oldest first, null where there is no number.
	i := strings.Index(body, `id="an-chart-data">`)
	j := strings.Index(body[i:], "</script>")
	var chart anChart
	if err := json.Unmarshal([]byte(body[i+len(`id="an-chart-data">`):i+j]), &chart); err != nil {
		t.Fatalf("chart JSON: %v\n%s", err, body[i:i+j])
	}
	if len(chart.X) != 2 || chart.X[0] != time.Date(2027, 1, 20, 3, 0, 0, 0, time.UTC).Unix() || len(chart.Series) != 3 ||
		chart.Series[0][0] != nil || *chart.Series[0][1] != 1234 || *chart.Series[2][0] != 9000 || chart.Zone != "Asia/Tokyo" {
		t.Errorf("chart %+v", chart)
	}

	// All time brings the old post in; Japanese.
	setLangCal(t, ce, "ja")
	_, body = ce.get(t, "/analytics?range=all")
	wantAll(t, "ja analytics", body, "分析", "Ancient post", "CSVをダウンロード", "表示回数の多い時間帯", "（現在2件）", "表示回数")
	// No posts at all.
	_, body = ce.get(t, "/analytics?range=7d&platform=instagram")
	wantAll(t, "empty", body, "この期間に公開された投稿はありません。")
	if strings.Contains(body, "uPlot") {
		t.Error("an empty page loads the chart script")
	}
}

func TestAnalyticsBestHours(t *testing.T) {
	ce := newCalEnv(t, nil)
	// Tokyo times, in past weeks: Sat 21:00 ×4, Mon 09:00 ×3, Wed 12:00 ×3,
	// Fri 18:00 ×1 (too few to rank).
	type slot struct {
		day   time.Time // a local date of that weekday
		hour  int
		views []int64
	}
	slots := []slot{
		{time.Date(2027, 1, 9, 0, 0, 0, 0, calTokyo), 21, []int64{100, 200, 300, 1000}}, // Saturdays
		{time.Date(2027, 1, 4, 0, 0, 0, 0, calTokyo), 9, []int64{50, 60, 70}},           // Mondays
		{time.Date(2027, 1, 6, 0, 0, 0, 0, calTokyo), 12, []int64{10, 20, 30}},          // Wednesdays
		{time.Date(2027, 1, 8, 0, 0, 0, 0, calTokyo), 18, []int64{5000}},                // a Friday
	}
	for _, s := range slots {
		for k, v := range s.views {
			d := s.day.AddDate(0, 0, -7*k)
			at := time.Date(d.Year(), d.Month(), d.Day(), s.hour, 0, 0, 0, calTokyo)
			p := ce.post(t, "Slot post", at.Add(-time.Hour), at)
			ce.anSnap(t, p.Targets[0].ID, snsos.Checkpoint24h, at.Add(24*time.Hour), snsos.SnapshotOK, anViews(v))
		}
	}
	_, body := ce.get(t, "/analytics?range=7d")
	// The range does not narrow the history best hours use.
	wantAll(t, "best hours", body, "From 11 published posts with numbers at &#43;24h",
		`<li><strong>Sat 21:00</strong> · median 250 views <span class="hint">(4 posts)</span> <a href="/compose?at=2027-02-13T21%3A00">Schedule at this time</a>`)
	top := body[strings.Index(body, `class="an-top"`):]
	top = top[:strings.Index(top, "</ol>")]
	if a, b, c := strings.Index(top, "Sat 21:00"), strings.Index(top, "Mon 09:00"), strings.Index(top, "Wed 12:00"); a < 0 || b < a || c < b {
		t.Errorf("top slots out of order:\n%s", top)
	}
	if strings.Contains(top, "Fri 18:00") {
		t.Error("a slot with one post is ranked")
	}
	if r := anCells(anRow(body, "an-by-hour", "21:00–21:59")); len(r) != 2 || r[0] != "250" || r[1] != "4 posts" {
		t.Errorf("by hour 21: %q", r)
	}
	if r := anRow(body, "an-by-hour", "18:00–18:59"); r != "" {
		t.Errorf("an hour with one post is ranked: %s", r)
	}
	if r := anCells(anRow(body, "an-by-day", ">Saturday<")); len(r) != 2 || r[0] != "250" {
		t.Errorf("by day Saturday: %q", r)
	}
	// The heatmap: Friday 18:00 hatched, Saturday 21:00 darkest.
	fri := anRow(body, "an-heat", ">Fri</th>")
	if !strings.Contains(fri, `class="an-h-few" title="1 post: not enough data"`) {
		t.Errorf("Friday row: %s", fri)
	}
	sat := anRow(body, "an-heat", ">Sat</th>")
	if !strings.Contains(sat, `class="an-h4" title="median 250 views, 4 posts">250`) {
		t.Errorf("Saturday row: %s", sat)
	}
}

func TestAnalyticsCSV(t *testing.T) {
	ce := newCalEnv(t, nil)
	ctx := context.Background()
	evil := &snsos.Account{Platform: snsos.PlatformX, RemoteID: "66", Handle: "=HYPERLINK(\"http://evil\",\"x\")", DisplayName: "Evil"}
	if err := ce.store.UpsertAccount(ctx, evil); err != nil {
		t.Fatal(err)
	}
	p := &snsos.Post{Body: "x", ScheduledAt: time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC), Targets: []*snsos.Target{{AccountID: evil.ID, State: snsos.StateScheduled}}}
	if err := ce.store.CreatePost(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	for _, step := range [][2]snsos.TargetState{{snsos.StateScheduled, snsos.StatePublishing}, {snsos.StatePublishing, snsos.StatePublished}} {
		if _, err := ce.store.TransitionTarget(ctx, snsos.TargetTransition{TargetID: p.Targets[0].ID, From: step[0], To: step[1],
			Mutate: func(tg *snsos.Target) { tg.PublishedAt = time.Date(2027, 2, 1, 3, 0, 0, 0, time.UTC) }}); err != nil {
			t.Fatal(err)
		}
	}
	tid := p.Targets[0].ID
	ce.anSnap(t, tid, snsos.Checkpoint1h, time.Date(2027, 2, 1, 4, 0, 0, 0, time.UTC), snsos.SnapshotOK, anViews(1500))
	ce.anSnap(t, tid, snsos.Checkpoint24h, time.Date(2027, 2, 2, 3, 0, 0, 0, time.UTC), snsos.SnapshotUnavailable, nil)
	other := ce.post(t, "Other", time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 9, 1, 1, 0, 0, 0, time.UTC))
	ce.anSnap(t, other.Targets[0].ID, snsos.Checkpoint1h, time.Date(2026, 9, 1, 2, 0, 0, 0, time.UTC), snsos.SnapshotOK, anViews(10))

	resp, body := ce.get(t, "/analytics.csv?range=30d")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="sns-os-metrics-2027-02-10-30d.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	if !strings.HasPrefix(body, "\ufeff") {
		t.Error("no BOM")
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records, want a header and 2 (the old post is outside 30 days):\n%s", len(recs), body)
	}
	if strings.Join(recs[0], ",") != "post_id,target_id,platform,account,published_at_utc,published_at_local,checkpoint,fetched_at_utc,views,likes,comments,shares,status,reason" {
		t.Errorf("header %q", recs[0])
	}
	want := []string{itoa(p.ID), itoa(tid), "x", `'=HYPERLINK("http://evil","x")`, "2027-02-01T03:00:00Z", "2027-02-01T12:00:00+09:00",
		"1h", "2027-02-01T04:00:00Z", "1500", "150", "15", "30", "ok", ""}
	if strings.Join(recs[1], "|") != strings.Join(want, "|") {
		t.Errorf("row 1\n got %q\nwant %q", recs[1], want)
	}
	if r := recs[2]; r[6] != "24h" || r[8] != "" || r[12] != "unavailable" || r[13] != "'-1+1 not reported" {
		t.Errorf("unavailable row %q", r)
	}
	if !strings.Contains(body, "\r\n") {
		t.Error("rows are not CRLF-terminated")
	}
	// All time: the old post too.
	_, body = ce.get(t, "/analytics.csv?range=all&platform=x")
	if n := strings.Count(body, "\r\n"); n != 4 {
		t.Errorf("all time: %d lines", n)
	}
	// Signed out: no export.
	if resp, _ := do(t, ce.client(t), "GET", ce.srv.URL+"/analytics.csv", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("csv without a session: %d", resp.StatusCode)
	}
}

func TestAnalyticsHelpers(t *testing.T) {
	for in, want := range map[string]string{"=1+1": "'=1+1", "+1": "'+1", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx",
		"\rx": "'\rx", "plain": "plain", "": "", "a=b": "a=b", "12": "12"} {
		if got := anCSVCell(in); got != want {
			t.Errorf("anCSVCell(%q) = %q, want %q", in, got, want)
		}
	}
	for _, c := range []struct {
		lang string
		n    int64
		want string
	}{{"en", 999, "999"}, {"en", 12345, "12.3K"}, {"en", 1_200_000, "1.2M"}, {"ja", 9999, "9,999"}, {"ja", 12_000, "1.2万"}, {"ja", 1_200_000, "120万"}} {
		if got := anCompact(c.lang, c.n); got != c.want {
			t.Errorf("anCompact(%s, %d) = %q, want %q", c.lang, c.n, got, c.want)
		}
	}
}

// anMetaEnv holds an X post, an Instagram post and a Threads post, each
// published in February 2027 with numbers: Instagram's and Threads' own
// among them.
func anMetaEnv(t *testing.T) (ce *calEnv, x, ig, th *snsos.Post) {
	t.Helper()
	ce = newCalEnv(t, nil)
	ctx := context.Background()
	xAcct := ce.acct
	on := func(pl snsos.Platform, handle, body string, published time.Time) *snsos.Post {
		a := &snsos.Account{Platform: pl, RemoteID: "178414" + handle, Handle: handle, DisplayName: handle}
		if err := ce.store.UpsertAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		ce.acct = a
		defer func() { ce.acct = xAcct }()
		return ce.post(t, body, published.Add(-time.Hour), published)
	}
	x = ce.post(t, "X post", time.Date(2027, 2, 8, 11, 0, 0, 0, time.UTC), time.Date(2027, 2, 8, 12, 0, 0, 0, time.UTC))
	ce.anSnap(t, x.Targets[0].ID, snsos.Checkpoint1h, time.Date(2027, 2, 8, 13, 0, 0, 0, time.UTC), snsos.SnapshotOK, anViews(500))
	ig = on(snsos.PlatformInstagram, "shop_ig", "Instagram carousel", time.Date(2027, 2, 5, 3, 0, 0, 0, time.UTC))
	igVals := anViews(2000)
	igVals["reach"], igVals["saved"], igVals["total_interactions"] = 900, 12, 260
	ce.anSnap(t, ig.Targets[0].ID, snsos.Checkpoint1h, time.Date(2027, 2, 5, 4, 0, 0, 0, time.UTC), snsos.SnapshotOK, igVals)
	ig24 := anViews(3000)
	ig24["reach"], ig24["total_interactions"] = 1500, 400 // saved not reported
	ce.anSnap(t, ig.Targets[0].ID, snsos.Checkpoint24h, time.Date(2027, 2, 6, 3, 0, 0, 0, time.UTC), snsos.SnapshotOK, ig24)
	th = on(snsos.PlatformThreads, "shop_th", "Threads text", time.Date(2027, 2, 6, 3, 0, 0, 0, time.UTC))
	thVals := anViews(700)
	thVals["replies"], thVals["reposts"], thVals["quotes"] = 4, 3, 2
	ce.anSnap(t, th.Targets[0].ID, snsos.Checkpoint1h, time.Date(2027, 2, 6, 4, 0, 0, 0, time.UTC), snsos.SnapshotOK, thVals)
	return ce, x, ig, th
}

// TestAnalyticsMetaColumns: Instagram's reach, saves and interactions and
// Threads' replies, reposts and quotes are columns when those platforms'
// posts are in the table; "—" is not collected yet, "n/a" not reported
// (never 0); the totals include both platforms, and Instagram's caveat
// shows where its posts do.
func TestAnalyticsMetaColumns(t *testing.T) {
	ce, _, _, _ := anMetaEnv(t)
	_, body := ce.get(t, "/analytics?range=30d")
	wantAll(t, "analytics", body, `class="an-group">Reach (Instagram)</th>`, `class="an-group">Saves (Instagram)</th>`,
		`class="an-group">Interactions (Instagram)</th>`, `class="an-group">Replies (Threads)</th>`, `class="an-group">Reposts (Threads)</th>`,
		`class="an-group">Quotes (Threads)</th>`, `<small>Instagram may report up to 48 h late.</small>`)
	col := func(row []string, metric, cp int) string { return row[1+metric*3+cp] }
	ig := anCells(anRow(body, "an-posts", "Instagram carousel"))
	if len(ig) != 31 {
		t.Fatalf("Instagram row has %d cells: %q", len(ig), ig)
	}
	for _, c := range []struct {
		metric, cp int
		want       string
	}{{0, 0, "2,000"}, {0, 1, "3,000"}, {0, 2, "—"}, {4, 0, "900"}, {4, 1, "1,500"}, {5, 0, "12"}, {5, 1, "n/a"}, {6, 1, "400"}, {7, 0, "n/a"}, {9, 2, "n/a"}} {
		if got := col(ig, c.metric, c.cp); got != c.want {
			t.Errorf("Instagram row metric %d checkpoint %d = %q, want %q", c.metric, c.cp, got, c.want)
		}
	}
	if r := anRow(body, "an-posts", "Instagram carousel"); !strings.Contains(r, `title="Only Threads reports this"`) || !strings.Contains(r, `title="Not reported by this platform"`) {
		t.Errorf("Instagram row titles: %s", r)
	}
	thr := anCells(anRow(body, "an-posts", "Threads text"))
	if len(thr) != 31 || col(thr, 7, 0) != "4" || col(thr, 8, 0) != "3" || col(thr, 9, 0) != "2" || col(thr, 9, 1) != "—" || col(thr, 4, 0) != "n/a" {
		t.Errorf("Threads row %q", thr)
	}
	xr := anCells(anRow(body, "an-posts", "X post"))
	if len(xr) != 31 || col(xr, 0, 0) != "500" || col(xr, 4, 0) != "n/a" || col(xr, 7, 0) != "n/a" {
		t.Errorf("X row %q", xr)
	}
	if strings.Contains(strings.Join(xr[13:], ""), "0") {
		t.Errorf("the X row shows a number under another platform's metric: %q", xr)
	}
	for _, pl := range []string{">Instagram</th>", ">Threads</th>", ">X</th>"} {
		if r := anCells(anRow(body, "an-totals", pl)); len(r) != 4 || r[0] != "1" {
			t.Errorf("totals %s: %q", pl, r)
		}
	}
	// Threads alone: its columns only, and no Instagram caveat.
	_, body = ce.get(t, "/analytics?range=30d&platform=threads")
	if strings.Contains(body, "(Instagram)") || strings.Contains(body, "48 h late") || !strings.Contains(body, "Quotes (Threads)") {
		t.Errorf("the Threads page shows Instagram's columns or caveat, or lacks its own")
	}
	// X alone: the four standard metrics.
	_, body = ce.get(t, "/analytics?range=30d&platform=x")
	if strings.Contains(body, "(Threads)") || strings.Contains(body, "(Instagram)") || len(anCells(anRow(body, "an-posts", "X post"))) != 13 {
		t.Errorf("the X page shows other platforms' columns")
	}
	setLangCal(t, ce, "ja")
	resp, body := ce.get(t, "/analytics?range=30d")
	wantAll(t, "ja analytics", body, ">リーチ（Instagram）</th>", ">保存（Instagram）</th>", ">インタラクション（Instagram）</th>",
		">返信（Threads）</th>", ">リポスト（Threads）</th>", ">引用（Threads）</th>", "Instagramの数値は最大48時間遅れて反映されることがあります。",
		`title="Threadsのみの数値"`)
	jaCheckPage(t, "/analytics with Meta posts", resp.StatusCode, body, append(jaSeeds, "X post", "Instagram carousel", "Threads text", "shop_ig", "shop_th"))
}

// TestAnalyticsCSVMeta: the CSV has a column for each platform's own
// metric when its posts are exported, empty (never 0) where a platform
// did not report it, with the BOM and the formula guard.
func TestAnalyticsCSVMeta(t *testing.T) {
	ce, x, ig, th := anMetaEnv(t)
	_, body := ce.get(t, "/analytics.csv?range=30d")
	if !strings.HasPrefix(body, "\ufeff") {
		t.Fatal("no BOM")
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHead := "post_id,target_id,platform,account,published_at_utc,published_at_local,checkpoint,fetched_at_utc," +
		"views,likes,comments,shares,reach,saved,total_interactions,replies,reposts,quotes,status,reason"
	if strings.Join(recs[0], ",") != wantHead {
		t.Fatalf("header %q", recs[0])
	}
	rows := map[string][]string{}
	for _, r := range recs[1:] {
		rows[r[0]+"/"+r[6]] = r
	}
	if len(recs) != 5 {
		t.Fatalf("%d records, want a header and 4 snapshots:\n%s", len(recs), body)
	}
	cell := func(p *snsos.Post, cp string, from int) string {
		r := rows[itoa(p.ID)+"/"+cp]
		if r == nil {
			t.Fatalf("no %s row for post %d", cp, p.ID)
		}
		return strings.Join(r[from:from+6], "|")
	}
	for _, c := range []struct {
		p        *snsos.Post
		cp, want string
	}{
		{ig, "1h", "900|12|260|||"}, {ig, "24h", "1500||400|||"}, {th, "1h", "|||4|3|2"}, {x, "1h", "|||||"},
	} {
		if got := cell(c.p, c.cp, 12); got != c.want {
			t.Errorf("post %d at %s: extras %q, want %q", c.p.ID, c.cp, got, c.want)
		}
	}
	if r := rows[itoa(ig.ID)+"/1h"]; r[2] != "instagram" || r[8] != "2000" || r[18] != "ok" {
		t.Errorf("Instagram row %q", r)
	}
	// Only X: the standard columns.
	_, body = ce.get(t, "/analytics.csv?range=30d&platform=x")
	if !strings.Contains(body, "views,likes,comments,shares,status,reason\r\n") {
		t.Errorf("the X export has other platforms' columns:\n%s", body)
	}
}
