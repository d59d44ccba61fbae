package soak

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"maps"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", to create the soak's database
)

const apiToken = "soak-api-token-0123456789abcdef"

// A proc is one incarnation of an sns-os process in a slot.
type proc struct {
	slot, gen int
	tag       string
	cmd       *exec.Cmd
	base      string
	logPath   string
	done      chan struct{}
}

// A kill is one SIGKILL the soak sent.
type kill struct {
	at   time.Time // just before the signal
	dead time.Time // when the process was seen gone
	slot int
	tag  string
	why  string
}

// cluster runs the sns-os processes of a soak: one slot on SQLite, two on
// PostgreSQL, each restarted on its own data dir after a kill.
type cluster struct {
	t    *testing.T
	db   string
	bin  string
	plat *fronts
	dir  string
	envs []map[string]string
	http *http.Client

	mu    sync.Mutex
	rng   *rand.Rand
	procs []*proc // current incarnation per slot; nil while down
	gens  []int
	all   []*proc
	kills []kill
}

func newCluster(t *testing.T, db, bin, dir string, plat *fronts, envs []map[string]string, seed uint64) *cluster {
	c := &cluster{t: t, db: db, bin: bin, plat: plat, dir: dir, envs: envs,
		http:  &http.Client{Timeout: 20 * time.Second},
		rng:   rand.New(rand.NewPCG(seed, 0xc1)),
		procs: make([]*proc, len(envs)), gens: make([]int, len(envs))}
	t.Cleanup(func() {
		c.mu.Lock()
		procs := running(c.procs)
		c.mu.Unlock()
		for _, p := range procs {
			_ = p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.done
		}
	})
	return c
}

func running(ps []*proc) []*proc {
	var out []*proc
	for _, p := range ps {
		if p != nil {
			out = append(out, p)
		}
	}
	return out
}

var readyRE = regexp.MustCompile(`msg=ready addr=(127\.0\.0\.1:\d+)`)

// readyWriter writes a process's log to a file and reports the address
// of the "ready" line.
type readyWriter struct {
	f     *os.File
	mu    sync.Mutex
	buf   []byte
	found chan string
	seen  bool
}

func (w *readyWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.seen {
		w.buf = append(w.buf, b...)
		if m := readyRE.FindSubmatch(w.buf); m != nil {
			w.seen = true
			w.found <- string(m[1])
			w.buf = nil
		} else if len(w.buf) > 1<<20 {
			w.buf = w.buf[len(w.buf)-4096:]
		}
	}
	return w.f.Write(b)
}

// start starts a new incarnation in slot and waits until it is ready.
func (c *cluster) start(slot int) (*proc, error) {
	c.mu.Lock()
	gen := c.gens[slot]
	c.gens[slot]++
	c.mu.Unlock()
	tag := fmt.Sprintf("s%dg%d", slot, gen)
	env := maps.Clone(c.envs[slot])
	// Each incarnation reaches every platform under its own prefix, so
	// the simulators' fronts know who made every call.
	maps.Copy(env, c.plat.baseURLs(tag))
	logPath := filepath.Join(c.dir, "sns-os-"+tag+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	w := &readyWriter{f: f, found: make(chan string, 1)}
	cmd := exec.Command(c.bin, "serve")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SNSOS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stderr, cmd.Stdout = w, io.Discard
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, err
	}
	p := &proc{slot: slot, gen: gen, tag: tag, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); f.Close(); close(p.done) }()
	select {
	case addr := <-w.found:
		p.base = "http://" + addr
	case <-p.done:
		return nil, fmt.Errorf("sns-os %s exited before it was ready (%v); log: %s\n%s", tag, cmd.ProcessState, logPath, tail(logPath, 30))
	case <-time.After(45 * time.Second):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
		return nil, fmt.Errorf("sns-os %s not ready after 45s; log: %s\n%s", tag, logPath, tail(logPath, 30))
	}
	c.mu.Lock()
	c.procs[slot] = p
	c.all = append(c.all, p)
	c.mu.Unlock()
	return p, nil
}

// kill SIGKILLs the process in slot (no shutdown code runs) and waits for
// it to be gone.
func (c *cluster) kill(slot int, why string) (kill, error) {
	c.mu.Lock()
	p := c.procs[slot]
	c.procs[slot] = nil
	c.mu.Unlock()
	if p == nil {
		return kill{}, fmt.Errorf("slot %d is not running", slot)
	}
	k := kill{at: time.Now(), slot: slot, tag: p.tag, why: why}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return k, err
	}
	if cut := c.plat.killed(p.tag); len(cut) > 0 {
		k.why += "; calls cut: " + strings.Join(cut, ", ")
	} else {
		k.why += "; no call in flight"
	}
	select {
	case <-p.done:
		k.dead = time.Now()
	case <-time.After(10 * time.Second):
		return k, fmt.Errorf("sns-os %s still running 10s after SIGKILL", p.tag)
	}
	c.mu.Lock()
	c.kills = append(c.kills, k)
	c.mu.Unlock()
	return k, nil
}

