package web

import (
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Sign-in throttling: at most signinMaxFailures password checks from one
// client within signinWindow; then that client is refused until the window
// since its first attempt has passed. An attempt is counted (reserved)
// before its password is checked, so parallel guesses cannot overtake the
// count, and a right password is refused while the client is blocked. A
// client is an IPv4 address or an IPv6 /64 (one host usually has a whole
// /64). Across all clients, more than signinGlobalBudget failures within
// signinWindow make sign-in slower for everyone (one password check at a
// time), never impossible: the operator is never locked out by others.
const (
	signinMaxFailures  = 5
	signinWindow       = 15 * time.Minute
	throttleMaxClients = 10000
	signinGlobalBudget = 100
)

// throttle counts attempts per client key, in memory, for at most max
// clients: when full, expired entries are dropped first, then the one with
// the fewest attempts (the oldest of those), so a flood of new addresses
// does not free a blocked one. It also counts failures of all clients.
type throttle struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	max    int
	now    func() time.Time
	m      map[string]*throttleEntry
	// global failures in the window that started at gFirst.
	gFirst time.Time
	gFails int
	budget int
}

type throttleEntry struct {
	first time.Time // first attempt of the current window
	fails int       // attempts counted in the window
}

func newThrottle(limit int, window time.Duration, max int, now func() time.Time) *throttle {
	return &throttle{limit: limit, window: window, max: max, now: now, m: map[string]*throttleEntry{}, budget: signinGlobalBudget}
}

// throttleKey is what a client address is counted under: an IPv4 address
// as it is, an IPv6 address by its /64.
func throttleKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		return netip.PrefixFrom(ip, 64).Masked().String()
	}
	return ip.String()
}

// entry returns key's live entry, dropping an expired one. Called with mu
// held.
func (t *throttle) entry(key string, now time.Time) *throttleEntry {
	e := t.m[key]
	if e != nil && !now.Before(e.first.Add(t.window)) {
		delete(t.m, key)
		return nil
	}
	return e
}

// Blocked reports whether key is refused now, and for how long still.
func (t *throttle) Blocked(key string) (bool, time.Duration) {
	key = throttleKey(key)
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	e := t.entry(key, now)
	if e == nil {
		return false, 0
	}
	return e.fails >= t.limit, e.first.Add(t.window).Sub(now)
}

// Reserve counts an attempt of key before its password is checked. It
// reports false, with how long key stays refused, when key has used its
// attempts of the window.
func (t *throttle) Reserve(key string) (bool, time.Duration) {
	key = throttleKey(key)
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	e := t.add(key, now)
	if e.fails >= t.limit {
		return false, e.first.Add(t.window).Sub(now)
	}
	e.fails++
	return true, 0
}

// Refund takes back an attempt Reserve counted that was never checked
// (no password check could start).
func (t *throttle) Refund(key string) {
	key = throttleKey(key)
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.entry(key, t.now()); e != nil && e.fails > 0 {
		e.fails--
	}
}

// Fail records a failure for key (one not reserved beforehand) and reports
// whether key is now blocked.
func (t *throttle) Fail(key string) (bool, time.Duration) {
	key = throttleKey(key)
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	e := t.add(key, now)
	e.fails++
	t.globalFailLocked(now)
	return e.fails >= t.limit, e.first.Add(t.window).Sub(now)
}

// add returns key's live entry, making one (and room for it) if needed.
// Called with mu held.
func (t *throttle) add(key string, now time.Time) *throttleEntry {
	e := t.entry(key, now)
	if e == nil {
		if len(t.m) >= t.max {
			t.evict(now)
		}
		e = &throttleEntry{first: now}
		t.m[key] = e
	}
	return e
}

// GlobalFail records a wrong password for the global budget (the client's
// own count was reserved).
func (t *throttle) GlobalFail() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.globalFailLocked(t.now())
}

func (t *throttle) globalFailLocked(now time.Time) {
	if t.gFirst.IsZero() || !now.Before(t.gFirst.Add(t.window)) {
		t.gFirst, t.gFails = now, 0
	}
	t.gFails++
}

// OverBudget reports whether all clients together failed more than the
// global budget within the window: then password checks run one at a time.
func (t *throttle) OverBudget() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.gFirst.IsZero() || !t.now().Before(t.gFirst.Add(t.window)) {
		return false
	}
	return t.gFails > t.budget
}

// Reset forgets key's attempts (after a successful sign-in).
func (t *throttle) Reset(key string) {
	key = throttleKey(key)
	t.mu.Lock()
	delete(t.m, key)
	t.mu.Unlock()
}

// hold marks key blocked until until, as another process's attempts made
// it (see signinThrottle): later refusals need not ask the database again.
func (t *throttle) hold(key string, until time.Time) {
	key = throttleKey(key)
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if !now.Before(until) {
		return
	}
	e := t.add(key, now)
	if e.fails < t.limit || e.first.Add(t.window).Before(until) {
		e.first, e.fails = until.Add(-t.window), max(e.fails, t.limit)
	}
}

// holdBudget marks the global budget spent until until (see hold).
func (t *throttle) holdBudget(until time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.now().Before(until) {
		t.gFirst, t.gFails = until.Add(-t.window), max(t.gFails, t.budget+1)
	}
}

// Len returns the number of clients tracked.
func (t *throttle) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}

// evict makes room: it drops every expired entry, and when none has
// expired, the one with the fewest attempts (the oldest of those), so a
// blocked client is the last to be forgotten. Called with mu held.
func (t *throttle) evict(now time.Time) {
	var victim string
	var ve *throttleEntry
	for k, e := range t.m {
		if !now.Before(e.first.Add(t.window)) {
			delete(t.m, k)
			continue
		}
		if ve == nil || e.fails < ve.fails || (e.fails == ve.fails && e.first.Before(ve.first)) {
			victim, ve = k, e
		}
	}
	if len(t.m) >= t.max && ve != nil {
		delete(t.m, victim)
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
