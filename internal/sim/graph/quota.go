package graph

import "time"

// QuotaWindow is the length of Meta's rolling publishing windows.
const QuotaWindow = 24 * time.Hour

// Rolling counts events per key (an account id) over a sliding window:
// an event at t counts until t+Window. Use one Rolling per quota.
type Rolling struct {
	Window time.Duration
	events map[string][]time.Time
}

// NewRolling returns an empty counter over window.
func NewRolling(window time.Duration) *Rolling {
	return &Rolling{Window: window, events: make(map[string][]time.Time)}
}

// Used returns how many events of key fall in the window ending at now,
// forgetting older ones.
func (q *Rolling) Used(key string, now time.Time) int {
	ev := q.events[key]
	i := 0
	for i < len(ev) && !ev[i].After(now.Add(-q.Window)) {
		i++
	}
	if i > 0 {
		ev = ev[i:]
		q.events[key] = ev
	}
	return len(ev)
}

// UsedSince is like Used but counts only events after since (Instagram's
// since parameter of content_publishing_limit); a since older than the
// window counts the whole window.
func (q *Rolling) UsedSince(key string, since, now time.Time) int {
	n := 0
	for _, t := range q.events[key] {
		if t.After(since) && t.After(now.Add(-q.Window)) && !t.After(now) {
			n++
		}
	}
	return n
}

// Add records one event of key at now.
func (q *Rolling) Add(key string, now time.Time) {
	q.events[key] = append(q.events[key], now)
}
