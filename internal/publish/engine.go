// Package publish is the delivery engine of sns-os: it turns approved,
// scheduled targets into posts on the platforms, exactly once.
//
// The contract is the state machine in the root package (snsos.TargetState)
// and the rules of docs/ARCHITECTURE.md:
//   - scheduling a target inserts its publish job in the same transaction;
//   - the move to publishing, with an attempt row, is committed before any
//     mutating platform call;
//   - intermediate ids are stored the moment they exist (platform.Progress);
//   - a target found already publishing is reconciled, never posted again
//     blindly; an ambiguous outcome goes to unknown and a reconcile job; only
//     proof that nothing went live allows another attempt;
//   - transient failures before any side effect wait and retry; permanent
//     ones fail with the platform's reason.
//
// The engine declares the small interfaces it consumes (Store, Jobs,
// Credentials, MediaSource); *store.Store, *jobs.Client and tokens.Service
// satisfy them.
package publish

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

// Store is what the engine needs from the database.
type Store interface {
	CreatePost(ctx context.Context, p *snsos.Post, hook snsos.TxHook) error
	UpdatePost(ctx context.Context, p *snsos.Post, expect map[int64]snsos.TargetVersion, hook snsos.TxHook) error
	FindPostByID(ctx context.Context, id int64) (*snsos.Post, error)
	FindTargetByID(ctx context.Context, id int64) (*snsos.Target, error)
	FindAccountByID(ctx context.Context, id int64) (*snsos.Account, error)
	FindMediaByID(ctx context.Context, id int64) (*snsos.MediaRef, error)
	TransitionTarget(ctx context.Context, tr snsos.TargetTransition) (*snsos.Target, error)
	SetTargetProgress(ctx context.Context, targetID, owner int64, key, value string) error
	SetTargetLease(ctx context.Context, targetID, owner, job int64, lease time.Duration) error
	FindTargetByRemoteID(ctx context.Context, accountID int64, remoteID string) (*snsos.Target, error)
	DBNow(ctx context.Context) (time.Time, error)
	SetTargetPreflight(ctx context.Context, targetID int64, problems string) error
	ListOverdueTargets(ctx context.Context, before time.Time, limit int) ([]*snsos.Target, error)
	ListAttempts(ctx context.Context, targetID int64) ([]*snsos.Attempt, error)
	ListTargetsByState(ctx context.Context, states ...snsos.TargetState) ([]*snsos.Target, error)
	CountAccountDeliveries(ctx context.Context, accountID int64, from, to time.Time, excludeTarget int64) (int, error)
	SetPostTimes(ctx context.Context, postID int64, approvedAt, scheduledAt *time.Time) error
}

// Jobs inserts River jobs, inside a store transaction or on their own.
type Jobs interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	// JobGet returns a job, or an error matching river.ErrNotFound.
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
}

// Credentials hands out usable tokens (refreshing them first when they are
// about to expire) and records that an account's grant stopped working.
// AuthFailed may cure the refusal (a refresh that works): the account then
// stays connected, and the engine retries instead of failing the target.
type Credentials interface {
	Credential(ctx context.Context, accountID int64) (*snsos.Credential, error)
	AuthFailed(ctx context.Context, accountID int64, reason string) error
}

// MediaSource gives a stored media item to a platform client.
type MediaSource interface {
	PlatformMedia(ctx context.Context, id int64) (platform.Media, error)
}

// Config configures an Engine.
type Config struct {
	Store     Store
	Jobs      Jobs
	Platforms map[snsos.Platform]platform.Platform
	Tokens    Credentials
	Media     MediaSource // may be nil when no post uses media
	// OnPublished runs in the transaction that records a publication; the
	// metric checkpoint jobs are inserted there.
	OnPublished func(ctx context.Context, tx *sql.Tx, t *snsos.Target) error
	Now         func() time.Time
	Logger      *slog.Logger

	// OnApplied, when set, hears of every decision applied once it is
	// committed: the target as written and the state it left (metrics).
	OnApplied func(from snsos.TargetState, t *snsos.Target)

	// PreflightBefore is how long before the scheduled time the preflight
	// check runs (default 1 h).
	PreflightBefore time.Duration
	// ReconcileDelay is how long after an ambiguous outcome the first
	// reconciliation looks at the platform (default 20 s: recent posts take
	// a moment to show in timelines).
	ReconcileDelay time.Duration
	// ReconcileTries bounds the lookups before the target is handed to the
	// operator (default 6).
	ReconcileTries int
	// MaxAttempts is a target's attempt budget: publish attempts over its
	// whole life, whatever path led to them (retries, reconciliations that
	// proved nothing went live); default 6.
	MaxAttempts int
	// JobTimeout is how long one job run may take (River cancels it then);
	// an attempt's ownership lease is derived from it (default 5 min).
	JobTimeout time.Duration
	// LandMargin is how long after a call ended (or its owner's lease ran
	// out) sns-os still expects it could land on the platform: a "not
	// found" from reconciliation is proof only after it (default 1 min).
	LandMargin time.Duration
	// LateGrace: a target whose time passed longer ago than this (sns-os was
	// down) is held for the operator instead of published (default 1 h).
	LateGrace time.Duration
	// Quotas are the rolling-24-hour publishing limits per platform
	// (defaults in DefaultQuotas).
	Quotas map[snsos.Platform]int
	// Backoff returns the wait before retry n (default exponential from
	// 30 s, capped at 15 min).
	Backoff func(n int) time.Duration

	// AllowInsecureMediaLinks lets the media links of platforms that fetch
	// media (platform.MediaPuller) be plain http or loopback addresses, as
	// in the demo, whose simulators fetch from the same host. Otherwise a
	// link must be a public https URL.
	AllowInsecureMediaLinks bool
	// MediaLinkClient checks that those links answer, in preflight and
	// right before publishing (default: a client with a 10 s timeout).
	MediaLinkClient *http.Client
}

