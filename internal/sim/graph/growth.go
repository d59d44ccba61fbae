package graph

import (
	"math"
	"time"
)

// Grow returns a deterministic, non-decreasing count at age: a saturating
// curve towards peak with a time constant of tau, plus a slow linear tail
// of one unit per hour per 1000 of peak (at least one). It is 0 at age 0
// and for negative ages.
func Grow(peak int64, tau, age time.Duration) int64 {
	if age <= 0 || peak <= 0 {
		return 0
	}
	h := age.Hours()
	tail := max(1, float64(peak)/1000) * h
	return int64(float64(peak)*(1-math.Exp(-h/tau.Hours())) + tail)
}

// Part returns the share of n given in per mille: base plus a number in
// [0, spread) taken from the seed bits at shift. Derived counters use it
// so that they stay below n and grow with it.
func Part(n int64, seed uint64, shift uint, base, spread uint64) int64 {
	return n * int64(base+(seed>>shift)%spread) / 1000
}
