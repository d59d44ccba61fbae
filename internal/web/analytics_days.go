package web

import (
	"context"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
)

// The cards, the totals and, over a long range, the chart come from the
// per-day sums (store.AnalyticsDays): a range costs its days, not its
// posts. A range of at most anChartMax posts still charts post by post.

// anDays adds up the days of a range: every platform's and each
// platform's sums.
type anDays struct {
	all        store.DayAgg
	byPlatform map[snsos.Platform]*store.DayAgg
}

func newAnDays(days []*store.DayAgg) *anDays {
	ad := &anDays{byPlatform: map[snsos.Platform]*store.DayAgg{}}
	// The +24h values are copied once into lists sized ahead: a long range
	// holds hundreds of thousands.
	sizes := map[snsos.Platform]int{}
	total := 0
	for _, d := range days {
		sizes[d.Platform] += len(d.V24)
		total += len(d.V24)
	}
	ad.all.V24 = make([]int64, 0, total)
	for pl, n := range sizes {
		ad.byPlatform[pl] = &store.DayAgg{Platform: pl, V24: make([]int64, 0, n)}
	}
	for _, d := range days {
		ad.all.Merge(d)
		a := ad.byPlatform[d.Platform]
		if a == nil {
			a = &store.DayAgg{Platform: d.Platform}
			ad.byPlatform[d.Platform] = a
		}
		a.Merge(d)
	}
	return ad
}

// anTotalOf is one card row: posts, views at +7d, the median views at +24h
// and the engagement rate.
func anTotalOf(p *page, a *store.DayAgg) anTotal {
	t := anTotal{Posts: groupDigits(int64(a.Posts)), Views7d: "—", Median24h: "—", EngRate: "—"}
	if a.N[2] > 0 {
		t.Views7d = groupDigits(a.Sum[2])
	}
	t.Views7dN = p.T("an.sample", "Count", a.N[2])
	if len(a.V24) > 0 {
		t.Median24h = groupDigits(int64(math.Round(median64(a.V24))))
	}
	t.Median24hN = p.T("an.sample", "Count", len(a.V24))
	if a.EngViews > 0 {
		t.EngRate = strconv.FormatFloat(float64(a.Eng)*100/float64(a.EngViews), 'f', 1, 64) + "%"
	}
	return t
}

// anSummaryDays sets the cards (all platforms) and each platform's totals.
func anSummaryDays(p *page, d *anData, ad *anDays) {
	all := anTotalOf(p, &ad.all)
	d.Cards = []anCard{
		{Label: p.T("an.card.posts"), Value: all.Posts},
		{Label: p.T("an.card.views7d"), Value: all.Views7d, Hint: all.Views7dN},
		{Label: p.T("an.card.median24h"), Value: all.Median24h, Hint: all.Median24hN},
		{Label: p.T("an.card.engagement"), Value: all.EngRate, Hint: p.T("an.card.engagement.hint")},
	}
	for _, pl := range snsos.Platforms {
		if a := ad.byPlatform[pl]; a != nil && a.Posts > 0 {
			tot := anTotalOf(p, a)
			tot.Platform = pl.DisplayName()
			d.Totals = append(d.Totals, tot)
		}
	}
}

// anDailyPoints makes the chart of a long range: a point per UTC day with
// posts (every platform's), each the mean views of that day's posts at each
// checkpoint; when there are more than anChartMax days, neighbouring days
// merge until they fit. It returns the points and how many days each holds.
func anDailyPoints(days []*store.DayAgg) ([]anChartPt, int) {
	var pts []anChartPt
	for _, d := range days {
		if n := len(pts); n > 0 && pts[n-1].at.Equal(d.Day) {
			addDay(&pts[n-1], d)
			continue
		}
		pt := anChartPt{at: d.Day}
		addDay(&pt, d)
		pts = append(pts, pt)
	}
	step := 1
	for len(pts) > anChartMax {
		half := pts[:0]
		for i := 0; i < len(pts); i += 2 {
			pt := pts[i]
			if i+1 < len(pts) {
				pt.merge(pts[i+1])
			}
			half = append(half, pt)
		}
		pts, step = half, step*2
	}
	return pts, step
}

func addDay(pt *anChartPt, d *store.DayAgg) {
	pt.n += d.Posts
	for i := range pt.sum {
		pt.sum[i] += d.Sum[i]
		pt.cnt[i] += d.N[i]
	}
}

// anNewer counts the range's targets newer than the cursor's (published
// later, or at the same time with a higher id): the days after its day from
// the sums, its own day from its targets.
func anNewer(days []*store.DayAgg, top store.Cursor, sameDay int) int {
	day := top.At.UTC().Truncate(24 * time.Hour)
	n := sameDay
	for _, d := range days {
		if d.Day.After(day) {
			n += d.Posts
		}
	}
	return n
}

// anChart sets the views chart: post by post when the range holds at most
// anChartMax posts (read once more, a bounded read), else a point per day.
func (h *Handler) anChart(ctx context.Context, p *page, d *anData, rg store.AnalyticsRange, days []*store.DayAgg, posts int,
	now time.Time) error {
	if posts <= anChartMax {
		var acc anChartAcc
		if err := h.store.ScanAnalytics(ctx, rg, func(pt *store.AnalyticsPoint) error { acc.add(pt); return nil }); err != nil {
			return err
		}
		d.Chart, d.ChartRows = h.anChartOf(p, acc.points(), now)
		if acc.step > 1 {
			d.ChartNote = p.T("an.chart.averaged", "Count", acc.step)
		}
		return nil
	}
	pts, step := anDailyPoints(days)
	d.Chart, d.ChartRows = h.anChartOf(p, pts, now)
	d.ChartNote = p.T("an.chart.daily", "Count", step)
	return nil
}

// median64 is the median of v, which it reorders: a selection in linear
// time, where sorting a range's hundreds of thousands of values would cost
// tens of milliseconds a card.
func median64(v []int64) float64 {
	n := len(v)
	if n == 0 {
		return 0
	}
	hi := nth64(v, n/2)
	if n%2 == 1 {
		return float64(hi)
	}
	lo := slices.Max(v[:n/2]) // every value left of n/2 is at most hi
	return (float64(lo) + float64(hi)) / 2
}

// nth64 reorders v so that v[k] is the value a sort would put there, with
// no greater value before it and no smaller one after, and returns it.
func nth64(v []int64, k int) int64 {
	lo, hi := 0, len(v)-1
	for lo < hi {
		a, b, c := v[lo], v[lo+(hi-lo)/2], v[hi]
		pivot := max(min(a, b), min(max(a, b), c)) // the median of three
		i, j := lo, hi
		for i <= j {
			for v[i] < pivot {
				i++
			}
			for v[j] > pivot {
				j--
			}
			if i <= j {
				v[i], v[j] = v[j], v[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return v[k]
		}
	}
	return v[k]
}
