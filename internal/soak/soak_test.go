package soak

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log"
	"maps"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
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
	name        string
	accounts    int           // X accounts connected
	igAccounts  int           // Instagram accounts connected
	thAccounts  int           // Threads accounts connected
	ttAccounts  int           // TikTok accounts connected
	ttInbox     int           // of which the last ones upload to their TikTok inbox
	minTargets  int           // X targets created (at least)
	metaTargets int           // Instagram and Threads targets added to the posts
	ttTargets   int           // TikTok targets added to the posts (at most ttPerAccount per account)
	lead        time.Duration // first scheduled time after the posts are created
	window      time.Duration // scheduled times spread over [lead, lead+window]
	tail        time.Duration // faults and kills go on this long after the window
	kills       int
	actions     int  // reschedules
	cancels     int  // cancellations
	revoke      bool // revoke one X account halfway
	drain       time.Duration
}

var (
	short = variant{name: "short", accounts: 8, igAccounts: 2, thAccounts: 2, ttAccounts: 3, ttInbox: 1, minTargets: 48,
		metaTargets: 15, ttTargets: 16, lead: 3 * time.Second, window: 30 * time.Second, tail: 8 * time.Second, kills: 3, actions: 8, cancels: 2, drain: 240 * time.Second}
	full = variant{name: "full", accounts: 10, igAccounts: 3, thAccounts: 3, ttAccounts: 5, ttInbox: 1, minTargets: 320,
		metaTargets: 100, ttTargets: 60, lead: 5 * time.Second, window: 150 * time.Second, tail: 15 * time.Second, kills: 12, actions: 50, cancels: 6, revoke: true,
		drain: 240 * time.Second}
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
	key      string
	post     *planPost
	account  int      // index in the accounts: X, then Instagram, Threads and TikTok
	platform string   // x, instagram, threads or tiktok
	parts    []string // texts as they must appear on the platform
	body     string   // the target's own body, "" for the post's
	thread   bool     // sent as options.parts (an X thread, a Threads reply chain)
	media    []int    // indices of the soak's images, in the target's order
	video    int      // index of the soak's shared videos (a TikTok Direct Post), -1 for none
	// clip is the own video of an upload to a TikTok inbox, which keeps
	// no caption: its bytes tell it apart. clipID is its media id.
	clip    *soakVideo
	clipID  int64
	inbox   bool // a TikTok target on an account that uploads to its inbox
	chunks  int  // the chunks its video is uploaded in (TikTok)
	options map[string]any
	id      int64
}

// shape describes a target in words, for the diagnostics.
func (tg *planTarget) shape() string {
	switch {
	case tg.inbox:
		return fmt.Sprintf("%d-chunk inbox video", tg.chunks)
	case tg.platform == "tiktok":
		return fmt.Sprintf("%d-chunk video", tg.chunks)
	case tg.thread && tg.platform == "threads":
		return fmt.Sprintf("reply chain of %d", len(tg.parts))
	case tg.thread:
		return fmt.Sprintf("thread of %d", len(tg.parts))
	case len(tg.media) > 1:
		return fmt.Sprintf("carousel of %d", len(tg.media))
	case len(tg.media) == 1:
		return "image"
	case tg.platform == "threads":
		return "text"
	}
	return "single post"
}

var words = []string{"morning", "launch", "tea & cake", "新商品", "update", "river", "sakura", "night", "report", "<draft>", "week", "東京"}

// accountRange returns the indices [from, to) of platform's accounts.
func (v variant) accountRange(platform string) (int, int) {
	switch platform {
	case "instagram":
		return v.accounts, v.accounts + v.igAccounts
	case "threads":
		return v.accounts + v.igAccounts, v.accounts + v.igAccounts + v.thAccounts
	case "tiktok":
		from := v.accounts + v.igAccounts + v.thAccounts
		return from, from + v.ttAccounts
	}
	return 0, v.accounts
}

// planner draws a plan from one random source.
type planner struct {
	rng   *mrand.Rand
	run   string
	v     variant
	clips int // inbox uploads planned so far, each with a video of its own
}

