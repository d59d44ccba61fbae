package store_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

func TestOAuthStatesSingleUse(t *testing.T) {
	storetest.RunWithClock(t, func() time.Time { return leaseNow }, func(t *testing.T, env *storetest.Env) {
		s := env.Store
		st := &store.OAuthState{StateHash: "h1", Platform: snsos.PlatformX, Verifier: "v", ExpiresAt: leaseNow.Add(time.Minute)}
		if err := s.PutOAuthState(ctx, st); err != nil {
			t.Fatal(err)
		}
		// Many takers race; one wins.
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		stores := []*store.Store{s, env.Reopen(t)}
		for i := range 8 {
			wg.Go(func() {
				got, err := stores[i%2].TakeOAuthState(ctx, "h1")
				mu.Lock()
				defer mu.Unlock()
				if err == nil && got.Verifier == "v" {
					wins++
				} else if !errors.Is(err, store.ErrOAuthStateUsed) && !snsos.IsCode(err, snsos.EUNAVAILABLE) {
					t.Errorf("unexpected: %v", err)
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d takers won, want 1", wins)
		}
		if _, err := s.TakeOAuthState(ctx, "unknown"); !errors.Is(err, store.ErrOAuthStateUnknown) {
			t.Fatalf("unknown state: %v", err)
		}
		old := &store.OAuthState{StateHash: "h2", Platform: snsos.PlatformX, Verifier: "v", ExpiresAt: leaseNow.Add(-time.Second)}
		s.PutOAuthState(ctx, old)
		if _, err := s.TakeOAuthState(ctx, "h2"); !errors.Is(err, store.ErrOAuthStateExpired) {
			t.Fatalf("expired state: %v", err)
		}
		if n, err := s.DeleteOAuthStatesBefore(ctx, leaseNow); err != nil || n != 1 {
			t.Fatalf("DeleteOAuthStatesBefore = %d, %v", n, err)
		}
	})
}
