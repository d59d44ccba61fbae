package web

import (
	"context"
	"log/slog"
	"time"

	"github.com/sns-os/snsos/internal/store"
)

// Several sns-os processes behind one load balancer each counting sign-in
// attempts in memory would give an attacker the budget once per process. On
// PostgreSQL (the only engine several processes share) the attempts are
// counted in the database instead, and this process's memory keeps only
// what makes that cheap and safe: the blocks the database reported (a
// client refused once is refused again without a query until its window
// ends), and, while the database does not answer, the attempts made here
// (a wrong password still cannot be checked more than the limit per
// process). Memory does not count alongside the database: a sign-in
// through another process resets the client's count there, and a count
// kept here would not hear of it. A SQLite server is one process: memory
// is all it needs.

// ThrottleStore is the database's shared count of attempts.
// *store.Store implements it; Dialect says whether it is shared.
type ThrottleStore interface {
	Dialect() store.Dialect
	HitThrottle(ctx context.Context, bucket, key string, window time.Duration, ceiling int, now time.Time) (store.ThrottleCount, error)
	PeekThrottle(ctx context.Context, bucket, key string, now time.Time) (store.ThrottleCount, error)
	UnhitThrottle(ctx context.Context, bucket, key string, now time.Time) error
	ResetThrottle(ctx context.Context, bucket, key string) error
}

// The buckets sign-in counts in: per client, and every failure of all
// clients under one key.
const (
	signinBucket    = "signin"
	signinAllBucket = "signin-all"
	signinAllKey    = "*"
	// sharedThrottleTimeout bounds one query of the shared count; the
	// request's own context is not used, so that a client hanging up at
	// the right moment cannot skip being counted.
	sharedThrottleTimeout = 3 * time.Second
)

// signinThrottle is sign-in's throttle: the per-process one (throttle.go),
// and the database's count when several processes may share it.
type signinThrottle struct {
	local  *throttle
	shared ThrottleStore // nil: memory only
	now    func() time.Time
	log    *slog.Logger
}

func newSigninThrottle(cfg Config) *signinThrottle {
	t := &signinThrottle{local: newThrottle(signinMaxFailures, signinWindow, throttleMaxClients, cfg.Now), now: cfg.Now, log: cfg.Logger}
	if ts, ok := cfg.Store.(ThrottleStore); ok && ts.Dialect() == store.Postgres {
		t.shared = ts
	}
	return t
}

func (t *signinThrottle) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), sharedThrottleTimeout)
}

// failed logs a query of the shared count that failed: the memory count
// decides alone meanwhile.
func (t *signinThrottle) failed(op string, err error) {
	t.log.Warn("web: shared sign-in count unavailable; counting in this process only", "op", op, "err", err)
}

// Blocked reports whether key is refused now, and for how long still.
func (t *signinThrottle) Blocked(key string) (bool, time.Duration) {
	if blocked, left := t.local.Blocked(key); blocked || t.shared == nil {
		return blocked, left
	}
	ctx, cancel := t.ctx()
	defer cancel()
	now := t.now()
	c, err := t.shared.PeekThrottle(ctx, signinBucket, throttleKey(key), now)
	if err != nil {
		t.failed("peek", err)
		return false, 0
	}
	return t.refused(key, c, signinMaxFailures, now)
}

// refused reports whether c, the shared count after an attempt, is at the
// limit, remembering the block in memory if so.
func (t *signinThrottle) refused(key string, c store.ThrottleCount, limit int, now time.Time) (bool, time.Duration) {
	if c.Hits < limit || c.Left(now) <= 0 {
		return false, 0
	}
	t.local.hold(key, c.ExpiresAt)
	return true, c.Left(now)
}

// Reserve counts an attempt of key before its password is checked; it
// reports false, with how long key stays refused, when key has used its
// attempts of the window.
func (t *signinThrottle) Reserve(key string) (bool, time.Duration) {
	if t.shared == nil {
		return t.local.Reserve(key)
	}
	if blocked, left := t.local.Blocked(key); blocked {
		return false, left
	}
	ctx, cancel := t.ctx()
	defer cancel()
	now := t.now()
	// The ceiling is one past the limit: hits at limit+1 mean this
	// attempt came after the last one allowed.
	c, err := t.shared.HitThrottle(ctx, signinBucket, throttleKey(key), signinWindow, signinMaxFailures+1, now)
	if err != nil {
		t.failed("reserve", err)
		return t.local.Reserve(key)
	}
	if c.Hits > signinMaxFailures {
		t.local.hold(key, c.ExpiresAt)
		return false, c.Left(now)
	}
	return true, 0
}

// Refund takes back an attempt Reserve counted that was never checked.
func (t *signinThrottle) Refund(key string) {
	if t.shared == nil {
		t.local.Refund(key)
		return
	}
	ctx, cancel := t.ctx()
	defer cancel()
	if err := t.shared.UnhitThrottle(ctx, signinBucket, throttleKey(key), t.now()); err != nil {
		t.failed("refund", err)
		t.local.Refund(key)
	}
}

// Fail records a failure of key that was not reserved beforehand (a wrong
// setup link, an empty password) and reports whether key is now blocked.
func (t *signinThrottle) Fail(key string) (bool, time.Duration) {
	if t.shared == nil {
		return t.local.Fail(key)
	}
	t.GlobalFail()
	ctx, cancel := t.ctx()
	defer cancel()
	now := t.now()
	c, err := t.shared.HitThrottle(ctx, signinBucket, throttleKey(key), signinWindow, signinMaxFailures+1, now)
	if err != nil {
		t.failed("fail", err)
		return t.local.Fail(key)
	}
	return t.refused(key, c, signinMaxFailures, now)
}

// GlobalFail records a wrong password for the global budget.
func (t *signinThrottle) GlobalFail() {
	if t.shared == nil {
		t.local.GlobalFail()
		return
	}
	ctx, cancel := t.ctx()
	defer cancel()
	now := t.now()
	c, err := t.shared.HitThrottle(ctx, signinAllBucket, signinAllKey, signinWindow, signinGlobalBudget+1, now)
	if err != nil {
		t.failed("global fail", err)
		t.local.GlobalFail()
		return
	}
	if c.Hits > signinGlobalBudget {
		t.local.holdBudget(c.ExpiresAt)
	}
}

// OverBudget reports whether all clients of all processes together failed
// more than the global budget within the window.
func (t *signinThrottle) OverBudget() bool {
	if over := t.local.OverBudget(); over || t.shared == nil {
		return over
	}
	ctx, cancel := t.ctx()
	defer cancel()
	c, err := t.shared.PeekThrottle(ctx, signinAllBucket, signinAllKey, t.now())
	if err != nil {
		t.failed("budget", err)
		return false
	}
	if c.Hits > signinGlobalBudget {
		t.local.holdBudget(c.ExpiresAt)
		return true
	}
	return false
}

// Reset forgets key's attempts (after a successful sign-in).
func (t *signinThrottle) Reset(key string) {
	t.local.Reset(key)
	if t.shared == nil {
		return
	}
	ctx, cancel := t.ctx()
	defer cancel()
	if err := t.shared.ResetThrottle(ctx, signinBucket, throttleKey(key)); err != nil {
		t.failed("reset", err)
	}
}
