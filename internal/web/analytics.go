package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/besthours"
	"github.com/sns-os/snsos/internal/publish"
	"github.com/sns-os/snsos/internal/store"
)

// analyticsRoutes mounts the analytics pages.
func (h *Handler) analyticsRoutes(mux *http.ServeMux) {
	mux.Handle("GET /analytics", h.page(h.handleAnalytics))
	mux.Handle("GET /analytics.csv", h.page(h.handleAnalyticsCSV))
}

// Best hours: a bucket (weekday × hour, hour, weekday) is shown when at
// least besthours.BucketMin posts fall in it, and the whole section once
// besthours.HistoryMin posts have +24h numbers; the page and compose show
// the top anTopSlots weekday × hour buckets.
const anTopSlots = 3

// anRanges are the range filter's values, in days (0: all time).
var anRanges = []struct {
	Value string
	Days  int
}{{"7d", 7}, {"30d", 30}, {"90d", 90}, {"all", 0}}

// anCheckpoints are the table's checkpoints, side by side.
var anCheckpoints = []snsos.Checkpoint{snsos.Checkpoint1h, snsos.Checkpoint24h, snsos.Checkpoint7d}

var anMetrics = []string{snsos.MetricViews, snsos.MetricLikes, snsos.MetricComments, snsos.MetricShares}

// anColumn is a metric of the per-post table and the CSV: a standard one
// (Platform "") or a platform's own (platformExtras), which only that
// platform's rows can have.
type anColumn struct {
	Platform snsos.Platform
	Metric   string
}

// anColumns are the standard metrics, then the own metrics of each of
// platforms (in snsos.Platforms order).
func anColumns(platforms []snsos.Platform) []anColumn {
	cols := make([]anColumn, 0, len(anMetrics)+6)
	for _, m := range anMetrics {
		cols = append(cols, anColumn{Metric: m})
	}
	for _, pl := range platforms {
		for _, m := range platformExtras[pl] {
			cols = append(cols, anColumn{Platform: pl, Metric: m})
		}
	}
	return cols
}

type anOption struct {
	Value, Label string
	Current      bool
}

type anData struct {
	Range, Platform string
	RangeLabel      string
	Ranges          []anOption
	Platforms       []anOption
	CSVHref         string
	Cards           []anCard
	Totals          []anTotal
	Posts           []anPostRow
	Metrics         []string // column group headings
	Checkpoints     []string // sub-headings
	Chart           anChart
	ChartRows       []anChartRow
	Best            anBest
	// HasPosts is set when the range holds a published post (the chart
	// and the table show); the table shows one page of them, newest first.
	HasPosts   bool
	Prev, Next string // the table's other pages, by cursor ("" at either end)
	// PageNo and Pages place the table's page (anPager); PageNo is 0 past
	// the end.
	PageNo  int
	Pages   int
	PastEnd bool // the page asked for is past the last one
	// ChartNote says how many posts each point averages, when a point
	// holds several.
	ChartNote string
	// columns are the per-post table's metrics (anColumns).
	columns []anColumn
	// CaveatInstagram and CaveatTikTok show those platforms' caveats,
	// where their posts are shown: Instagram's delay, TikTok's "Only me"
	// posts without metrics; CaveatTikTokInbox where TikTok videos wait in
	// the account's inbox.
	CaveatInstagram, CaveatTikTok, CaveatTikTokInbox bool
}

type anCard struct{ Label, Value, Hint string }

type anTotal struct {
	Platform                    string
	Posts                       string
	Views7d, Median24h, EngRate string
	Views7dN, Median24hN        string
}

type anPostRow struct {
	CellsHTML               template.HTML // Cells, written once (anCellsHTML)
	Href, Excerpt           string
	Platform, Handle        string
	Published, PublishedISO string
	Cells                   []anCell // metric-major: views 1h, 24h, 7d, likes 1h, …
}

type anCell struct {
	Text, Title string
	Num         bool
	Sort        int64 // -1 when there is no number
}

// anChart is the JSON the chart script draws: x in Unix seconds, one
// series per checkpoint, null where there is no number.
type anChart struct {
	Title  string     `json:"title"`
	XLabel string     `json:"xlabel"`
	Labels []string   `json:"labels"`
	X      []int64    `json:"x"`
	Series [][]*int64 `json:"series"`
	Lang   string     `json:"lang"`
	Zone   string     `json:"zone"`
	Offset int        `json:"offset"` // the zone's current UTC offset in seconds, for the axis
}

