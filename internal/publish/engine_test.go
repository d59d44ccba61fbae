package publish_test

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/jobs"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/x"
	"github.com/sns-os/snsos/internal/publish"
	xsim "github.com/sns-os/snsos/internal/sim/x"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

var ctx = context.Background()

// storeTokens hands out the stored credential as it is: the real token
// service (refresh, single-flight) is tested in internal/oauth.
type storeTokens struct{ s *store.Store }

func (t storeTokens) Credential(ctx context.Context, id int64) (*snsos.Credential, error) {
	return t.s.FindCredential(ctx, id)
}

func (t storeTokens) AuthFailed(ctx context.Context, id int64, reason string) error {
	return t.s.SetAccountStatus(ctx, id, snsos.AccountNeedsReauth, reason)
}

type harness struct {
	env        *storetest.Env
	sim        *xsim.Sim
	engine     *publish.Engine
	jobs       *jobs.Client
	account    *snsos.Account
	user       xsim.User
	client     *x.Client
	checkpoint atomic.Int32 // OnPublished calls
}

func newHarness(t testing.TB, env *storetest.Env, tune func(*publish.Config)) *harness {
	t.Helper()
	return newHarnessWith(t, env, harnessOptions{}, tune)
}

// harnessOptions change the simulator and see its requests.
type harnessOptions struct {
	sim xsim.Options // ClientID and ClientSecret are set
	// before, when set, sees each request before the simulator does (it
	// may block it: a slow call).
	before func(r *http.Request)
	// after, when set, runs once the simulator has answered and before the
	// answer is sent (it may hold it: a late answer).
	after func(r *http.Request)
	// timeout bounds one HTTP call of the client (default 2 s).
	timeout time.Duration
	// leaderOnly leaves moving scheduled jobs to River's leader alone
	// (every 5 s, see scheduleOften): the lateness benchmark measures it.
	leaderOnly bool
}

