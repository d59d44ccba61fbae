package besthours

import (
	"slices"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		name string
		xs   []float64
		want float64
	}{
		{"empty", nil, 0},
		{"one", []float64{3}, 3},
		{"odd", []float64{5, 1, 3}, 3},
		{"even: mean of the middle two", []float64{4, 1, 3, 2}, 2.5},
		{"even, equal middles", []float64{1, 7, 7, 100}, 7},
		{"robust to one viral post", []float64{100, 120, 110, 1_000_000, 90}, 110},
	} {
		in := slices.Clone(c.xs)
		if got := Median(c.xs); got != c.want {
			t.Errorf("%s: Median(%v) = %v, want %v", c.name, c.xs, got, c.want)
		}
		if !slices.Equal(in, c.xs) {
			t.Errorf("%s: Median reordered its input: %v", c.name, c.xs)
		}
	}
}

// at is a local time in loc on a date in the week of 2027-02-08 (a Monday).
func at(loc *time.Location, day, hour, minute int) time.Time {
	return time.Date(2027, 2, day, hour, minute, 0, 0, loc)
}

func posts(loc *time.Location, day, hour int, views ...int64) []Post {
	var ps []Post
	for i, v := range views {
		ps = append(ps, Post{At: at(loc, day, hour, i), Views24h: v})
	}
	return ps
}

func TestComputeThresholds(t *testing.T) {
	utc := time.UTC
	// Empty input: nothing, not enough.
	if r := Compute(nil, utc, time.Monday); r.Enough || r.Posts != 0 || r.Slots != nil || r.ByHour != nil || r.ByDay != nil {
		t.Errorf("empty: %+v", r)
	}
	// 9 posts with +24h numbers are not enough; nothing is computed.
	nine := posts(utc, 13, 21, 1, 2, 3, 4, 5, 6, 7, 8, 9)
	if r := Compute(nine, utc, time.Monday); r.Enough || r.Posts != 9 || r.Slots != nil || r.Grid[time.Saturday][21].Count != 0 {
		t.Errorf("nine posts: %+v", r)
	}
	// The 10th makes it enough.
	ten := append(slices.Clone(nine), Post{At: at(utc, 13, 21, 30), Views24h: 10})
	r := Compute(ten, utc, time.Monday)
	if !r.Enough || r.Posts != 10 {
		t.Fatalf("ten posts: enough=%v posts=%d", r.Enough, r.Posts)
	}
	if g := r.Grid[time.Saturday][21]; g.Count != 10 || g.Median != 5.5 || !g.Ranked() {
		t.Errorf("Sat 21: %+v", g)
	}
	// A bucket under the threshold (2 posts) is counted but not ranked.
	ps := append(slices.Clone(ten), posts(utc, 8, 9, 500, 700)...)
	r = Compute(ps, utc, time.Monday)
	if g := r.Grid[time.Monday][9]; g.Count != 2 || g.Median != 0 || g.Ranked() {
		t.Errorf("Mon 09 (2 posts): %+v", g)
	}
	if len(r.Slots) != 1 || r.Slots[0].Weekday != time.Saturday || r.Slots[0].Hour != 21 {
		t.Errorf("slots: %+v", r.Slots)
	}
	if len(r.ByHour) != 1 || r.ByHour[0].Hour != 21 || len(r.ByDay) != 1 || r.ByDay[0].Weekday != time.Saturday {
		t.Errorf("by hour %+v, by day %+v", r.ByHour, r.ByDay)
	}
	// A third post makes it ranked, above Sat 21.
	ps = append(ps, posts(utc, 15, 9, 600)...)
	r = Compute(ps, utc, time.Monday)
	if g := r.Grid[time.Monday][9]; g.Count != 3 || g.Median != 600 || !g.Ranked() {
		t.Errorf("Mon 09 (3 posts): %+v", g)
	}
	if r.Max != 600 {
		t.Errorf("max = %v", r.Max)
	}
	want := []Bucket{{Weekday: time.Monday, Hour: 9, Count: 3, Median: 600}, {Weekday: time.Saturday, Hour: 21, Count: 10, Median: 5.5}}
	if !slices.Equal(r.Slots, want) {
		t.Errorf("slots = %+v, want %+v", r.Slots, want)
	}
	if !slices.Equal(r.ByHour, []Bucket{{Hour: 9, Count: 3, Median: 600}, {Hour: 21, Count: 10, Median: 5.5}}) {
		t.Errorf("by hour = %+v", r.ByHour)
	}
	if !slices.Equal(r.ByDay, []Bucket{{Weekday: time.Monday, Count: 3, Median: 600}, {Weekday: time.Saturday, Count: 10, Median: 5.5}}) {
		t.Errorf("by day = %+v", r.ByDay)
	}
}