type anChartRow struct {
	Time  string
	Cells []string
}

type anBest struct {
	Enough         bool
	Have, Need     int
	Hours          []string // the heatmap's columns
	Rows           []anHeatRow
	ByHour, ByDay  []anBucket
	Top            []anBucket
	MinPosts       int
	HeatCaption    string
	ByHourCaption  string
	ByDayCaption   string
	SampleSentence string
}

type anHeatRow struct {
	Day   string
	Class string
	Cells []anHeatCell
}

type anHeatCell struct {
	Text, Title, Class string
}

type anBucket struct {
	Label, Median, Count string
	Compose              string
}

// anPostMetrics is one target's numbers by checkpoint.
type anPostMetrics struct {
	t    *store.DatedTarget
	snap map[snsos.Checkpoint]*snsos.MetricSnapshot
}

func anIndex(t *store.DatedTarget) anPostMetrics {
	pm := anPostMetrics{t: t, snap: map[snsos.Checkpoint]*snsos.MetricSnapshot{}}
	for _, m := range t.Metrics {
		if m.Checkpoint == snsos.CheckpointManual {
			continue
		}
		pm.snap[m.Checkpoint] = m // oldest first: a later one wins
	}
	return pm
}

// value returns a metric at a checkpoint and whether there is one.
func (pm anPostMetrics) value(cp snsos.Checkpoint, metric string) (int64, bool) {
	m := pm.snap[cp]
	if m == nil || m.Status != snsos.SnapshotOK {
		return 0, false
	}
	v, ok := m.Values[metric]
	return v, ok
}

// anFilters reads range and platform from the query: unknown values fall
// back to 30 days and every platform.
func (h *Handler) anFilters(r *http.Request) (rng string, days int, platform snsos.Platform) {
	q := r.URL.Query()
	rng, days = "30d", 30
	for _, o := range anRanges {
		if q.Get("range") == o.Value {
			rng, days = o.Value, o.Days
		}
	}
	if p := snsos.Platform(q.Get("platform")); p.Valid() {
		platform = p
	}
	return rng, days, platform
}

// anFrom is the start of a range of days ending now.
func (h *Handler) anFrom(days int) time.Time {
	return h.now().Add(-time.Duration(days) * 24 * time.Hour)
}

func anQuery(rng string, platform snsos.Platform) string {
	q := url.Values{"range": {rng}}
	if platform != "" {
		q.Set("platform", string(platform))
	}
	return q.Encode()
}

// anPageSize is how many posts one page of the per-post table shows.
const anPageSize = 100

// anRange is the store's range for the page's filters.
func (h *Handler) anRange(days int, platform snsos.Platform) store.AnalyticsRange {
	rg := store.AnalyticsRange{Platform: platform}
	if days > 0 {
		rg.From = h.anFrom(days)
	}
	return rg
}

func (h *Handler) handleAnalytics(w http.ResponseWriter, r *http.Request) {
	rng, days, platform := h.anFilters(r)
	handles, ok := h.accountHandles(w, r)
	if !ok {
		return
	}
	d := &anData{Range: rng, Platform: string(platform), CSVHref: "/analytics.csv?" + anQuery(rng, platform)}
	p := h.newPage(r, "an.title", true, d)
	if err := h.buildAnalytics(r.Context(), p, d, h.anRange(days, platform), anCursors(r), handles); err != nil {
		h.serverError(w, r, "analytics", err)
		return
	}
	h.render(w, http.StatusOK, "analytics", p)
}