func (pl *planner) phrase() string {
	k := 1 + pl.rng.IntN(3)
	var w []string
	for range k {
		w = append(w, words[pl.rng.IntN(len(words))])
	}
	return strings.Join(w, " ")
}

func makePlan(rng *mrand.Rand, run string, v variant) []*planPost {
	pl := &planner{rng: rng, run: run, v: v}
	var posts []*planPost
	n := 0
	for n < v.minTargets {
		p := pl.post(len(posts))
		k := 1
		switch r := rng.Float64(); {
		case r < 0.25:
			k = 2
		case r < 0.40:
			k = 3
		}
		for _, a := range rng.Perm(v.accounts)[:k] {
			pl.xTarget(p, a, k)
			n++
		}
		posts = append(posts, p)
	}
	for range v.metaTargets {
		platform := "threads"
		if rng.Float64() < 0.45 {
			platform = "instagram"
		}
		p, a := pl.room(posts, platform)
		if p == nil {
			p = pl.post(len(posts))
			posts = append(posts, p)
			from, to := v.accountRange(platform)
			a = from + rng.IntN(to-from)
		}
		if platform == "instagram" {
			pl.igTarget(p, a)
		} else {
			pl.threadsTarget(p, a)
		}
	}
	for range v.ttTargets {
		p, a := pl.ttRoom(posts)
		if a < 0 {
			break // every TikTok account has its day's worth
		}
		if p == nil {
			p = pl.post(len(posts))
			posts = append(posts, p)
		}
		pl.ttTarget(p, a)
	}
	return posts
}

func (pl *planner) post(idx int) *planPost {
	p := &planPost{idx: idx, offset: pl.v.lead + time.Duration(pl.rng.Int64N(int64(pl.v.window)))}
	p.body = fmt.Sprintf("soak %s p%03d %s", pl.run, p.idx, pl.phrase())
	return p
}

// add appends a target of platform on account a to p.
func (pl *planner) add(p *planPost, a int, platform string) *planTarget {
	tg := &planTarget{key: fmt.Sprintf("p%03dt%d", p.idx, len(p.targets)), post: p, account: a, platform: platform, video: -1}
	p.targets = append(p.targets, tg)
	return tg
}

// ownOrShared gives tg its own text with probability own, else the post's.
func (pl *planner) ownOrShared(tg *planTarget, own float64) {
	if pl.rng.Float64() < own {
		ti := len(tg.post.targets) - 1
		tg.body = fmt.Sprintf("soak %s p%03d t%d own %s", pl.run, tg.post.idx, ti, pl.phrase())
		tg.parts = []string{tg.body}
		return
	}
	tg.parts = []string{tg.post.body}
}

// chain makes tg a thread (X) or reply chain (Threads) of m parts.
func (pl *planner) chain(tg *planTarget, m int) {
	ti := len(tg.post.targets) - 1
	tg.thread = true
	for i := range m {
		tg.parts = append(tg.parts, fmt.Sprintf("soak %s p%03d t%d part %d/%d %s", pl.run, tg.post.idx, ti, i+1, m, pl.phrase()))
	}
}

// xTarget adds an X target, one of k on the post: a thread, its own text
// or the post's.
func (pl *planner) xTarget(p *planPost, a, k int) {
	tg := pl.add(p, a, "x")
	switch r := pl.rng.Float64(); {
	case r < 0.30: // a thread of 2 to 4 parts
		pl.chain(tg, 2+pl.rng.IntN(3))
	case r < 0.45 && k > 1: // its own text
		pl.ownOrShared(tg, 1)
	default: // the post's text, shared with the post's other accounts
		pl.ownOrShared(tg, 0)
	}
}

// igTarget adds an Instagram target: one image or a carousel of two.
func (pl *planner) igTarget(p *planPost, a int) {
	tg := pl.add(p, a, "instagram")
	pl.ownOrShared(tg, 0.5)
	if pl.rng.Float64() < 0.6 {
		tg.media = []int{pl.rng.IntN(len(soakImages))}
		return
	}
	tg.media = pl.rng.Perm(len(soakImages))[:2]
}

