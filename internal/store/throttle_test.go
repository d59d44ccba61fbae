package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// TestThrottleCounts: hits count up to the ceiling within the window and
// start again after it; an unhit and a reset take back; expired rows are
// deleted; and two processes hitting one client at once lose no hit.
func TestThrottleCounts(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		clock := &fakeClock{t: time.Date(2027, 2, 3, 4, 5, 6, 0, time.UTC)}
		s := env.Store
		const window, ceiling = 15 * time.Minute, 6
		hit := func(st *store.Store, key string) store.ThrottleCount {
			t.Helper()
			c, err := st.HitThrottle(ctx, "signin", key, window, ceiling, clock.Now())
			if err != nil {
				t.Fatalf("HitThrottle: %v", err)
			}
			return c
		}
		start := clock.Now()
		for i := 1; i <= ceiling+3; i++ {
			c := hit(s, "192.0.2.1")
			if want := min(i, ceiling); c.Hits != want || !c.ExpiresAt.Equal(start.Add(window)) {
				t.Fatalf("hit %d: %+v, want %d hits until %s", i, c, want, start.Add(window))
			}
			clock.Add(time.Second)
		}
		if c := hit(s, "2001:db8::/64"); c.Hits != 1 {
			t.Fatalf("another client: %+v", c)
		}
		if _, err := s.HitThrottle(ctx, "signin", "", window, ceiling, clock.Now()); err == nil {
			t.Fatal("empty key accepted")
		}
		if err := s.UnhitThrottle(ctx, "signin", "192.0.2.1", clock.Now()); err != nil {
			t.Fatal(err)
		}
		c, err := s.PeekThrottle(ctx, "signin", "192.0.2.1", clock.Now())
		if err != nil || c.Hits != ceiling-1 || c.Left(clock.Now()) != start.Add(window).Sub(clock.Now()) {
			t.Fatalf("after unhit: %+v, %v", c, err)
		}
		// Another bucket is another count.
		if c, _ := s.PeekThrottle(ctx, "signin-all", "192.0.2.1", clock.Now()); c.Hits != 0 {
			t.Fatalf("other bucket: %+v", c)
		}
		// At the window's end the count is gone, and the next hit starts a
		// new window.
		clock.Add(start.Add(window).Sub(clock.Now()))
		if c, _ := s.PeekThrottle(ctx, "signin", "192.0.2.1", clock.Now()); c.Hits != 0 || c.Left(clock.Now()) != 0 {
			t.Fatalf("at the window's end: %+v", c)
		}
		if c := hit(s, "192.0.2.1"); c.Hits != 1 || !c.ExpiresAt.Equal(clock.Now().Add(window)) {
			t.Fatalf("new window: %+v", c)
		}
		if err := s.ResetThrottle(ctx, "signin", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		if c, _ := s.PeekThrottle(ctx, "signin", "192.0.2.1", clock.Now()); c.Hits != 0 {
			t.Fatalf("after reset: %+v", c)
		}
		// The /64 is the one row left: gone a window after its hit.
		if n, err := s.DeleteExpiredThrottles(ctx, clock.Now()); err != nil || n != 0 {
			t.Fatalf("DeleteExpiredThrottles = %d, %v; want 0 while the /64 is live", n, err)
		}
		clock.Add(window)
		if n, err := s.DeleteExpiredThrottles(ctx, clock.Now()); err != nil || n != 1 {
			t.Fatalf("DeleteExpiredThrottles = %d, %v; want 1", n, err)
		}

		// Two processes (two stores on one database; on SQLite, two
		// connections to one file) hit one client in parallel: every hit
		// is counted.
		other := env.Reopen(t)
		const each = 20
		var wg sync.WaitGroup
		for _, st := range []*store.Store{s, other} {
			for range each {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := st.HitThrottle(ctx, "signin", "198.51.100.7", window, 1000, clock.Now()); err != nil {
						t.Error(err)
					}
				}()
			}
		}
		wg.Wait()
		if c, _ := s.PeekThrottle(ctx, "signin", "198.51.100.7", clock.Now()); c.Hits != 2*each {
			t.Fatalf("parallel hits from two processes: %d, want %d", c.Hits, 2*each)
		}
	})
}