// buildAnalytics fills the analytics page: the filters, then from the
// range's per-day sums the totals and the chart, one page of the per-post table,
// and the best hours of the platform's latest posts.
func (h *Handler) buildAnalytics(ctx context.Context, p *page, d *anData, rg store.AnalyticsRange, cur [2]*store.Cursor,
	handles map[int64]string) error {
	now := h.now().In(h.location())
	platforms, err := h.store.AnalyticsPlatforms(ctx, rg)
	if err != nil {
		return err
	}
	d.columns = anColumns(platforms)
	anFilterOptions(p, d, rg.Platform)
	for _, pl := range platforms {
		d.CaveatInstagram = d.CaveatInstagram || pl == snsos.PlatformInstagram
	}
	pg, err := h.store.AnalyticsPage(ctx, rg, cur[0], cur[1], anPageSize)
	if err != nil {
		return err
	}
	days, err := h.store.AnalyticsDays(ctx, rg)
	if err != nil {
		return err
	}
	ad := newAnDays(days)
	d.HasPosts = ad.all.Posts > 0
	if err := h.anChart(ctx, p, d, rg, days, ad.all.Posts, now); err != nil {
		return err
	}
	anSummaryDays(p, d, ad)
	for _, t := range pg.Targets {
		d.Posts = append(d.Posts, h.anPostRow(p, anIndex(t), d.columns, handles, now))
		d.CaveatTikTok = d.CaveatTikTok || tiktokOnlyMe(t.Target)
		d.CaveatTikTokInbox = d.CaveatTikTokInbox || publish.InboxState(t.Target) == publish.InboxWaiting
	}
	newer := 0
	if len(pg.Targets) > 0 {
		top := store.Cursor{At: pg.Targets[0].At, ID: pg.Targets[0].ID}
		sameDay, err := h.store.AnalyticsNewerInDay(ctx, rg, top)
		if err != nil {
			return err
		}
		newer = anNewer(days, top, sameDay)
	}
	anPager(d, rg, pg, newer, ad.all.Posts)
	ats, views, err := h.store.BestHoursPosts(ctx, rg.Platform)
	if err != nil {
		return err
	}
	d.Best = h.anBestHours(ctx, p, ats, views, now)
	return nil
}

// anCursors reads the table's page from the query: after or before a
// target's cursor (neither for the first page). A cursor that does not
// parse opens the first page, as does a link from before cursors (page=N).
func anCursors(r *http.Request) [2]*store.Cursor {
	var cur [2]*store.Cursor
	for i, k := range []string{"after", "before"} {
		if c, err := store.ParseCursor(r.URL.Query().Get(k)); err == nil {
			cur[i] = &c
			break
		}
	}
	return cur
}

// anPager sets the table's links and its page number. The pages are a
// keyset walk (a deep page costs what the first does); the number comes
// from newer, the count of the range's targets before the page's first (of
// total), so it stays right when posts were published since the link was
// made.
func anPager(d *anData, rg store.AnalyticsRange, pg *store.TargetPage, newer, total int) {
	base := "/analytics?" + anQuery(d.Range, rg.Platform)
	if d.PastEnd = d.HasPosts && len(pg.Targets) == 0; d.PastEnd {
		d.Prev = base // PageNo 0: no number past the end
		return
	}
	d.PageNo = newer/anPageSize + 1
	d.Pages = d.PageNo + (max(0, total-newer-len(pg.Targets))+anPageSize-1)/anPageSize
	if pg.Prev != nil {
		d.Prev = base
		if newer > anPageSize {
			d.Prev += "&before=" + pg.Prev.String()
		}
	}
	if pg.Next != nil {
		d.Next = base + "&after=" + pg.Next.String()
	}
}

// anFilterOptions sets the range and platform choices and the table's
// headings.
func anFilterOptions(p *page, d *anData, platform snsos.Platform) {
	for _, o := range anRanges {
		d.Ranges = append(d.Ranges, anOption{Value: o.Value, Label: p.T("an.range." + o.Value), Current: o.Value == d.Range})
		if o.Value == d.Range {
			d.RangeLabel = p.T("an.range." + o.Value)
		}
	}
	d.Platforms = append(d.Platforms, anOption{Value: "", Label: p.T("an.platform.all"), Current: platform == ""})
	for _, pl := range snsos.Platforms {
		d.Platforms = append(d.Platforms, anOption{Value: string(pl), Label: pl.DisplayName(), Current: pl == platform})
	}
	for _, c := range d.columns {
		if c.Platform == "" {
			d.Metrics = append(d.Metrics, p.T("metrics."+c.Metric))
			continue
		}
		d.Metrics = append(d.Metrics, p.T("an.col.platform", "Metric", p.T("metrics."+c.Metric), "Platform", c.Platform.DisplayName()))
	}
	for _, cp := range anCheckpoints {
		d.Checkpoints = append(d.Checkpoints, p.T("an.cp."+string(cp))) // +1h / 1時間後
	}
}

