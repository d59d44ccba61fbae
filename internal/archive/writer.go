package archive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/sns-os/snsos"
)

// Store is what the writer reads. *store.Store implements it.
type Store interface {
	ListAccounts(ctx context.Context) ([]*snsos.Account, error)
	PostsAfter(ctx context.Context, afterID int64, limit int) ([]*snsos.Post, error)
	PostsByID(ctx context.Context, ids []int64) ([]*snsos.Post, error)
	ChangedPostIDs(ctx context.Context, since time.Time) ([]int64, error)
	CountPosts(ctx context.Context) (int, error)
	AttemptsOfTargets(ctx context.Context, targetIDs []int64) (map[int64][]*snsos.Attempt, error)
	MediaByIDs(ctx context.Context, ids []int64) (map[int64]*snsos.MediaRef, error)
	ListAuditEventsSince(ctx context.Context, action string, since time.Time) ([]*snsos.AuditEvent, error)
	Setting(ctx context.Context, key string) (string, error)
	PutSetting(ctx context.Context, key, value string) error
}

// PurgeEvent is what one purge deleted from the database (the store's
// purge_events outbox).
type PurgeEvent struct {
	ID                             int64
	AccountIDs, PostIDs, TargetIDs []int64
}

// Purges is the outbox of purges. The writer removes what each event
// deleted from the archive's history, then marks it archived.
type Purges interface {
	PendingPurges(ctx context.Context) ([]PurgeEvent, error)
	MarkPurgeArchived(ctx context.Context, id int64) error
}

// Locker elects the one writer when several processes share a database.
// TryLock reports whether this process holds the lock now; it is called
// before every pass and must be cheap once held.
type Locker interface {
	TryLock(ctx context.Context) (bool, error)
	Unlock() error
}

// Config configures a Writer.
type Config struct {
	Dir    string
	Store  Store
	Purges Purges // nil: no purge outbox
	Remote Remote // URL "": no push
	// Secrets returns every secret value the guard must keep out (tokens
	// of every credential, app secrets, keys); called before each commit.
	Secrets func(ctx context.Context) ([]string, error)
	Locker  Locker // nil: this process is the only writer (SQLite)
	Now     func() time.Time
	Logger  *slog.Logger
	// Interval is the shortest time between two commits (default one
	// minute); FullEvery how often everything is compared again (default a
	// day), which catches what a poll could miss.
	Interval, FullEvery time.Duration
}

// StatusKey is the setting the writer keeps its Status in, so that every
// process sharing the database can show it.
const StatusKey = "archive.status"

// Status is what the archive did last.
type Status struct {
	Dir          string    `json:"dir"`
	Remote       string    `json:"remote,omitempty"` // without credentials
	LastCommit   string    `json:"last_commit,omitempty"`
	LastCommitAt time.Time `json:"last_commit_at,omitzero"`
	LastPushAt   time.Time `json:"last_push_at,omitzero"`
	// LastError is the last failure (a commit refused by the guard, a push
	// refused, a purge's old objects not deleted from the disk), cleared
	// by the next success of the same step.
	LastError string    `json:"last_error,omitempty"`
	ErrorAt   time.Time `json:"error_at,omitzero"`
	// PushFailures counts the pushes failed in a row; FailingSince is
	// when the first of them failed.
	PushFailures int       `json:"push_failures,omitempty"`
	FailingSince time.Time `json:"failing_since,omitzero"`
	// Blocked is set while the guard refuses to commit.
	Blocked bool `json:"blocked,omitempty"`
	// PurgeSince is when a rewrite of the history for a purge was left
	// unfinished (its old objects still on this disk, or the rewritten
	// branch not yet on the remote): zero when none is.
	PurgeSince time.Time `json:"purge_since,omitzero"`
	Files      int       `json:"files"`
	// SavedAt is when the writer saved this status (after every pass):
	// how a process without the archive configured tells a live writer's
	// status from one left by an archive since switched off (status.go).
	SavedAt time.Time `json:"saved_at,omitzero"`
}

