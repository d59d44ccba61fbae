package web

import (
	"math"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
)

// The chart of a range of at most anChartMax posts reads them once as plain
// integers (store.ScanAnalytics) and folds each into its points; longer
// ranges chart their days (analytics_days.go).

// anChartMax bounds the chart's points (and the rows of its table for
// screen readers): a range with more posts shows averages of consecutive
// posts.
var anChartMax = 1000 // a variable so that tests can chart days with few posts

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