// TestComputeBuckets is the history of the web tests: Sat 21:00 ×4, Mon
// 09:00 ×3, Wed 12:00 ×3, plus two posts in a bucket under the threshold.
func TestComputeBuckets(t *testing.T) {
	loc := time.UTC
	var ps []Post
	ps = append(ps, posts(loc, 13, 21, 200, 300, 100, 10_000)...) // Sat 21: median 250
	ps = append(ps, posts(loc, 8, 9, 120, 80, 100)...)            // Mon 09: median 100
	ps = append(ps, posts(loc, 10, 12, 150, 160, 170)...)         // Wed 12: median 160
	ps = append(ps, posts(loc, 10, 18, 9_000, 9_000)...)          // Wed 18: 2 posts
	r := Compute(ps, loc, time.Monday)
	var got []string
	for _, s := range r.Slots {
		got = append(got, s.Weekday.String()[:3]+" "+time.Date(0, 1, 1, s.Hour, 0, 0, 0, loc).Format("15"))
	}
	if want := []string{"Sat 21", "Wed 12", "Mon 09"}; !slices.Equal(got, want) {
		t.Errorf("slots = %v, want %v", got, want)
	}
	if r.Max != 250 {
		t.Errorf("max = %v", r.Max)
	}
	// Wed as a weekday: 150 160 170 9000 9000 → 170.
	wantDay := []Bucket{{Weekday: time.Saturday, Count: 4, Median: 250}, {Weekday: time.Wednesday, Count: 5, Median: 170}, {Weekday: time.Monday, Count: 3, Median: 100}}
	if !slices.Equal(r.ByDay, wantDay) {
		t.Errorf("by day = %+v, want %+v", r.ByDay, wantDay)
	}
	if len(r.ByHour) != 3 || r.ByHour[0].Hour != 21 { // 18:00 has only 2 posts
		t.Errorf("by hour = %+v", r.ByHour)
	}
}

// TestComputeTies: equal medians keep week order from the week start, and
// hour order.
func TestComputeTies(t *testing.T) {
	loc := time.UTC
	var ps []Post
	ps = append(ps, posts(loc, 14, 10, 50, 50, 50)...) // Sun 10
	ps = append(ps, posts(loc, 8, 10, 50, 50, 50)...)  // Mon 10
	ps = append(ps, posts(loc, 8, 8, 50, 50, 50)...)   // Mon 08
	ps = append(ps, posts(loc, 9, 23, 10)...)          // Tue 23, not ranked
	for _, c := range []struct {
		ws   time.Weekday
		want []time.Weekday
	}{{time.Monday, []time.Weekday{time.Monday, time.Sunday}}, {time.Sunday, []time.Weekday{time.Sunday, time.Monday}}} {
		r := Compute(ps, loc, c.ws)
		var days []time.Weekday
		for _, d := range r.ByDay {
			days = append(days, d.Weekday)
		}
		// Mon has 6 posts of 50, Sun 3: equal medians.
		if !slices.Equal(days, c.want) {
			t.Errorf("week from %v: by day %v, want %v", c.ws, days, c.want)
		}
		first := r.Slots[0]
		if c.ws == time.Monday && (first.Weekday != time.Monday || first.Hour != 8) {
			t.Errorf("week from Monday: first slot %+v", first)
		}
		if c.ws == time.Sunday && (first.Weekday != time.Sunday || first.Hour != 10) {
			t.Errorf("week from Sunday: first slot %+v", first)
		}
		if r.ByHour[0].Hour != 8 || r.ByHour[1].Hour != 10 {
			t.Errorf("by hour %+v", r.ByHour)
		}
	}
}

// TestComputeZones: the same instants fall in different buckets by zone,
// and a DST zone buckets by the local wall clock on either side of the
// change.
func TestComputeZones(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skip("no zone data:", err)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no zone data:", err)
	}
	// Ten posts at Sat 2027-02-13 21:00 UTC.
	ps := posts(time.UTC, 13, 21, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	for _, c := range []struct {
		loc *time.Location
		wd  time.Weekday
		hr  int
	}{{time.UTC, time.Saturday, 21}, {tokyo, time.Sunday, 6}, {ny, time.Saturday, 16}} {
		r := Compute(ps, c.loc, time.Monday)
		if len(r.Slots) != 1 || r.Slots[0].Weekday != c.wd || r.Slots[0].Hour != c.hr || r.Slots[0].Count != 10 {
			t.Errorf("%v: slots %+v, want %v %d", c.loc, r.Slots, c.wd, c.hr)
		}
	}
	// New York moves to EDT on 2027-03-14 (a Sunday) at 02:00. Posts at
	// 09:00 local the week before (14:00 UTC) and the week after (13:00
	// UTC) share the Sunday 09:00 bucket.
	var dst []Post
	for i, u := range []time.Time{
		time.Date(2027, 3, 7, 14, 0, 0, 0, time.UTC), time.Date(2027, 3, 7, 14, 5, 0, 0, time.UTC),
		time.Date(2027, 3, 14, 13, 0, 0, 0, time.UTC), time.Date(2027, 3, 14, 13, 5, 0, 0, time.UTC),
		time.Date(2027, 3, 21, 13, 0, 0, 0, time.UTC),
	} {
		dst = append(dst, Post{At: u, Views24h: int64(100 * (i + 1))})
	}
	// And five at 01:30 local on the change day (06:30 UTC, still EST).
	for i := range 5 {
		dst = append(dst, Post{At: time.Date(2027, 3, 14, 6, 30+i, 0, 0, time.UTC), Views24h: 1})
	}
	r := Compute(dst, ny, time.Sunday)
	if g := r.Grid[time.Sunday][9]; g.Count != 5 || g.Median != 300 {
		t.Errorf("NY Sun 09 across DST: %+v", g)
	}
	if g := r.Grid[time.Sunday][1]; g.Count != 5 || g.Median != 1 {
		t.Errorf("NY Sun 01 on the change day: %+v", g)
	}
	// In UTC the same posts split across 13:00 and 14:00.
	r = Compute(dst, time.UTC, time.Sunday)
	if r.Grid[time.Sunday][14].Count != 2 || r.Grid[time.Sunday][13].Count != 3 {
		t.Errorf("UTC: Sun 13 %+v, Sun 14 %+v", r.Grid[time.Sunday][13], r.Grid[time.Sunday][14])
	}
}
