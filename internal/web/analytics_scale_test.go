package web

import (
	"context"
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
)

// TestAnalyticsPagination: the per-post table shows anPageSize posts a
// page, newest first, with links to the other pages by cursor (a keyset
// walk, no OFFSET); the totals and the chart still count the whole range;
// the page number stays right when posts are published meanwhile; a
// cursor past the end says so, and an old numbered link opens the first
// page.
func TestAnalyticsPagination(t *testing.T) {
	ce := newCalEnv(t, nil)
	base := time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)
	publish := func(i int) {
		at := base.Add(time.Duration(i) * time.Hour)
		p := ce.post(t, fmt.Sprintf("Paged post %03d", i), at.Add(-time.Minute), at)
		ce.anSnap(t, p.Targets[0].ID, snsos.Checkpoint1h, at.Add(time.Hour), snsos.SnapshotOK, anViews(int64(100+i)))
	}
	for i := range anPageSize + 20 {
		publish(i)
	}
	rows := func(body string) int {
		return strings.Count(body[strings.Index(body, `id="an-posts"`):], `<th scope="row" class="an-post">`)
	}
	_, body := ce.get(t, "/analytics?range=30d")
	if n := rows(body); n != anPageSize || !strings.Contains(body, "Paged post 119") || strings.Contains(body, "Paged post 019<") {
		t.Errorf("page 1 shows %d rows (want %d, newest first)", n, anPageSize)
	}
	wantAll(t, "page 1", body, "Older posts →", "Page 1 of 2")
	if tot := anCells(anRow(body, "an-totals", ">X</th>")); len(tot) != 4 || tot[0] != "120" {
		t.Errorf("the totals count the page only: %q", tot)
	}
	if strings.Contains(body, `rel="prev"`) {
		t.Error("page 1 links to a previous page")
	}
	next := pagerLink(t, body, "next")
	if !strings.HasPrefix(next, "/analytics?range=30d&after=") {
		t.Fatalf("next link %q", next)
	}
	// A post published since page 1 was shown: page 2 still starts after
	// its last row, and says so.
	publish(anPageSize + 20)
	_, body = ce.get(t, next)
	if n := rows(body); n != 20 || !strings.Contains(body, "Paged post 000") || strings.Contains(body, "Paged post 020<") {
		t.Errorf("page 2 shows %d rows, want 20", n)
	}
	wantAll(t, "page 2", body, "← Newer posts", "Page 2 of 2")
	if strings.Contains(body, `rel="next"`) {
		t.Error("the last page links to a next one")
	}
	// Back: the hundred posts before page 2, which the new post now
	// precedes: page 1 of 2 still, with a link to the newest.
	_, body = ce.get(t, pagerLink(t, body, "prev"))
	if n := rows(body); n != anPageSize || !strings.Contains(body, "Paged post 119<") || !strings.Contains(body, "Paged post 020<") ||
		strings.Contains(body, "Paged post 120<") {
		t.Errorf("back from page 2: %d rows, want posts 119 to 020", n)
	}
	wantAll(t, "back from page 2", body, `<a rel="prev" href="/analytics?range=30d">← Newer posts</a>`, "Page 1 of 2", "Older posts →")
	// Back from a third page (10 rows) to the second, by cursor.
	_, body = ce.get(t, "/analytics?range=30d&after="+(&store.Cursor{At: base.Add(10 * time.Hour), ID: 1 << 40}).String())
	wantAll(t, "from post 010", body, "Paged post 010", "Paged post 000")
	prev := pagerLink(t, body, "prev")
	if !strings.Contains(prev, "before=") {
		t.Fatalf("prev link %q, want a cursor", prev)
	}
	_, body = ce.get(t, prev)
	if n := rows(body); n != anPageSize || !strings.Contains(body, "Paged post 110<") || !strings.Contains(body, "Paged post 011<") ||
		strings.Contains(body, "Paged post 010<") {
		t.Errorf("back: %d rows, want posts 110 to 011", n)
	}
	_, body = ce.get(t, "/analytics?range=30d&after="+(&store.Cursor{At: base.Add(-time.Hour), ID: 1}).String())
	wantAll(t, "past the end", body, "This page is past the end of the list.", `id="an-chart-data"`,
		`<a rel="prev" href="/analytics?range=30d">← Newer posts</a>`)
	_, body = ce.get(t, "/analytics?range=30d&page=2")
	wantAll(t, "an old numbered link", body, "Paged post 120", "Page 1 of 2")
	setLangCal(t, ce, "ja")
	_, body = ce.get(t, "/analytics?range=30d")
	wantAll(t, "ja pages", body, "1／2ページ", "古い投稿 →")
}

