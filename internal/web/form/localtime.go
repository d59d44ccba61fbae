// Package form reads values typed into the operator interface's forms.
//
// Its local-time parser is the one the compose form and the calendar's
// "Change time" form share: a wall-clock date and time read in a named zone
// becomes one instant, or a reason it cannot — a value that is not a date
// or a time, or a local time the zone skips (the DST gap) or has twice (the
// DST overlap). Callers turn the reasons into their own words.
//
// MediaChoice is the compose form's "Media for <platform>": a mode (the
// post's media, chosen items in an order, or none) that becomes a target's
// media_ids, nil and empty kept apart, and back.
package form

import (
	"errors"
	"time"
)

// The reasons a local time is refused. A caller may get ErrDate and ErrClock
// together (errors.Join); test them with errors.Is.
var (
	// ErrFormat: the value is not a date and time (datetime-local).
	ErrFormat = errors.New("form: not a date and time")
	// ErrDate: the date field is not a date.
	ErrDate = errors.New("form: not a date")
	// ErrClock: the time field is not a time of day.
	ErrClock = errors.New("form: not a time")
	// ErrGap: the zone skips that local time (clocks go forward).
	ErrGap = errors.New("form: local time does not exist in the zone")
	// ErrAmbiguous: the zone has that local time twice (clocks go back).
	ErrAmbiguous = errors.New("form: local time happens twice in the zone")
)

// Layouts accepted for a date and time in one value: what
// <input type="datetime-local"> sends, with or without seconds, and the same
// written with a space.
var localLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"}

// DateLayout is the layout of a date field (<input type="date">).
const DateLayout = "2006-01-02"

// ParseLocal reads a datetime-local value as a local time in loc.
func ParseLocal(value string, loc *time.Location) (time.Time, error) {
	wall, err := ParseWall(value)
	if err != nil {
		return time.Time{}, err
	}
	return InZone(wall, loc)
}

// ParseWall reads a datetime-local value as a wall-clock reading (in UTC,
// to be placed in a zone with InZone): ErrFormat when it is not one.
func ParseWall(value string) (time.Time, error) {
	for _, layout := range localLayouts {
		if wall, err := time.Parse(layout, value); err == nil {
			return wall, nil
		}
	}
	return time.Time{}, ErrFormat
}

// ParseDateClock reads a date field ("2006-01-02") and a time field ("15:04",
// or with seconds) as a local time in loc. When both fields are wrong the
// error holds ErrDate and ErrClock.
func ParseDateClock(date, clock string, loc *time.Location) (time.Time, error) {
	var errs []error
	d, err := time.Parse(DateLayout, date)
	if err != nil {
		errs = append(errs, ErrDate)
	}
	c, err := time.Parse("15:04", clock)
	if err != nil {
		if c, err = time.Parse("15:04:05", clock); err != nil {
			errs = append(errs, ErrClock)
		}
	}
	if len(errs) > 0 {
		return time.Time{}, errors.Join(errs...)
	}
	wall := time.Date(d.Year(), d.Month(), d.Day(), c.Hour(), c.Minute(), c.Second(), 0, time.UTC)
	return InZone(wall, loc)
}

// InZone is the instant at which loc's clocks read wall's date and time
// (wall's own location is ignored): ErrGap when they never do, ErrAmbiguous
// when they do twice. It looks at the offsets of the zone periods around
// that time, so any size of transition is found.
func InZone(wall time.Time, loc *time.Location) (time.Time, error) {
	y, mo, d := wall.Date()
	h, mi, s := wall.Clock()
	t := time.Date(y, mo, d, h, mi, s, 0, loc)
	if !sameWall(t, wall) {
		return time.Time{}, ErrGap
	}
	naive := time.Date(y, mo, d, h, mi, s, 0, time.UTC)
	matches := 0
	for _, off := range nearbyOffsets(t) {
		u := naive.Add(-time.Duration(off) * time.Second).In(loc)
		if _, o := u.Zone(); o == off && sameWall(u, wall) {
			matches++
		}
	}
	if matches > 1 {
		return time.Time{}, ErrAmbiguous
	}
	return t, nil
}

// nearbyOffsets are the UTC offsets (seconds) of t's zone period and of the
// periods just before and after it, without repeats.
func nearbyOffsets(t time.Time) []int {
	_, off := t.Zone()
	offs := []int{off}
	start, end := t.ZoneBounds()
	if !start.IsZero() {
		_, o := start.Add(-time.Nanosecond).Zone()
		offs = append(offs, o)
	}
	if !end.IsZero() {
		_, o := end.Zone()
		offs = append(offs, o)
	}
	var out []int
	for _, o := range offs {
		dup := false
		for _, p := range out {
			dup = dup || p == o
		}
		if !dup {
			out = append(out, o)
		}
	}
	return out
}

// sameWall reports whether t's clocks read what wall's do (to the second).
func sameWall(t, wall time.Time) bool {
	y1, m1, d1 := t.Date()
	y2, m2, d2 := wall.Date()
	h1, i1, s1 := t.Clock()
	h2, i2, s2 := wall.Clock()
	return y1 == y2 && m1 == m2 && d1 == d2 && h1 == h2 && i1 == i2 && s1 == s2
}
