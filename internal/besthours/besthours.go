// Package besthours computes the best-hours statistics of the analytics
// page and compose's best-hour picks: from published posts' publication
// times and their +24h views, the median views by local weekday × hour, by
// hour and by weekday, ranked. It is pure: no HTTP, no store, no
// templates, no labels.
package besthours

import (
	"slices"
	"sort"
	"time"
)

const (
	// BucketMin is the number of posts a bucket needs before its median
	// is ranked (or coloured on the heatmap).
	BucketMin = 3
	// HistoryMin is the number of posts with +24h numbers needed before
	// any bucket is computed.
	HistoryMin = 10
)

// Post is one published post: when it was published (any zone; it is read
// in the zone given to Compute) and its views at +24h.
type Post struct {
	At       time.Time
	Views24h int64
}

// Bucket is one weekday × hour, hour or weekday bucket. Weekday is
// meaningful for weekday × hour and weekday buckets, Hour for weekday ×
// hour and hour buckets. Median is the median of the bucket's +24h views,
// and is 0 when Count < BucketMin.
type Bucket struct {
	Weekday time.Weekday
	Hour    int
	Count   int
	Median  float64
}

// Ranked reports whether the bucket has enough posts to be ranked.
func (b Bucket) Ranked() bool { return b.Count >= BucketMin }

// Result is the statistics for one history.
type Result struct {
	// Posts is how many posts were given; Enough is Posts >= HistoryMin.
	// When not Enough, nothing else is set.
	Posts  int
	Enough bool
	// Grid holds every weekday × hour bucket, indexed by weekday and hour,
	// with its count (and median when ranked).
	Grid [7][24]Bucket
	// Max is the largest median among Grid's ranked buckets (0 if none).
	Max float64
	// Slots are the ranked weekday × hour buckets, highest median first;
	// ties keep week order (from the week start given to Compute), then
	// hour order.
	Slots []Bucket
	// ByHour are the ranked hour buckets, highest median first; ties keep
	// hour order.
	ByHour []Bucket
	// ByDay are the ranked weekday buckets, highest median first; ties keep
	// week order from the week start.
	ByDay []Bucket
}

// Compute buckets posts by their local weekday and hour in loc. weekStart
// orders ties among weekdays (the calendar's first day of the week).
func Compute(posts []Post, loc *time.Location, weekStart time.Weekday) Result {
	r := Result{Posts: len(posts), Enough: len(posts) >= HistoryMin}
	if !r.Enough {
		return r
	}
	var cell [7][24][]float64
	var byHour [24][]float64
	var byDay [7][]float64
	for _, p := range posts {
		local := p.At.In(loc)
		wd, hr := local.Weekday(), local.Hour()
		v := float64(p.Views24h)
		cell[wd][hr] = append(cell[wd][hr], v)
		byHour[hr] = append(byHour[hr], v)
		byDay[wd] = append(byDay[wd], v)
	}
	for i := range 7 {
		wd := time.Weekday((int(weekStart) + i) % 7)
		for hr := range 24 {
			b := Bucket{Weekday: wd, Hour: hr, Count: len(cell[wd][hr])}
			if b.Ranked() {
				b.Median = Median(cell[wd][hr])
				r.Max = max(r.Max, b.Median)
				r.Slots = append(r.Slots, b)
			}
			r.Grid[wd][hr] = b
		}
	}
	for hr := range 24 {
		if xs := byHour[hr]; len(xs) >= BucketMin {
			r.ByHour = append(r.ByHour, Bucket{Hour: hr, Count: len(xs), Median: Median(xs)})
		}
	}
	for i := range 7 {
		wd := time.Weekday((int(weekStart) + i) % 7)
		if xs := byDay[wd]; len(xs) >= BucketMin {
			r.ByDay = append(r.ByDay, Bucket{Weekday: wd, Count: len(xs), Median: Median(xs)})
		}
	}
	rank(r.Slots)
	rank(r.ByHour)
	rank(r.ByDay)
	return r
}

// rank orders buckets by median, highest first, keeping the order of ties.
func rank(bs []Bucket) {
	sort.SliceStable(bs, func(i, j int) bool { return bs[i].Median > bs[j].Median })
}

// Median is the median of xs (the mean of the middle two for an even
// count; 0 for none). xs is not modified.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	xs = slices.Clone(xs)
	sort.Float64s(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}
