package collect

// The checkpoints of TikTok posts without a public id, driven step by step
// on one clock: a real store (SQLite, and PostgreSQL when configured), the
// real TikTok client over loopback against the TikTok simulator, and a
// real River client (not started: the jobs are inserted and read back, and
// each run is a call of checkpoint).

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/jobs"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/tiktok"
	"github.com/sns-os/snsos/internal/sim/simclock"
	ttsim "github.com/sns-os/snsos/internal/sim/tiktok"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

// inboxStart is the tests' clock at the upload, never today's date.
var inboxStart = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

// plainTokens hands out the stored credential and records refusals.
type plainTokens struct{ s *store.Store }

func (k plainTokens) Credential(ctx context.Context, accountID int64) (*snsos.Credential, error) {
	return k.s.FindCredential(ctx, accountID)
}

func (k plainTokens) AuthFailed(ctx context.Context, accountID int64, reason string) error {
	return k.s.SetAccountStatus(ctx, accountID, snsos.AccountNeedsReauth, reason)
}

// recordingJobs inserts through a River client and keeps the ids.
type recordingJobs struct {
	c   *jobs.Client
	mu  sync.Mutex
	ids []int64
}

func (r *recordingJobs) InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	res, err := r.c.InsertTx(ctx, tx, args, opts)
	if err == nil && !res.UniqueSkippedAsDuplicate {
		r.mu.Lock()
		r.ids = append(r.ids, res.Job.ID)
		r.mu.Unlock()
	}
	return res, err
}

type inboxEnv struct {
	env   *storetest.Env
	clock *simclock.Clock
	sim   *ttsim.Sim
	tc    *tiktok.Client
	auth  platform.Auth
	acct  *snsos.Account
	jobs  *recordingJobs
	col   *Collector
}

