package web

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
)

// TestAnalyticsDailyChart: a range with more posts than the chart has
// points charts its days (a point per UTC day, the mean of its posts;
// neighbouring days merged when the days too are too many), and the cards
// and totals, read from the per-day sums, are the same before and after
// the days are rebuilt and count every post (an exact median).
func TestAnalyticsDailyChart(t *testing.T) {
	ce := newCalEnv(t, nil)
	defer func(n int) { anChartMax = n }(anChartMax)
	anChartMax = 6
	base := time.Date(2027, 2, 2, 0, 0, 0, 0, time.UTC)
	for i := range 9 {
		at := base.Add(time.Duration(i/3)*24*time.Hour + time.Duration(3+i%3)*time.Hour)
		p := ce.post(t, fmt.Sprintf("Daily post %d", i), at.Add(-time.Minute), at)
		ce.anSnap(t, p.Targets[0].ID, snsos.Checkpoint24h, at.Add(24*time.Hour), snsos.SnapshotOK, anViews(int64(100*(i+1))))
	}
	chartRows := regexp.MustCompile(`(?s)id="an-chart-table".*?<tbody>(.*?)</tbody>`)
	page := func(when string) (string, string) {
		t.Helper()
		_, body := ce.get(t, "/analytics?range=30d")
		m := chartRows.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("%s: no chart table", when)
		}
		tot := anCells(anRow(body, "an-totals", ">X</th>"))
		if len(tot) != 4 || tot[0] != "9" || !strings.HasPrefix(tot[2], "500 ") {
			t.Errorf("%s: X totals %q, want 9 posts and a +24h median of 500", when, tot)
		}
		return body, m[1]
	}
	body, rows := page("days marked")
	if n := strings.Count(rows, "<tr>"); n != 3 {
		t.Errorf("the chart has %d points, want one per day (3)", n)
	}
	wantAll(t, "daily chart", body, "Each point is the average of one day&#39;s posts")
	// The mean +24h views of each day's three posts: 200, 500, 800.
	for _, v := range []string{"<td>200</td>", "<td>500</td>", "<td>800</td>"} {
		if !strings.Contains(rows, v) {
			t.Errorf("the chart misses a day's mean %s:\n%s", v, rows)
		}
	}
	if _, err := ce.store.RefreshAnalyticsDays(context.Background(), 100); err != nil {
		t.Fatal(err)
	}
	_, rebuilt := page("days rebuilt")
	if rebuilt != rows {
		t.Errorf("the chart changed when the days were rebuilt:\n%s\nwas\n%s", rebuilt, rows)
	}
	anChartMax = 2
	body, rows = page("days merged")
	if n := strings.Count(rows, "<tr>"); n != 2 {
		t.Errorf("the chart has %d points, want 2 (two days, then one)", n)
	}
	wantAll(t, "merged days", body, "the posts of 2 consecutive days")
}

// TestMedian64: the selection gives the sorted median on small, even, odd,
// constant and skewed inputs.
func TestMedian64(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for n := range 300 {
		v := make([]int64, n+1)
		for i := range v {
			switch n % 3 {
			case 0:
				v[i] = rng.Int64N(1000)
			case 1:
				v[i] = int64(n % 7) // constant
			default:
				v[i] = int64(math.Exp(rng.NormFloat64() * 2)) // log-normal, many ties near 0
			}
		}
		s := slices.Clone(v)
		slices.Sort(s)
		want := float64(s[len(s)/2])
		if len(s)%2 == 0 {
			want = (float64(s[len(s)/2-1]) + float64(s[len(s)/2])) / 2
		}
		if got := median64(v); got != want {
			t.Fatalf("n=%d: median %v, want %v", len(v), got, want)
		}
	}
}
