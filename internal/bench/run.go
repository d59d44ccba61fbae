package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sns-os/snsos"
	xsim "github.com/sns-os/snsos/internal/sim/x"
)

// RunOptions configures Run.
type RunOptions struct {
	DataDir     string // a data dir Seed has filled
	DatabaseURL string // "" for SQLite in DataDir
	Exe         string // the sns-os binary to start with "serve"
	Posts       int    // the data set's size, for the report
	Requests    int    // timed requests per route
	Budget      time.Duration
	LatePosts   int       // posts scheduled while the heaviest page is requested in a loop
	Out         io.Writer // the report
	Progress    io.Writer // a line per measured route; nil for none
}

// Prepare is what the server needs to publish to the in-process X
// simulator: its address and a user's tokens.
type Prepare struct {
	XBaseURL, XClientID, XUserID, XUsername string
	Access, Refresh                         snsos.Secret
}

// Prepared is what the caller set up in the data dir before the server
// starts: the operator password, an API token, and the X account (on the
// simulator) the lateness posts go to.
type Prepared struct {
	Password      string
	APIToken      string
	LateAccountID int64
}

const benchXClient = "snsos-bench-x"

// Run measures a server on the data set: it starts the X simulator in
// this process, lets prep write the password, a token and the simulator's
// account into the data dir, starts `sns-os serve` as a child process, and
// prints what it measured to o.Out.
func Run(ctx context.Context, o RunOptions, prep func(context.Context, Prepare) (Prepared, error)) error {
	xs := xsim.New(xsim.Options{ClientID: benchXClient, ClientSecret: benchXClient + "-secret", Unlimited: true,
		AllowDuplicates: true, AccessTokenTTL: 24 * time.Hour})
	defer xs.Close()
	xln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	xsrv := &http.Server{Handler: xs, ReadHeaderTimeout: 10 * time.Second}
	go xsrv.Serve(xln)
	defer xsrv.Close()
	xbase := "http://" + xln.Addr().String()
	u := xs.AddUser("bench_late", "Bench lateness")
	access, refresh := xs.IssueTokens(u.ID, nil)
	pp, err := prep(ctx, Prepare{XBaseURL: xbase, XClientID: benchXClient, XUserID: u.ID, XUsername: u.Username,
		Access: snsos.Secret(access), Refresh: snsos.Secret(refresh)})
	if err != nil {
		return err
	}
	sv, err := startServer(ctx, o, xbase)
	if err != nil {
		return err
	}
	defer sv.stop()
	rep := &report{posts: o.Posts, startup: sv.ready, idleRSS: sv.status("VmRSS")}
	c, err := sv.signIn(ctx, pp)
	if err != nil {
		return err
	}
	if err := c.measureRoutes(ctx, o, rep); err != nil {
		return err
	}
	// A server that cannot take a post any more still gets its figures
	// printed, with why the lateness is missing.
	lateErr := c.measureLateness(ctx, o, pp, rep)
	rep.peakRSS = sv.status("VmHWM")
	rep.print(o.Out)
	return lateErr
}

// server is the `sns-os serve` child process.
type server struct {
	cmd   *exec.Cmd
	base  string
	ready time.Duration
	exit  chan error
	once  sync.Once
	log   string
}

// startServer starts `sns-os serve` on the data dir, X pointing at the
// simulator and the other platforms at a closed loopback port (nothing
// of the data set may reach a real platform), and waits for /readyz.
func startServer(ctx context.Context, o RunOptions, xbase string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SNSOS_") {
			env = append(env, kv)
		}
	}
	env = append(env, "SNSOS_DATA_DIR="+o.DataDir, "SNSOS_ADDR="+addr, "SNSOS_LOG_LEVEL=warn",
		"SNSOS_X_CLIENT_ID="+benchXClient, "SNSOS_X_CLIENT_SECRET="+benchXClient+"-secret", "SNSOS_X_BASE_URL="+xbase)
	if o.DatabaseURL != "" {
		env = append(env, "SNSOS_DATABASE_URL="+o.DatabaseURL)
	}
	for _, p := range []string{"INSTAGRAM", "THREADS", "TIKTOK"} {
		env = append(env, "SNSOS_"+p+"_BASE_URL=http://127.0.0.1:9")
	}
	sv := &server{base: "http://" + addr, exit: make(chan error, 1), log: filepath.Join(o.DataDir, "bench-server.log")}
	logf, err := os.OpenFile(sv.log, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	sv.cmd = exec.Command(o.Exe, "serve")
	sv.cmd.Env, sv.cmd.Stdout, sv.cmd.Stderr = env, logf, logf
	start := time.Now()
	if err := sv.cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench run: start the server: %w", err)
	}
	go func() { sv.exit <- sv.cmd.Wait() }()
	for {
		if resp, err := http.Get(sv.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				sv.ready = time.Since(start)
				return sv, nil
			}
		}
		select {
		case err := <-sv.exit:
			sv.once.Do(func() {})
			return nil, fmt.Errorf("bench run: the server stopped before it was ready (%v); its log is %s", err, sv.log)
		case <-ctx.Done():
			sv.stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Since(start) > 2*time.Minute {
			sv.stop()
			return nil, fmt.Errorf("bench run: the server was not ready after 2 minutes; its log is %s", sv.log)
		}
	}
}

// stop ends the server as an operator would (SIGTERM), killing it if it
// has not stopped within 30 s.
func (sv *server) stop() {
	sv.once.Do(func() {
		sv.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-sv.exit:
		case <-time.After(30 * time.Second):
			sv.cmd.Process.Kill()
			<-sv.exit
		}
	})
}

// status reads one memory figure of the server from /proc (kB → bytes).
func (sv *server) status(field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", sv.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(rest), "%d", &kb)
			return kb * 1024
		}
	}
	return 0
}

// client makes the measured requests: pages with the operator's session,
// the API with the token.
type client struct {
	base  string
	http  *http.Client
	token string
}

func (sv *server) signIn(ctx context.Context, pp Prepared) (*client, error) {
	jar, _ := cookiejar.New(nil)
	// The server gives a response two minutes to be written: a request
	// still unanswered a minute after that will not be.
	c := &client{base: sv.base, token: pp.APIToken, http: &http.Client{Jar: jar, Timeout: 3 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, sv.base+"/signin", strings.NewReader(url.Values{"password": {pp.Password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("bench run: sign in: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("bench run: sign in answered %s", resp.Status)
	}
	return c, nil
}

// get requests path and reads the whole answer, returning how long that
// took and its size.
func (c *client) get(ctx context.Context, path string) (time.Duration, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return 0, 0, err
	}
	if strings.HasPrefix(path, "/api/") {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, 0, err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if err != nil {
		return 0, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("GET %s answered %s", path, resp.Status)
	}
	return d, n, nil
}
