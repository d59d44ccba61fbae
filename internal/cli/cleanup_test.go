package cli

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

func TestSessionCleanup(t *testing.T) {
	storetest.Run(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		// The sessions are judged by the worker's clock, not today's date.
		now := time.Date(2027, 3, 31, 23, 30, 0, 0, time.UTC)
		sessions := map[string]*store.Session{
			"live":    {IDHash: "live", IdleExpiresAt: now.Add(time.Hour), ExpiresAt: now.Add(24 * time.Hour)},
			"idle":    {IDHash: "idle", IdleExpiresAt: now.Add(-time.Minute), ExpiresAt: now.Add(24 * time.Hour)},
			"too-old": {IDHash: "too-old", IdleExpiresAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)},
		}
		for _, s := range sessions {
			if err := env.Store.CreateSession(ctx, s, now.Add(-3*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		// A sign-in count whose window has passed, and a live one.
		if _, err := env.Store.HitThrottle(ctx, "signin", "192.0.2.1", time.Minute, 6, now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Store.HitThrottle(ctx, "signin", "192.0.2.2", time.Minute, 6, now); err != nil {
			t.Fatal(err)
		}
		workers := river.NewWorkers()
		pj := registerSessionCleanup(workers, env.Store, slog.New(slog.DiscardHandler))
		if pj == nil {
			t.Fatal("no periodic job")
		}
		w := &sessionCleanup{store: env.Store, log: slog.New(slog.DiscardHandler), now: func() time.Time { return now }}
		if err := w.Work(ctx, &river.Job[SessionCleanupArgs]{}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Store.FindSession(ctx, "live", now); err != nil {
			t.Errorf("live session: %v", err)
		}
		// FindSession hides ended sessions; count the rows themselves.
		var n int
		if err := env.Store.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions`).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d sessions left (%v), want only the live one", n, err)
		}
		if err := env.Store.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM throttle_counts`).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d sign-in counts left (%v), want only the live one", n, err)
		}
		if got := (SessionCleanupArgs{}).InsertOpts(); got.UniqueOpts.ByPeriod != time.Hour {
			t.Errorf("InsertOpts = %+v", got)
		}
	})
}
