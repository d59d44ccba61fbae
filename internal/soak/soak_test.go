package soak

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	xsim "github.com/sns-os/snsos/internal/sim/x"
)

var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "snsos-soak-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = os.Getenv("SNSOS_SOAK_BINARY")
	if binary == "" && !testing.Short() {
		binary = filepath.Join(dir, "sns-os")
		build := exec.Command("go", "build", "-o", binary, "github.com/sns-os/snsos/cmd/sns-os")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build sns-os: %v\n%s", err, out)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// A variant is the size of a soak run.
type variant struct {
	name       string
	accounts   int           // X accounts connected
	minTargets int           // targets created (at least)
	lead       time.Duration // first scheduled time after the posts are created
	window     time.Duration // scheduled times spread over [lead, lead+window]
	tail       time.Duration // faults and kills go on this long after the window
	kills      int
	actions    int  // reschedules
	cancels    int  // cancellations
	revoke     bool // revoke one account halfway
	drain      time.Duration
}

var (
	short = variant{name: "short", accounts: 8, minTargets: 48, lead: 3 * time.Second, window: 30 * time.Second,
		tail: 8 * time.Second, kills: 3, actions: 8, cancels: 2, drain: 240 * time.Second}
	full = variant{name: "full", accounts: 10, minTargets: 320, lead: 5 * time.Second, window: 150 * time.Second,
		tail: 15 * time.Second, kills: 12, actions: 50, cancels: 6, revoke: true, drain: 240 * time.Second}
)

func chosen(t *testing.T) variant {
	if testing.Short() {
		t.Skip("the soak runs the real binary for minutes; skipped with -short")
	}
	switch os.Getenv("SNSOS_SOAK") {
	case "full":
		return full
	case "", "short":
		return short
	default:
		t.Fatalf("SNSOS_SOAK=%q: use full (or short, the default)", os.Getenv("SNSOS_SOAK"))
	}
	return variant{}
}

// TestSoakSQLite: one sns-os process on SQLite, killed and restarted.
func TestSoakSQLite(t *testing.T) {
	runSoak(t, "sqlite", chosen(t))
}

// TestSoakPostgres: two sns-os processes on one PostgreSQL database; one
// of them is killed and restarted each time.
func TestSoakPostgres(t *testing.T) {
	v := chosen(t)
	runSoak(t, "postgres", v)
}

// plan types: what the soak creates, before it exists.
type planPost struct {
	idx     int
	body    string
	offset  time.Duration // scheduled time after the creation phase starts
	targets []*planTarget
	id      int64
}

type planTarget struct {
	key     string
	post    *planPost
	account int
	parts   []string // texts as they must appear on the platform
	body    string   // the target's own body, "" for the post's
	thread  bool     // sent as options.parts
	id      int64
}

var words = []string{"morning", "launch", "tea & cake", "新商品", "update", "river", "sakura", "night", "report", "<draft>", "week", "東京"}

func makePlan(rng *mrand.Rand, run string, v variant) []*planPost {
	var posts []*planPost
	n := 0
	phrase := func() string {
		k := 1 + rng.IntN(3)
		var w []string
		for range k {
			w = append(w, words[rng.IntN(len(words))])
		}
		return strings.Join(w, " ")
	}
	for n < v.minTargets {
		p := &planPost{idx: len(posts), offset: v.lead + time.Duration(rng.Int64N(int64(v.window)))}
		p.body = fmt.Sprintf("soak %s p%03d %s", run, p.idx, phrase())
		k := 1
		switch r := rng.Float64(); {
		case r < 0.25:
			k = 2
		case r < 0.40:
			k = 3
		}
		for ti, a := range rng.Perm(v.accounts)[:k] {
			tg := &planTarget{key: fmt.Sprintf("p%03dt%d", p.idx, ti), post: p, account: a}
			switch r := rng.Float64(); {
			case r < 0.30: // a thread of 2 to 4 parts
				m := 2 + rng.IntN(3)
				tg.thread = true
				for i := range m {
					tg.parts = append(tg.parts, fmt.Sprintf("soak %s p%03d t%d part %d/%d %s", run, p.idx, ti, i+1, m, phrase()))
				}
			case r < 0.45 && k > 1: // its own text
				tg.body = fmt.Sprintf("soak %s p%03d t%d own %s", run, p.idx, ti, phrase())
				tg.parts = []string{tg.body}
			default: // the post's text, shared with the post's other accounts
				tg.parts = []string{p.body}
			}
			p.targets = append(p.targets, tg)
			n++
		}
		posts = append(posts, p)
	}
	return posts
}

// soak is one run.
type soak struct {
	t     *testing.T
	db    string
	v     variant
	start time.Time
	plat  *platform
	c     *cluster
	dir   string

	accounts []apiAccount // by plan index
	users    []xsim.User  // by plan index
	posts    []*planPost
	byID     map[int64]*planTarget

	mu       sync.Mutex
	errs     []string
	view     map[int64]apiPost // the latest poll
	viewAt   time.Time
	history  map[int64][]seen
	acts     []*act
	revoked  map[string]string // user id → why
	stopPoll chan struct{}
	pollDone chan struct{}
}

// seen is a state a poll found a target in.
type seen struct {
	at       time.Time
	state    string
	attempts int
}

// act is one reschedule or cancellation the soak sent.
type act struct {
	at     time.Time
	post   int64
	kind   string
	to     time.Time
	status int
	err    string
	body   string
}

func (s *soak) since(t time.Time) string {
	if t.IsZero() {
		return "(none)"
	}
	return "+" + t.Sub(s.start).Round(10*time.Millisecond).String()
}

func (s *soak) fail(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = append(s.errs, fmt.Sprintf(format, args...))
}

func runSoak(t *testing.T, db string, v variant) {
	seed := uint64(time.Now().UnixNano())
	if env := os.Getenv("SNSOS_SOAK_SEED"); env != "" {
		var err error
		if seed, err = strconv.ParseUint(env, 10, 64); err != nil {
			t.Fatalf("SNSOS_SOAK_SEED=%q is not a number", env)
		}
	}
	t.Logf("soak %s on %s: seed %d (SNSOS_SOAK_SEED=%d repeats the plan)", v.name, db, seed, seed)
	var pgURL string
	if db == "postgres" {
		pgURL = postgresDB(t)
	}
	dir, err := os.MkdirTemp("", "snsos-soak-"+db+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("SNSOS_SOAK_KEEP") != "" {
			t.Logf("server logs and data kept in %s", dir)
			return
		}
		os.RemoveAll(dir)
	})
	s := &soak{t: t, db: db, v: v, start: time.Now(), dir: dir, byID: map[int64]*planTarget{},
		history: map[int64][]seen{}, revoked: map[string]string{}}
	s.plat = newPlatform(t, seed, s.start)
	rng := mrand.New(mrand.NewPCG(seed, 1))

	slots := 1
	var key string
	if db == "postgres" {
		slots = 2
		k := make([]byte, 32)
		_, _ = rand.Read(k)
		key = hex.EncodeToString(k)
	}
	var envs []map[string]string
	for slot := range slots {
		env := map[string]string{
			"SNSOS_DATA_DIR":        filepath.Join(dir, fmt.Sprintf("data-%d", slot)),
			"SNSOS_ADDR":            "127.0.0.1:0",
			"SNSOS_API_TOKEN":       apiToken,
			"SNSOS_LOG_LEVEL":       "info",
			"SNSOS_X_CLIENT_ID":     clientID,
			"SNSOS_X_CLIENT_SECRET": clientSecret,
			// Short timings, so that a soak of minutes sees every path.
			"SNSOS_JOB_TIMEOUT":      "4s",
			"SNSOS_RECONCILE_DELAY":  "300ms",
			"SNSOS_RETRY_BACKOFF":    "200ms",
			"SNSOS_LAND_MARGIN":      "1s",
			"SNSOS_SHUTDOWN_TIMEOUT": "5s",
		}
		if db == "postgres" {
			env["SNSOS_DATABASE_URL"] = pgURL
			env["SNSOS_MASTER_KEY"] = key
		}
		envs = append(envs, env)
	}
	s.c = newCluster(t, db, binary, dir, s.plat, envs, seed)
	for slot := range slots {
		if _, err := s.c.start(slot); err != nil {
			t.Fatal(err)
		}
	}
	s.connectAccounts()
	s.posts = makePlan(rng, strconv.FormatUint(seed%1e6, 36), v)
	for _, p := range s.posts {
		for _, tg := range p.targets {
			for _, text := range tg.parts {
				s.plat.expectText(s.users[tg.account].Username, text, tg.key)
			}
		}
	}

	// Chaos: faults from the first post on, kills, reschedules.
	s.plat.setInjecting(true)
	created := time.Now()
	s.createPosts(created)
	chaosEnd := created.Add(v.lead + v.window + v.tail)
	t.Logf("%s created %d posts with %d targets; chaos until %s", s.since(time.Now()), len(s.posts), len(s.byID), s.since(chaosEnd))
	s.stopPoll, s.pollDone = make(chan struct{}), make(chan struct{})
	var stopOnce sync.Once
	stopPolling := func() { stopOnce.Do(func() { close(s.stopPoll); <-s.pollDone }) }
	t.Cleanup(stopPolling)
	go s.poll()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.killer(mrand.New(mrand.NewPCG(seed, 2)), created, chaosEnd) }()
	go func() { defer wg.Done(); s.actor(mrand.New(mrand.NewPCG(seed, 3)), created, chaosEnd) }()
	wg.Wait()
	if d := time.Until(chaosEnd); d > 0 {
		time.Sleep(d) // the chaos phase lasts its planned time; nothing is asserted here
	}
	if errs := s.errors(); len(errs) > 0 {
		t.Fatalf("the soak could not go on:\n%s", strings.Join(errs, "\n"))
	}

	// Drain: no more faults; wait for every target to settle.
	s.plat.setInjecting(false)
	drainStart := time.Now()
	deadline := drainStart.Add(v.drain)
	lastReport := drainStart
	for time.Now().Before(deadline) {
		if s.settled(drainStart) {
			break
		}
		if time.Since(lastReport) > 20*time.Second {
			lastReport = time.Now()
			t.Logf("%s draining: %s", s.since(lastReport), s.pendingStates())
		}
		time.Sleep(500 * time.Millisecond)
	}
	// Let any call still running land before the platform is read.
	quiet := time.Now().Add(30 * time.Second)
	for time.Now().Before(quiet) {
		if n, last := s.plat.tweetsInFlight(); n == 0 && time.Since(last) > 3*time.Second {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	stopPolling()
	t.Logf("%s drained in %s", s.since(time.Now()), time.Since(drainStart).Round(time.Second))

	s.verify()
}

func (s *soak) errors() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.errs)
}