// anPostRow is one post of the per-post table.
func (h *Handler) anPostRow(p *page, pm anPostMetrics, cols []anColumn, handles map[int64]string, now time.Time) anPostRow {
	loc := h.location()
	t := pm.t
	body := t.Body
	if strings.TrimSpace(body) == "" {
		body = t.PostBody
	}
	row := anPostRow{Href: postHref(t.PostID), Excerpt: excerpt(body, 40), Platform: t.Platform.DisplayName(), Handle: handles[t.AccountID],
		Published: shortTime(p.lang, t.At.In(loc), now), PublishedISO: t.At.UTC().Format(time.RFC3339)}
	if row.Excerpt == "" {
		row.Excerpt = p.T("post.notext")
	}
	for _, col := range cols {
		for _, cp := range anCheckpoints {
			if col.Platform != "" && col.Platform != t.Platform {
				row.Cells = append(row.Cells, anCell{Text: p.T("an.cell.na"),
					Title: p.T("an.cell.other", "Platform", col.Platform.DisplayName()), Sort: -1})
				continue
			}
			row.Cells = append(row.Cells, h.anCell(p, pm, cp, col.Metric, now))
		}
	}
	row.CellsHTML = anCellsHTML(p, row.Cells)
	return row
}

// anCellsHTML writes a row's cells as HTML, every value escaped: the table
// has thousands of cells a page, and the template's per-action escapers,
// called through reflection, cost more than the rest of the page.
func anCellsHTML(p *page, cells []anCell) template.HTML {
	var b strings.Builder
	for _, c := range cells {
		b.WriteString(`<td class="`)
		if c.Num {
			b.WriteString("n")
		} else {
			b.WriteString("na")
		}
		b.WriteString(`"`)
		if c.Title != "" {
			b.WriteString(` title="`)
			b.WriteString(template.HTMLEscapeString(c.Title))
			b.WriteString(`"`)
		}
		b.WriteString(` data-sort="`)
		b.WriteString(strconv.FormatInt(c.Sort, 10))
		b.WriteString(`">`)
		b.WriteString(template.HTMLEscapeString(c.Text))
		if c.Title != "" {
			b.WriteString(`<span class="vh">`)
			b.WriteString(template.HTMLEscapeString(p.Sp() + p.T("paren", "Text", c.Title)))
			b.WriteString(`</span>`)
		}
		b.WriteString("</td>")
	}
	return template.HTML(b.String()) // #nosec: every value escaped above
}

// anCell is one number of the per-post table: the value, "—" when not
// collected (yet), "n/a" (対象外) when the platform did not report it.
func (h *Handler) anCell(p *page, pm anPostMetrics, cp snsos.Checkpoint, metric string, now time.Time) anCell {
	m := pm.snap[cp]
	switch {
	case m == nil && publish.InboxState(pm.t.Target) == publish.InboxWaiting:
		return anCell{Text: "—", Title: p.T("an.cell.inbox"), Sort: -1} // its checkpoints wait for a public post
	case m == nil:
		off, _ := snsos.ParseCheckpointOffset(string(cp))
		due := pm.t.At.Add(off)
		if due.After(now) {
			return anCell{Text: "—", Title: p.T("an.cell.due", "Time", shortTime(p.lang, due.In(h.location()), now)), Sort: -1}
		}
		return anCell{Text: "—", Title: p.T("an.cell.missing"), Sort: -1}
	case m.Status != snsos.SnapshotOK:
		return anCell{Text: p.T("an.cell.na"), Title: p.T("an.cell.unavailable"), Sort: -1}
	}
	v, ok := m.Values[metric]
	if !ok {
		return anCell{Text: p.T("an.cell.na"), Title: p.T("an.cell.notreported"), Sort: -1}
	}
	return anCell{Text: groupDigits(v), Num: true, Sort: v}
}