// Failing reports whether the operator should look: the guard refuses to
// commit, or pushes have failed for more than an hour (three tries at
// least).
func (s Status) Failing(now time.Time) bool {
	return s.Blocked || (s.PushFailures >= 3 && now.Sub(s.FailingSince) >= time.Hour) || s.PurgeStuck(now)
}

// PurgeStuck reports whether a purge's rewrite has stayed unfinished for
// an hour: deleted data is still in this archive or on its remote, which
// the operator has promised to remove.
func (s Status) PurgeStuck(now time.Time) bool {
	return !s.PurgeSince.IsZero() && now.Sub(s.PurgeSince) >= time.Hour
}

// ParseStatus reads a Status kept in the StatusKey setting.
func ParseStatus(v string) (Status, error) {
	var s Status
	err := json.Unmarshal([]byte(v), &s)
	return s, err
}

// Writer keeps the archive in step with the database.
type Writer struct {
	cfg  Config
	log  *slog.Logger
	mu   sync.Mutex // one pass at a time; guards everything below
	repo *Repo

	st        Status
	polledAt  time.Time // start of the last successful poll
	fullAt    time.Time // start of the last full comparison
	dirty     map[int64]bool
	force     bool      // the history was rewritten: the next push replaces the remote's
	pushDue   time.Time // when a failed push is tried again
	pushDelay time.Duration
	pushed    bool    // the remote has the head
	events    []int64 // purge events done locally, waiting for the push
	deleted   []int64 // posts a full comparison found gone, purged next pass
	// elected: the Locker said this process is the writer last time;
	// caughtUp: the remote was fetched since it was elected (takeover.go).
	elected, caughtUp bool
	progress          func(stage string, done, total int) // SetProgress; nil: none
}

// NewWriter opens (or creates) the repository at cfg.Dir.
func NewWriter(cfg Config) (*Writer, error) {
	if cfg.Remote.URL != "" {
		if err := CheckRemote(cfg.Remote.URL); err != nil {
			return nil, err
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Minute
	}
	if cfg.FullEvery <= 0 {
		cfg.FullEvery = 24 * time.Hour
	}
	repo, err := Open(cfg.Dir)
	if err != nil {
		return nil, err
	}
	// A purge noted by the process before, whose force push may not
	// have gone through: the remote may still hold what it removed.
	w := &Writer{cfg: cfg, log: cfg.Logger, repo: repo, dirty: map[int64]bool{}, force: repo.rewrite.forces()}
	w.st = Status{Dir: cfg.Dir, Remote: redact(cfg.Remote.URL), Files: len(repo.files)}
	// An unfinished purge keeps the time it was first seen across a
	// restart, so a process that keeps restarting still gets it listed.
	if v, err := cfg.Store.Setting(context.Background(), StatusKey); err == nil {
		if prev, err := ParseStatus(v); err == nil && !prev.PurgeSince.IsZero() {
			w.st.PurgeSince = prev.PurgeSince
		}
	}
	if h := repo.Head(); !h.IsZero() {
		w.st.LastCommit = h.String()
	}
	return w, nil
}

// Repo is the writer's repository (for tests and the CLI).
func (w *Writer) Repo() *Repo { return w.repo }

// The stages a pass reports to SetProgress's function, the long ones of a
// full comparison: the posts read and compared with the archive (of all
// the database holds), then the files written into the commit (of all
// that changed).
const (
	StagePosts = "posts"
	StageFiles = "files"
)

// SetProgress has the writer tell f how far its passes have come (the
// command line's bar; the server sets none): f gets a stage, the count
// done and the total, first with done 0, never with done past total.
func (w *Writer) SetProgress(f func(stage string, done, total int)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.progress = f
}

// report tells the progress function, if any. A total counted before
// more rows arrived grows with done.
func (w *Writer) report(stage string, done, total int) {
	if w.progress != nil {
		w.progress(stage, done, max(done, total))
	}
}

// Status returns what the archive did last.
func (w *Writer) Status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.st
}

