package web

import (
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Sign-in throttling: after signinMaxFailures wrong passwords from one
// client within signinWindow, that client is refused until the window
// since its first failure has passed.
const (
	signinMaxFailures  = 5
	signinWindow       = 15 * time.Minute
	throttleMaxClients = 10000
)

// throttle counts failures per client key, in memory, for at most max
// clients: when full, expired entries are dropped first, then the oldest.
type throttle struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	max    int
	now    func() time.Time
	m      map[string]*throttleEntry
}

type throttleEntry struct {
	first time.Time // first failure of the current window
	fails int
}

func newThrottle(limit int, window time.Duration, max int, now func() time.Time) *throttle {
	return &throttle{limit: limit, window: window, max: max, now: now, m: map[string]*throttleEntry{}}
}

// Blocked reports whether key is refused now, and for how long still.
func (t *throttle) Blocked(key string) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.m[key]
	if e == nil {
		return false, 0
	}
	now := t.now()
	left := e.first.Add(t.window).Sub(now)
	if left <= 0 {
		delete(t.m, key)
		return false, 0
	}
	return e.fails >= t.limit, left
}

// Fail records a failure for key and reports whether key is now blocked.
func (t *throttle) Fail(key string) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	e := t.m[key]
	if e != nil && !now.Before(e.first.Add(t.window)) {
		e = nil
	}
	if e == nil {
		if len(t.m) >= t.max {
			t.evict(now)
		}
		e = &throttleEntry{first: now}
		t.m[key] = e
	}
	e.fails++
	return e.fails >= t.limit, e.first.Add(t.window).Sub(now)
}

// Reset forgets key's failures (after a successful sign-in).
func (t *throttle) Reset(key string) {
	t.mu.Lock()
	delete(t.m, key)
	t.mu.Unlock()
}

// Len returns the number of clients tracked.
func (t *throttle) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}

// evict makes room: it drops every expired entry, and when none has
// expired, the one with the oldest window. Called with mu held.
func (t *throttle) evict(now time.Time) {
	var oldestKey string
	var oldest time.Time
	for k, e := range t.m {
		if !now.Before(e.first.Add(t.window)) {
			delete(t.m, k)
			continue
		}
		if oldestKey == "" || e.first.Before(oldest) {
			oldestKey, oldest = k, e.first
		}
	}
	if len(t.m) >= t.max && oldestKey != "" {
		delete(t.m, oldestKey)
	}
}

// clientAddr is what sign-in throttling counts by: the peer's IP address,
// unless the peer is one of the trusted proxies (Config.TrustedProxies);
// then it is the right-most X-Forwarded-For hop that is not itself a
// trusted proxy. Hops to the left of that one were written by the client
// and could be anything, so they are never believed; a header from an
// untrusted peer is ignored entirely.
func (h *Handler) clientAddr(r *http.Request) string {
	return clientAddrFrom(r, h.cfg.TrustedProxies)
}

func clientAddrFrom(r *http.Request, trusted []netip.Prefix) string {
	peer := clientKey(r)
	ip, err := netip.ParseAddr(peer)
	if err != nil || !isTrusted(ip, trusted) {
		return peer
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		for h := range strings.SplitSeq(v, ",") {
			hops = append(hops, strings.TrimSpace(h))
		}
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(hops[i])
		if err != nil {
			// Garbage where an address should be: the hops to its left
			// cannot be told apart from the client's own inventions.
			return peer
		}
		if !isTrusted(hop, trusted) {
			return hop.Unmap().String()
		}
	}
	return peer // every hop is a trusted proxy
}

func isTrusted(ip netip.Addr, trusted []netip.Prefix) bool {
	ip = ip.Unmap()
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