func newInboxEnv(t *testing.T, env *storetest.Env, clock *simclock.Clock) *inboxEnv {
	t.Helper()
	ctx := context.Background()
	e := &inboxEnv{env: env, clock: clock}
	e.sim = ttsim.New(ttsim.Options{ClientKey: "k", ClientSecret: "s", Now: clock.Now, Unaudited: true,
		AccessTokenTTL: 30 * 24 * time.Hour}) // the tests skip days; nothing refreshes here
	srv := httptest.NewServer(e.sim)
	t.Cleanup(srv.Close)
	t.Cleanup(e.sim.Close)
	e.tc = tiktok.New(tiktok.Config{ClientKey: "k", ClientSecret: "s", BaseURL: srv.URL, Now: clock.Now,
		HTTP:  platform.NewHTTPClient(platform.HTTPOptions{Now: clock.Now, Timeout: 10 * time.Second}),
		Sleep: func(_ context.Context, d time.Duration) error { clock.Advance(d); return nil }})
	u := e.sim.AddUser("inbox_test", "Inbox Test")
	access, refresh := e.sim.IssueTokens(u.OpenID)
	e.auth = platform.Auth{UserID: u.OpenID, Handle: u.Username, AccessToken: snsos.Secret(access)}
	e.acct = &snsos.Account{Platform: snsos.PlatformTikTok, RemoteID: u.OpenID, Handle: u.Username}
	if err := env.Store.UpsertAccount(ctx, e.acct); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.PutCredential(ctx, &snsos.Credential{AccountID: e.acct.ID, AccessToken: snsos.Secret(access),
		RefreshToken: snsos.Secret(refresh)}); err != nil {
		t.Fatal(err)
	}
	if err := jobs.Migrate(ctx, env.Store.DB(), env.Store.Pool(), nil); err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	e.jobs = &recordingJobs{}
	e.col = New(Config{Store: env.Store, Platforms: map[snsos.Platform]platform.Platform{snsos.PlatformTikTok: e.tc},
		Tokens: plainTokens{env.Store}, Jobs: e.jobs, Now: clock.Now})
	e.col.Register(workers)
	jc, err := jobs.New(jobs.Config{DB: env.Store.DB(), Pool: env.Store.Pool(), Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	e.jobs.c = jc
	return e
}

// publish posts a small video on the simulator in mode (with privacy for
// a Direct Post) and records the target published as the engine does,
// its checkpoints scheduled in the same transaction.
func (e *inboxEnv) publish(t *testing.T, mode, privacy string) *snsos.Target {
	t.Helper()
	ctx := context.Background()
	video := append([]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"), make([]byte, 4000)...)
	pr := platform.NewProgress(nil, nil)
	opts := map[string]any{tiktok.OptPostMode: mode}
	if privacy != "" {
		opts[tiktok.OptPrivacyLevel] = privacy
	}
	pub, err := e.tc.Publish(ctx, e.auth, &platform.PublishRequest{Options: opts,
		Parts: []platform.Part{{Text: "inbox checkpoints", Media: []platform.Media{platform.BytesMedia("video/mp4", video)}}}}, pr)
	if err != nil {
		t.Fatal(err)
	}
	tg := &snsos.Target{AccountID: e.acct.ID, State: snsos.StateScheduled, ScheduledAt: e.clock.Now()}
	if err := e.env.Store.CreatePost(ctx, &snsos.Post{Body: "inbox checkpoints", Targets: []*snsos.Target{tg}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.env.Store.TransitionTarget(ctx, store.Transition{TargetID: tg.ID, From: snsos.StateScheduled, To: snsos.StatePublishing}); err != nil {
		t.Fatal(err)
	}
	var captured *snsos.Target
	out, err := e.env.Store.TransitionTarget(ctx, store.Transition{TargetID: tg.ID, From: snsos.StatePublishing, To: snsos.StatePublished,
		Mutate: func(tg *snsos.Target) {
			link := pub.URL
			if pub.Inbox {
				link = ""
			}
			tg.RemoteID, tg.RemoteURL, tg.PublishedAt, tg.Progress = pub.RemoteID, link, e.clock.Now(), pr.Values()
			captured = tg
		},
		Hook: func(ctx context.Context, tx *sql.Tx) error { return e.col.ScheduleTx(ctx, tx, captured) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// runInbox runs fn on each database, each with its own clock at
// inboxStart.
func runInbox(t *testing.T, fn func(t *testing.T, e *inboxEnv)) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			clock := simclock.New(inboxStart)
			fn(t, newInboxEnv(t, NewTestStore(t, d, clock.Now), clock))
		})
	}
}

// job is a checkpoint job as River holds it.
type job struct {
	args CheckpointArgs
	at   time.Time
}

// jobs returns the checkpoint jobs inserted so far, in order.
func (e *inboxEnv) insertedJobs(t *testing.T) []job {
	t.Helper()
	e.jobs.mu.Lock()
	ids := slices.Clone(e.jobs.ids)
	e.jobs.mu.Unlock()
	var out []job
	for _, id := range ids {
		row, err := e.jobs.c.JobGet(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		var a CheckpointArgs
		if err := json.Unmarshal(row.EncodedArgs, &a); err != nil {
			t.Fatal(err)
		}
		out = append(out, job{args: a, at: row.ScheduledAt})
	}
	return out
}

// run runs checkpoint cp of target id counted from base (Unix seconds) at
// the clock's time.
func (e *inboxEnv) run(t *testing.T, id int64, cp string, base int64) error {
	t.Helper()
	return e.col.checkpoint(context.Background(), CheckpointArgs{TargetID: id, Checkpoint: cp, Base: base}, 1)
}

func (e *inboxEnv) target(t *testing.T, id int64) *snsos.Target {
	t.Helper()
	tg, err := e.env.Store.FindTargetByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func (e *inboxEnv) snapshots(t *testing.T, id int64) []*snsos.MetricSnapshot {
	t.Helper()
	ms, err := e.env.Store.ListSnapshots(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func snoozedFor(err error) (time.Duration, bool) {
	var s *rivertype.JobSnoozeError
	if errors.As(err, &s) {
		return s.Duration, true
	}
	return 0, false
}

// TestInboxCheckpointsStartWhenPublic: an inbox upload has no metrics
// while it waits in the inbox — its checkpoint asks again later and stores
// nothing — and once it is posted publicly from the app, the next check
// records its public id and link, makes the time it was seen its
// publication time and schedules every checkpoint again from then; the
// jobs counted from the upload then do nothing, and the new ones read the
// metrics.
func TestInboxCheckpointsStartWhenPublic(t *testing.T) {
	t.Parallel()
	runInbox(t, func(t *testing.T, e *inboxEnv) {
		clock := e.clock
		tg := e.publish(t, tiktok.ModeInbox, "")
		upload := tg.RemoteID
		if tg.RemoteURL != "" || !tiktok.AwaitsPublicPost(tg.Progress, upload) {
			t.Fatalf("published inbox upload %+v does not wait for a public post", tg)
		}
		first := e.insertedJobs(t)
		if len(first) != 3 || first[0].args.Base != tg.PublishedAt.Unix() {
			t.Fatalf("jobs at the upload %+v, want 3 counted from %d", first, tg.PublishedAt.Unix())
		}

		clock.Set(tg.PublishedAt.Add(time.Hour))
		err := e.run(t, tg.ID, "1h", first[0].args.Base)
		if d, ok := snoozedFor(err); !ok || d != DefaultInboxRetry {
			t.Fatalf("1h checkpoint while in the inbox: %v, want a snooze of %v", err, DefaultInboxRetry)
		}
		if ms := e.snapshots(t, tg.ID); len(ms) != 0 {
			t.Fatalf("snapshots while in the inbox: %+v", ms)
		}

		if err := e.sim.FinishInbox(upload, true); err != nil {
			t.Fatal(err)
		}
		clock.Advance(DefaultInboxRetry)
		seen := clock.Now()
		if err := e.run(t, tg.ID, "1h", first[0].args.Base); err != nil {
			t.Fatalf("1h checkpoint once public: %v", err)
		}
		got := e.target(t, tg.ID)
		public := e.sim.Posts()[0].PublicID
		if public == "" || got.RemoteID != public || got.RemoteURL != tiktok.PostURL(e.acct.Handle, public) ||
			!got.PublishedAt.Equal(seen) || got.State != snsos.StatePublished {
			t.Fatalf("target once public %+v, want id %s from %v", got, public, seen)
		}
		all := e.insertedJobs(t)
		if len(all) != 6 {
			t.Fatalf("%d checkpoint jobs, want the 3 of the upload and 3 counted from %v", len(all), seen)
		}
		for i, j := range all[3:] {
			cp := e.col.checkpoints[i]
			if j.args.Base != seen.Unix() || j.args.Checkpoint != string(cp.Name) || j.at.Sub(seen.Add(cp.After)).Abs() >= time.Millisecond {
				t.Errorf("rebased job %d %+v at %v, want %s at %v", i, j.args, j.at, cp.Name, seen.Add(cp.After))
			}
		}

		// The upload's jobs end without a snapshot; the new ones take them.
		clock.Set(tg.PublishedAt.Add(24 * time.Hour))
		if err := e.run(t, tg.ID, "24h", first[1].args.Base); err != nil {
			t.Fatal(err)
		}
		if ms := e.snapshots(t, tg.ID); len(ms) != 0 {
			t.Fatalf("a superseded checkpoint stored %+v", ms)
		}
		clock.Set(seen.Add(time.Hour))
		if err := e.run(t, tg.ID, "1h", seen.Unix()); err != nil {
			t.Fatal(err)
		}
		ms := e.snapshots(t, tg.ID)
		if len(ms) != 1 || ms[0].Checkpoint != "1h" || ms[0].Status != snsos.SnapshotOK || ms[0].Values["views"] <= 0 {
			t.Fatalf("snapshots from the public post %+v", ms)
		}
	})
}

// TestInboxWaitsThroughProblems: while an inbox upload waits for its
// public id, a checkpoint that cannot ask where it stands — the account
// must be reconnected for a while, TikTok refuses the call or the token —
// asks again later and stores nothing: a snapshot stored then would be
// found by the job counted from the public time, which would take nothing,
// and the public post would lose that checkpoint for good. Past the wait,
// the problem is what the snapshot says.
func TestInboxWaitsThroughProblems(t *testing.T) {
	t.Parallel()
	runInbox(t, func(t *testing.T, e *inboxEnv) {
		ctx := context.Background()
		clock := e.clock
		tg := e.publish(t, tiktok.ModeInbox, "")
		stays := e.publish(t, tiktok.ModeInbox, "")
		base := tg.PublishedAt.Unix()
		setStatus := func(st snsos.AccountStatus) {
			t.Helper()
			if err := e.env.Store.SetAccountStatus(ctx, e.acct.ID, st, ""); err != nil {
				t.Fatal(err)
			}
		}
		snoozed := func(what string) {
			t.Helper()
			err := e.run(t, tg.ID, "1h", base)
			if d, ok := snoozedFor(err); !ok || d != DefaultInboxRetry {
				t.Fatalf("%s: %v, want a snooze of %v", what, err, DefaultInboxRetry)
			}
			if ms := e.snapshots(t, tg.ID); len(ms) != 0 {
				t.Fatalf("%s: stored %+v", what, ms)
			}
		}

		refused := func(code int) bool {
			rs := e.sim.Requests()
			last := rs[len(rs)-1]
			return last.Path == "/v2/post/publish/status/fetch/" && last.Status == code && last.Time.Equal(clock.Now())
		}

		setStatus(snsos.AccountNeedsReauth)
		clock.Set(tg.PublishedAt.Add(time.Hour))
		snoozed("account to reconnect")
		setStatus(snsos.AccountConnected)
		e.sim.InjectFault(ttsim.Fault{Match: "POST /v2/post/publish/status/fetch/", Kind: ttsim.FaultStatus, Status: 400,
			Code: "invalid_params"})
		clock.Advance(DefaultInboxRetry)
		snoozed("status call refused")
		if !refused(400) {
			t.Fatalf("the refused call was not made: %+v", e.sim.Requests()[len(e.sim.Requests())-1])
		}
		e.sim.InjectFault(ttsim.Fault{Match: "POST /v2/post/publish/status/fetch/", Kind: ttsim.FaultUnauthorized})
		clock.Advance(DefaultInboxRetry)
		snoozed("token refused")
		if a, _ := e.env.Store.FindAccountByID(ctx, e.acct.ID); a.Status != snsos.AccountNeedsReauth || !refused(401) {
			t.Fatalf("a refused token left the account %s", a.Status)
		}
		setStatus(snsos.AccountConnected)

		// Posted from the app: the next check re-bases the checkpoints, and
		// the new 1h job takes the numbers.
		if err := e.sim.FinishInbox(tg.RemoteID, true); err != nil {
			t.Fatal(err)
		}
		clock.Set(tg.PublishedAt.Add(24 * time.Hour))
		seen := clock.Now()
		if err := e.run(t, tg.ID, "24h", base); err != nil {
			t.Fatal(err)
		}
		if got := e.target(t, tg.ID); !got.PublishedAt.Equal(seen) {
			t.Fatalf("not re-based: %+v", got)
		}
		if err := e.run(t, tg.ID, "1h", base); err != nil {
			t.Fatal(err)
		}
		clock.Set(seen.Add(time.Hour))
		if err := e.run(t, tg.ID, "1h", seen.Unix()); err != nil {
			t.Fatal(err)
		}
		ms := e.snapshots(t, tg.ID)
		if len(ms) != 1 || ms[0].Checkpoint != "1h" || ms[0].Status != snsos.SnapshotOK || !ms[0].FetchedAt.Equal(seen.Add(time.Hour)) {
			t.Fatalf("1h of the public post: %+v", ms)
		}

		// The other upload never went public, and at the end of the wait
		// the account must be reconnected: that is what its snapshot says.
		setStatus(snsos.AccountNeedsReauth)
		clock.Set(stays.PublishedAt.Add(7 * 24 * time.Hour))
		if err := e.run(t, stays.ID, "1h", stays.PublishedAt.Unix()); err != nil {
			t.Fatal(err)
		}
		ms = e.snapshots(t, stays.ID)
		if len(ms) != 1 || ms[0].Status != snsos.SnapshotUnavailable || !strings.Contains(ms[0].Reason, "must be reconnected") {
			t.Fatalf("the snapshot at the end of the wait: %+v", ms)
		}
	})
}

// TestInboxNeverPublic: an upload left in the inbox, or posted for "Only
// me", gets no public id: its checkpoints keep asking until the last one's
// offset after the upload, then each stores "sent to the TikTok inbox"
// with no numbers; a manual refresh says it waits in the inbox. A Direct
// Post for "Only me" is a private post at once (the client's
// ErrNoMetrics, through the checkpoint).
func TestInboxNeverPublic(t *testing.T) {
	t.Parallel()
	runInbox(t, func(t *testing.T, e *inboxEnv) {
		clock := e.clock
		left := e.publish(t, tiktok.ModeInbox, "")
		private := e.publish(t, tiktok.ModeInbox, "")
		onlyMe := e.publish(t, tiktok.ModeDirect, tiktok.PrivacySelfOnly)
		if err := e.sim.FinishInbox(private.RemoteID, false); err != nil {
			t.Fatal(err)
		}
		base := left.PublishedAt.Unix()
		jobsBefore := len(e.insertedJobs(t))

		clock.Set(left.PublishedAt.Add(7*24*time.Hour - time.Minute))
		err := e.run(t, left.ID, "1h", base)
		if d, ok := snoozedFor(err); !ok || d != time.Minute {
			t.Fatalf("checkpoint a minute before the last: %v, want a snooze to the end of the wait", err)
		}
		_, err = e.col.RefreshNow(context.Background(), left.ID)
		if !snsos.IsCode(err, snsos.ECONFLICT) || !strings.Contains(snsos.ErrorMessage(err), "waits in the TikTok inbox") {
			t.Fatalf("refresh while in the inbox: %v", err)
		}

		for _, tg := range []*snsos.Target{left, private} {
			clock.Set(tg.PublishedAt.Add(7 * 24 * time.Hour))
			for _, cp := range []string{"1h", "7d"} {
				if err := e.run(t, tg.ID, cp, tg.PublishedAt.Unix()); err != nil {
					t.Fatal(err)
				}
			}
			ms := e.snapshots(t, tg.ID)
			if len(ms) != 2 {
				t.Fatalf("target %d: %d snapshots, want 2", tg.ID, len(ms))
			}
			for _, m := range ms {
				if m.Status != snsos.SnapshotUnavailable || !strings.Contains(m.Reason, "sent to the TikTok inbox") ||
					!strings.Contains(m.Reason, "within 7 days") || m.Values["views"] != 0 {
					t.Errorf("target %d snapshot %+v", tg.ID, m)
				}
			}
			if got := e.target(t, tg.ID); got.RemoteID != tg.RemoteID || got.RemoteURL != "" || !got.PublishedAt.Equal(tg.PublishedAt) {
				t.Errorf("target %d changed: %+v", tg.ID, got)
			}
		}
		if n := len(e.insertedJobs(t)); n != jobsBefore {
			t.Errorf("%d jobs inserted while no public post appeared", n-jobsBefore)
		}

		if err := e.run(t, onlyMe.ID, "1h", onlyMe.PublishedAt.Unix()); err != nil {
			t.Fatal(err)
		}
		ms := e.snapshots(t, onlyMe.ID)
		if len(ms) != 1 || ms[0].Status != snsos.SnapshotUnavailable || !strings.Contains(ms[0].Reason, "private post") {
			t.Fatalf("Only me snapshot %+v, want unavailable: private post", ms)
		}
	})
}

// TestInboxRefreshFindsPublic: a manual refresh of an upload posted from
// the app records its public id (the checkpoints start again from then)
// and reads its numbers.
func TestInboxRefreshFindsPublic(t *testing.T) {
	t.Parallel()
	runInbox(t, func(t *testing.T, e *inboxEnv) {
		clock := e.clock
		tg := e.publish(t, tiktok.ModeInbox, "")
		if err := e.sim.FinishInbox(tg.RemoteID, true); err != nil {
			t.Fatal(err)
		}
		clock.Advance(2 * time.Hour)
		m, err := e.col.RefreshNow(context.Background(), tg.ID)
		if err != nil || m.Checkpoint != snsos.CheckpointManual || m.Status != snsos.SnapshotOK {
			t.Fatalf("refresh once public: %+v %v", m, err)
		}
		if got := e.target(t, tg.ID); got.RemoteID == tg.RemoteID || !got.PublishedAt.Equal(clock.Now()) {
			t.Fatalf("target after the refresh %+v", got)
		}
		if n := len(e.insertedJobs(t)); n != 6 {
			t.Fatalf("%d checkpoint jobs, want 6", n)
		}
	})
}

func TestSpanWords(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{7 * 24 * time.Hour: "7 days", 24 * time.Hour: "24 hours", time.Hour: "1 hour",
		90 * time.Minute: "90 minutes", time.Minute: "1 minute", 1500 * time.Millisecond: "1.5s"} {
		if got := spanWords(d); got != want {
			t.Errorf("spanWords(%v) = %q, want %q", d, got, want)
		}
	}
}
