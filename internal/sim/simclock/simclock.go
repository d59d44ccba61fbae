// Package simclock provides a manually driven clock for the platform
// simulators and their tests.
//
// A Clock starts at a fixed instant and only moves when Advance or Set is
// called, so tests can step through token expiry, media processing and metric
// growth without sleeping. Its Now method has the signature the simulators
// accept as their injectable clock (func() time.Time).
package simclock

import (
	"sync"
	"time"
)

// A Clock is a fake clock that is safe for concurrent use. The zero value is
// not usable; create one with New.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a Clock that reads start until it is moved.
func New(start time.Time) *Clock {
	return &Clock{now: start}
}

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d (backward if d is negative) and
// returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}
