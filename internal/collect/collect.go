// Package collect takes the metric snapshots of published posts: one per
// configured checkpoint (by default 1 hour, 24 hours and 7 days after
// publication) and, on the operator's request, a "manual" one at any time.
//
// Checkpoint snapshots are durable River jobs. ScheduleTx inserts one job
// per checkpoint inside the transaction that records the publication, so the
// jobs exist if and only if the publication does. When a job runs, the
// Collector reads the post's metrics through the platform's
// platform.MetricsReader and stores exactly one snapshot for the target and
// checkpoint, whatever happens:
//
//   - numbers: status "ok", values under the standard names (views, likes,
//     comments, shares, always present, 0 when unknown) plus the platform's
//     extras under its own names (X: impressions, bookmarks, reposts, quotes,
//     replies …);
//   - metrics not available yet (the platform reported nothing for the post,
//     did not answer, or asked to slow down): the job is snoozed, for
//     Config.NotReadyRetry or until the platform's retry time, and tried
//     again; after Config.NotReadyMaxTries tries it stores an "unavailable"
//     snapshot saying why;
//   - the platform refused the account's credentials: the token service is
//     told (Credentials.AuthFailed) and an "unavailable" snapshot says the
//     account must be reconnected;
//   - a platform that does not report metrics, or a permanent refusal: an
//     "unavailable" snapshot at once;
//   - a post waiting for a public id (a TikTok inbox upload the operator
//     has not posted from the app yet): the job asks again later, also
//     when it cannot ask just now, and the checkpoints start from the
//     moment the id appears, or say after the last checkpoint's offset
//     that the post stayed in the inbox (see inbox.go);
//   - an unexpected failure (the job ran out of time, a database error, a
//     panic) on the job's last River attempt: the snapshot that attempt had
//     decided on if only storing it failed, otherwise an "unavailable"
//     snapshot saying why. Earlier attempts, snoozes and runs interrupted
//     by a shutdown store nothing: River runs the job again.
//
// A job that runs twice (a rescued job, a duplicate) finds the snapshot
// already there and does nothing; the store's uniqueness of (target,
// checkpoint) settles a race. Manual snapshots (RefreshNow) never touch the
// checkpoint ones and may repeat.
package collect

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

// Store is what the Collector needs from the database; *store.Store
// implements it.
type Store interface {
	FindTargetByID(ctx context.Context, id int64) (*snsos.Target, error)
	FindAccountByID(ctx context.Context, id int64) (*snsos.Account, error)
	// PutSnapshot stores a snapshot; a second one for the same target and
	// checkpoint (other than manual) is ECONFLICT.
	PutSnapshot(ctx context.Context, m *snsos.MetricSnapshot) error
	ListSnapshots(ctx context.Context, targetID int64) ([]*snsos.MetricSnapshot, error)
	// RecordPublicPost records the public id a post published without one
	// got later (a TikTok inbox upload posted from the app), with its link
	// and its new publication time, as a compare-and-set on its old id
	// (ECONFLICT when it changed); hook runs in the same transaction.
	RecordPublicPost(ctx context.Context, targetID int64, fromRemoteID, remoteID, remoteURL string, publishedAt time.Time,
		hook snsos.TxHook) (*snsos.Target, error)
}

// Credentials hands out usable access tokens and hears about refused ones;
// the token service (internal/oauth) implements it.
type Credentials interface {
	// Credential returns the account's current credential, refreshed if
	// needed.
	Credential(ctx context.Context, accountID int64) (*snsos.Credential, error)
	// AuthFailed reports that the platform refused the account's
	// credentials; reason is in plain words.
	AuthFailed(ctx context.Context, accountID int64, reason string) error
}

// Inserter inserts jobs inside a store transaction; *jobs.Client implements
// it.
type Inserter interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Defaults of Config.
const (
	DefaultNotReadyRetry    = 10 * time.Minute
	DefaultNotReadyMaxTries = 6
	DefaultInboxRetry       = 15 * time.Minute
	// MaxAttempts bounds the River attempts of a checkpoint job that fails
	// for an unexpected reason (a database error, a bug); snoozes do not
	// count. On the last attempt an "unavailable" snapshot is stored.
	MaxAttempts = 10
)

