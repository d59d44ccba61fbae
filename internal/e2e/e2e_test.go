package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/secret"
	xsim "github.com/sns-os/snsos/internal/sim/x"
	"github.com/sns-os/snsos/internal/store/storetest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "snsos-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "sns-os")
	build := exec.Command("go", "build", "-o", binary, "github.com/sns-os/snsos/cmd/sns-os")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build sns-os: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const apiToken = "e2e-api-token-0123456789abcdef"

// simulator is the X simulator behind an httptest server, with a hook that
// sees each request before the simulator does.
type simulator struct {
	*xsim.Sim
	URL      string
	mu       sync.Mutex
	onArrive func(r *http.Request, n int) // n counts POST /2/tweets
	posts    int
	arrived  chan string // "POST /2/tweets", "GET /2/users/{id}/tweets"
}

func newSimulator(t testing.TB) *simulator {
	t.Helper()
	s := &simulator{Sim: xsim.New(xsim.Options{ClientID: "cid", ClientSecret: "csecret", AutoApprove: true, Unlimited: true}),
		arrived: make(chan string, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := ""
		switch {
		case r.Method == "POST" && r.URL.Path == "/2/tweets":
			kind = "POST /2/tweets"
		case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/2/users/") && strings.HasSuffix(r.URL.Path, "/tweets"):
			kind = "GET timeline"
		}
		if kind != "" {
			s.mu.Lock()
			if kind == "POST /2/tweets" {
				s.posts++
			}
			n, hook := s.posts, s.onArrive
			s.mu.Unlock()
			if hook != nil {
				hook(r, n)
			}
			select {
			case s.arrived <- kind:
			default:
			}
		}
		s.Sim.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { s.Sim.Close(); srv.Close() })
	s.URL = srv.URL
	s.Sim.SetBaseURL(srv.URL) // profile pictures from the simulator too: nothing leaves the host
	return s
}

// waitArrival waits for a request of kind to reach the simulator.
func (s *simulator) waitArrival(t *testing.T, kind string) {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case k := <-s.arrived:
			if k == kind {
				return
			}
		case <-timeout:
			t.Fatalf("no %s reached the simulator", kind)
		}
	}
}

// live counts live posts with this text.
func (s *simulator) live(text string) []xsim.Post {
	var out []xsim.Post
	for _, p := range s.Posts() {
		if !p.Deleted && p.Text == text {
			out = append(out, p)
		}
	}
	return out
}

// server is one sns-os process.
type server struct {
	cmd    *exec.Cmd
	base   string
	stderr *lockedBuf
	done   chan error
}

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuf) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

var readyRE = regexp.MustCompile(`msg=ready addr=(127\.0\.0\.1:\d+)`)

// start runs "sns-os serve" with env and waits until it is ready.
func start(t testing.TB, env map[string]string) *server {
	t.Helper()
	cmd := exec.Command(binary, "serve")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SNSOS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	s := &server{cmd: cmd, stderr: &lockedBuf{}, done: make(chan error, 1)}
	cmd.Stderr, cmd.Stdout = s.stderr, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() { s.kill() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := readyRE.FindStringSubmatch(s.stderr.String()); m != nil {
			s.base = "http://" + m[1]
			return s
		}
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("sns-os exited before ready: %v\n%s", err, s.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("sns-os not ready:\n%s", s.stderr.String())
		}
	}
}

// kill ends the process with SIGKILL: no shutdown code runs.
func (s *server) kill() {
	if s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	err := <-s.done
	s.done <- err
}