// threadsTarget adds a Threads target: text, one image, or a reply chain
// of two or three parts.
func (pl *planner) threadsTarget(p *planPost, a int) {
	tg := pl.add(p, a, "threads")
	switch r := pl.rng.Float64(); {
	case r < 0.35:
		pl.ownOrShared(tg, 0.5)
	case r < 0.60:
		pl.ownOrShared(tg, 0.5)
		tg.media = []int{pl.rng.IntN(len(soakImages))}
	default:
		pl.chain(tg, 2+pl.rng.IntN(2))
	}
}

// room picks a post that has no target on one of platform's accounts yet,
// and that account; nil when a few tries find none.
func (pl *planner) room(posts []*planPost, platform string) (*planPost, int) {
	from, to := pl.v.accountRange(platform)
	for range 20 {
		p := posts[pl.rng.IntN(len(posts))]
		var free []int
		for a := from; a < to; a++ {
			if !slices.ContainsFunc(p.targets, func(tg *planTarget) bool { return tg.account == a }) {
				free = append(free, a)
			}
		}
		if len(free) > 0 {
			return p, free[pl.rng.IntN(len(free))]
		}
	}
	return nil, 0
}

// soak is one run.
type soak struct {
	t     *testing.T
	db    string
	v     variant
	start time.Time
	plat  *fronts
	c     *cluster
	dir   string

	accounts []soakAccount // by plan index
	images   []int64       // the media ids of soakImages
	videos   []int64       // the media ids of soakVideos
	posts    []*planPost
	byID     map[int64]*planTarget

	mu       sync.Mutex
	errs     []string
	view     map[int64]apiPost // the latest poll
	viewAt   time.Time
	history  map[int64][]seen
	acts     []*act
	revoked  map[string]string // "platform:user id" → why
	stopPoll chan struct{}
	pollDone chan struct{}
}

// soakAccount is one connected account.
type soakAccount struct {
	platform string
	handle   string
	user     string // the platform's id of the account: its posts' author
	api      apiAccount
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
	s.plat = newFronts(t, seed, s.start)
	rng := mrand.New(mrand.NewPCG(seed, 1))

	s.c = newCluster(t, db, binary, dir, s.plat, serverEnvs(t, db, dir, pgURL), seed)
	for slot := range s.c.envs {
		if _, err := s.c.start(slot); err != nil {
			t.Fatal(err)
		}
	}
	s.connectAccounts()
	s.setInbox()
	s.uploadImages()
	s.posts = makePlan(rng, strconv.FormatUint(seed%1e6, 36), v)
	s.uploadVideos() // the shared ones, and each inbox upload's own
	for _, p := range s.posts {
		for _, tg := range p.targets {
			a := s.accounts[tg.account]
			user := a.user
			if a.platform == "x" {
				user = a.handle // the X front knows calls by username
			}
			for _, text := range tg.parts {
				s.plat.expectText(a.platform, user, text, tg.key)
			}
		}
	}

	// Chaos: faults from the first post on, kills, reschedules.
	s.plat.setInjecting(true)
	created := time.Now()
	s.createPosts(created)
	chaosEnd := created.Add(v.lead + v.window + v.tail)
	t.Logf("%s created %d posts with %d targets (%s); chaos until %s", s.since(time.Now()), len(s.posts), len(s.byID),
		s.planSummary(), s.since(chaosEnd))
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
	s.drain()
	stopPolling()
	s.verify()
}