// Config configures a Collector.
type Config struct {
	Store Store
	// Platforms holds the clients by platform; those implementing
	// platform.MetricsReader are read.
	Platforms map[snsos.Platform]platform.Platform
	Tokens    Credentials
	// Checkpoints are the snapshots ScheduleTx plans; nil means
	// Checkpoints(DefaultOffsets).
	Checkpoints []Checkpoint
	Jobs        Inserter
	// Now is the clock (snapshot times, snoozes until a platform's retry
	// time); nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// NotReadyRetry is how long a checkpoint waits when the platform has no
	// metrics yet (default 10 minutes); NotReadyMaxTries is how many tries
	// it makes in all before storing an "unavailable" snapshot (default 6).
	NotReadyRetry    time.Duration
	NotReadyMaxTries int
	// InboxRetry is how often a checkpoint of a post waiting in the
	// TikTok inbox asks whether it has a public id yet (default 15
	// minutes, and never longer than the first checkpoint's offset).
	InboxRetry time.Duration
	// OnCollected, when set, hears of every checkpoint snapshot a
	// checkpoint job stored, and how long after its due time (metrics).
	OnCollected func(p snsos.Platform, cp snsos.Checkpoint, delay time.Duration)
}

// Collector schedules and takes metric snapshots. It is safe for concurrent
// use.
type Collector struct {
	store       Store
	platforms   map[snsos.Platform]platform.Platform
	tokens      Credentials
	checkpoints []Checkpoint
	jobs        Inserter
	now         func() time.Time
	log         *slog.Logger
	retry       time.Duration
	maxTries    int
	inboxRetry  time.Duration
	onCollected func(p snsos.Platform, cp snsos.Checkpoint, delay time.Duration)
}

