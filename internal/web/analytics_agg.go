package web

import (
	"math"
	"strconv"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/besthours"
	"github.com/sns-os/snsos/internal/store"
)

// The analytics page reads its range once as plain integers
// (store.ScanAnalytics) and folds each target into the totals and the
// chart as it goes: the totals keep sums and the +24h views (for the
// median), the chart at most anChartMax points.

// anChartMax bounds the chart's points (and the rows of its table for
// screen readers): a range with more posts shows averages of consecutive
// posts.
const anChartMax = 1000

// anChartPt is one point of the chart: the posts from the one published at
// at, with the sums and counts of their views at each checkpoint.
type anChartPt struct {
	at  time.Time
	n   int
	sum [3]int64
	cnt [3]int
}

func (pt *anChartPt) merge(o anChartPt) {
	pt.n += o.n
	for i := range pt.sum {
		pt.sum[i] += o.sum[i]
		pt.cnt[i] += o.cnt[i]
	}
}

// value is the point's views at checkpoint i (their mean when it holds
// several posts), nil when none of its posts has a number.
func (pt *anChartPt) value(i int) *int64 {
	if pt.cnt[i] == 0 {
		return nil
	}
	v := pt.sum[i]
	if pt.cnt[i] > 1 {
		v = int64(math.Round(float64(pt.sum[i]) / float64(pt.cnt[i])))
	}
	return &v
}

// anChartAcc downsamples a stream of posts, oldest first, to at most
// anChartMax points without knowing their number ahead: each point holds
// step posts, and when the points fill up, neighbours merge and step
// doubles.
type anChartAcc struct {
	step    int
	pts     []anChartPt
	pending anChartPt
}

func (c *anChartAcc) add(p *store.AnalyticsPoint) {
	if c.step == 0 {
		c.step = 1
	}
	if c.pending.n == 0 {
		c.pending.at = p.At
	}
	c.pending.n++
	for i, cp := range anCheckpoints {
		if v, ok := p.Value(cp, snsos.MetricViews); ok {
			c.pending.sum[i] += v
			c.pending.cnt[i]++
		}
	}
	if c.pending.n < c.step {
		return
	}
	c.pts, c.pending = append(c.pts, c.pending), anChartPt{}
	if len(c.pts) < anChartMax {
		return
	}
	half := c.pts[:0]
	for i := 0; i+1 < len(c.pts); i += 2 {
		pt := c.pts[i]
		pt.merge(c.pts[i+1])
		half = append(half, pt)
	}
	c.pts, c.step = half, c.step*2
}

// points returns the chart's points, the last one possibly holding fewer
// posts than step.
func (c *anChartAcc) points() []anChartPt {
	if c.pending.n > 0 {
		c.pts, c.pending = append(c.pts, c.pending), anChartPt{}
	}
	return c.pts
}

// anAcc adds up one platform's (or every platform's) targets for the
// totals and cards.
type anAcc struct {
	posts         int
	views7d       int64
	n7d           int
	v24           []float64
	eng, engViews int64
}

func (a *anAcc) add(p *store.AnalyticsPoint) {
	a.posts++
	if v, ok := p.Value(snsos.Checkpoint7d, snsos.MetricViews); ok {
		a.views7d += v
		a.n7d++
	}
	if v, ok := p.Value(snsos.Checkpoint24h, snsos.MetricViews); ok {
		a.v24 = append(a.v24, float64(v))
		if v > 0 {
			a.engViews += v
			for _, m := range []string{snsos.MetricLikes, snsos.MetricComments, snsos.MetricShares} {
				x, _ := p.Value(snsos.Checkpoint24h, m)
				a.eng += x
			}
		}
	}
}

func (a *anAcc) total(p *page) anTotal {
	t := anTotal{Posts: groupDigits(int64(a.posts)), Views7d: "—", Median24h: "—", EngRate: "—"}
	if a.n7d > 0 {
		t.Views7d = groupDigits(a.views7d)
	}
	t.Views7dN = p.T("an.sample", "Count", a.n7d)
	if len(a.v24) > 0 {
		t.Median24h = groupDigits(int64(math.Round(besthours.Median(a.v24))))
	}
	t.Median24hN = p.T("an.sample", "Count", len(a.v24))
	if a.engViews > 0 {
		t.EngRate = strconv.FormatFloat(float64(a.eng)*100/float64(a.engViews), 'f', 1, 64) + "%"
	}
	return t
}

// anPass is one pass over the range: every platform's totals, each
// platform's, and the chart.
type anPass struct {
	all        anAcc
	byPlatform map[snsos.Platform]*anAcc
	chart      anChartAcc
}

func (ps *anPass) add(p *store.AnalyticsPoint) error {
	ps.all.add(p)
	a := ps.byPlatform[p.Platform]
	if a == nil {
		a = &anAcc{}
		ps.byPlatform[p.Platform] = a
	}
	a.add(p)
	ps.chart.add(p)
	return nil
}

// anSummary sets the cards (all platforms) and the totals of each
// platform.
func anSummary(p *page, d *anData, ps *anPass) {
	all := ps.all.total(p)
	d.Cards = []anCard{
		{Label: p.T("an.card.posts"), Value: all.Posts},
		{Label: p.T("an.card.views7d"), Value: all.Views7d, Hint: all.Views7dN},
		{Label: p.T("an.card.median24h"), Value: all.Median24h, Hint: all.Median24hN},
		{Label: p.T("an.card.engagement"), Value: all.EngRate, Hint: p.T("an.card.engagement.hint")},
	}
	for _, pl := range snsos.Platforms {
		if a := ps.byPlatform[pl]; a != nil && a.posts > 0 {
			tot := a.total(p)
			tot.Platform = pl.DisplayName()
			d.Totals = append(d.Totals, tot)
		}
	}
}

// anChartOf is the views chart, oldest first, and its table for screen
// readers.
func (h *Handler) anChartOf(p *page, pts []anChartPt, now time.Time) (anChart, []anChartRow) {
	loc := h.location()
	lang := p.lang
	c := anChart{Title: p.T("an.chart.title"), XLabel: p.T("an.published"), Lang: lang, Zone: loc.String()}
	_, c.Offset = now.Zone()
	for _, cp := range anCheckpoints {
		c.Labels = append(c.Labels, p.T("an.chart.series", "Checkpoint", p.T("an.cp."+string(cp))))
	}
	c.Series = make([][]*int64, len(anCheckpoints))
	rows := make([]anChartRow, 0, len(pts))
	for _, pt := range pts {
		c.X = append(c.X, pt.at.Unix())
		row := anChartRow{Time: shortTime(lang, pt.at.In(loc), now)}
		for i := range anCheckpoints {
			v := pt.value(i)
			txt := "—"
			if v != nil {
				txt = groupDigits(*v)
			}
			c.Series[i] = append(c.Series[i], v)
			row.Cells = append(row.Cells, txt)
		}
		rows = append(rows, row)
	}
	return c, rows
}
