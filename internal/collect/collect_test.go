package collect_test

// End-to-end tests: a real store (SQLite always, PostgreSQL when
// SNSOS_TEST_POSTGRES_URL is set), real River through internal/jobs on the
// same database, and the real X client over loopback HTTP against the X
// simulator, whose clock the tests drive.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/collect"
	"github.com/sns-os/snsos/internal/jobs"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/x"
	"github.com/sns-os/snsos/internal/sim/simclock"
	xsim "github.com/sns-os/snsos/internal/sim/x"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// storeTokens is the Credentials of the tests: the stored credential as is,
// and a refused one marks the account needs_reauth.
type storeTokens struct {
	s      *store.Store
	mu     sync.Mutex
	failed []int64
}

func (k *storeTokens) Credential(ctx context.Context, accountID int64) (*snsos.Credential, error) {
	return k.s.FindCredential(ctx, accountID)
}

func (k *storeTokens) AuthFailed(ctx context.Context, accountID int64, reason string) error {
	k.mu.Lock()
	k.failed = append(k.failed, accountID)
	k.mu.Unlock()
	return k.s.SetAccountStatus(ctx, accountID, snsos.AccountNeedsReauth, reason)
}

func (k *storeTokens) failures() []int64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.failed)
}

// lazyInserter lets the Collector exist before the job client it inserts
// with (the client needs the Collector's worker first). It records the ids
// of the jobs inserted.
type lazyInserter struct {
	mu  sync.Mutex
	c   *jobs.Client
	ids []int64
}

func (l *lazyInserter) InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	res, err := l.c.InsertTx(ctx, tx, args, opts)
	if err == nil {
		l.ids = append(l.ids, res.Job.ID)
	}
	return res, err
}

func (l *lazyInserter) jobIDs() []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ids)
}

// tickingX is the X client whose every metrics read first moves the
// simulator's clock forward by step: each snapshot sees an older post.
// Reads are serialised, so concurrent jobs still see distinct times.
type tickingX struct {
	*x.Client
	clock *simclock.Clock
	step  time.Duration
	mu    sync.Mutex
}

func (c *tickingX) Metrics(ctx context.Context, acct platform.Auth, posts []platform.PostRef) ([]platform.PostMetrics, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clock.Advance(c.step)
	return c.Client.Metrics(ctx, acct, posts)
}

// noMetrics is a platform client without platform.MetricsReader.
type noMetrics struct{ platform.Platform }

// neverMetrics reports, for every post, that the platform will never have
// its metrics (as Instagram says of an old story).
type neverMetrics struct{ platform.Platform }

func (neverMetrics) Metrics(_ context.Context, _ platform.Auth, posts []platform.PostRef) ([]platform.PostMetrics, error) {
	out := make([]platform.PostMetrics, len(posts))
	for i, p := range posts {
		out[i] = platform.PostMetrics{ID: p.ID, Err: &platform.Error{Kind: platform.KindRejected, Reason: "kept for 24 hours only", Err: platform.ErrNoMetrics}}
	}
	return out, nil
}

type options struct {
	checkpoints []collect.Checkpoint
	// platform wraps the X client; nil means tickingX with a 1-hour step.
	platform func(h *harness) platform.Platform
	retry    time.Duration
	maxTries int
	// store replaces the Collector's store.
	store func(*store.Store) collect.Store
	// noRiver leaves the job client unstarted (RefreshNow tests).
	noRiver bool
	// jobTimeout bounds one job run; 0 means the jobs package's default.
	jobTimeout time.Duration
	// onCollected is the Collector's metrics hook.
	onCollected func(p snsos.Platform, cp snsos.Checkpoint, delay time.Duration)
}

type harness struct {
	env    *storetest.Env
	clock  *simclock.Clock
	sim    *xsim.Sim
	xc     *x.Client
	user   xsim.User
	acct   *snsos.Account
	tokens *storeTokens
	ins    *lazyInserter
	jobs   *jobs.Client
	col    *collect.Collector
}

