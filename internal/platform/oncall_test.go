package platform

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sns-os/snsos"
)

// TestOnCallClasses checks the hook the metrics count platform calls
// with: one call per request, timed on the client's clock, classed "ok"
// or by the Kind its failure maps to, a transport failure included.
func TestOnCallClasses(t *testing.T) {
	// The clock moves only while the server answers: each call that
	// reaches it takes 250 ms.
	var ticks atomic.Int64
	start := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ticks.Add(1)
		code, _ := strconv.Atoi(r.URL.Query().Get("status"))
		w.WriteHeader(code)
	}))
	defer srv.Close()
	type call struct {
		p     snsos.Platform
		took  time.Duration
		class string
	}
	var calls []call
	c := NewHTTPClient(HTTPOptions{
		Now: func() time.Time { return start.Add(time.Duration(ticks.Load()) * 250 * time.Millisecond) },
		OnCall: func(p snsos.Platform, took time.Duration, class string) {
			calls = append(calls, call{p, took, class})
		},
	})
	// A port nothing listens on: the connection is refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/"
	ln.Close()
	cases := []struct {
		url      string
		mutating bool
		want     string
		took     time.Duration
	}{
		{srv.URL + "/?status=200", false, "ok", 250 * time.Millisecond},
		{srv.URL + "/?status=204", true, "ok", 250 * time.Millisecond},
		{srv.URL + "/?status=429", false, "rate_limited", 250 * time.Millisecond},
		{srv.URL + "/?status=401", false, "auth", 250 * time.Millisecond},
		{srv.URL + "/?status=400", true, "rejected", 250 * time.Millisecond},
		{srv.URL + "/?status=503", false, "transient", 250 * time.Millisecond},
		{srv.URL + "/?status=502", true, "outcome_unknown", 250 * time.Millisecond},
		{closed, false, "transient", 0},
	}
	for i, tc := range cases {
		_, _ = c.Do(context.Background(), &Request{Platform: snsos.PlatformThreads, Op: "test", Method: http.MethodPost, URL: tc.url, Mutating: tc.mutating})
		if len(calls) != i+1 {
			t.Fatalf("%s: %d hook calls after %d requests", tc.url, len(calls), i+1)
		}
		got := calls[i]
		if got.p != snsos.PlatformThreads || got.class != tc.want || got.took != tc.took {
			t.Errorf("%s (mutating %v): hook got %+v, want class %s in %v", tc.url, tc.mutating, got, tc.want, tc.took)
		}
	}
}