// New returns a Collector configured by cfg.
func New(cfg Config) *Collector {
	c := &Collector{
		store:       cfg.Store,
		platforms:   cfg.Platforms,
		tokens:      cfg.Tokens,
		checkpoints: cfg.Checkpoints,
		jobs:        cfg.Jobs,
		now:         cfg.Now,
		log:         cfg.Logger,
		retry:       cfg.NotReadyRetry,
		maxTries:    cfg.NotReadyMaxTries,
		inboxRetry:  cfg.InboxRetry,
		onCollected: cfg.OnCollected,
	}
	if c.checkpoints == nil {
		c.checkpoints = Checkpoints(DefaultOffsets)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.retry <= 0 {
		c.retry = DefaultNotReadyRetry
	}
	if c.maxTries <= 0 {
		c.maxTries = DefaultNotReadyMaxTries
	}
	if c.inboxRetry <= 0 {
		c.inboxRetry = DefaultInboxRetry
	}
	for _, cp := range c.checkpoints {
		if cp.After > 0 {
			c.inboxRetry = min(c.inboxRetry, cp.After)
		}
	}
	return c
}

// ScheduleTx inserts, inside tx, one checkpoint job per configured
// checkpoint for the just-published target t, each due at t.PublishedAt
// plus its offset (now plus the offset when PublishedAt is zero). The
// publish engine calls it from the Hook of the transition to published, with
// the target it captured in Mutate (whose PublishedAt the store has set by
// then), so the jobs commit or roll back with the publication. The jobs are
// unique by their arguments: calling it twice for a target adds nothing.
func (c *Collector) ScheduleTx(ctx context.Context, tx *sql.Tx, t *snsos.Target) error {
	if c.jobs == nil {
		return errors.New("collect: schedule checkpoints: no job inserter configured")
	}
	if t == nil || t.ID <= 0 {
		return snsos.Errorf(snsos.EINVALID, "metric checkpoints need a stored target")
	}
	if t.PublishedAt.IsZero() {
		return c.insertCheckpoints(ctx, tx, t.ID, c.now(), 0)
	}
	return c.insertCheckpoints(ctx, tx, t.ID, t.PublishedAt, t.PublishedAt.Unix())
}

// insertCheckpoints inserts, inside tx, the checkpoint jobs of target id
// counted from published, with base as their Base.
func (c *Collector) insertCheckpoints(ctx context.Context, tx *sql.Tx, id int64, published time.Time, base int64) error {
	for _, cp := range c.checkpoints {
		if !validCheckpoint(cp.Name) || cp.After < 0 {
			return snsos.Errorf(snsos.EINVALID, "metric checkpoint %q (after %v) is not valid", cp.Name, cp.After)
		}
		args := CheckpointArgs{TargetID: id, Checkpoint: string(cp.Name), Base: base}
		_, err := c.jobs.InsertTx(ctx, tx, args, &river.InsertOpts{
			ScheduledAt: published.Add(cp.After),
			MaxAttempts: MaxAttempts,
			UniqueOpts:  river.UniqueOpts{ByArgs: true},
		})
		if err != nil {
			return fmt.Errorf("collect: schedule %s checkpoint of target %d: %w", cp.Name, id, err)
		}
	}
	return nil
}

func validCheckpoint(name snsos.Checkpoint) bool {
	return name != snsos.CheckpointManual && name.Valid()
}

// Register adds the checkpoint worker to workers.
func (c *Collector) Register(workers *river.Workers) {
	river.AddWorker(workers, &checkpointWorker{c: c})
}

// checkpointWorker works CheckpointArgs.
type checkpointWorker struct {
	river.WorkerDefaults[CheckpointArgs]
	c *Collector
}

// Work takes one checkpoint snapshot (see the package documentation).
//
// When the job's last River attempt fails (River discards the job after
// it), Work still leaves a snapshot: the one the attempt had decided on
// but could not store in time, or an "unavailable" one saying in words why
// the metrics could not be read. It does so only on the last attempt and
// never for a snooze, a cancellation, or a run interrupted by a shutdown
// (River runs such a job again).
func (w *checkpointWorker) Work(ctx context.Context, job *river.Job[CheckpointArgs]) (err error) {
	last := job.Attempt >= job.MaxAttempts
	defer func() {
		if r := recover(); r != nil {
			if last {
				w.giveUp(ctx, job, fmt.Errorf("panic: %v", r))
			}
			panic(r) // River records the panic and its trace
		}
	}()
	err = w.c.checkpoint(ctx, job.Args, snoozes(job.Metadata)+1)
	if err == nil || steersQueue(err) {
		return err
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		// Stopped (the server shuts down) or cancelled by hand. River runs
		// a job stopped by a shutdown again without counting the attempt,
		// provided its error says it was canceled.
		if !errors.Is(err, context.Canceled) {
			err = fmt.Errorf("%w (%w)", err, context.Canceled)
		}
		return err
	}
	if !last {
		return err
	}
	if perr := w.giveUp(ctx, job, err); perr != nil {
		return errors.Join(err, perr)
	}
	return nil
}

// giveUpTimeout bounds storing the snapshot of a job's failed last attempt,
// whose own context may have run out.
const giveUpTimeout = 10 * time.Second

// giveUp stores the snapshot of a checkpoint job whose last attempt failed
// with err: the one the attempt had decided on, if it only failed to store
// it, or an "unavailable" one with the reason in words.
func (w *checkpointWorker) giveUp(ctx context.Context, job *river.Job[CheckpointArgs], err error) error {
	name := snsos.Checkpoint(job.Args.Checkpoint)
	if !validCheckpoint(name) {
		return nil
	}
	w.c.log.ErrorContext(ctx, "metric checkpoint failed for good", "target_id", job.Args.TargetID,
		"checkpoint", job.Args.Checkpoint, "attempt", job.Attempt, "error", err)
	m := unavailable(job.Args.TargetID, name, w.c.now(), failedReason(ctx, err, job.Attempt))
	var u *unstoredError
	if errors.As(err, &u) {
		m = u.snapshot
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), giveUpTimeout)
	defer cancel()
	if perr := w.c.put(sctx, m); perr != nil {
		w.c.log.ErrorContext(ctx, "metric checkpoint left without a snapshot", "target_id", job.Args.TargetID,
			"checkpoint", job.Args.Checkpoint, "error", perr)
		return perr
	}
	return nil
}