// anBestHours computes, from the latest posts with +24h views (at most
// store.BestHoursSample: their publication times ats and views), the
// median by local weekday × hour (the heatmap), by hour and by weekday
// (package besthours); buckets with fewer than besthours.BucketMin posts
// are not ranked.
func (h *Handler) anBestHours(ctx context.Context, p *page, ats []time.Time, views []int64, now time.Time) anBest {
	loc := h.location()
	lang := p.lang
	posts := make([]besthours.Post, len(ats))
	for i, at := range ats {
		posts[i] = besthours.Post{At: at, Views24h: views[i]}
	}
	have := len(posts)
	b := anBest{Have: have, Need: besthours.HistoryMin, Enough: have >= besthours.HistoryMin, MinPosts: besthours.BucketMin}
	if !b.Enough {
		return b
	}
	ws := h.calWeekStart(ctx, p.lang)
	res := besthours.Compute(posts, loc, ws)
	for hr := range 24 {
		b.Hours = append(b.Hours, strconv.Itoa(hr))
	}
	for i := range 7 {
		wd := time.Weekday((int(ws) + i) % 7)
		row := anHeatRow{Day: calDayName(lang, wd), Class: calWeekdayClass(wd)}
		for hr := range 24 {
			bk := res.Grid[wd][hr]
			c := anHeatCell{Title: p.T("an.heat.count", "Count", bk.Count)}
			switch {
			case bk.Count == 0:
				c.Class = "an-h-none"
			case !bk.Ranked():
				c.Class, c.Text = "an-h-few", "·"
				c.Title = p.T("an.heat.few", "Count", bk.Count)
			default:
				level := 1
				if res.Max > 0 {
					level = 1 + int(math.Min(3, math.Floor(bk.Median/res.Max*4)))
				}
				c.Class = "an-h" + strconv.Itoa(level)
				c.Text = anCompact(lang, int64(math.Round(bk.Median)))
				c.Title = p.T("an.heat.cell", "Median", groupDigits(int64(math.Round(bk.Median))), "Count", bk.Count)
			}
			row.Cells = append(row.Cells, c)
		}
		b.Rows = append(b.Rows, row)
	}
	for _, s := range res.Slots[:min(len(res.Slots), anTopSlots)] {
		b.Top = append(b.Top, anBucket{Label: anSlotName(lang, s.Weekday, s.Hour), Median: anMedianText(s),
			Count: p.T("an.sample", "Count", s.Count), Compose: anComposeAt(now, s.Weekday, s.Hour, loc)})
	}
	for _, s := range res.ByHour {
		b.ByHour = append(b.ByHour, anBucket{Label: anHourName(lang, s.Hour), Median: anMedianText(s),
			Count: p.T("an.sample", "Count", s.Count)})
	}
	for _, s := range res.ByDay {
		b.ByDay = append(b.ByDay, anBucket{Label: anWeekdayName(lang, s.Weekday), Median: anMedianText(s),
			Count: p.T("an.sample", "Count", s.Count)})
	}
	b.SampleSentence = p.T("an.best.sample", "Count", have, "Min", besthours.BucketMin)
	return b
}

// anMedianText writes a bucket's median, rounded, with digit groups.
func anMedianText(s besthours.Bucket) string {
	return groupDigits(int64(math.Round(s.Median)))
}

func anWeekdayName(lang string, wd time.Weekday) string {
	if lang == "ja" {
		return weekdaysJA[wd] + "曜日"
	}
	return wd.String()
}

// anSlotName is a weekday and hour: "Sat 21:00" / "土曜日21時台".
func anSlotName(lang string, wd time.Weekday, hr int) string {
	if lang == "ja" {
		return anWeekdayName(lang, wd) + anHourName(lang, hr)
	}
	return calDayName(lang, wd) + " " + fmt.Sprintf("%02d:00", hr)
}

// anHourName is an hour of the day: "21:00–21:59" / "21時台" (ui-guide §7).
func anHourName(lang string, hr int) string {
	if lang == "ja" {
		return fmt.Sprintf("%d時台", hr)
	}
	return fmt.Sprintf("%02d:00–%02d:59", hr, hr)
}

// anComposeAt links to compose at the next local weekday wd, hour hr.
func anComposeAt(now time.Time, wd time.Weekday, hr int, loc *time.Location) string {
	now = now.In(loc)
	for i := range 8 {
		day := now.AddDate(0, 0, i)
		at := time.Date(day.Year(), day.Month(), day.Day(), hr, 0, 0, 0, loc)
		if at.Weekday() == wd && at.After(now) {
			return "/compose?at=" + url.QueryEscape(at.Format(calLocalInput))
		}
	}
	return "/compose"
}