// connectAccounts connects soak_0 … soak_{n-1} through the OAuth flow and
// checks that the API lists them connected.
func (s *soak) connectAccounts() {
	t := s.t
	for i := range s.v.accounts {
		if err := s.c.connect(fmt.Sprintf("soak_%d", i)); err != nil {
			t.Fatalf("connect soak_%d: %v", i, err)
		}
	}
	accts, err := s.c.accounts(time.Now().Add(20 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	byHandle := map[string]apiAccount{}
	for _, a := range accts {
		byHandle[a.Handle] = a
	}
	users := map[string]xsim.User{}
	for _, u := range s.plat.Users() {
		users[u.Username] = u
	}
	for i := range s.v.accounts {
		h := fmt.Sprintf("soak_%d", i)
		a, ok := byHandle[h]
		if !ok || a.Status != "connected" || a.Platform != "x" || a.RemoteID != users[h].ID {
			t.Fatalf("account @%s after connecting: %+v (simulator user %+v); all: %+v", h, a, users[h], accts)
		}
		s.accounts = append(s.accounts, a)
		s.users = append(s.users, users[h])
	}
	if len(accts) != s.v.accounts {
		t.Fatalf("%d accounts listed, want %d: %+v", len(accts), s.v.accounts, accts)
	}
}

// createPosts creates every planned post, approved and scheduled. No
// process is killed meanwhile, so a create that fails is a failure of the
// run (repeating it could create the post twice).
func (s *soak) createPosts(created time.Time) {
	t := s.t
	for _, p := range s.posts {
		at := created.Add(p.offset)
		if min := time.Now().Add(300 * time.Millisecond); at.Before(min) {
			at = min
		}
		var targets []any
		for _, tg := range p.targets {
			in := map[string]any{"account_id": s.accounts[tg.account].ID}
			if tg.body != "" {
				in["body"] = tg.body
			}
			if tg.thread {
				in["options"] = map[string]any{"parts": tg.parts}
			}
			targets = append(targets, in)
		}
		req := map[string]any{"body": p.body, "targets": targets, "approve": true, "scheduled_at": at.Format(time.RFC3339Nano)}
		var res apiPost
		status, raw, err := s.c.do("POST", "/api/v1/posts", req)
		if err != nil || status != http.StatusCreated {
			t.Fatalf("create post %d: %d %v\n%s", p.idx, status, err, raw)
		}
		if err := json.Unmarshal(raw, &res); err != nil {
			t.Fatalf("create post %d: %v", p.idx, err)
		}
		if len(res.Targets) != len(p.targets) {
			t.Fatalf("post %d created with %d targets, want %d: %s", p.idx, len(res.Targets), len(p.targets), raw)
		}
		p.id = res.ID
		for _, rt := range res.Targets {
			if rt.State != "scheduled" {
				t.Fatalf("post %d: target %d is %s, want scheduled: %s", p.idx, rt.ID, rt.State, raw)
			}
			for _, tg := range p.targets {
				if s.accounts[tg.account].ID == rt.AccountID {
					tg.id = rt.ID
					s.byID[rt.ID] = tg
				}
			}
		}
	}
}