// pagerLink returns the href of the pager's rel link, unescaped.
func pagerLink(t *testing.T, body, rel string) string {
	t.Helper()
	m := regexp.MustCompile(`<a rel="` + rel + `" href="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s link", rel)
	}
	return html.UnescapeString(m[1])
}

// TestAnChartAcc: a long range is drawn with at most anChartMax points,
// each the mean of consecutive posts from the first one's time, every post
// counted once; a short one point per post.
func TestAnChartAcc(t *testing.T) {
	t.Parallel()
	base := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	feed := func(n int) *anChartAcc {
		c := &anChartAcc{}
		for i := range n {
			p := &store.AnalyticsPoint{TargetID: int64(i + 1), At: base.Add(time.Duration(i) * time.Minute)}
			p.Values[0][0], p.Has[0][0] = int64(i), true // views at +1h
			if i%2 == 0 {
				p.Values[1][0], p.Has[1][0] = 10, true // views at +24h, every other post
			}
			c.add(p)
		}
		return c
	}
	short := feed(5).points()
	if len(short) != 5 || *short[3].value(0) != 3 || short[3].value(1) != nil || *short[4].value(1) != 10 {
		t.Fatalf("short range: %+v", short)
	}
	c := feed(2500)
	pts := c.points()
	if len(pts) > anChartMax || len(pts) < anChartMax/4 {
		t.Fatalf("%d points for 2,500 posts", len(pts))
	}
	total := 0
	for i, pt := range pts {
		if i > 0 && !pt.at.After(pts[i-1].at) {
			t.Fatalf("points out of order at %d", i)
		}
		total += pt.n
	}
	if total != 2500 || c.step != 4 {
		t.Errorf("the points hold %d posts (want 2,500), %d each", total, c.step)
	}
	// The first point: posts 0–3, views 0..3 (mean 1.5, rounded to 2),
	// +24h on posts 0 and 2 only (mean 10).
	if v := pts[0].value(0); v == nil || *v != 2 || *pts[0].value(1) != 10 || !pts[0].at.Equal(base) {
		t.Errorf("first point %+v", pts[0])
	}
}

// TestHomeAttentionBounded: the dashboard shows homeAttention attention
// rows and says how many more there are, linking to the filtered list.
func TestHomeAttentionBounded(t *testing.T) {
	ce := newCalEnv(t, nil)
	ctx := context.Background()
	for i := range homeAttention + 3 {
		p := ce.post(t, fmt.Sprintf("Failed post %d", i), time.Date(2027, 2, 1, i, 0, 0, 0, time.UTC), time.Time{})
		for _, st := range [][2]snsos.TargetState{{snsos.StateScheduled, snsos.StatePublishing}, {snsos.StatePublishing, snsos.StateFailed}} {
			if _, err := ce.store.TransitionTarget(ctx, snsos.TargetTransition{TargetID: p.Targets[0].ID, From: st[0], To: st[1]}); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, body := ce.get(t, "/")
	if n := strings.Count(body, `<li class="attn-row">`); n != homeAttention {
		t.Errorf("%d attention rows, want %d", n, homeAttention)
	}
	wantAll(t, "dashboard", body, `<a href="/posts?state=attention">and 3 more: see the posts that need attention</a>`,
		fmt.Sprintf(`<span class="navbadge">%d</span>`, homeAttention+3))
	setLangCal(t, ce, "ja")
	_, body = ce.get(t, "/")
	wantAll(t, "ja dashboard", body, "ほか3件：要対応の投稿を表示")
}
