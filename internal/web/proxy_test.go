package web

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

func TestClientAddr(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, tc := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"no proxy", "203.0.113.7:5000", nil, "203.0.113.7"},
		{"spoofed header from an untrusted peer", "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"trusted proxy", "10.0.0.2:443", []string{"198.51.100.1"}, "198.51.100.1"},
		{"client-written hops are ignored", "10.0.0.2:443", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"chain of trusted proxies", "10.0.0.2:443", []string{"1.2.3.4, 198.51.100.1, 10.0.0.9"}, "198.51.100.1"},
		{"several header lines", "10.0.0.2:443", []string{"1.2.3.4", "198.51.100.1"}, "198.51.100.1"},
		{"trusted, no header", "10.0.0.2:443", nil, "10.0.0.2"},
		{"only trusted hops", "10.0.0.2:443", []string{"10.1.1.1"}, "10.0.0.2"},
		{"garbage hop", "10.0.0.2:443", []string{"198.51.100.1, nonsense"}, "10.0.0.2"},
		{"ipv6 loopback proxy", "[::1]:8080", []string{"2001:db8::5"}, "2001:db8::5"},
		{"mapped ipv4 hop", "10.0.0.2:443", []string{"::ffff:198.51.100.1"}, "198.51.100.1"},
	} {
		r := httptest.NewRequest("POST", "/signin", nil)
		r.RemoteAddr = tc.peer
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := clientAddrFrom(r, trusted); got != tc.want {
			t.Errorf("%s: clientAddr = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestThrottleBehindProxy: a spoofed X-Forwarded-For from an untrusted peer
// does not escape the throttle; behind a trusted proxy, clients are counted
// apart.
func TestThrottleBehindProxy(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "pw")
	h := New(Config{Store: e.store, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32")}, Now: e.clock.Now})
	mux := http.NewServeMux()
	h.Routes(mux)
	post := func(peer, xff string) int {
		r := httptest.NewRequest("POST", "/signin", strings.NewReader(url.Values{"password": {"wrong"}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.RemoteAddr = peer
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		return rec.Code
	}
	for i := range signinMaxFailures {
		post("203.0.113.7:1000", "198.51.100."+string(rune('1'+i)))
	}
	if code := post("203.0.113.7:1000", "198.51.100.99"); code != http.StatusTooManyRequests {
		t.Fatalf("untrusted peer with a new X-Forwarded-For: %d, want 429", code)
	}
	// Behind the trusted proxy, one client's failures block that client only.
	for range signinMaxFailures {
		post("10.0.0.1:2000", "192.0.2.10")
	}
	if code := post("10.0.0.1:2000", "192.0.2.10"); code != http.StatusTooManyRequests {
		t.Fatalf("blocked client behind the proxy: %d, want 429", code)
	}
	if code := post("10.0.0.1:2000", "192.0.2.11"); code != http.StatusUnauthorized {
		t.Fatalf("another client behind the proxy: %d, want 401", code)
	}
	// A client cannot pose as another by prepending hops.
	if code := post("10.0.0.1:2000", "192.0.2.11, 192.0.2.10"); code != http.StatusTooManyRequests {
		t.Fatalf("blocked client prepending a hop: %d, want 429", code)
	}
}