func newHarness(t *testing.T, env *storetest.Env, o options) *harness {
	t.Helper()
	ctx := context.Background()
	start := time.Now().UTC().Truncate(time.Second)
	h := &harness{env: env, clock: simclock.New(start), ins: &lazyInserter{}}
	h.sim = xsim.New(xsim.Options{ClientID: "collect-test", Now: h.clock.Now, AccessTokenTTL: 365 * 24 * time.Hour})
	srv := httptest.NewServer(h.sim)
	t.Cleanup(srv.Close)
	t.Cleanup(h.sim.Close)
	h.xc = x.New(x.Config{ClientID: "collect-test", BaseURL: srv.URL, Now: h.clock.Now,
		HTTP: platform.NewHTTPClient(platform.HTTPOptions{Now: h.clock.Now, Timeout: 10 * time.Second})})
	h.user = h.sim.AddUser("collect_test", "Collect Test")
	access, refresh := h.sim.IssueTokens(h.user.ID, nil)

	h.acct = &snsos.Account{Platform: snsos.PlatformX, RemoteID: h.user.ID, Handle: h.user.Username}
	if err := env.Store.UpsertAccount(ctx, h.acct); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.PutCredential(ctx, &snsos.Credential{AccountID: h.acct.ID,
		AccessToken: snsos.Secret(access), RefreshToken: snsos.Secret(refresh)}); err != nil {
		t.Fatal(err)
	}
	h.tokens = &storeTokens{s: env.Store}

	var p platform.Platform = &tickingX{Client: h.xc, clock: h.clock, step: time.Hour}
	if o.platform != nil {
		p = o.platform(h)
	}
	var st collect.Store = env.Store
	if o.store != nil {
		st = o.store(env.Store)
	}
	h.col = collect.New(collect.Config{
		Store:            st,
		Platforms:        map[snsos.Platform]platform.Platform{snsos.PlatformX: p},
		Tokens:           h.tokens,
		Checkpoints:      o.checkpoints,
		Jobs:             h.ins,
		Now:              h.clock.Now,
		NotReadyRetry:    o.retry,
		NotReadyMaxTries: o.maxTries,
		OnCollected:      o.onCollected,
	})

	if err := jobs.Migrate(ctx, env.Store.DB(), env.Store.Pool(), nil); err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	h.col.Register(workers)
	jc, err := jobs.New(jobs.Config{DB: env.Store.DB(), Pool: env.Store.Pool(), Workers: workers, PollInterval: 100 * time.Millisecond,
		JobTimeout: o.jobTimeout})
	if err != nil {
		t.Fatal(err)
	}
	h.jobs, h.ins.c = jc, jc
	if !o.noRiver {
		if err := jc.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			jc.Stop(sctx)
		})
		scheduleOften(t, env.Store)
	}
	return h
}