// serverEnvs returns the environment of each slot: one process on SQLite,
// two on one PostgreSQL database. The two share the master key and, since
// each has its own data dir, a media bucket: the signed links one of them
// hands to Instagram or Threads must answer whichever process uploaded
// the file.
func serverEnvs(t *testing.T, db, dir, pgURL string) []map[string]string {
	slots := 1
	var key string
	var bucket map[string]string
	if db == "postgres" {
		slots = 2
		k := make([]byte, 32)
		_, _ = rand.Read(k)
		key = hex.EncodeToString(k)
		bucket = mediaBucket(t)
	}
	var envs []map[string]string
	for slot := range slots {
		env := map[string]string{
			"SNSOS_DATA_DIR":                filepath.Join(dir, fmt.Sprintf("data-%d", slot)),
			"SNSOS_ADDR":                    "127.0.0.1:0",
			"SNSOS_API_TOKEN":               apiToken,
			"SNSOS_LOG_LEVEL":               "info",
			"SNSOS_X_CLIENT_ID":             clientID,
			"SNSOS_X_CLIENT_SECRET":         clientSecret,
			"SNSOS_INSTAGRAM_CLIENT_ID":     igClientID,
			"SNSOS_INSTAGRAM_CLIENT_SECRET": igClientSecret,
			"SNSOS_THREADS_CLIENT_ID":       thClientID,
			"SNSOS_THREADS_CLIENT_SECRET":   thClientSecret,
			"SNSOS_TIKTOK_CLIENT_ID":        ttClientKey,
			"SNSOS_TIKTOK_CLIENT_SECRET":    ttClientSecret,
			// Short timings, so that a soak of minutes sees every path.
			"SNSOS_JOB_TIMEOUT":      "4s",
			"SNSOS_RECONCILE_DELAY":  "300ms",
			"SNSOS_RETRY_BACKOFF":    "200ms",
			"SNSOS_LAND_MARGIN":      "1s",
			"SNSOS_SHUTDOWN_TIMEOUT": "5s",
		}
		// The platforms' base URLs (set per incarnation) point at
		// simulators: sns-os then hands Instagram and Threads plain-http
		// media links on its loopback listener (cli's pullersFaked).
		if db == "postgres" {
			env["SNSOS_DATABASE_URL"] = pgURL
			env["SNSOS_MASTER_KEY"] = key
			maps.Copy(env, bucket)
		}
		envs = append(envs, env)
	}
	return envs
}

// mediaBucket starts an in-memory S3 server with an empty bucket and
// returns the environment that makes sns-os keep its media there.
func mediaBucket(t *testing.T) map[string]string {
	backend := s3mem.New()
	if err := backend.CreateBucket("media"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	// sns-os reads each chunk of a TikTok video from a ranged read of the
	// rest of the object and closes it early: the fake answers the broken
	// write with a second WriteHeader, which net/http logs every time.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return map[string]string{
		"SNSOS_S3_ENDPOINT":   strings.TrimPrefix(srv.URL, "http://"),
		"SNSOS_S3_BUCKET":     "media",
		"SNSOS_S3_ACCESS_KEY": "soak-access",
		"SNSOS_S3_SECRET_KEY": "soak-secret-key-0123456789",
		"SNSOS_S3_USE_SSL":    "false",
		"SNSOS_S3_PATH_STYLE": "true",
	}
}

// drain stops the faults and waits for every target to settle, then for
// the calls still running to land.
func (s *soak) drain() {
	t := s.t
	s.plat.setInjecting(false)
	drainStart := time.Now()
	deadline := drainStart.Add(s.v.drain)
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
	// Let any call still running land before the platforms are read.
	quiet := time.Now().Add(30 * time.Second)
	for time.Now().Before(quiet) {
		if n, last := s.plat.publishesInFlight(); n == 0 && time.Since(last) > 3*time.Second {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("%s drained in %s", s.since(time.Now()), time.Since(drainStart).Round(time.Second))
}

func (s *soak) errors() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.errs)
}

// planSummary counts the planned targets by platform and shape.
func (s *soak) planSummary() string {
	counts := map[string]int{}
	for _, p := range s.posts {
		for _, tg := range p.targets {
			shape, _, _ := strings.Cut(tg.shape(), " of ") // one count for every length
			counts[tg.platform+" "+shape]++
		}
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		out = append(out, fmt.Sprintf("%s×%d", k, counts[k]))
	}
	return strings.Join(out, ", ")
}

// accountSpecs lists the accounts of the variant, in plan order: platform
// and username.
func (v variant) accountSpecs() [][2]string {
	var out [][2]string
	for i := range v.accounts {
		out = append(out, [2]string{"x", fmt.Sprintf("soak_%d", i)})
	}
	for i := range v.igAccounts {
		out = append(out, [2]string{"instagram", fmt.Sprintf("soak_ig_%d", i)})
	}
	for i := range v.thAccounts {
		out = append(out, [2]string{"threads", fmt.Sprintf("soak_th_%d", i)})
	}
	for i := range v.ttAccounts {
		out = append(out, [2]string{"tiktok", fmt.Sprintf("soak_tt_%d", i)})
	}
	return out
}