func newHarnessWith(t testing.TB, env *storetest.Env, o harnessOptions, tune func(*publish.Config)) *harness {
	t.Helper()
	h := &harness{env: env}
	o.sim.ClientID, o.sim.ClientSecret = "cid", "csecret"
	h.sim = xsim.New(o.sim)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.before != nil {
			o.before(r)
		}
		if o.after == nil {
			h.sim.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.sim.ServeHTTP(rec, r)
		o.after(r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(func() { h.sim.Close(); srv.Close() })
	client := x.New(x.Config{ClientID: "cid", ClientSecret: "csecret", BaseURL: srv.URL,
		HTTP: platform.NewHTTPClient(platform.HTTPOptions{Timeout: cmp.Or(o.timeout, 2*time.Second)})})
	h.client = client

	s := env.Store
	h.user = h.sim.AddUser("poster", "Poster")
	access, refresh := h.sim.IssueTokens(h.user.ID, nil)
	h.account = &snsos.Account{Platform: snsos.PlatformX, RemoteID: h.user.ID, Handle: h.user.Username}
	if err := s.UpsertAccount(ctx, h.account); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCredential(ctx, &snsos.Credential{AccountID: h.account.ID, AccessToken: snsos.Secret(access), RefreshToken: snsos.Secret(refresh),
		ExpiresAt: time.Now().Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := jobs.Migrate(ctx, s.DB(), s.Pool(), nil); err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	cfg := publish.Config{
		Store: s, Platforms: map[snsos.Platform]platform.Platform{snsos.PlatformX: client}, Tokens: storeTokens{s},
		ReconcileDelay: 50 * time.Millisecond,
		LandMargin:     100 * time.Millisecond,
		Backoff:        func(int) time.Duration { return 100 * time.Millisecond },
		OnPublished:    func(context.Context, *sql.Tx, *snsos.Target) error { h.checkpoint.Add(1); return nil },
	}
	if tune != nil {
		tune(&cfg)
	}
	eng := publish.New(cfg)
	eng.Register(workers)
	jc, err := jobs.New(jobs.Config{DB: s.DB(), Pool: s.Pool(), Workers: workers, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	eng.SetJobs(jc)
	if err := jc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		jc.Stop(sctx)
	})
	if !o.leaderOnly {
		scheduleOften(t, s)
	}
	h.engine, h.jobs = eng, jc
	return h
}

// waitState polls the target until it reaches want (or a terminal state),
// failing after a bound only a broken run reaches.
func (h *harness) waitState(t *testing.T, id int64, want snsos.TargetState) *snsos.Target {
	t.Helper()
	var tg *snsos.Target
	eventually(t, 30*time.Second, func() bool {
		var err error
		if tg, err = h.env.Store.FindTargetByID(ctx, id); err != nil {
			t.Fatal(err)
		}
		if tg.State.Terminal() && tg.State != want {
			t.Fatalf("target %d is %s (%s), want %s", id, tg.State, tg.Error, want)
		}
		return tg.State == want
	}, func() string { return fmt.Sprintf("target %d is %s (%s), want %s", id, tg.State, tg.Error, want) })
	return tg
}

func (h *harness) schedule(t *testing.T, body string, at time.Time, opts map[string]any) *snsos.Post {
	t.Helper()
	p := &snsos.Post{Body: body, ScheduledAt: at, Targets: []*snsos.Target{{AccountID: h.account.ID, Options: opts}}}
	if err := h.engine.CreatePost(ctx, p, true); err != nil {
		t.Fatalf("CreatePost: %v", err)
	}
	if p.Targets[0].State != snsos.StateScheduled {
		t.Fatalf("target state %s, want scheduled", p.Targets[0].State)
	}
	return p
}

func (h *harness) livePosts(text string) int {
	n := 0
	for _, p := range h.sim.Posts() {
		if !p.Deleted && p.Text == text {
			n++
		}
	}
	return n
}

func TestPublishOnTime(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, nil)
		at := time.Now().Add(time.Second)
		p := h.schedule(t, "hello from the engine", at, nil)
		tg := h.waitState(t, p.Targets[0].ID, snsos.StatePublished)
		if tg.RemoteID == "" || !strings.Contains(tg.RemoteURL, "/poster/status/"+tg.RemoteID) || tg.PublishedAt.Before(at.Add(-time.Second)) {
			t.Fatalf("published target %+v", tg)
		}
		if n := h.livePosts("hello from the engine"); n != 1 {
			t.Fatalf("%d posts on the platform, want 1", n)
		}
		if h.checkpoint.Load() != 1 {
			t.Fatalf("OnPublished ran %d times", h.checkpoint.Load())
		}
		atts, _ := env.Store.ListAttempts(ctx, tg.ID)
		if len(atts) != 1 || atts[0].Outcome != snsos.StatePublished || atts[0].FinishedAt.IsZero() {
			t.Fatalf("attempts %+v", atts)
		}
	})
}

func TestThreadPublishes(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, nil)
		parts := []any{"thread part one", "thread part two", "thread part three"}
		p := h.schedule(t, "", time.Now(), map[string]any{"parts": parts})
		tg := h.waitState(t, p.Targets[0].ID, snsos.StatePublished)
		posts := h.sim.Posts()
		if len(posts) != 3 || posts[1].ReplyTo != posts[0].ID || posts[2].ReplyTo != posts[1].ID || tg.RemoteID != posts[0].ID {
			t.Fatalf("thread on the platform: %+v, target %+v", posts, tg)
		}
	})
}

// TestAmbiguousOutcomes: every way a call can end without a seen result
// ends with the post on the platform exactly once.
func TestAmbiguousOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault xsim.Fault
	}{
		{"5xx before the post is stored", xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultStatus, Status: 503}},
		{"5xx after the post is stored", xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultStatusAfterCommit, Status: 503}},
		{"timeout after the post is stored", xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultHangAfterCommit}},
		{"timeout before the post is stored", xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultHang}},
		{"truncated answer", xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultTruncated}},
		{"reconcile lookup fails once", xsim.Fault{Match: "GET /2/users/{id}/tweets", Kind: xsim.FaultStatus, Status: 500}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newSQLite(t, nil)
			h := newHarness(t, env, nil)
			text := "ambiguous " + tt.name
			if strings.HasPrefix(tt.name, "reconcile") {
				h.sim.InjectFault(xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultStatusAfterCommit, Status: 502})
			}
			h.sim.InjectFault(tt.fault)
			p := h.schedule(t, text, time.Now(), nil)
			tg := h.waitState(t, p.Targets[0].ID, snsos.StatePublished)
			if n := h.livePosts(text); n != 1 {
				t.Fatalf("%d posts on the platform, want exactly 1", n)
			}
			var live string
			for _, sp := range h.sim.Posts() {
				if sp.Text == text {
					live = sp.ID
				}
			}
			if tg.RemoteID != live {
				t.Fatalf("target remote id %s, platform post %s", tg.RemoteID, live)
			}
		})
	}
}

func TestPermanentAndRetriedFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		faults  []xsim.Fault
		want    snsos.TargetState
		errPart string
		account snsos.AccountStatus
	}{
		{"out of credits", []xsim.Fault{{Match: "POST /2/tweets", Kind: xsim.FaultCredits}}, snsos.StateFailed, "refused", snsos.AccountConnected},
		{"rate limited then ok", []xsim.Fault{{Match: "POST /2/tweets", Kind: xsim.FaultRateLimit, Reset: time.Second}}, snsos.StatePublished, "", snsos.AccountConnected},
		{"unauthorized", []xsim.Fault{{Match: "POST /2/tweets", Kind: xsim.FaultUnauthorized}}, snsos.StateFailed, "access", snsos.AccountNeedsReauth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newSQLite(t, nil)
			h := newHarness(t, env, nil)
			for _, f := range tt.faults {
				h.sim.InjectFault(f)
			}
			text := "case " + tt.name
			p := h.schedule(t, text, time.Now(), nil)
			tg := h.waitState(t, p.Targets[0].ID, tt.want)
			if !strings.Contains(tg.Error, tt.errPart) {
				t.Fatalf("error %q lacks %q", tg.Error, tt.errPart)
			}
			want := 0
			if tt.want == snsos.StatePublished {
				want = 1
			}
			if n := h.livePosts(text); n != want {
				t.Fatalf("%d posts, want %d", n, want)
			}
			// The account is marked right after the target is settled:
			// wait for it rather than read it at once.
			var a *snsos.Account
			var err error
			eventually(t, 10*time.Second, func() bool {
				a, err = env.Store.FindAccountByID(ctx, h.account.ID)
				return err == nil && a.Status == tt.account
			}, func() string { return fmt.Sprintf("account %+v (%v), want %s", a, err, tt.account) })
		})
	}
}

// TestResumeAfterCrashMidThread: a process died after posting parts 1 and 2
// of a thread (their ids were saved) and before part 3. The next worker
// finds the target publishing, reconciles, and posts only part 3.
func TestResumeAfterCrashMidThread(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, func(c *publish.Config) { c.ReconcileDelay = 100 * time.Millisecond })
		s := env.Store
		parts := []any{"crash part one", "crash part two", "crash part three"}
		// Prepare the state a crash leaves: target publishing, two parts live.
		p := &snsos.Post{Targets: []*snsos.Target{{AccountID: h.account.ID, State: snsos.StateScheduled, Options: map[string]any{"parts": parts}}}, ScheduledAt: time.Now()}
		if err := s.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		tid := p.Targets[0].ID
		att := &snsos.Attempt{}
		if _, err := s.TransitionTarget(ctx, snsos.TargetTransition{TargetID: tid, From: snsos.StateScheduled, To: snsos.StatePublishing, Attempt: att, Lease: time.Minute}); err != nil {
			t.Fatal(err)
		}
		client := x.New(x.Config{ClientID: "cid", ClientSecret: "csecret", BaseURL: serverURL(t, h.sim)})
		cred, _ := s.FindCredential(ctx, h.account.ID)
		auth := platform.Auth{UserID: h.user.ID, Handle: h.user.Username, AccessToken: cred.AccessToken}
		progress := platform.NewProgress(nil, func(ctx context.Context, k, v string) error { return s.SetTargetProgress(ctx, tid, att.ID, k, v) })
		if _, err := client.Publish(ctx, auth, &platform.PublishRequest{Parts: []platform.Part{{Text: "crash part one"}, {Text: "crash part two"}}}, progress); err != nil {
			t.Fatal(err)
		}
		// The rescued job runs once the dead owner's lease has run out (on
		// the database's clock).
		s.SetDBClockOffset(2 * time.Minute)
		if _, err := h.jobs.Insert(ctx, publish.PublishArgs{TargetID: tid, At: p.ScheduledAt}, nil); err != nil {
			t.Fatal(err)
		}
		tg := h.waitState(t, tid, snsos.StatePublished)
		posts := h.sim.Posts()
		if len(posts) != 3 || posts[2].Text != "crash part three" || posts[2].ReplyTo != posts[1].ID || tg.RemoteID != posts[0].ID {
			t.Fatalf("after resume: %+v; target %+v", posts, tg)
		}
		if tg.RemoteURL == "" {
			t.Fatal("no permalink after reconciliation")
		}
	})
}