func (s *server) do(t *testing.T, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	if resp.StatusCode >= 300 && out != nil {
		t.Fatalf("%s %s = %d: %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode
}

// connect connects the simulator's demo account through the real OAuth flow
// and returns its account id.
func (s *server) connect(t *testing.T) int64 {
	t.Helper()
	var res struct {
		AuthorizeURL string `json:"authorize_url"`
	}
	s.do(t, "POST", "/api/v1/accounts/connect", map[string]string{"platform": "x"}, &res)
	jar, _ := cookiejar.New(nil)
	resp, err := (&http.Client{Jar: jar, Timeout: 30 * time.Second}).Get(res.AuthorizeURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("OAuth callback: %s", resp.Status)
	}
	var accts struct {
		Items []struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		} `json:"items"`
	}
	s.do(t, "GET", "/api/v1/accounts", nil, &accts)
	if len(accts.Items) != 1 || accts.Items[0].Status != "connected" {
		t.Fatalf("accounts after connect: %+v", accts)
	}
	return accts.Items[0].ID
}

type target struct {
	ID        int64  `json:"id"`
	State     string `json:"state"`
	RemoteID  string `json:"remote_id"`
	RemoteURL string `json:"remote_url"`
	Error     string `json:"error"`
}

type post struct {
	ID      int64    `json:"id"`
	Targets []target `json:"targets"`
}

// schedule creates an approved post for account at at.
func (s *server) schedule(t *testing.T, account int64, body string, parts []string, at time.Time) post {
	t.Helper()
	tg := map[string]any{"account_id": account}
	if parts != nil {
		tg["options"] = map[string]any{"parts": parts}
	}
	var p post
	s.do(t, "POST", "/api/v1/posts", map[string]any{"body": body, "targets": []any{tg}, "approve": true,
		"scheduled_at": at.Format(time.RFC3339Nano)}, &p)
	if len(p.Targets) != 1 || p.Targets[0].State != "scheduled" {
		t.Fatalf("created post %+v", p)
	}
	return p
}

// waitState polls the post until its target reaches want.
func (s *server) waitState(t *testing.T, postID int64, want string) target {
	t.Helper()
	var tg target
	stuck := func() string {
		return fmt.Sprintf("target is %s (%s), want %s\n%s", tg.State, tg.Error, want, s.stderr.String())
	}
	storetest.Eventually(t, 60*time.Second, 50*time.Millisecond, func() bool {
		var p post
		s.do(t, "GET", fmt.Sprintf("/api/v1/posts/%d", postID), nil, &p)
		tg = p.Targets[0]
		if tg.State != want && (tg.State == "failed" || tg.State == "canceled" || tg.State == "published") {
			t.Fatal(stuck())
		}
		return tg.State == want
	}, stuck)
	return tg
}

func baseEnv(t testing.TB, sim *simulator) map[string]string {
	return map[string]string{
		"SNSOS_DATA_DIR":        t.TempDir(),
		"SNSOS_ADDR":            "127.0.0.1:0",
		"SNSOS_API_TOKEN":       apiToken,
		"SNSOS_X_CLIENT_ID":     "cid",
		"SNSOS_X_CLIENT_SECRET": "csecret",
		"SNSOS_X_BASE_URL":      sim.URL,
		"SNSOS_RECONCILE_DELAY": "300ms",
		"SNSOS_LAND_MARGIN":     "1s",
		"SNSOS_LOG_LEVEL":       "info",
	}
}

// TestCrashSafety kills the server with SIGKILL at each dangerous point of
// a publication, restarts it on the same data, and requires the post to be
// on the platform exactly once with its target published under that id.
func TestCrashSafety(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// arm sets faults on the simulator and returns what to wait for
		// before killing.
		arm   func(s *simulator) string
		parts []string
	}{
		{
			name: "killed after the call was sent, before the platform stored the post",
			arm: func(s *simulator) string {
				s.InjectFault(xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultHang})
				return "POST /2/tweets"
			},
		},
		{
			name: "killed after the platform stored the post, before sns-os recorded it",
			arm: func(s *simulator) string {
				s.InjectFault(xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultHangAfterCommit})
				return "POST /2/tweets"
			},
		},
		{
			name: "killed during reconciliation",
			arm: func(s *simulator) string {
				s.InjectFault(xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultStatusAfterCommit, Status: 503})
				s.InjectFault(xsim.Fault{Match: "GET /2/users/{id}/tweets", Kind: xsim.FaultHang})
				return "GET timeline"
			},
		},
		{
			name:  "killed in the middle of a thread, after part 2 was stored",
			parts: []string{"crash thread one", "crash thread two", "crash thread three"},
			arm: func(s *simulator) string {
				s.mu.Lock()
				s.onArrive = func(r *http.Request, n int) {
					if n == 2 {
						s.InjectFault(xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultHangAfterCommit})
					}
				}
				s.mu.Unlock()
				return "POST /2/tweets#2"
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newSimulator(t)
			env := baseEnv(t, sim)
			a := start(t, env)
			account := a.connect(t)
			text := "crash test: " + tt.name
			wait := tt.arm(sim)
			p := a.schedule(t, account, text, tt.parts, time.Now())
			if wait == "POST /2/tweets#2" {
				sim.waitArrival(t, "POST /2/tweets")
				sim.waitArrival(t, "POST /2/tweets")
				storetest.Eventually(t, 10*time.Second, 10*time.Millisecond, func() bool { return len(sim.live(tt.parts[1])) > 0 },
					func() string { return "part 2 never went live on the platform" })
			} else {
				sim.waitArrival(t, wait)
			}
			a.kill()
			sim.ClearFaults()
			sim.mu.Lock()
			sim.onArrive = nil
			sim.mu.Unlock()

			b := start(t, env)
			tg := b.waitState(t, p.ID, "published")
			if tt.parts == nil {
				live := sim.live(text)
				if len(live) != 1 {
					t.Fatalf("%d posts with the text on the platform, want exactly 1", len(live))
				}
				if tg.RemoteID != live[0].ID || !strings.HasSuffix(tg.RemoteURL, live[0].ID) {
					t.Fatalf("target %+v, platform post %s", tg, live[0].ID)
				}
				return
			}
			var ids []string
			for i, part := range tt.parts {
				live := sim.live(part)
				if len(live) != 1 {
					t.Fatalf("part %d is on the platform %d times, want once", i+1, len(live))
				}
				if i > 0 && live[0].ReplyTo != ids[i-1] {
					t.Fatalf("part %d replies to %s, want %s", i+1, live[0].ReplyTo, ids[i-1])
				}
				ids = append(ids, live[0].ID)
			}
			if tg.RemoteID != ids[0] {
				t.Fatalf("target remote id %s, want the first part %s", tg.RemoteID, ids[0])
			}
		})
	}
}