// failedReason says in words why the last of a checkpoint job's attempts
// failed with err.
func failedReason(ctx context.Context, err error, attempts int) string {
	tries := fmt.Sprintf("%d attempts", attempts)
	if attempts == 1 {
		tries = "1 attempt"
	}
	var pe *platform.Error
	if errors.As(err, &pe) {
		who, why := "the platform", strings.TrimSpace(pe.Reason)
		if pe.Platform != "" {
			who = pe.Platform.DisplayName()
		}
		if why == "" {
			why = pe.Error()
		}
		return fmt.Sprintf("sns-os gave up reading the metrics after %s: %s failed (%s)", tries, who, why)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("sns-os gave up reading the metrics after %s: the last one ran out of time (see the server log)", tries)
	}
	return fmt.Sprintf("sns-os gave up reading the metrics after %s because of an internal error (see the server log)", tries)
}

// steersQueue reports whether err is a snooze or a cancellation, which
// River handles itself.
func steersQueue(err error) bool {
	var s *rivertype.JobSnoozeError
	var c *rivertype.JobCancelError
	return errors.As(err, &s) || errors.As(err, &c)
}

// snoozes returns how many times River has snoozed the job: the "snoozes"
// count it keeps in the job's metadata (snoozes do not count as attempts).
func snoozes(metadata []byte) int {
	var m struct {
		Snoozes int `json:"snoozes"`
	}
	if len(metadata) == 0 || json.Unmarshal(metadata, &m) != nil {
		return 0
	}
	return max(0, m.Snoozes)
}

// checkpoint takes the snapshot args names; try counts this run (1 for the
// first).
func (c *Collector) checkpoint(ctx context.Context, args CheckpointArgs, try int) error {
	name := snsos.Checkpoint(args.Checkpoint)
	log := c.log.With("target_id", args.TargetID, "checkpoint", args.Checkpoint)
	if !validCheckpoint(name) {
		log.ErrorContext(ctx, "metric checkpoint job with an invalid checkpoint name")
		return river.JobCancel(snsos.Errorf(snsos.EINVALID, "checkpoint %q is not valid", name))
	}
	t, err := c.store.FindTargetByID(ctx, args.TargetID)
	if snsos.IsCode(err, snsos.ENOTFOUND) {
		log.InfoContext(ctx, "metric checkpoint skipped: target deleted")
		return nil
	}
	if err != nil {
		return fmt.Errorf("collect: load target %d: %w", args.TargetID, err)
	}
	if t.State != snsos.StatePublished {
		log.WarnContext(ctx, "metric checkpoint skipped: target not published", "state", t.State)
		return nil
	}
	if args.Base != 0 && args.Base != t.PublishedAt.Unix() {
		log.InfoContext(ctx, "metric checkpoint superseded: the publication time moved, and the checkpoints with it")
		return nil
	}
	existing, err := c.store.ListSnapshots(ctx, t.ID)
	if err != nil {
		return fmt.Errorf("collect: list snapshots of target %d: %w", t.ID, err)
	}
	for _, m := range existing {
		if m.Checkpoint == name {
			log.InfoContext(ctx, "metric checkpoint already taken", "snapshot_id", m.ID)
			return nil
		}
	}
	if waiting, err := c.awaitPublic(ctx, t, name, log); waiting || err != nil {
		return err
	}

	res, prob, err := c.fetch(ctx, t)
	if err != nil {
		return err
	}
	now := c.now()
	if prob == nil {
		return c.putFor(ctx, t, okSnapshot(t.ID, name, now, res))
	}
	log = log.With("problem", prob.reason, "error", prob.err)
	switch prob.kind {
	case notReady:
		if try < c.maxTries {
			wait := c.retry
			if !prob.retryAt.IsZero() {
				wait = max(prob.retryAt.Sub(now), time.Second)
			}
			log.InfoContext(ctx, "metrics not ready; checkpoint snoozed", "try", try, "max_tries", c.maxTries, "wait", wait)
			return river.JobSnooze(wait)
		}
		log.WarnContext(ctx, "metrics still not ready; checkpoint given up", "tries", try)
		return c.putFor(ctx, t, unavailable(t.ID, name, now,
			fmt.Sprintf("%s had no metrics for this post after %d tries: %s", t.Platform.DisplayName(), try, prob.reason)))
	case needsReconnect:
		if prob.authFailed {
			if err := c.tokens.AuthFailed(ctx, t.AccountID, prob.reason); err != nil {
				return fmt.Errorf("collect: report refused credentials of account %d: %w", t.AccountID, err)
			}
		}
		log.WarnContext(ctx, "metric checkpoint unavailable: account must be reconnected")
		return c.putFor(ctx, t, unavailable(t.ID, name, now, prob.reason))
	default:
		log.WarnContext(ctx, "metric checkpoint unavailable")
		return c.putFor(ctx, t, unavailable(t.ID, name, now, prob.reason))
	}
}