// connectAccounts connects every account of the variant through the OAuth
// flow and checks that the API lists them connected, each with the id its
// platform knows it by.
func (s *soak) connectAccounts() {
	t := s.t
	specs := s.v.accountSpecs()
	for _, sp := range specs {
		if err := s.c.connect(sp[0], sp[1]); err != nil {
			t.Fatalf("connect %s @%s: %v", sp[0], sp[1], err)
		}
	}
	accts, err := s.c.accounts(time.Now().Add(20 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[[2]string]apiAccount{}
	for _, a := range accts {
		listed[[2]string{a.Platform, a.Handle}] = a
	}
	for _, sp := range specs {
		a, ok := listed[sp]
		user := s.plat.users(sp[0])[sp[1]]
		if !ok || a.Status != "connected" || user == "" || a.RemoteID != user {
			t.Fatalf("%s account @%s after connecting: %+v (simulator user id %q); all: %+v", sp[0], sp[1], a, user, accts)
		}
		s.accounts = append(s.accounts, soakAccount{platform: sp[0], handle: sp[1], user: user, api: a})
	}
	if len(accts) != len(specs) {
		t.Fatalf("%d accounts listed, want %d: %+v", len(accts), len(specs), accts)
	}
}

// soakImages are the sizes of the JPEGs the soak posts to Instagram and
// Threads: every aspect ratio within Instagram's 4:5 to 1.91:1.
var soakImages = [][2]int{{640, 640}, {800, 640}, {960, 600}, {720, 810}}

// uploadImages makes and uploads the soak's images.
func (s *soak) uploadImages() {
	for i, size := range soakImages {
		img := image.NewRGBA(image.Rect(0, 0, size[0], size[1]))
		for y := range size[1] {
			for x := range size[0] {
				img.Set(x, y, color.RGBA{uint8(x * 255 / size[0]), uint8(y * 255 / size[1]), uint8(64 * i), 255})
			}
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
			s.t.Fatal(err)
		}
		id, err := s.c.upload(b.Bytes(), fmt.Sprintf("soak-%d.jpg", i))
		if err != nil {
			s.t.Fatal(err)
		}
		s.images = append(s.images, id)
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
		req := s.postRequest(p, at)
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
				if s.accounts[tg.account].api.ID == rt.AccountID {
					tg.id = rt.ID
					s.byID[rt.ID] = tg
				}
			}
		}
	}
}

// postRequest is the body of POST /api/v1/posts for p at at: the post's
// media are every image and video one of its targets uses, and each target
// names its own (none for X, which the soak keeps to text).
func (s *soak) postRequest(p *planPost, at time.Time) map[string]any {
	var pool []int64
	for _, tg := range p.targets {
		for _, id := range s.mediaOf(tg) {
			if !slices.Contains(pool, id) {
				pool = append(pool, id)
			}
		}
	}
	var targets []any
	for _, tg := range p.targets {
		in := map[string]any{"account_id": s.accounts[tg.account].api.ID}
		if tg.body != "" {
			in["body"] = tg.body
		}
		if tg.thread {
			in["options"] = map[string]any{"parts": tg.parts}
		}
		if tg.options != nil {
			in["options"] = tg.options
		}
		if len(pool) > 0 {
			in["media_ids"] = s.mediaOf(tg)
		}
		targets = append(targets, in)
	}
	req := map[string]any{"body": p.body, "targets": targets, "approve": true, "scheduled_at": at.Format(time.RFC3339Nano)}
	if len(pool) > 0 {
		req["media_ids"] = pool
	}
	return req
}

// mediaOf returns the media ids of target tg, in its order.
func (s *soak) mediaOf(tg *planTarget) []int64 {
	ids := []int64{}
	for _, m := range tg.media {
		ids = append(ids, s.images[m])
	}
	if tg.video >= 0 {
		ids = append(ids, s.videos[tg.video])
	}
	if tg.clip != nil {
		ids = append(ids, tg.clipID)
	}
	return ids
}