// TestTwoWorkersOnePostgres: two sns-os processes share one PostgreSQL
// database; every scheduled post is published exactly once.
func TestTwoWorkersOnePostgres(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	sim := newSimulator(t)
	key, _ := secret.GenerateKey()
	envA, envB := baseEnv(t, sim), baseEnv(t, sim)
	for _, env := range []map[string]string{envA, envB} {
		env["SNSOS_DATABASE_URL"] = url
		env["SNSOS_MASTER_KEY"] = key.Encode()
	}
	a := start(t, envA)
	b := start(t, envB)
	account := a.connect(t)
	const n = 30
	at := time.Now().Add(3 * time.Second)
	var posts []post
	for i := range n {
		srv := a
		if i%2 == 1 {
			srv = b
		}
		posts = append(posts, srv.schedule(t, account, fmt.Sprintf("two workers %d", i), nil, at))
	}
	// Ambiguity on top: some calls end without a seen answer.
	sim.InjectFault(xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultStatusAfterCommit, Status: 502, Times: 3})
	for i, p := range posts {
		srv := a
		if i%3 == 0 {
			srv = b
		}
		tg := srv.waitState(t, p.ID, "published")
		live := sim.live(fmt.Sprintf("two workers %d", i))
		if len(live) != 1 || live[0].ID != tg.RemoteID {
			t.Fatalf("post %d: %d on the platform, target %+v", i, len(live), tg)
		}
	}
	if got := len(sim.Posts()); got != n {
		t.Fatalf("%d posts on the platform, want %d", got, n)
	}
	_ = context.Background
}

// TestRestartKeepsSchedule: a post scheduled before a crash is published
// after the restart, once, even though its time passed while sns-os was
// down (within the late grace).
func TestRestartKeepsSchedule(t *testing.T) {
	t.Parallel()
	sim := newSimulator(t)
	env := baseEnv(t, sim)
	a := start(t, env)
	account := a.connect(t)
	at := time.Now().Add(2 * time.Second)
	p := a.schedule(t, account, "survives a crash", nil, at)
	a.kill()
	// Let its time pass while sns-os is down.
	storetest.Eventually(t, 10*time.Second, 100*time.Millisecond, func() bool { return time.Now().After(at.Add(time.Second)) },
		func() string { return "the post's time never passed" })
	if n := len(sim.live("survives a crash")); n != 0 {
		t.Fatalf("published while down: %d", n)
	}
	b := start(t, env)
	tg := b.waitState(t, p.ID, "published")
	if live := sim.live("survives a crash"); len(live) != 1 || live[0].ID != tg.RemoteID {
		t.Fatalf("after restart: %d posts, target %+v", len(live), tg)
	}
}
