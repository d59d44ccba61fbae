package compliance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/jobs"
	"github.com/sns-os/snsos/internal/media"
	"github.com/sns-os/snsos/internal/publish"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

var ctx = context.Background()

// The app secrets of the tests' Meta apps.
var (
	igSecret   = []byte("instagram-app-secret-7d1c")
	metaSecret = []byte("meta-app-secret-19fa")
	thSecret   = []byte("threads-app-secret-a02e")
)

// clock is a test's injected clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// harness is the service on a real store, with the real delivery engine
// failing targets, a real media library on disk, River jobs, and its
// routes on a real loopback server.
type harness struct {
	env   *storetest.Env
	st    *store.Store
	clk   *clock
	svc   *Service
	jobs  *jobs.Client
	lib   *media.Library
	disk  media.Store
	srv   *httptest.Server
	ig    *snsos.Account // Instagram, with an app-scoped id beside its user id
	th    *snsos.Account // Threads
	x     *snsos.Account // X: never touched by Meta's callbacks
	start time.Time
}

type harnessOptions struct {
	window  time.Duration // purge window (0: the default)
	river   bool          // run the River workers
	secrets map[snsos.Platform][][]byte
}

func newHarness(t *testing.T, env *storetest.Env, o harnessOptions) *harness {
	t.Helper()
	// River schedules on the real clock: the test clock starts at the
	// real time, so a purge due "now" runs now.
	h := &harness{env: env, clk: &clock{t: time.Now().UTC().Truncate(time.Second)}}
	h.start = h.clk.Now()
	var err error
	h.st, err = store.Open(ctx, store.Options{URL: env.URL, DataDir: env.DataDir, Box: env.Box, Now: h.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.st.Close() })
	disk, err := media.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h.disk, h.lib = disk, media.NewLibrary(disk, h.st, media.Limits{})
	if err := jobs.Migrate(ctx, h.st.DB(), h.st.Pool(), nil); err != nil {
		t.Fatal(err)
	}
	if o.secrets == nil {
		o.secrets = map[snsos.Platform][][]byte{
			snsos.PlatformInstagram: {igSecret, metaSecret},
			snsos.PlatformThreads:   {thSecret, metaSecret},
		}
	}
	mux := http.NewServeMux()
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	h.svc = New(Config{Store: h.st, Media: h.lib, PublicURL: h.srv.URL, Secrets: o.secrets,
		MaxAge: time.Hour, Window: o.window, Now: h.clk.Now})
	h.svc.Routes(mux)
	workers := river.NewWorkers()
	periodic := h.svc.Register(workers)
	h.jobs, err = jobs.New(jobs.Config{DB: h.st.DB(), Pool: h.st.Pool(), Workers: workers, Periodic: periodic,
		PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	h.svc.cfg.Failer = publish.New(publish.Config{Store: h.st, Jobs: h.jobs, Now: h.clk.Now})
	h.svc.SetJobs(h.jobs)
	if o.river {
		if err := h.jobs.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			h.jobs.Stop(sctx)
		})
	}
	h.ig = h.account(t, snsos.PlatformInstagram, "17841400000000001", map[string]string{"app_scoped_id": "26000000000000042"})
	h.th = h.account(t, snsos.PlatformThreads, "25000000000000001", nil)
	h.x = h.account(t, snsos.PlatformX, "17841400000000001", nil) // the same digits on another platform
	return h
}

// account connects an account with tokens.
func (h *harness) account(t *testing.T, p snsos.Platform, remote string, opts map[string]string) *snsos.Account {
	t.Helper()
	a := &snsos.Account{Platform: p, RemoteID: remote, Handle: string(p) + "_op", Options: opts}
	if err := h.st.UpsertAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := h.st.PutCredential(ctx, &snsos.Credential{AccountID: a.ID, AccessToken: "access-" + snsos.Secret(p),
		RefreshToken: "refresh-" + snsos.Secret(p), ExpiresAt: h.clk.Now().Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return a
}

// post creates a post on accounts, scheduled in an hour (State scheduled)
// or a draft, with the given media.
func (h *harness) post(t *testing.T, body string, state snsos.TargetState, mediaIDs []int64, accts ...*snsos.Account) *snsos.Post {
	t.Helper()
	p := &snsos.Post{Body: body, MediaIDs: mediaIDs}
	if state == snsos.StateScheduled {
		p.ScheduledAt = h.clk.Now().Add(time.Hour)
	}
	for _, a := range accts {
		p.Targets = append(p.Targets, &snsos.Target{AccountID: a.ID, State: state})
	}
	if err := h.st.CreatePost(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	return p
}

// upload puts a small PNG of colour c in the media library.
func (h *harness) upload(t *testing.T, c uint8) *snsos.MediaRef {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = c
	}
	img.Set(0, 0, color.RGBA{R: c, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	m, err := h.lib.Upload(ctx, &buf, fmt.Sprintf("m%d.png", c))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// signed returns a signed_request for user uid issued at issued, signed
// with secret.
func signed(t testing.TB, secret []byte, uid string, issued time.Time) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"algorithm": "HMAC-SHA256", "issued_at": issued.Unix(), "user_id": uid})
	if err != nil {
		t.Fatal(err)
	}
	return Sign(b, secret)
}

type answer struct {
	status int
	body   string
	json   map[string]string
}

// callback posts body with content type ct to path.
func (h *harness) callback(t *testing.T, path, ct, body string) answer {
	t.Helper()
	resp, err := http.Post(h.srv.URL+path, ct, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, body: string(b)}
	json.Unmarshal(b, &a.json)
	return a
}

// form posts signed_request sr to path as Meta does.
func (h *harness) form(t *testing.T, path, sr string) answer {
	t.Helper()
	return h.callback(t, path, "application/x-www-form-urlencoded", url.Values{"signed_request": {sr}}.Encode())
}

// state is what a refused callback must leave as it was.
type state struct {
	Accounts    map[int64]snsos.AccountStatus
	Credentials int
	Requests    int
	Signed      int
	Audit       int
	Targets     map[int64]snsos.TargetState
	Jobs        int
}

func (h *harness) state(t *testing.T) state {
	t.Helper()
	s := state{Accounts: map[int64]snsos.AccountStatus{}, Targets: map[int64]snsos.TargetState{}}
	accts, err := h.st.ListAccounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range accts {
		s.Accounts[a.ID] = a.Status
		ts, err := h.st.ListTargetsOfAccount(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range ts {
			s.Targets[tg.ID] = tg.State
		}
	}
	for q, n := range map[string]*int{
		`SELECT COUNT(*) FROM credentials`:       &s.Credentials,
		`SELECT COUNT(*) FROM deletion_requests`: &s.Requests,
		`SELECT COUNT(*) FROM signed_requests`:   &s.Signed,
		`SELECT COUNT(*) FROM audit_events`:      &s.Audit,
		`SELECT COUNT(*) FROM river_job`:         &s.Jobs,
	} {
		if err := h.st.DB().QueryRowContext(ctx, q).Scan(n); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// purgeJobs returns the state and scheduled time of each purge job.
func (h *harness) purgeJobs(t *testing.T) (states []string, at []time.Time) {
	t.Helper()
	rows, err := h.st.DB().QueryContext(ctx, `SELECT state, scheduled_at FROM river_job WHERE kind = $1 ORDER BY id`, PurgeArgs{}.Kind())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var ts time.Time
		if err := rows.Scan(&st, &ts); err != nil {
			t.Fatal(err)
		}
		states, at = append(states, st), append(at, ts.UTC())
	}
	return states, at
}

// waitFor polls cond until it holds; the bound only limits a broken run.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}