func serverURL(t *testing.T, sim *xsim.Sim) string {
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestRecoverAfterCrash: a target left publishing by a dead process is
// reconciled at start; if nothing went live it is published once.
func TestRecoverAfterCrash(t *testing.T) {
	t.Parallel()
	runStores(t, func(t *testing.T, env *storetest.Env) {
		h := newHarness(t, env, nil)
		s := env.Store
		p := &snsos.Post{Body: "recover me", ScheduledAt: time.Now(), Targets: []*snsos.Target{{AccountID: h.account.ID, State: snsos.StateScheduled}}}
		if err := s.CreatePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		tid := p.Targets[0].ID
		att := &snsos.Attempt{}
		if _, err := s.TransitionTarget(ctx, snsos.TargetTransition{TargetID: tid, From: snsos.StateScheduled, To: snsos.StatePublishing, Attempt: att, Lease: time.Minute}); err != nil {
			t.Fatal(err)
		}
		n, err := h.engine.Recover(ctx, true)
		if err != nil || n != 1 {
			t.Fatalf("Recover = %d, %v", n, err)
		}
		h.waitState(t, tid, snsos.StatePublished)
		if c := h.livePosts("recover me"); c != 1 {
			t.Fatalf("%d posts", c)
		}
	})
}

func TestSchedulingBadInput(t *testing.T) {
	t.Parallel()
	env := newSQLite(t, nil)
	h := newHarness(t, env, nil)
	future := time.Now().Add(time.Hour)
	tests := []struct {
		name string
		p    *snsos.Post
		code string
		rule string
	}{
		{"past", &snsos.Post{Body: "x", ScheduledAt: time.Now().Add(-time.Hour), Targets: []*snsos.Target{{AccountID: h.account.ID}}}, snsos.EINVALID, "future"},
		{"unknown account", &snsos.Post{Body: "x", Targets: []*snsos.Target{{AccountID: 9999}}}, snsos.EINVALID, "exists"},
		{"too long for X", &snsos.Post{Body: strings.Repeat("あ", 141), Targets: []*snsos.Target{{AccountID: h.account.ID}}}, snsos.EINVALID, "max_length"},
		{"no targets", &snsos.Post{Body: "x"}, snsos.EINVALID, "required"},
		{"unknown media", &snsos.Post{Body: "x", MediaIDs: []int64{77}, Targets: []*snsos.Target{{AccountID: h.account.ID}}}, snsos.EINVALID, "exists"},
		{"bad parts", &snsos.Post{Body: "x", Targets: []*snsos.Target{{AccountID: h.account.ID, Options: map[string]any{"parts": "nope"}}}}, snsos.EINVALID, "type"},
	}
	for _, tt := range tests {
		err := h.engine.CreatePost(ctx, tt.p, true)
		if snsos.ErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.rule) && !hasRule(err, tt.rule) {
			t.Errorf("%s: %v, want %s with rule %s", tt.name, err, tt.code, tt.rule)
		}
	}
	// Approve twice, schedule a draft, cancel after publish.
	d := &snsos.Post{Body: "draft", Targets: []*snsos.Target{{AccountID: h.account.ID}}}
	if err := h.engine.CreatePost(ctx, d, false); err != nil {
		t.Fatal(err)
	}
	if _, err := h.engine.Schedule(ctx, d.ID, future); snsos.ErrorCode(err) != snsos.ECONFLICT {
		t.Fatalf("schedule a draft: %v", err)
	}
	if _, err := h.engine.Approve(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.engine.Approve(ctx, d.ID); snsos.ErrorCode(err) != snsos.ECONFLICT {
		t.Fatalf("approve twice: %v", err)
	}
	if _, err := h.engine.Schedule(ctx, d.ID, time.Now().Add(-time.Hour)); !hasRule(err, "future") {
		t.Fatalf("schedule in the past: %v", err)
	}
	now := h.schedule(t, "publish then cancel", time.Now(), nil)
	h.waitState(t, now.Targets[0].ID, snsos.StatePublished)
	if _, err := h.engine.Cancel(ctx, now.ID); snsos.ErrorCode(err) != snsos.ECONFLICT {
		t.Fatalf("cancel after publish: %v", err)
	}
	// Cancel before the time: the job fires later and does nothing.
	// Two seconds leave the cancel room on a loaded machine (jobs start at
	// their time: the tests run River's scheduling pass often).
	soon := h.schedule(t, "canceled in time", time.Now().Add(2*time.Second), nil)
	if _, err := h.engine.Cancel(ctx, soon.ID); err != nil {
		t.Fatal(err)
	}
	late := h.schedule(t, "after the canceled one", soon.ScheduledAt.Add(500*time.Millisecond), nil)
	h.waitState(t, late.Targets[0].ID, snsos.StatePublished)
	if n := h.livePosts("canceled in time"); n != 0 {
		t.Fatal("a canceled post was published")
	}
}

func TestQuota(t *testing.T) {
	t.Parallel()
	env := newSQLite(t, nil)
	h := newHarness(t, env, func(c *publish.Config) { c.Quotas = map[snsos.Platform]int{snsos.PlatformX: 2} })
	future := time.Now().Add(time.Hour)
	// Two scheduled within 24 h fill the quota of 2; a third is refused.
	for i := range 2 {
		h.schedule(t, "quota "+string(rune('a'+i)), future.Add(time.Duration(i)*time.Minute), nil)
	}
	err := h.engine.CreatePost(ctx, &snsos.Post{Body: "quota c", ScheduledAt: future.Add(time.Hour), Targets: []*snsos.Target{{AccountID: h.account.ID}}}, true)
	if !hasRule(err, "quota") {
		t.Fatalf("quota: %v", err)
	}
	// Two days later the window is free again.
	h.schedule(t, "quota d", future.Add(48*time.Hour), nil)
	// A draft can be written; scheduling it into the full window is refused.
	d := &snsos.Post{Body: "quota e", Targets: []*snsos.Target{{AccountID: h.account.ID}}}
	if err := h.engine.CreatePost(ctx, d, true); err != nil {
		t.Fatal(err)
	}
	if _, err := h.engine.Schedule(ctx, d.ID, future.Add(30*time.Minute)); !hasRule(err, "quota") {
		t.Fatalf("schedule into a full window: %v", err)
	}
}

func hasRule(err error, rule string) bool {
	return err != nil && strings.Contains(err.Error(), "") && containsRule(err, rule)
}

func containsRule(err error, rule string) bool {
	var v snsos.ValidationErrors
	for e := err; e != nil; {
		if ve, ok := e.(snsos.ValidationErrors); ok {
			v = ve
			break
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			break
		}
		e = u.Unwrap()
	}
	for _, f := range v {
		if f.Rule == rule {
			return true
		}
	}
	return false
}

func TestLateTargetHeldForOperator(t *testing.T) {
	t.Parallel()
	env := newSQLite(t, nil)
	h := newHarness(t, env, func(c *publish.Config) { c.LateGrace = time.Minute })
	s := env.Store
	at := time.Now().Add(-2 * time.Hour) // sns-os was down at the time
	p := &snsos.Post{Body: "too late", ScheduledAt: at, Targets: []*snsos.Target{{AccountID: h.account.ID, State: snsos.StateScheduled}}}
	if err := s.CreatePost(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := h.jobs.Insert(ctx, publish.PublishArgs{TargetID: p.Targets[0].ID, At: at, Seq: p.Targets[0].JobSeq}, nil); err != nil {
		t.Fatal(err)
	}
	tg := h.waitState(t, p.Targets[0].ID, snsos.StateFailed)
	if !strings.Contains(tg.Error, "held") || h.livePosts("too late") != 0 {
		t.Fatalf("late target: %+v", tg)
	}
	// The operator retries: it is published now, once.
	if _, err := h.engine.RetryTarget(ctx, tg.ID); err != nil {
		t.Fatal(err)
	}
	h.waitState(t, tg.ID, snsos.StatePublished)
	if h.livePosts("too late") != 1 {
		t.Fatal("retry did not publish exactly once")
	}
}

// flakyTokens cannot hand out a token: the platform's token endpoint is down.
type flakyTokens struct{}

func (flakyTokens) Credential(context.Context, int64) (*snsos.Credential, error) {
	return nil, errors.New("token endpoint unreachable")
}
func (flakyTokens) AuthFailed(context.Context, int64, string) error { return nil }

// TestLastAttemptIsNeverSilent: when a publish job fails its last attempt
// before any platform call, the target is failed with the reason (the
// operator sees it and can retry) instead of staying "scheduled" forever.
func TestLastAttemptIsNeverSilent(t *testing.T) {
	t.Parallel()
	env := newSQLite(t, nil)
	h := newHarness(t, env, func(c *publish.Config) { c.Tokens = flakyTokens{} })
	s := env.Store
	at := time.Now()
	p := &snsos.Post{Body: "never silent", ScheduledAt: at, Targets: []*snsos.Target{{AccountID: h.account.ID, State: snsos.StateScheduled}}}
	if err := s.CreatePost(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := h.jobs.Insert(ctx, publish.PublishArgs{TargetID: p.Targets[0].ID, At: p.Targets[0].ScheduledAt, Seq: p.Targets[0].JobSeq}, &river.InsertOpts{MaxAttempts: 1}); err != nil {
		t.Fatal(err)
	}
	tg := h.waitState(t, p.Targets[0].ID, snsos.StateFailed)
	if !strings.Contains(tg.Error, "gave up after 1 tries") || !strings.Contains(tg.Error, "token endpoint unreachable") {
		t.Fatalf("error = %q", tg.Error)
	}
	if h.livePosts("never silent") != 0 {
		t.Fatal("posted without a token")
	}
}

// gate blocks POST /2/tweets until opened: a slow platform call.
type gate struct {
	mu      sync.Mutex
	closed  bool
	arrived chan struct{}
	open    chan struct{}
}

func newGate() *gate {
	return &gate{closed: true, arrived: make(chan struct{}, 16), open: make(chan struct{})}
}

func (g *gate) before(r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/2/tweets" {
		return
	}
	g.mu.Lock()
	closed := g.closed
	g.mu.Unlock()
	if !closed {
		return
	}
	g.arrived <- struct{}{}
	<-g.open
}

func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		g.closed = false
		close(g.open)
	}
}

