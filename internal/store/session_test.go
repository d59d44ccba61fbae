package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// fakeClock is a settable store clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestSessions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		// Expiry is judged by the caller's clock, passed to every call; the
		// store's own clock (today) plays no part.
		clock := &fakeClock{t: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
		s := env.Store
		const idle, abs = 12 * time.Hour, 7 * 24 * time.Hour
		newSess := func(hash string) *store.Session {
			t.Helper()
			now := clock.Now()
			sess := &store.Session{IDHash: hash, IdleExpiresAt: now.Add(idle), ExpiresAt: now.Add(abs)}
			if err := s.CreateSession(ctx, sess, now); err != nil {
				t.Fatalf("CreateSession: %v", err)
			}
			return sess
		}
		a := newSess("hash-a")
		got, err := s.FindSession(ctx, "hash-a", clock.Now())
		if err != nil {
			t.Fatalf("FindSession: %v", err)
		}
		if !got.CreatedAt.Equal(a.CreatedAt) || !got.ExpiresAt.Equal(a.ExpiresAt) || !got.IdleExpiresAt.Equal(a.IdleExpiresAt) {
			t.Fatalf("read back %+v, wrote %+v", got, a)
		}
		if _, err := s.FindSession(ctx, "unknown", clock.Now()); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Fatalf("unknown session: %v", err)
		}
		// The same id hash twice is refused.
		if err := s.CreateSession(ctx, &store.Session{IDHash: "hash-a", IdleExpiresAt: clock.Now().Add(idle), ExpiresAt: clock.Now().Add(abs)}, clock.Now()); err == nil {
			t.Fatal("duplicate session id accepted")
		}

		// Used every 11 hours, the session outlives the idle timeout...
		for range 3 {
			clock.Add(11 * time.Hour)
			if err := s.TouchSession(ctx, "hash-a", clock.Now(), clock.Now().Add(idle)); err != nil {
				t.Fatalf("TouchSession: %v", err)
			}
		}
		got, err = s.FindSession(ctx, "hash-a", clock.Now())
		if err != nil || !got.LastSeenAt.Equal(clock.Now()) {
			t.Fatalf("after touches: %+v, %v", got, err)
		}
		// ...but not the absolute one: the idle expiry never passes it.
		for clock.Now().Before(a.ExpiresAt.Add(-11 * time.Hour)) {
			clock.Add(11 * time.Hour)
			if err := s.TouchSession(ctx, "hash-a", clock.Now(), clock.Now().Add(idle)); err != nil {
				t.Fatalf("TouchSession at %s: %v", clock.Now(), err)
			}
		}
		got, _ = s.FindSession(ctx, "hash-a", clock.Now())
		if got == nil || !got.IdleExpiresAt.Equal(a.ExpiresAt) {
			t.Fatalf("idle expiry %+v, want capped at %s", got, a.ExpiresAt)
		}
		clock.Add(a.ExpiresAt.Sub(clock.Now()))
		if _, err := s.FindSession(ctx, "hash-a", clock.Now()); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Fatalf("session after its absolute expiry: %v", err)
		}
		if err := s.TouchSession(ctx, "hash-a", clock.Now(), clock.Now().Add(idle)); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Fatalf("touch after expiry: %v", err)
		}

		// Idle timeout: unused for 12 hours, a session ends.
		newSess("hash-b")
		clock.Add(idle - time.Second)
		if _, err := s.FindSession(ctx, "hash-b", clock.Now()); err != nil {
			t.Fatalf("session before idle timeout: %v", err)
		}
		clock.Add(time.Second)
		if _, err := s.FindSession(ctx, "hash-b", clock.Now()); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Fatalf("session after idle timeout: %v", err)
		}

		// DeleteExpired removes a and b and keeps c; Delete removes c.
		newSess("hash-c")
		n, err := s.DeleteExpiredSessions(ctx, clock.Now())
		if err != nil || n != 2 {
			t.Fatalf("DeleteExpiredSessions = %d, %v; want 2", n, err)
		}
		if _, err := s.FindSession(ctx, "hash-c", clock.Now()); err != nil {
			t.Fatalf("live session deleted: %v", err)
		}
		if err := s.DeleteSession(ctx, "hash-c"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteSession(ctx, "hash-c"); err != nil {
			t.Fatalf("deleting twice: %v", err)
		}
		if _, err := s.FindSession(ctx, "hash-c", clock.Now()); !snsos.IsCode(err, snsos.ENOTFOUND) {
			t.Fatalf("deleted session found: %v", err)
		}
		newSess("hash-d")
		newSess("hash-e")
		if n, err := s.DeleteAllSessions(ctx); err != nil || n != 2 {
			t.Fatalf("DeleteAllSessions = %d, %v", n, err)
		}
	})
}