// slotOf returns the slot whose current incarnation is tag, or -1.
func (c *cluster) slotOf(tag string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, p := range c.procs {
		if p != nil && p.tag == tag {
			return i
		}
	}
	return -1
}

// tagOf returns the tag of slot's current incarnation, "" while it is down.
func (c *cluster) tagOf(slot int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.procs[slot]; p != nil {
		return p.tag
	}
	return ""
}

func (c *cluster) killList() []kill {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]kill(nil), c.kills...)
}

// errNoProcess: every slot is down (between a kill and its restart).
var errNoProcess = errors.New("no sns-os process is running")

// do sends one API request to a running process chosen at random.
func (c *cluster) do(method, path string, body any) (int, []byte, error) {
	c.mu.Lock()
	live := running(c.procs)
	var p *proc
	if len(live) > 0 {
		p = live[c.rng.IntN(len(live))]
	}
	c.mu.Unlock()
	if p == nil {
		return 0, nil, errNoProcess
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+apiToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s via %s: %w", method, path, p.tag, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s via %s: %w", method, path, p.tag, err)
	}
	return resp.StatusCode, b, nil
}

// call sends an API request until it gets an answer below 500 or deadline
// passes: a process killed mid-request, or not restarted yet, is retried
// like a client would. body is called before each try (a time "now" is
// recomputed). out, when set, receives a 2xx answer.
func (c *cluster) call(deadline time.Time, method, path string, body func() any, out any) (int, []byte, error) {
	for {
		var b any
		if body != nil {
			b = body()
		}
		status, raw, err := c.do(method, path, b)
		if err == nil && status < 500 {
			if out != nil && status < 300 {
				if err := json.Unmarshal(raw, out); err != nil {
					return status, raw, fmt.Errorf("%s %s: %v: %s", method, path, err, raw)
				}
			}
			return status, raw, nil
		}
		if err == nil {
			err = fmt.Errorf("%s %s = %d: %s", method, path, status, raw)
		}
		if time.Now().After(deadline) {
			return status, raw, err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// The API's shapes, as far as the soak reads them.
type apiAttempt struct {
	Number     int       `json:"number"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Outcome    string    `json:"outcome"`
	Detail     string    `json:"detail"`
	Error      string    `json:"error"`
}

type apiTarget struct {
	ID           int64             `json:"id"`
	PostID       int64             `json:"post_id"`
	AccountID    int64             `json:"account_id"`
	Platform     string            `json:"platform"`
	State        string            `json:"state"`
	RemoteID     string            `json:"remote_id"`
	Error        string            `json:"error"`
	ScheduledAt  time.Time         `json:"scheduled_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
	AttemptCount int               `json:"attempt_count"`
	Progress     map[string]string `json:"progress"`
	Attempts     []apiAttempt      `json:"attempts"`
	Partial      bool              `json:"partial"`
	Parts        []apiPart         `json:"parts"`
}

// apiPart is one part of a thread or reply chain as the API lists it.
type apiPart struct {
	N        int    `json:"n"`
	RemoteID string `json:"remote_id"`
	State    string `json:"state"`
}

type apiPost struct {
	ID          int64       `json:"id"`
	ScheduledAt time.Time   `json:"scheduled_at"`
	Targets     []apiTarget `json:"targets"`
}

type apiAccount struct {
	ID           int64  `json:"id"`
	Platform     string `json:"platform"`
	Handle       string `json:"handle"`
	RemoteID     string `json:"remote_id"`
	Status       string `json:"status"`
	StatusReason string `json:"status_reason"`
}

// listPosts reads every post through GET /api/v1/posts, page by page.
func (c *cluster) listPosts(deadline time.Time) ([]apiPost, error) {
	var all []apiPost
	before := int64(0)
	for range 1000 {
		path := "/api/v1/posts?limit=500"
		if before > 0 {
			path += fmt.Sprintf("&before=%d", before)
		}
		var page struct {
			Items      []apiPost `json:"items"`
			NextBefore int64     `json:"next_before"`
		}
		status, raw, err := c.call(deadline, "GET", path, nil, &page)
		if err != nil {
			return nil, err
		}
		if status != http.StatusOK {
			return nil, fmt.Errorf("GET %s = %d: %s", path, status, raw)
		}
		all = append(all, page.Items...)
		if page.NextBefore == 0 || len(page.Items) == 0 {
			return all, nil
		}
		before = page.NextBefore
	}
	return nil, errors.New("GET /api/v1/posts: too many pages")
}

func (c *cluster) accounts(deadline time.Time) ([]apiAccount, error) {
	var out struct {
		Items []apiAccount `json:"items"`
	}
	status, raw, err := c.call(deadline, "GET", "/api/v1/accounts", nil, &out)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("GET /api/v1/accounts = %d: %s", status, raw)
	}
	return out.Items, err
}

var (
	formActionRE = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	hiddenRE     = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	// checkedRE finds the ticked boxes of a consent form (TikTok's
	// scopes), which a browser sends too.
	checkedRE = regexp.MustCompile(`<input type="checkbox" name="([^"]+)" value="([^"]*)" checked>`)
)

// connect connects the account username of platform through the real
// OAuth flow: the API gives the authorize URL, the simulator's consent
// form is filled in and sent back as a browser would, and the redirect
// reaches sns-os's callback.
func (c *cluster) connect(platform, username string) error {
	deadline := time.Now().Add(30 * time.Second)
	if platform == "x" {
		c.plat.x.setConnecting(username)
	}
	var res struct {
		AuthorizeURL string `json:"authorize_url"`
	}
	status, raw, err := c.call(deadline, "POST", "/api/v1/accounts/connect", func() any { return map[string]string{"platform": platform} }, &res)
	if err != nil {
		return err
	}
	if status >= 300 || res.AuthorizeURL == "" {
		return fmt.Errorf("POST /api/v1/accounts/connect = %d: %s", status, raw)
	}
	jar, _ := cookiejar.New(nil)
	// Follow redirects up to sns-os's callback, not beyond: it sends a
	// browser on to pages behind the operator's session.
	browser := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(via[len(via)-1].URL.Path, "/oauth/"+platform+"/") { // not Meta's own /oauth/authorize
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := browser.Get(res.AuthorizeURL)
	if err != nil {
		return err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := formActionRE.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		return fmt.Errorf("consent page: %s\n%s", resp.Status, page)
	}
	action, err := resp.Request.URL.Parse(html.UnescapeString(string(m[1])))
	if err != nil {
		return err
	}
	form := url.Values{}
	for _, h := range append(hiddenRE.FindAllSubmatch(page, -1), checkedRE.FindAllSubmatch(page, -1)...) {
		form.Add(string(h[1]), html.UnescapeString(string(h[2])))
	}
	form.Set("approve", "1")
	form.Set("username", username)
	resp, err = browser.PostForm(action.String(), form)
	if err != nil {
		return err
	}
	done, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 400 || !strings.HasPrefix(resp.Request.URL.Path, "/oauth/"+platform+"/callback") {
		return fmt.Errorf("after consent: %s at %s\n%s", resp.Status, resp.Request.URL.Path, done)
	}
	return nil
}

// upload stores data through POST /api/v1/media (multipart field file) on
// a running process and returns the media id. No process is killed
// meanwhile: a failure is a failure of the run.
func (c *cluster) upload(data []byte, filename string) (int64, error) {
	c.mu.Lock()
	live := running(c.procs)
	c.mu.Unlock()
	if len(live) == 0 {
		return 0, errNoProcess
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		return 0, err
	}
	fw.Write(data)
	mw.Close()
	req, err := http.NewRequest("POST", live[0].base+"/api/v1/media", &body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+apiToken)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m struct {
		ID int64 `json:"id"`
	}
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &m) != nil || m.ID == 0 {
		return 0, fmt.Errorf("POST /api/v1/media %s: %s %s", filename, resp.Status, raw)
	}
	return m.ID, nil
}

// postgresDB creates a fresh database on the server of
// SNSOS_TEST_POSTGRES_URL and returns its URL; it is dropped when the test
// ends. Without the variable the test is skipped (and fails under CI).
func postgresDB(t *testing.T) string {
	base := os.Getenv("SNSOS_TEST_POSTGRES_URL")
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("SNSOS_TEST_POSTGRES_URL is not set: CI must run the soak on PostgreSQL too (make test and make soak set it up)")
		}
		t.Skip("SNSOS_TEST_POSTGRES_URL is not set: skipping the PostgreSQL soak (make test and make soak start a throwaway PostgreSQL)")
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("SNSOS_TEST_POSTGRES_URL is not a URL: %v", err)
	}
	name := fmt.Sprintf("snsos_soak_%d", time.Now().UnixNano()%1e12)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("postgres: create database: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("postgres: drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