// QuotaWait is how long a target waits when the platform's publishing
// quota is used up right before its call (platform.QuotaReader), before it
// is tried again.
const QuotaWait = time.Hour

// mediaLinkTimeout bounds one check of a media link.
const mediaLinkTimeout = 10 * time.Second

// DefaultQuotas are conservative rolling-24-hour publishing limits: the
// lower of the documented figures where the platforms' docs disagree.
var DefaultQuotas = map[snsos.Platform]int{
	snsos.PlatformInstagram: 50,  // content_publishing_limit: 50 in the reference, 100 in the guide
	snsos.PlatformThreads:   250, // 250 posts per 24 h
	snsos.PlatformTikTok:    15,  // "typically around 15 posts per day" per creator
	snsos.PlatformX:         100, // 100 POST /2/tweets per 24 h per user on the smallest plans
}

// Engine schedules and publishes targets.
type Engine struct {
	cfg Config
	log *slog.Logger
	// inflight holds the targets whose attempt this process is running: a
	// job that finds one of them publishing knows its owner is alive.
	mu       sync.Mutex
	inflight map[int64]int
}

// New returns an Engine with defaults filled in.
func New(cfg Config) *Engine {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PreflightBefore <= 0 {
		cfg.PreflightBefore = time.Hour
	}
	if cfg.ReconcileDelay <= 0 {
		cfg.ReconcileDelay = 20 * time.Second
	}
	if cfg.ReconcileTries <= 0 {
		cfg.ReconcileTries = 6
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 6
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = 5 * time.Minute
	}
	if cfg.LandMargin <= 0 {
		cfg.LandMargin = time.Minute
	}
	if cfg.LateGrace <= 0 {
		cfg.LateGrace = time.Hour
	}
	if cfg.Quotas == nil {
		cfg.Quotas = DefaultQuotas
	}
	if cfg.Backoff == nil {
		cfg.Backoff = ExponentialBackoff(30 * time.Second)
	}
	if cfg.MediaLinkClient == nil {
		cfg.MediaLinkClient = &http.Client{Timeout: mediaLinkTimeout}
	}
	return &Engine{cfg: cfg, log: cfg.Logger, inflight: map[int64]int{}}
}

// ExponentialBackoff returns a backoff that waits base before the first
// retry and doubles per retry, at most 15 minutes (base 0: 30 s).
func ExponentialBackoff(base time.Duration) func(n int) time.Duration {
	if base <= 0 {
		base = 30 * time.Second
	}
	return func(n int) time.Duration {
		if n < 1 {
			n = 1
		}
		return min(base<<min(n-1, 16), 15*time.Minute)
	}
}

// SetJobs gives the engine its job client. River builds its client from the
// registered workers, so the usual order is New, Register, jobs.New,
// SetJobs, then start the client.
func (e *Engine) SetJobs(j Jobs) { e.cfg.Jobs = j }

// Register adds the engine's workers.
func (e *Engine) Register(workers *river.Workers) {
	river.AddWorker(workers, &publishWorker{e: e})
	river.AddWorker(workers, &reconcileWorker{e: e})
	river.AddWorker(workers, &preflightWorker{e: e})
	river.AddWorker(workers, &watchdogWorker{e: e})
}

func (e *Engine) now() time.Time { return e.cfg.Now().UTC() }

// lease is how long an attempt owns its target: its job's timeout, plus
// time to record the outcome after the job's context ended.
func (e *Engine) lease() time.Duration {
	return e.cfg.JobTimeout + min(30*time.Second, e.cfg.JobTimeout/2)
}

// claim notes that this process runs an attempt on target id; release
// undoes it.
func (e *Engine) claim(id int64) {
	e.mu.Lock()
	e.inflight[id]++
	e.mu.Unlock()
}

func (e *Engine) release(id int64) {
	e.mu.Lock()
	if e.inflight[id]--; e.inflight[id] <= 0 {
		delete(e.inflight, id)
	}
	e.mu.Unlock()
}

// running reports whether this process runs an attempt on target id.
func (e *Engine) running(id int64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.inflight[id] > 0
}