// Run keeps the archive in step until ctx ends, one pass per tick (tick
// nil: every Interval), then makes a last pass and push. It never returns
// an error: failures are in the Status and the log, and the next tick
// tries again.
func (w *Writer) Run(ctx context.Context, tick <-chan time.Time) {
	if tick == nil {
		t := time.NewTicker(w.cfg.Interval)
		defer t.Stop()
		tick = t.C
	}
	w.pass(ctx)
	for {
		select {
		case <-ctx.Done():
			// The last pass outlives the cancelled context, within bounds.
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			w.pass(sctx)
			cancel()
			if w.cfg.Locker != nil {
				_ = w.cfg.Locker.Unlock()
			}
			return
		case <-tick:
			w.pass(ctx)
		}
	}
}

// Release gives up the writer's election (the command line's one pass).
func (w *Writer) Release() error {
	if w.cfg.Locker == nil {
		return nil
	}
	return w.cfg.Locker.Unlock()
}

// pass runs Sync as the elected writer, logging failures.
func (w *Writer) pass(ctx context.Context) {
	if _, _, err := w.SyncIfElected(ctx); err != nil && !errors.Is(err, context.Canceled) {
		w.log.Error("archive: sync failed", "err", err)
	}
}

// ErrNotElected is SyncIfElected's answer in a process that is not the
// writer: another process sharing the database holds the lock.
var ErrNotElected = errors.New("archive: another process sharing the database is the archive's writer")

// SyncIfElected runs Sync when this process is the writer (always, without
// a Locker), and reports whether it was. A writer newly elected catches up
// with the remote before its first commit: the one before it may have
// pushed there from another data dir.
func (w *Writer) SyncIfElected(ctx context.Context) (Result, bool, error) {
	if w.cfg.Locker != nil {
		held, err := w.cfg.Locker.TryLock(ctx)
		if err != nil {
			return Result{}, false, fmt.Errorf("archive: writer election: %w", err)
		}
		w.mu.Lock()
		if held && !w.elected {
			w.caughtUp = false
		}
		w.elected = held
		w.mu.Unlock()
		if !held {
			return Result{}, false, nil
		}
	}
	res, err := w.Sync(ctx)
	return res, true, err
}

// Result is what one Sync did.
type Result struct {
	Commit  string // "" when nothing changed
	Message string
	Purged  int  // paths removed from the history
	Pushed  bool // the remote has the head
}

// Sync brings the archive in step with the database now: purges first,
// then one commit of what changed, then the push (when due). A purge whose
// old objects cannot be deleted yet holds none of that back: its error is
// returned (and kept in the status) after them. Callers that must not
// commit more than once a minute call it once a minute (Run).
func (w *Writer) Sync(ctx context.Context) (Result, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var res Result
	start := w.cfg.Now()
	if !w.caughtUp {
		if err := w.catchUp(ctx); err != nil {
			return res, w.fail(ctx, err)
		}
		w.caughtUp = true
	}
	n, pruneErr, err := w.purge(ctx)
	res.Purged = n
	if err != nil {
		return res, w.fail(ctx, err)
	}
	full := w.polledAt.IsZero() || start.Sub(w.fullAt) >= w.cfg.FullEvery
	changes, msg, err := w.collect(ctx, full)
	if err != nil {
		return res, w.fail(ctx, err)
	}
	c, err := w.commit(ctx, changes, msg, start)
	if err != nil {
		return res, w.fail(ctx, err)
	}
	if !c.IsZero() {
		res.Commit, res.Message = c.String(), msg
	}
	w.polledAt, w.dirty = start, map[int64]bool{}
	if full {
		w.fullAt = start
	}
	res.Pushed, err = w.push(ctx, start)
	if err == nil {
		err = w.settle(ctx)
	}
	if pruneErr != nil {
		// Said after the commit and the push, whose success clears the
		// last error: the purged data is still on this disk.
		if err == nil {
			w.st.LastError, w.st.ErrorAt = pruneErr.Error(), w.cfg.Now()
		}
		err = errors.Join(pruneErr, err)
	}
	w.save(ctx)
	return res, err
}

// fail records err in the status.
func (w *Writer) fail(ctx context.Context, err error) error {
	w.st.LastError, w.st.ErrorAt = err.Error(), w.cfg.Now()
	var se *SecretError
	w.st.Blocked = errors.As(err, &se)
	w.save(ctx)
	return err
}

