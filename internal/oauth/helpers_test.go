package oauth

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/x"
	xsim "github.com/sns-os/snsos/internal/sim/x"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

const (
	testClientID     = "snsos-test-client"
	testClientSecret = "sim-client-secret-4f2a9c1e7b"
)

// clock is the one injected clock of a test: the simulator, the X client,
// the stores and the service all read it.
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

// syncBuffer collects log output from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// testEnv is a service on a real store, talking to the X simulator over
// loopback HTTP through the real X client, with its routes on a real
// server.
type testEnv struct {
	env    *storetest.Env
	clk    *clock
	sim    *xsim.Sim
	simURL string
	logs   *syncBuffer
	logger *slog.Logger
	st     *store.Store
	svc    *Service
	app    *httptest.Server

	tokenCalls atomic.Int32
	// gate, when set, holds every token request until closed; arrived gets
	// a value when the first held request arrives.
	gate    atomic.Pointer[chan struct{}]
	arrived chan struct{}
}

// testStart is where every test's clock starts: the last half hour of a
// year, never today's date. The simulator, the X client, the store and the
// service all read the test clock; only River's schedule is real time.
var testStart = time.Date(2027, 12, 31, 23, 30, 0, 0, time.UTC)

func newTestEnv(t *testing.T, env *storetest.Env) *testEnv {
	t.Helper()
	e := &testEnv{env: env, clk: &clock{t: testStart}, logs: &syncBuffer{},
		arrived: make(chan struct{}, 1)}
	e.logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.sim = xsim.New(xsim.Options{ClientID: testClientID, ClientSecret: testClientSecret, RequireBasicAuth: true,
		Now: e.clk.Now, AutoApprove: true, Unlimited: true})
	simSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/2/oauth2/token" {
			e.tokenCalls.Add(1)
			if g := e.gate.Load(); g != nil {
				select {
				case e.arrived <- struct{}{}:
				default:
				}
				select {
				case <-*g:
				case <-time.After(10 * time.Second):
				}
			}
		}
		e.sim.ServeHTTP(w, r)
	}))
	t.Cleanup(simSrv.Close)
	t.Cleanup(e.sim.Close)
	e.simURL = simSrv.URL
	// Profile pictures come from the simulator too: nothing leaves the host.
	e.sim.SetBaseURL(simSrv.URL)

	mux := http.NewServeMux()
	e.app = httptest.NewServer(mux)
	t.Cleanup(e.app.Close)
	e.st = e.openStore(t)
	e.svc = e.newService(e.st)
	e.svc.Routes(mux, noSession)
	return e
}

// openStore opens a Store on the test database with the test clock, as
// another process would.
func (e *testEnv) openStore(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), store.Options{URL: e.env.URL, DataDir: e.env.DataDir, Box: e.env.Box, Now: e.clk.Now})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newService returns a service on st with its own X client (one per
// "process").
func (e *testEnv) newService(st *store.Store) *Service {
	xc := x.New(x.Config{
		ClientID: testClientID, ClientSecret: testClientSecret, BaseURL: e.simURL,
		RedirectURL: e.app.URL + "/oauth/x/callback",
		HTTP:        platform.NewHTTPClient(platform.HTTPOptions{Now: e.clk.Now, Timeout: 20 * time.Second, Logger: e.logger}),
		Now:         e.clk.Now,
	})
	return New(Config{
		Store:     st,
		Platforms: map[snsos.Platform]platform.Platform{snsos.PlatformX: xc},
		PublicURL: e.app.URL,
		Now:       e.clk.Now,
		Logger:    e.logger,
		// The simulator and the tests' image servers are on loopback.
		AvatarLoopback: true,
	})
}

// seedAccount creates a simulator user, grants it tokens and stores the
// connected account as a connect would.
func (e *testEnv) seedAccount(t *testing.T, username string) (*snsos.Account, xsim.User) {
	t.Helper()
	ctx := context.Background()
	u := e.sim.AddUser(username, "User "+username)
	access, refresh := e.sim.IssueTokens(u.ID, nil)
	a := &snsos.Account{Platform: snsos.PlatformX, RemoteID: u.ID, Handle: u.Username, DisplayName: u.Name}
	if err := e.st.UpsertAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	now := e.clk.Now()
	cred := &snsos.Credential{AccountID: a.ID, AccessToken: snsos.Secret(access), RefreshToken: snsos.Secret(refresh),
		TokenType: "bearer", Scopes: xsim.DefaultScopes, ExpiresAt: now.Add(xsim.DefaultAccessTokenTTL), IssuedAt: now}
	if err := e.st.PutCredential(ctx, cred); err != nil {
		t.Fatal(err)
	}
	return a, u
}

// browser is a client with a cookie jar that does not follow redirects,
// so each step of the flow can be checked.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type response struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, c *http.Client, u string) response {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// post sends an empty form to u, as a button of the accounts page does.
func post(t *testing.T, c *http.Client, u string) response {
	t.Helper()
	resp, err := c.PostForm(u, url.Values{})
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// startFlow posts /connect/x in c and follows the simulator's consent page
// (auto-approved) up to, not including, the callback, which it returns.
func (e *testEnv) startFlow(t *testing.T, c *http.Client) *url.URL {
	t.Helper()
	r := post(t, c, e.app.URL+"/connect/x")
	if r.status != http.StatusSeeOther {
		t.Fatalf("POST /connect/x: %d %s", r.status, r.body)
	}
	authURL := r.header.Get("Location")
	if !strings.HasPrefix(authURL, e.simURL+"/i/oauth2/authorize?") {
		t.Fatalf("authorize URL %q", authURL)
	}
	return e.followConsent(t, c, authURL)
}

// followConsent opens the consent page and returns the callback it
// redirects to.
func (e *testEnv) followConsent(t *testing.T, c *http.Client, authURL string) *url.URL {
	t.Helper()
	r := get(t, c, authURL)
	if r.status != http.StatusFound {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	cb, err := url.Parse(r.header.Get("Location"))
	if err != nil || !strings.HasPrefix(cb.String(), e.app.URL+"/oauth/x/callback?") {
		t.Fatalf("callback %q", r.header.Get("Location"))
	}
	return cb
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