// publish posts text on the simulator and records the target as published
// through the store's state machine, scheduling the checkpoints in the
// transition's hook. remoteID, when set, replaces the simulator's post id.
func (h *harness) publish(t *testing.T, text, remoteID string) *snsos.Target {
	t.Helper()
	ctx := context.Background()
	pub, err := h.xc.Publish(ctx, platform.Auth{UserID: h.user.ID, Handle: h.user.Username, AccessToken: h.credential(t)},
		&platform.PublishRequest{Parts: []platform.Part{{Text: text}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if remoteID == "" {
		remoteID = pub.RemoteID
	}
	tg := h.newTarget(t, text)
	if _, err := h.env.Store.TransitionTarget(ctx, store.Transition{TargetID: tg.ID, From: snsos.StateScheduled, To: snsos.StatePublishing}); err != nil {
		t.Fatal(err)
	}
	var captured *snsos.Target
	out, err := h.env.Store.TransitionTarget(ctx, store.Transition{
		TargetID: tg.ID, From: snsos.StatePublishing, To: snsos.StatePublished,
		Mutate: func(tg *snsos.Target) {
			tg.RemoteID, tg.RemoteURL, tg.PublishedAt = remoteID, pub.URL, time.Now().UTC()
			captured = tg
		},
		Hook: func(ctx context.Context, tx *sql.Tx) error { return h.col.ScheduleTx(ctx, tx, captured) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// newTarget stores a post with one scheduled target on the account.
func (h *harness) newTarget(t *testing.T, text string) *snsos.Target {
	t.Helper()
	tg := &snsos.Target{AccountID: h.acct.ID, State: snsos.StateScheduled, ScheduledAt: time.Now().UTC()}
	if err := h.env.Store.CreatePost(context.Background(), &snsos.Post{Body: text, Targets: []*snsos.Target{tg}}, nil); err != nil {
		t.Fatal(err)
	}
	return tg
}

func (h *harness) credential(t *testing.T) snsos.Secret {
	t.Helper()
	c, err := h.env.Store.FindCredential(context.Background(), h.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c.AccessToken
}

// waitSnapshots polls the store until the target has n snapshots. The bound
// only limits a broken run.
func (h *harness) waitSnapshots(t *testing.T, targetID int64, n int) []*snsos.MetricSnapshot {
	t.Helper()
	var got []*snsos.MetricSnapshot
	eventually(t, 30*time.Second, func() bool {
		var err error
		if got, err = h.env.Store.ListSnapshots(context.Background(), targetID); err != nil {
			t.Fatal(err)
		}
		return len(got) >= n
	}, func() string {
		return fmt.Sprintf("target %d has %d snapshots after 30s, want %d", targetID, len(got), n)
	})
	return got
}

// waitJob polls a job until it is finalized.
func (h *harness) waitJob(t *testing.T, id int64) *rivertype.JobRow {
	t.Helper()
	var row *rivertype.JobRow
	eventually(t, 30*time.Second, func() bool {
		var err error
		if row, err = h.jobs.JobGet(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		return row.FinalizedAt != nil
	}, func() string { return fmt.Sprintf("job %d still %s after 30s", id, row.State) })
	return row
}

func byCheckpoint(ms []*snsos.MetricSnapshot, cp snsos.Checkpoint) []*snsos.MetricSnapshot {
	var out []*snsos.MetricSnapshot
	for _, m := range ms {
		if m.Checkpoint == cp {
			out = append(out, m)
		}
	}
	return out
}

var standard = []string{"views", "likes", "comments", "shares"}

// TestCheckpoints publishes a post with three accelerated checkpoints and
// waits for the three snapshots, whose numbers grow; then refreshes twice by
// hand.
//
// The harness runs River's scheduling pass every few milliseconds (see
// scheduleOften), so the jobs run at their own times, a second apart: one
// after the other.
func TestCheckpoints(t *testing.T) {
	t.Parallel()
	collect.RunTestStores(t, func(t *testing.T, env *storetest.Env) {
		cps := []collect.Checkpoint{{Name: "1h", After: time.Second}, {Name: "24h", After: 2 * time.Second}, {Name: "7d", After: 3 * time.Second}}
		h := newHarness(t, env, options{checkpoints: cps})
		ctx := context.Background()
		tg := h.publish(t, "three checkpoints", "")

		ids := h.ins.jobIDs()
		if len(ids) != 3 {
			t.Fatalf("%d jobs inserted, want 3", len(ids))
		}
		for i, id := range ids {
			row, err := h.jobs.JobGet(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			// River keeps milliseconds on SQLite.
			if want := tg.PublishedAt.Add(cps[i].After); row.ScheduledAt.Sub(want).Abs() >= time.Millisecond {
				t.Errorf("job %d scheduled at %v, want %v", i, row.ScheduledAt, want)
			}
			if row.Kind != collect.CheckpointKind {
				t.Errorf("job kind %q", row.Kind)
			}
		}

		got := h.waitSnapshots(t, tg.ID, 3)
		var prevViews int64 = -1
		for i, m := range got {
			if m.Checkpoint != cps[i].Name || m.Status != snsos.SnapshotOK || m.Reason != "" {
				t.Errorf("snapshot %d: %s %s %q", i, m.Checkpoint, m.Status, m.Reason)
			}
			for _, k := range append(standard, "impressions", "bookmarks", "reposts", "quotes", "replies") {
				if _, ok := m.Values[k]; !ok {
					t.Errorf("%s snapshot lacks %s: %v", m.Checkpoint, k, m.Values)
				}
			}
			if v := m.Values["views"]; v <= prevViews {
				t.Errorf("%s views %d, not more than the previous %d", m.Checkpoint, v, prevViews)
			} else {
				prevViews = v
			}
		}
		for _, id := range ids {
			if row := h.waitJob(t, id); row.State != rivertype.JobStateCompleted {
				t.Errorf("job %d ended %s", id, row.State)
			}
		}

		// Scheduling again (a replayed hook) adds no job: unique by args.
		tx, err := env.Store.DB().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.col.ScheduleTx(ctx, tx, tg); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if n := countJobs(t, env); n != 3 {
			t.Errorf("%d checkpoint jobs after scheduling twice, want 3", n)
		}

		// Manual refreshes add snapshots and leave the checkpoints alone.
		m1, err := h.col.RefreshNow(ctx, tg.ID)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := h.col.RefreshNow(ctx, tg.ID)
		if err != nil {
			t.Fatal(err)
		}
		if m1.Checkpoint != snsos.CheckpointManual || m2.Checkpoint != snsos.CheckpointManual || m1.ID == m2.ID {
			t.Fatalf("manual snapshots %+v %+v", m1, m2)
		}
		if m2.Values["views"] <= m1.Values["views"] || m1.Values["views"] <= prevViews {
			t.Errorf("manual views %d, %d after checkpoint %d", m1.Values["views"], m2.Values["views"], prevViews)
		}
		after, err := env.Store.ListSnapshots(ctx, tg.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(byCheckpoint(after, snsos.CheckpointManual)); n != 2 || len(after) != 5 {
			t.Fatalf("%d snapshots, %d manual; want 5 and 2", len(after), n)
		}
		for _, before := range got {
			same := byCheckpoint(after, before.Checkpoint)
			if len(same) != 1 || same[0].ID != before.ID || same[0].Values["views"] != before.Values["views"] {
				t.Errorf("%s snapshot changed by a manual refresh: %+v", before.Checkpoint, same)
			}
		}
	})
}

func countJobs(t *testing.T, env *storetest.Env) int {
	t.Helper()
	var n int
	if err := env.Store.DB().QueryRowContext(context.Background(),
		`SELECT count(*) FROM river_job WHERE kind = $1`, collect.CheckpointKind).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestScheduleRolledBack: when the transition to published fails after the
// hook ran, the checkpoint jobs roll back with it.
func TestScheduleRolledBack(t *testing.T) {
	t.Parallel()
	collect.RunTestStores(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, options{checkpoints: collect.Checkpoints([]time.Duration{time.Second, 2 * time.Second})})
		ctx := context.Background()
		tg := h.newTarget(t, "rolled back")
		if _, err := env.Store.TransitionTarget(ctx, store.Transition{TargetID: tg.ID, From: snsos.StateScheduled, To: snsos.StatePublishing}); err != nil {
			t.Fatal(err)
		}
		var captured *snsos.Target
		boom := errors.New("boom")
		_, err := env.Store.TransitionTarget(ctx, store.Transition{
			TargetID: tg.ID, From: snsos.StatePublishing, To: snsos.StatePublished,
			Mutate: func(tg *snsos.Target) { tg.RemoteID = "1100000000000000001"; captured = tg },
			Hook: func(ctx context.Context, tx *sql.Tx) error {
				if err := h.col.ScheduleTx(ctx, tx, captured); err != nil {
					return err
				}
				return boom
			},
		})
		if !errors.Is(err, boom) {
			t.Fatalf("transition: %v", err)
		}
		ids := h.ins.jobIDs()
		if len(ids) != 2 {
			t.Fatalf("%d inserts, want 2 (then rolled back)", len(ids))
		}
		for _, id := range ids {
			if _, err := h.jobs.JobGet(ctx, id); !errors.Is(err, river.ErrNotFound) {
				t.Errorf("rolled-back job %d exists: %v", id, err)
			}
		}
		if n := countJobs(t, env); n != 0 {
			t.Errorf("%d checkpoint jobs, want 0", n)
		}
		if got, err := env.Store.FindTargetByID(ctx, tg.ID); err != nil || got.State != snsos.StatePublishing {
			t.Errorf("target after rollback: %+v %v", got, err)
		}
	})
}

// blindStore hides existing snapshots from the worker, as when two runs of
// the same job race: the store's uniqueness must settle it.
type blindStore struct{ *store.Store }

func (blindStore) ListSnapshots(context.Context, int64) ([]*snsos.MetricSnapshot, error) {
	return []*snsos.MetricSnapshot{}, nil
}

// TestDuplicateRun runs the same checkpoint job several times: one snapshot,
// every job completed.
func TestDuplicateRun(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		store func(*store.Store) collect.Store
	}{
		{"sees the snapshot", nil},
		{"races to store it", func(s *store.Store) collect.Store { return blindStore{s} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			collect.RunTestStores(t, func(t *testing.T, env *storetest.Env) {
				h := newHarness(t, env, options{checkpoints: []collect.Checkpoint{{Name: "1h", After: 0}}, store: tt.store})
				ctx := context.Background()
				tg := h.publish(t, "run twice", "")
				h.waitSnapshots(t, tg.ID, 1)
				// The same args again, without the uniqueness ScheduleTx
				// asks for: a second and third run of the job.
				var ids []int64
				for range 2 {
					res, err := h.jobs.Insert(ctx, collect.CheckpointArgs{TargetID: tg.ID, Checkpoint: "1h"}, nil)
					if err != nil {
						t.Fatal(err)
					}
					ids = append(ids, res.Job.ID)
				}
				for _, id := range append(ids, h.ins.jobIDs()...) {
					if row := h.waitJob(t, id); row.State != rivertype.JobStateCompleted {
						t.Errorf("job %d ended %s: %v", id, row.State, row.Errors)
					}
				}
				got, err := env.Store.ListSnapshots(ctx, tg.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 1 || got[0].Status != snsos.SnapshotOK {
					t.Fatalf("snapshots %+v, want one ok", got)
				}
			})
		})
	}
}

// TestUnavailable covers every way a checkpoint ends without numbers.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	const missingID = "1100000000000000001"
	for _, tt := range []struct {
		name     string
		setup    func(h *harness)
		platform func(h *harness) platform.Platform
		remoteID string
		snoozes  int    // snoozes before giving up
		reason   string // in the snapshot's reason
		authFail bool
	}{
		{name: "post not reported", remoteID: missingID, snoozes: 2,
			reason: "X had no metrics for this post after 3 tries: X reported no metrics for this post"},
		{name: "server errors", snoozes: 2, reason: "X did not answer the metrics request",
			setup: func(h *harness) {
				h.sim.InjectFault(xsim.Fault{Match: "GET /2/tweets", Kind: xsim.FaultStatus, Status: 503, Times: -1})
			}},
		{name: "rate limited", snoozes: 2, reason: "X asked sns-os to slow down until",
			setup: func(h *harness) {
				h.sim.InjectFault(xsim.Fault{Match: "GET /2/tweets", Kind: xsim.FaultRateLimit, Reset: time.Second, Times: -1})
			}},
		{name: "credentials refused", authFail: true,
			reason: "X refused sns-os's access to the account; the X account @collect_test must be reconnected",
			setup: func(h *harness) {
				h.sim.InjectFault(xsim.Fault{Match: "GET /2/tweets", Kind: xsim.FaultUnauthorized})
			}},
		{name: "out of credits", reason: "X refused the metrics request",
			setup: func(h *harness) {
				h.sim.InjectFault(xsim.Fault{Match: "GET /2/tweets", Kind: xsim.FaultCredits})
			}},
		{name: "no metrics reader", reason: "this platform does not report metrics to sns-os",
			platform: func(h *harness) platform.Platform { return noMetrics{h.xc} }},
		{name: "never for this post", reason: "X reported no metrics for this post (kept for 24 hours only)",
			platform: func(h *harness) platform.Platform { return neverMetrics{h.xc} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			collect.RunTestStores(t, func(t *testing.T, env *storetest.Env) {
				h := newHarness(t, env, options{checkpoints: []collect.Checkpoint{{Name: "1h", After: 0}},
					platform: tt.platform, retry: 50 * time.Millisecond, maxTries: 3})
				if tt.setup != nil {
					tt.setup(h)
				}
				tg := h.publish(t, "not ready: "+tt.name, tt.remoteID)
				ids := h.ins.jobIDs()
				row := h.waitJob(t, ids[0])
				if row.State != rivertype.JobStateCompleted {
					t.Fatalf("job ended %s: %v", row.State, row.Errors)
				}
				got := h.waitSnapshots(t, tg.ID, 1)
				m := got[0]
				if len(got) != 1 || m.Checkpoint != "1h" || m.Status != snsos.SnapshotUnavailable || !strings.Contains(m.Reason, tt.reason) {
					t.Fatalf("snapshot %s %s %q; want unavailable with %q", m.Checkpoint, m.Status, m.Reason, tt.reason)
				}
				for _, k := range standard {
					if v, ok := m.Values[k]; !ok || v != 0 {
						t.Errorf("unavailable snapshot %s = %d, %v", k, v, ok)
					}
				}
				if n := snoozeCount(t, row); n != tt.snoozes {
					t.Errorf("job snoozed %d times, want %d", n, tt.snoozes)
				}
				failed := h.tokens.failures()
				if tt.authFail != (len(failed) == 1) {
					t.Errorf("AuthFailed calls %v, want one: %v", failed, tt.authFail)
				}
				if tt.authFail {
					a, err := env.Store.FindAccountByID(context.Background(), h.acct.ID)
					if err != nil || a.Status != snsos.AccountNeedsReauth {
						t.Errorf("account after refused credentials: %+v %v", a, err)
					}
				}
			})
		})
	}
}

func snoozeCount(t *testing.T, row *rivertype.JobRow) int {
	t.Helper()
	var n int
	if s := row.Metadata; len(s) > 0 {
		var m struct {
			Snoozes int `json:"snoozes"`
		}
		if err := json.Unmarshal(s, &m); err != nil {
			t.Fatal(err)
		}
		n = m.Snoozes
	}
	return n
}

// TestRefreshNowErrors checks the errors an operator sees.
func TestRefreshNowErrors(t *testing.T) {
	t.Parallel()
	collect.RunTestStores(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		h := newHarness(t, env, options{checkpoints: []collect.Checkpoint{{Name: "1h", After: time.Hour}}, noRiver: true})
		published := h.publish(t, "refresh me", "")
		draft := h.newTarget(t, "not yet")
		other := collect.New(collect.Config{Store: env.Store, Tokens: h.tokens,
			Platforms: map[snsos.Platform]platform.Platform{snsos.PlatformX: noMetrics{h.xc}}})

		for _, tt := range []struct {
			name     string
			col      *collect.Collector
			setup    func()
			target   int64
			code     string
			message  string
			authFail bool
		}{
			{name: "not published", target: draft.ID, code: snsos.ECONFLICT, message: "the post is not published yet"},
			{name: "no such target", target: 999999, code: snsos.ENOTFOUND},
			{name: "no metrics reader", col: other, target: published.ID, code: snsos.EINVALID,
				message: "this platform does not report metrics to sns-os"},
			{name: "rate limited", target: published.ID, code: snsos.ERATELIMITED, message: "X asked sns-os to slow down until",
				setup: func() { h.sim.InjectFault(xsim.Fault{Match: "GET /2/tweets", Kind: xsim.FaultRateLimit}) }},
			{name: "server error", target: published.ID, code: snsos.EUNAVAILABLE, message: "X did not answer the metrics request",
				setup: func() { h.sim.InjectFault(xsim.Fault{Match: "GET /2/tweets", Kind: xsim.FaultStatus, Status: 500}) }},
			{name: "credentials refused", target: published.ID, code: snsos.ECONFLICT, authFail: true,
				message: "must be reconnected",
				setup:   func() { h.sim.InjectFault(xsim.Fault{Match: "GET /2/tweets", Kind: xsim.FaultUnauthorized}) }},
			// The case above marked the account needs_reauth.
			{name: "account needs reauth", target: published.ID, code: snsos.ECONFLICT,
				message: "the X account @collect_test must be reconnected before sns-os can read its metrics"},
		} {
			col := h.col
			if tt.col != nil {
				col = tt.col
			}
			if tt.setup != nil {
				tt.setup()
			}
			before := len(h.tokens.failures())
			m, err := col.RefreshNow(ctx, tt.target)
			if m != nil || snsos.ErrorCode(err) != tt.code || !strings.Contains(snsos.ErrorMessage(err), tt.message) {
				t.Errorf("%s: %v, %v (code %s); want %s %q", tt.name, m, err, snsos.ErrorCode(err), tt.code, tt.message)
			}
			if got := len(h.tokens.failures()) - before; got != 0 != tt.authFail {
				t.Errorf("%s: %d AuthFailed calls", tt.name, got)
			}
		}
		if got, err := env.Store.ListSnapshots(ctx, published.ID); err != nil || len(got) != 0 {
			t.Errorf("failed refreshes stored snapshots: %+v %v", got, err)
		}
	})
}