// anCompact writes a number for a small cell: 12.3K / 1.2万.
func anCompact(lang string, n int64) string {
	f := float64(n)
	if lang == "ja" {
		switch {
		case n >= 100_000_000:
			return strconv.FormatFloat(math.Round(f/1e7)/10, 'f', -1, 64) + "億"
		case n >= 10_000:
			return strconv.FormatFloat(math.Round(f/1e3)/10, 'f', -1, 64) + "万"
		}
		return groupDigits(n)
	}
	switch {
	case n >= 1_000_000:
		return strconv.FormatFloat(math.Round(f/1e5)/10, 'f', -1, 64) + "M"
	case n >= 1_000:
		return strconv.FormatFloat(math.Round(f/1e2)/10, 'f', -1, 64) + "K"
	}
	return strconv.FormatInt(n, 10)
}

// CSV export.

// anCSVHeader is the CSV's header: the row's identity, one column per
// metric of cols (the standard ones, then the platforms' own), its
// status and the reason when the platform gave no numbers.
func anCSVHeader(cols []anColumn) []string {
	h := []string{"post_id", "target_id", "platform", "account", "published_at_utc", "published_at_local", "checkpoint", "fetched_at_utc"}
	for _, c := range cols {
		h = append(h, c.Metric)
	}
	return append(h, "status", "reason")
}

// anCSVCell guards a cell against formula injection in spreadsheets: a
// value starting with = + - @ (or a tab or carriage return, which some
// spreadsheets skip before reading a formula) is prefixed with '.
func anCSVCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (h *Handler) handleAnalyticsCSV(w http.ResponseWriter, r *http.Request) {
	rng, days, platform := h.anFilters(r)
	rg := h.anRange(days, platform)
	platforms, err := h.store.AnalyticsPlatforms(r.Context(), rg)
	if err != nil {
		h.serverError(w, r, "analytics csv", err)
		return
	}
	handles, ok := h.accountHandles(w, r)
	if !ok {
		return
	}
	loc := h.location()
	name := "sns-os-metrics-" + h.now().In(loc).Format(calDateLayout)
	if rng != "all" {
		name += "-" + rng
	}
	if platform != "" {
		name += "-" + string(platform)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// The rows stream as they are read, a chunk of targets at a time
	// (chunked encoding: the length is not known ahead), so memory stays
	// the same whatever the range holds.
	io.WriteString(w, "\ufeff") // a BOM, so spreadsheets read UTF-8
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	cols := anColumns(platforms)
	cw.Write(anCSVHeader(cols))
	rc := http.NewResponseController(w)
	rec := make([]string, 0, 10+len(cols))
	err = h.store.ScanAnalyticsSnapshots(r.Context(), rg, func(t *snsos.Target, snaps []*snsos.MetricSnapshot) error {
		for _, m := range snaps {
			rec = anCSVRecord(rec[:0], t, m, cols, handles, loc)
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
	if err == nil {
		cw.Flush()
		err = cw.Error()
	}
	if err != nil {
		// The status is long gone: cut the connection, so the download
		// ends as failed rather than as a shorter file that looks whole.
		h.log.Warn("web: analytics csv", "err", err)
		panic(http.ErrAbortHandler)
	}
	rc.Flush()
}

// anCSVRecord appends to rec the CSV record of snapshot m of target t.
func anCSVRecord(rec []string, t *snsos.Target, m *snsos.MetricSnapshot, cols []anColumn, handles map[int64]string, loc *time.Location) []string {
	at := t.PublishedAt
	rec = append(rec, strconv.FormatInt(t.PostID, 10), strconv.FormatInt(t.ID, 10), string(t.Platform), handles[t.AccountID],
		at.UTC().Format(time.RFC3339), at.In(loc).Format(time.RFC3339), string(m.Checkpoint), m.FetchedAt.UTC().Format(time.RFC3339))
	for _, c := range cols {
		// Empty, never 0, when the platform did not report it.
		v, ok := m.Values[c.Metric]
		if m.Status != snsos.SnapshotOK || !ok || c.Platform != "" && c.Platform != t.Platform {
			rec = append(rec, "")
			continue
		}
		rec = append(rec, strconv.FormatInt(v, 10))
	}
	rec = append(rec, string(m.Status), m.Reason)
	for i := range rec {
		rec[i] = anCSVCell(rec[i])
	}
	return rec
}