// save keeps the status where every process can read it.
func (w *Writer) save(ctx context.Context) {
	w.st.Files, w.st.SavedAt = len(w.repo.files), w.cfg.Now()
	// A rewrite note left after the pass is a purge not yet finished
	// (since the first pass that left it, carried over a restart by
	// NewWriter).
	if n, err := w.repo.readRewrite(); err == nil && n != nil {
		if w.st.PurgeSince.IsZero() {
			w.st.PurgeSince = w.st.SavedAt
		}
	} else if err == nil {
		w.st.PurgeSince = time.Time{}
	}
	b, err := json.Marshal(w.st)
	if err == nil {
		err = w.cfg.Store.PutSetting(ctx, StatusKey, string(b))
	}
	if err != nil {
		w.log.Warn("archive: status not saved", "err", err)
	}
}

// commit scans and commits changes.
func (w *Writer) commit(ctx context.Context, changes map[string][]byte, msg string, now time.Time) (plumbing.Hash, error) {
	var secrets []string
	if w.cfg.Secrets != nil {
		var err error
		if secrets, err = w.cfg.Secrets(ctx); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("archive: list the secrets to keep out: %w", err)
		}
	}
	g := NewGuard(secrets)
	var written func(done, total int)
	if w.progress != nil {
		written = func(done, total int) { w.report(StageFiles, done, total) }
	}
	c, err := w.repo.commit(changes, msg, now, g.Check, written)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	w.st.Blocked = false
	if !c.IsZero() {
		w.st.LastCommit, w.st.LastCommitAt, w.pushed = c.String(), now, false
		w.log.Info("archive: committed", "commit", c.String()[:12], "message", firstLine(msg))
	}
	if w.st.LastError != "" && w.st.PushFailures == 0 {
		w.st.LastError = ""
	}
	return c, nil
}

// push sends the head to the remote when one is configured, something is
// new and no failed push is waiting for its next try. Failures back off
// from 30 seconds, doubling, to 30 minutes.
func (w *Writer) push(ctx context.Context, now time.Time) (bool, error) {
	if w.cfg.Remote.URL == "" || w.repo.Head().IsZero() {
		return false, nil
	}
	if w.pushed && !w.force {
		return true, nil
	}
	if now.Before(w.pushDue) {
		return false, nil
	}
	err := w.repo.Push(ctx, w.cfg.Remote, w.force)
	if err != nil {
		if w.st.PushFailures == 0 {
			w.st.FailingSince = now
		}
		w.st.PushFailures++
		w.st.LastError, w.st.ErrorAt = err.Error(), now
		w.pushDelay = min(max(2*w.pushDelay, 30*time.Second), 30*time.Minute)
		w.pushDue = now.Add(w.pushDelay)
		return false, err
	}
	w.pushed, w.force, w.pushDelay, w.pushDue = true, false, 0, time.Time{}
	w.st.LastPushAt, w.st.PushFailures, w.st.FailingSince, w.st.LastError = now, 0, time.Time{}, ""
	return true, nil
}

// settle finishes the purges once nothing of them is left: the old
// objects are gone from this disk and nothing waits to be made again on a
// history caught up from the remote, and the remote (when there is one)
// has the rewritten branch. Their events are closed then, and the note
// of the rewrite removed; until then a restart picks them up again.
func (w *Writer) settle(ctx context.Context) error {
	if w.repo.pruneDue || w.repo.redoPaths() != nil || (w.cfg.Remote.URL != "" && (!w.pushed || w.force)) {
		return nil
	}
	if err := w.markArchived(ctx); err != nil {
		return err
	}
	return w.repo.rewriteDone()
}

// markArchived closes the purge events whose removal is now complete
// (locally, and on the remote when there is one).
func (w *Writer) markArchived(ctx context.Context) error {
	for len(w.events) > 0 {
		if err := w.cfg.Purges.MarkPurgeArchived(ctx, w.events[0]); err != nil {
			return fmt.Errorf("archive: mark purge event %d archived: %w", w.events[0], err)
		}
		w.events = w.events[1:]
	}
	return nil
}