// putFor is put for a checkpoint snapshot of t, whose delay it reports:
// from t's publication plus the checkpoint's offset to the snapshot.
func (c *Collector) putFor(ctx context.Context, t *snsos.Target, m *snsos.MetricSnapshot) error {
	if err := c.put(ctx, m); err != nil || m.ID == 0 || c.onCollected == nil {
		return err // m.ID stays 0 when another run had stored it
	}
	for _, cp := range c.checkpoints {
		if cp.Name == m.Checkpoint {
			c.onCollected(t.Platform, cp.Name, m.FetchedAt.Sub(t.PublishedAt.Add(cp.After)))
		}
	}
	return nil
}

// put stores a checkpoint snapshot; one already there (the job ran twice)
// is success.
func (c *Collector) put(ctx context.Context, m *snsos.MetricSnapshot) error {
	err := c.store.PutSnapshot(ctx, m)
	switch {
	case err == nil:
		c.log.InfoContext(ctx, "metric snapshot stored", "target_id", m.TargetID, "checkpoint", m.Checkpoint,
			"status", m.Status, "snapshot_id", m.ID)
		return nil
	case snsos.IsCode(err, snsos.ECONFLICT):
		c.log.InfoContext(ctx, "metric checkpoint already taken", "target_id", m.TargetID, "checkpoint", m.Checkpoint)
		return nil
	case snsos.IsCode(err, snsos.ENOTFOUND):
		c.log.InfoContext(ctx, "metric checkpoint skipped: target deleted", "target_id", m.TargetID, "checkpoint", m.Checkpoint)
		return nil
	}
	return &unstoredError{snapshot: m, err: fmt.Errorf("collect: store %s snapshot of target %d: %w", m.Checkpoint, m.TargetID, err)}
}

// unstoredError is a failure to store a snapshot the job had decided on (its
// context ran out, the database failed); the last attempt stores it.
type unstoredError struct {
	snapshot *snsos.MetricSnapshot
	err      error
}

func (e *unstoredError) Error() string { return e.err.Error() }
func (e *unstoredError) Unwrap() error { return e.err }

// RefreshNow reads the target's metrics now and stores them as a "manual"
// snapshot, which it returns; checkpoint snapshots are never touched.
// Failures are *snsos.Error values whose message can be shown: ENOTFOUND
// (no such target), ECONFLICT (the post is not published yet, or the account
// must be reconnected), EINVALID (the platform does not report metrics),
// ERATELIMITED, EUNAVAILABLE (the platform has no numbers yet or did not
// answer) and EFORBIDDEN (the platform refused the request).
func (c *Collector) RefreshNow(ctx context.Context, targetID int64) (*snsos.MetricSnapshot, error) {
	t, err := c.store.FindTargetByID(ctx, targetID)
	if err != nil {
		return nil, err
	}
	if t.State != snsos.StatePublished {
		return nil, snsos.Errorf(snsos.ECONFLICT, "the post is not published yet")
	}
	if t, err = c.refreshPublic(ctx, t); err != nil {
		return nil, err
	}
	res, prob, err := c.fetch(ctx, t)
	if err != nil {
		return nil, err
	}
	if prob != nil {
		if prob.authFailed {
			if err := c.tokens.AuthFailed(ctx, t.AccountID, prob.reason); err != nil {
				c.log.ErrorContext(ctx, "reporting refused credentials failed", "account_id", t.AccountID, "error", err)
			}
		}
		return nil, snsos.WrapError(prob.code, prob.err, prob.reason)
	}
	m := okSnapshot(t.ID, snsos.CheckpointManual, c.now(), res)
	if err := c.store.PutSnapshot(ctx, m); err != nil {
		return nil, fmt.Errorf("collect: store manual snapshot of target %d: %w", t.ID, err)
	}
	c.log.InfoContext(ctx, "metric snapshot stored", "target_id", t.ID, "checkpoint", m.Checkpoint,
		"status", m.Status, "snapshot_id", m.ID)
	return m, nil
}