func (g *gate) waitArrival(t *testing.T) {
	t.Helper()
	select {
	case <-g.arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("no call reached the platform")
	}
}

// waitJob waits until job id has finished (completed, discarded or
// cancelled) and returns it.
func (h *harness) waitJob(t *testing.T, id int64) *rivertype.JobRow {
	t.Helper()
	var j *rivertype.JobRow
	eventually(t, 30*time.Second, func() bool {
		var err error
		if j, err = h.jobs.JobGet(ctx, id); err != nil {
			t.Fatal(err)
		}
		switch j.State {
		case rivertype.JobStateCompleted, rivertype.JobStateDiscarded, rivertype.JobStateCancelled:
			return true
		}
		return false
	}, func() string { return fmt.Sprintf("job %d is still %s", id, j.State) })
	return j
}

// postDirect posts text on the harness account through the X client, as
// the operator would have by hand.
func postDirect(t *testing.T, h *harness, text string) string {
	t.Helper()
	cred, err := h.env.Store.FindCredential(ctx, h.account.ID)
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.client.Publish(ctx, platform.Auth{UserID: h.user.ID, Handle: h.user.Username, AccessToken: cred.AccessToken},
		&platform.PublishRequest{Parts: []platform.Part{{Text: text}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res.RemoteID
}

// countPosts returns a request hook that calls at(n) when the n-th POST
// /2/tweets arrives, before the simulator sees it (a fault injected there
// applies to that very request).
func countPosts(at func(n int)) func(r *http.Request) {
	var mu sync.Mutex
	n := 0
	return func(r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/2/tweets" {
			mu.Lock()
			n++
			k := n
			mu.Unlock()
			at(k)
		}
	}
}