// problemKind says what to do about metrics that could not be read.
type problemKind int

const (
	notReady       problemKind = iota + 1 // try again later
	needsReconnect                        // the account's credentials are refused or missing
	permanent                             // trying again will not help
)

// problem is an expected failure to read metrics, with the reason in plain
// words and the snsos code RefreshNow answers with.
type problem struct {
	kind       problemKind
	code       string
	reason     string
	retryAt    time.Time // rate limits: when the platform allows the next call
	authFailed bool      // the platform refused the credentials: tell Tokens
	err        error     // the cause, for the log
}

// fetch reads the metrics of published target t. An expected failure is a
// *problem; an error is unexpected (database, cancellation, bug).
func (c *Collector) fetch(ctx context.Context, t *snsos.Target) (*platform.PostMetrics, *problem, error) {
	name := t.Platform.DisplayName()
	mr, ok := c.platforms[t.Platform].(platform.MetricsReader)
	if !ok {
		return nil, &problem{kind: permanent, code: snsos.EINVALID, reason: "this platform does not report metrics to sns-os"}, nil
	}
	if t.RemoteID == "" {
		return nil, &problem{kind: permanent, code: snsos.ECONFLICT,
			reason: fmt.Sprintf("sns-os has no %s id for this post, so it cannot read its metrics", name)}, nil
	}
	auth, reconnect, prob, err := c.auth(ctx, t)
	if prob != nil || err != nil {
		return nil, prob, err
	}
	res, err := mr.Metrics(ctx, auth, []platform.PostRef{{ID: t.RemoteID, PublishedAt: t.PublishedAt}})
	if err != nil {
		if prob := platformProblem(err, name, reconnect); prob != nil {
			return nil, prob, nil
		}
		return nil, nil, fmt.Errorf("collect: read metrics of target %d: %w", t.ID, err)
	}
	if len(res) != 1 {
		return nil, nil, fmt.Errorf("collect: read metrics of target %d: %d results for one post", t.ID, len(res))
	}
	m := &res[0]
	if m.Err != nil || m.Values == nil {
		reason := fmt.Sprintf("%s reported no metrics for this post", name)
		if r := errorReason(m.Err); r != "" {
			reason += " (" + r + ")"
		}
		if errors.Is(m.Err, platform.ErrNoMetrics) {
			// The platform says it never will (Instagram keeps a story's
			// insights for 24 hours, and none for a story seen by few).
			return nil, &problem{kind: permanent, code: snsos.EUNAVAILABLE, reason: reason, err: m.Err}, nil
		}
		return nil, &problem{kind: notReady, code: snsos.EUNAVAILABLE, reason: reason, err: m.Err}, nil
	}
	return m, nil, nil
}

// auth returns how to call the platform for target t's account, and the
// words asking to reconnect it; a *problem when the account must be
// reconnected or its token could not be renewed just now. An error is
// unexpected.
func (c *Collector) auth(ctx context.Context, t *snsos.Target) (platform.Auth, string, *problem, error) {
	name := t.Platform.DisplayName()
	acct, err := c.store.FindAccountByID(ctx, t.AccountID)
	if err != nil {
		return platform.Auth{}, "", nil, fmt.Errorf("collect: load account %d: %w", t.AccountID, err)
	}
	reconnect := fmt.Sprintf("the %s account @%s must be reconnected before sns-os can read its metrics", name, acct.Handle)
	if acct.Status != snsos.AccountConnected {
		return platform.Auth{}, reconnect, &problem{kind: needsReconnect, code: snsos.ECONFLICT, reason: reconnect}, nil
	}
	cred, err := c.tokens.Credential(ctx, acct.ID)
	if err != nil {
		if prob := credentialProblem(err, name, reconnect); prob != nil {
			return platform.Auth{}, reconnect, prob, nil
		}
		return platform.Auth{}, reconnect, nil, fmt.Errorf("collect: credential of account %d: %w", acct.ID, err)
	}
	return platform.Auth{UserID: acct.RemoteID, Handle: acct.Handle, AccessToken: cred.AccessToken}, reconnect, nil, nil
}

// credentialProblem classifies a failure to obtain the account's
// credential; nil means unexpected.
func credentialProblem(err error, name, reconnect string) *problem {
	switch {
	case snsos.IsCode(err, snsos.ENOTFOUND), snsos.IsCode(err, snsos.EUNAUTHORIZED), platform.KindOf(err) == platform.KindAuth:
		// The token service owns marking the account; only say so here.
		return &problem{kind: needsReconnect, code: snsos.ECONFLICT, reason: reconnect, err: err}
	case platform.KindOf(err) == platform.KindTransient, platform.KindOf(err) == platform.KindRateLimited,
		snsos.IsCode(err, snsos.EUNAVAILABLE), snsos.IsCode(err, snsos.ERATELIMITED):
		p := &problem{kind: notReady, code: snsos.EUNAVAILABLE, err: err,
			reason: fmt.Sprintf("the access token for %s could not be renewed just now", name)}
		p.retryAt, _ = platform.RetryAt(err)
		return p
	}
	return nil
}

// platformProblem classifies a failed metrics call; nil means unexpected.
func platformProblem(err error, name, reconnect string) *problem {
	reason := errorReason(err)
	with := func(s string) string {
		if reason == "" {
			return s
		}
		return s + " (" + reason + ")"
	}
	switch platform.KindOf(err) {
	case platform.KindTransient, platform.KindOutcomeUnknown:
		return &problem{kind: notReady, code: snsos.EUNAVAILABLE, err: err,
			reason: with(fmt.Sprintf("%s did not answer the metrics request", name))}
	case platform.KindRateLimited:
		p := &problem{kind: notReady, code: snsos.ERATELIMITED, err: err,
			reason: fmt.Sprintf("%s asked sns-os to slow down", name)}
		if at, ok := platform.RetryAt(err); ok {
			p.retryAt = at
			p.reason += " until " + at.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		return p
	case platform.KindAuth:
		return &problem{kind: needsReconnect, code: snsos.ECONFLICT, err: err, authFailed: true,
			reason: fmt.Sprintf("%s refused sns-os's access to the account; %s", name, reconnect)}
	case platform.KindRejected:
		return &problem{kind: permanent, code: snsos.EFORBIDDEN, err: err,
			reason: with(fmt.Sprintf("%s refused the metrics request", name))}
	}
	return nil
}

// errorReason returns the plain-words reason of a platform error ("" when
// it has none).
func errorReason(err error) string {
	var pe *platform.Error
	if errors.As(err, &pe) {
		return strings.TrimSpace(pe.Reason)
	}
	return ""
}

// okSnapshot turns a platform's answer into a snapshot: the standard names
// always present, the platform's extras kept under their own names, and any
// withheld fields noted in Reason.
func okSnapshot(targetID int64, cp snsos.Checkpoint, now time.Time, m *platform.PostMetrics) *snsos.MetricSnapshot {
	s := &snsos.MetricSnapshot{TargetID: targetID, Checkpoint: cp, Status: snsos.SnapshotOK, FetchedAt: now,
		Values: standardValues()}
	for k, v := range m.Values {
		s.Values[k] = max(v, 0)
	}
	if len(m.Notes) > 0 {
		s.Reason = "some metrics were withheld: " + strings.Join(m.Notes, "; ")
	}
	return s
}

// unavailable returns a snapshot without numbers (the standard names are
// present with 0, as in every snapshot) and the reason in plain words.
func unavailable(targetID int64, cp snsos.Checkpoint, now time.Time, reason string) *snsos.MetricSnapshot {
	return &snsos.MetricSnapshot{TargetID: targetID, Checkpoint: cp, Status: snsos.SnapshotUnavailable,
		Reason: reason, FetchedAt: now, Values: standardValues()}
}

func standardValues() map[string]int64 {
	return map[string]int64{snsos.MetricViews: 0, snsos.MetricLikes: 0, snsos.MetricComments: 0, snsos.MetricShares: 0}
}
