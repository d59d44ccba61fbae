package soak

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	xsim "github.com/sns-os/snsos/internal/sim/x"
)

const (
	clientID     = "soak-client"
	clientSecret = "soak-client-secret"
)

// The routes the front watches.
const (
	routeTweet    = "POST /2/tweets"
	routeTimeline = "GET /2/users/{id}/tweets"
	routeToken    = "POST /2/oauth2/token"
)

// maxPostFaults is how many injected faults the calls of one target may
// get (its POST /2/tweets on X; its containers' creation, status reads and
// publish calls on Instagram and Threads; calls cut by a kill count too):
// with sns-os's budget of about six attempts, transient faults alone never
// exhaust it.
const maxPostFaults = 2

// platform is the X simulator behind a front that injects faults and
// records calls. Each sns-os process reaches it under its own prefix
// /p/{tag}/ (tag = slot and incarnation), so every call is known by the
// process that made it.
type platform struct {
	*xsim.Sim
	URL   string
	start time.Time

	arrivals chan<- arrival // calls of interest as they arrive, for the killer

	mu         sync.Mutex
	rng        *rand.Rand
	injecting  bool
	pending    map[string]int    // route → injected firings no call has taken yet
	textTarget map[string]string // username + "\x00" + part text → target key
	disrupted  map[string]int    // target key → faulted or cut POST /2/tweets calls
	calls      []*call
	inflight   map[*call]bool
	lastTweet  time.Time // end of the last POST /2/tweets
	injected   map[string]int
	connecting string            // the username whose consent is being given
	userIDs    map[string]string // username → X user id
	// Refresh-token bookkeeping: X rotates refresh tokens, so a rotation
	// whose answer died with the process that asked leaves the account
	// unusable. These maps tell that case from an engine bug.
	owner      map[string]string    // refresh token → username
	rotatedBy  map[string]*rotation // spent refresh token → its rotation
	newRefresh map[string]*rotation // issued refresh token → rotation
	accessUsed map[string]bool      // access tokens presented to the API
	accessUser map[string]string    // access token → username
	rotations  []*rotation
	replayed   []replay
}

// An arrival is a call of interest reaching the simulator.
type arrival struct{ route, tag string }

// A call is one request to a watched route, as a front saw it.
type call struct {
	route      string
	tag        string // the sns-os incarnation, "" without prefix
	start, end time.Time
	text       string // POST /2/tweets, Meta container creation: the text
	user       string // X: POST /2/tweets and token: the username, GET timeline: the user id; Meta: the user id of the path
	grant      string // token: grant_type
	refresh    string // token: the refresh token presented
	fault      string // the fault this call queued ("" none)
	status     int    // 0: no answer written
	wrote, cl  int
	mutating   bool     // the call publishes (POST /2/tweets, media_publish, threads_publish)
	created    []string // ids of posts the simulator stored during the call (mutating calls)
	cut        bool     // the calling process was killed while the call ran
	outcome    string
	// Meta calls only.
	platform  string // instagram or threads
	kind      string // metaCreate, metaPublish, …
	target    string // the target key the call belongs to, "" when unknown
	container string // the container created, read or published; TikTok: the publish_id
	detail    string // TikTok chunks: the Content-Range; inbox inits: the video's size
	size      int64  // TikTok inits: the video_size announced
	match     string // "METHOD /path" without version: the literal Match of a fault on this very call
}

type rotation struct {
	user, from, to, access string
	tag                    string
	start, end             time.Time
	used                   bool // the new pair was presented afterwards
}

// A replay is a refresh token presented again after it was rotated.
type replay struct {
	rot *rotation
	tag string
	at  time.Time
}

func newPlatform(t *testing.T, seed uint64, start time.Time, arrivals chan<- arrival) *platform {
	p := &platform{
		Sim: xsim.New(xsim.Options{
			ClientID: clientID, ClientSecret: clientSecret,
			AllowDuplicates: true, // a double post shows as two posts
			Unlimited:       true, // sns-os's own quotas are not under test here
			// sns-os refreshes an X token with less than 10 minutes left:
			// with 30 s, nearly every use of a credential rotates it.
			AccessTokenTTL: 30 * time.Second,
			DemoUsername:   "soak_demo",
		}),
		start:      start,
		arrivals:   arrivals,
		rng:        rand.New(rand.NewPCG(seed, 0x5eed)),
		pending:    map[string]int{},
		textTarget: map[string]string{},
		disrupted:  map[string]int{},
		inflight:   map[*call]bool{},
		injected:   map[string]int{},
		userIDs:    map[string]string{},
		owner:      map[string]string{},
		rotatedBy:  map[string]*rotation{},
		newRefresh: map[string]*rotation{},
		accessUsed: map[string]bool{},
		accessUser: map[string]string{},
	}
	srv := httptest.NewServer(p)
	t.Cleanup(func() { p.Sim.Close(); srv.Close() })
	p.URL = srv.URL
	p.Sim.SetBaseURL(srv.URL)
	return p
}

// expectText tells the front which target a part text of username's
// belongs to.
func (p *platform) expectText(username, text, target string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.textTarget[username+"\x00"+text] = target
}

// targetOf returns the target key of a POST /2/tweets call. Callers hold
// p.mu.
func (p *platform) targetOf(c *call) string {
	return p.textTarget[c.user+"\x00"+c.text]
}

func (p *platform) setConnecting(username string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.connecting = username
}

// setInjecting starts or stops fault injection; stopping also drops the
// faults still queued.
func (p *platform) setInjecting(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.injecting = on
	if !on {
		p.Sim.ClearFaults()
		clear(p.pending)
	}
}

// killed records that the incarnation tag died: its calls still running
// were cut. It returns them, described.
func (p *platform) killed(tag string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var cut []string
	for c := range p.inflight {
		if c.tag != tag {
			continue
		}
		c.cut = true
		what := c.route
		switch c.route {
		case routeTweet:
			p.disrupted[p.targetOf(c)]++
			what += " of " + p.targetOf(c)
		case routeToken:
			what += " (" + c.grant + " @" + c.user + ")"
		}
		if c.fault != "" {
			what += " [fault " + c.fault + "]"
		}
		cut = append(cut, what)
	}
	slices.Sort(cut)
	return cut
}

// running returns the posts and timeline reads in flight (one waiting on
// a hang fault, usually).
func (p *platform) running() []*call {
	p.mu.Lock()
	defer p.mu.Unlock()
	var cs []*call
	for c := range p.inflight {
		if c.route == routeTweet || c.route == routeTimeline {
			cs = append(cs, c)
		}
	}
	return cs
}

// publishesInFlight reports the POST /2/tweets calls running and when the
// last one ended.
func (p *platform) publishesInFlight() (int, time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for c := range p.inflight {
		if c.route == routeTweet {
			n++
		}
	}
	return n, p.lastTweet
}

// posts returns every post X stores, deleted ones included, as the judge
// sees them.
func (p *platform) posts() []livePost {
	var out []livePost
	for _, q := range p.Sim.Posts() {
		out = append(out, livePost{platform: "x", id: q.ID, author: q.AuthorID, text: q.Text, replyTo: q.ReplyTo,
			media: len(q.MediaIDs), createdAt: q.CreatedAt, deleted: q.Deleted})
	}
	return out
}

// users returns the X users' ids by username.
func (p *platform) users() map[string]string {
	out := map[string]string{}
	for _, u := range p.Sim.Users() {
		out[u.Username] = u.ID
	}
	return out
}

// stripTag removes the incarnation prefix /p/{tag} from r's path and
// returns the tag ("" without prefix) and the request as the simulator
// must see it.
func stripTag(r *http.Request) (string, *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/p/")
	if !ok {
		return "", r
	}
	tag, rest, _ := strings.Cut(rest, "/")
	r = r.Clone(r.Context())
	r.URL.Path, r.URL.RawPath = "/"+rest, ""
	return tag, r
}

func (p *platform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tag, r := stripTag(r)
	c := &call{tag: tag, start: time.Now()}
	if auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		p.mu.Lock()
		p.accessUsed[auth] = true
		c.user = p.accessUser[auth]
		p.mu.Unlock()
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/2/tweets":
		c.route, c.mutating = routeTweet, true
		body := readBody(r)
		var req struct {
			Text string `json:"text"`
		}
		_ = json.Unmarshal(body, &req)
		c.text = req.Text
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/2/users/") && strings.HasSuffix(r.URL.Path, "/tweets"):
		c.route = routeTimeline
		c.user = strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/2/users/"), "/tweets")
	case r.Method == http.MethodPost && r.URL.Path == "/2/oauth2/token":
		c.route = routeToken
		form, _ := url.ParseQuery(string(readBody(r)))
		c.grant = form.Get("grant_type")
		if c.grant == "refresh_token" {
			p.presentRefresh(form.Get("refresh_token"), tag, c)
		}
	default:
		p.Sim.ServeHTTP(w, r)
		return
	}
	var before map[string]bool
	if c.route == routeTweet {
		before = p.liveIDs(c.user, c.text)
	}
	p.mu.Lock()
	if p.pending[c.route] > 0 {
		p.pending[c.route]-- // c takes the next firing queued on its route
	} else {
		p.inject(c)
	}
	p.inflight[c] = true
	p.mu.Unlock()
	select {
	case p.arrivals <- arrival{route: c.route, tag: tag}:
	default:
	}

	rw := &recWriter{ResponseWriter: w}
	if c.route == routeToken {
		rw.body = &bytes.Buffer{}
	}
	p.Sim.ServeHTTP(rw, r)

	c.end = time.Now()
	c.status, c.wrote = rw.status, rw.n
	c.cl = contentLength(rw)
	if c.route == routeTweet {
		for id := range p.liveIDs(c.user, c.text) {
			if !before[id] {
				c.created = append(c.created, id)
			}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	c.outcome = outcomeOf(c, r)
	delete(p.inflight, c)
	p.calls = append(p.calls, c)
	if c.route == routeTweet {
		p.lastTweet = c.end
		if faulted(c) && !c.cut {
			p.disrupted[p.targetOf(c)]++
		}
	}
	if c.route == routeToken && c.status == http.StatusOK {
		p.tokensIssued(c, rw.body.Bytes())
	}
}

// inject decides, at random, whether c gets a fault, and queues it right
// before the simulator sees c. The simulator hands queued firings to
// calls in the order they arrive, and a fault is queued only when no
// firing waits on the route (pending counts them down as calls arrive),
// so the call that queued a fault is the one that gets it but for a
// concurrent call overtaking it by microseconds; the outcome recorded for
// each call is what really happened either way. Callers hold p.mu.
func (p *platform) inject(c *call) {
	if !p.injecting {
		return
	}
	type choice struct {
		w     int
		kind  xsim.FaultKind
		times int
	}
	var rate float64
	var menu []choice
	switch c.route {
	case routeTweet:
		if p.disrupted[p.targetOf(c)] >= maxPostFaults {
			return
		}
		rate = 0.15
		menu = []choice{
			{3, xsim.FaultStatus, 1}, {1, xsim.FaultHTML, 1},
			{3, xsim.FaultStatusAfterCommit, 1}, {2, xsim.FaultTruncated, 1},
			{2, xsim.FaultHangAfterCommit, 1}, {2, xsim.FaultHang, 1},
			{2, xsim.FaultRateLimit, 1 + p.rng.IntN(2)},
		}
	case routeTimeline:
		rate = 0.10
		menu = []choice{
			{3, xsim.FaultStatus, 1}, {1, xsim.FaultHTML, 1}, {2, xsim.FaultTruncated, 1},
			{1, xsim.FaultHang, 1}, {2, xsim.FaultRateLimit, 1 + p.rng.IntN(3)},
		}
	case routeToken:
		// Only faults that leave the refresh token unspent: an answer lost
		// after X rotated it would break the account for good, on X as here.
		if c.grant != "refresh_token" {
			return
		}
		rate = 0.03
		menu = []choice{{4, xsim.FaultStatus, 1}, {1, xsim.FaultRateLimit, 1}, {1, xsim.FaultHang, 1}}
	}
	if p.rng.Float64() >= rate {
		return
	}
	total := 0
	for _, m := range menu {
		total += m.w
	}
	n := p.rng.IntN(total)
	var pick choice
	for _, m := range menu {
		if n < m.w {
			pick = m
			break
		}
		n -= m.w
	}
	f := xsim.Fault{Match: c.route, Kind: pick.kind, Times: pick.times}
	switch pick.kind {
	case xsim.FaultStatus, xsim.FaultStatusAfterCommit:
		f.Status = []int{500, 502, 503, 504}[p.rng.IntN(4)]
	case xsim.FaultRateLimit:
		f.Reset = time.Duration(1+p.rng.IntN(2)) * time.Second
	}
	p.Sim.InjectFault(f)
	p.pending[c.route] += pick.times - 1 // c takes the first firing
	c.fault = string(pick.kind)
	if pick.times > 1 {
		c.fault += fmt.Sprintf("×%d", pick.times)
	}
	p.injected[c.route+" "+string(pick.kind)] += pick.times
}

// faulted reports whether c's answer was spoiled, or may have been (the
// simulators are otherwise unlimited and accept duplicates): no answer, a
// 429 or 5xx, a truncated body, a fault queued for it (which a concurrent
// call may have taken instead), and on Meta any refusal (Meta throttles
// and loses containers with a 400).
func faulted(c *call) bool {
	return c.fault != "" || c.status == 0 || c.status == http.StatusTooManyRequests || c.status >= 500 ||
		truncated(c) || (c.platform != "" && c.status >= 400)
}

// truncated reports whether c's answer was shorter than it announced.
func truncated(c *call) bool { return c.cl > 0 && c.wrote < c.cl }

// contentLength returns the Content-Length an answer announced (0 for none).
func contentLength(w http.ResponseWriter) int {
	n, _ := strconv.Atoi(w.Header().Get("Content-Length"))
	return n
}

func outcomeOf(c *call, r *http.Request) string {
	var s string
	switch {
	case c.status == 0 && r.Context().Err() != nil:
		s = fmt.Sprintf("no answer, caller gave up after %s", c.end.Sub(c.start).Round(time.Millisecond))
	case c.status == 0:
		s = "no answer"
	case truncated(c):
		s = fmt.Sprintf("%d truncated (%d of %d bytes)", c.status, c.wrote, c.cl)
	default:
		s = strconv.Itoa(c.status)
	}
	if c.mutating {
		if len(c.created) > 0 {
			s += ", stored " + strings.Join(c.created, ",")
		} else {
			s += ", nothing stored"
		}
	}
	if c.cut {
		s += ", caller killed meanwhile"
	}
	return s
}

// liveIDs returns the ids of username's live posts with text.
func (p *platform) liveIDs(username, text string) map[string]bool {
	p.mu.Lock()
	id, ok := p.userIDs[username]
	p.mu.Unlock()
	if !ok {
		for _, u := range p.Sim.Users() {
			if u.Username == username {
				id = u.ID
			}
		}
		p.mu.Lock()
		p.userIDs[username] = id
		p.mu.Unlock()
	}
	out := map[string]bool{}
	for _, post := range p.Sim.Posts() {
		if !post.Deleted && post.Text == text && post.AuthorID == id {
			out[post.ID] = true
		}
	}
	return out
}

// presentRefresh records a refresh request: the token it spends, and, when
// that token was already rotated, a replay.
func (p *platform) presentRefresh(token, tag string, c *call) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c.user, c.refresh = p.owner[token], token
	if rot := p.newRefresh[token]; rot != nil {
		rot.used = true
	}
	if rot := p.rotatedBy[token]; rot != nil {
		p.replayed = append(p.replayed, replay{rot: rot, tag: tag, at: c.start})
	}
}

// tokensIssued records the pair a successful token call handed out.
// Callers hold p.mu.
func (p *platform) tokensIssued(c *call, body []byte) {
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if json.Unmarshal(body, &tok) != nil || tok.RefreshToken == "" {
		return
	}
	if c.grant == "authorization_code" {
		p.owner[tok.RefreshToken] = p.connecting
		p.accessUser[tok.AccessToken] = p.connecting
		return
	}
	p.accessUser[tok.AccessToken] = c.user
	from := c.refresh
	if from == "" || p.rotatedBy[from] != nil {
		return
	}
	rot := &rotation{user: c.user, from: from, to: tok.RefreshToken, access: tok.AccessToken, tag: c.tag, start: c.start, end: c.end}
	p.rotatedBy[from] = rot
	p.newRefresh[tok.RefreshToken] = rot
	p.owner[tok.RefreshToken] = c.user
	p.rotations = append(p.rotations, rot)
}

// rotating reports whether incarnation tag may hold a rotated refresh
// token it has not stored yet: one of its refresh calls is running, or
// one answered less than 2 s ago and nobody has used the new pair yet
// (sns-os stores it before using it). A kill then would break the account
// on X itself, whatever sns-os does, so the killer waits for such moments
// to pass.
func (p *platform) rotating(tag string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.inflight {
		if c.route == routeToken && c.tag == tag && c.fault == "" { // the injected ones rotate nothing
			return true
		}
	}
	now := time.Now()
	for i := len(p.rotations) - 1; i >= 0 && now.Sub(p.rotations[i].end) < 2*time.Second; i-- {
		rot := p.rotations[i]
		if rot.tag == tag && !rot.used && !p.accessUsed[rot.access] {
			return true
		}
	}
	return false
}

// lostGrants returns, by username, why an account's grant died with a
// killed process: a refresh token presented again after its rotation,
// where the rotation's answer went to an incarnation killed before it
// could have stored the new pair, and nobody ever used that pair. Replays
// that do not fit are returned as engine faults.
func (p *platform) lostGrants(kills []kill) (excused map[string]string, faults []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	excused = map[string]string{}
	killedAs := map[string]kill{}
	for _, k := range kills {
		killedAs[k.tag] = k
	}
	for _, rp := range p.replayed {
		rot := rp.rot
		k, ok := killedAs[rot.tag]
		// The rotation reached X before the process was gone (a refresh
		// sent between the killer's last look and the signal counts), and
		// its answer came at most 10 s before the kill.
		unusable := ok && rot.start.Before(k.dead) && k.at.Sub(rot.end) < 10*time.Second &&
			!rot.used && !p.accessUsed[rot.access]
		if unusable {
			excused[rot.user] = fmt.Sprintf("X rotated its refresh token at +%s for %s, which was SIGKILLed at +%s before it could store the new pair (unavoidable with rotating refresh tokens)",
				p.since(rot.end), rot.tag, p.since(k.at))
			continue
		}
		faults = append(faults, fmt.Sprintf("@%s: a refresh token rotated at +%s (answer to %s) was presented again at +%s by %s",
			rot.user, p.since(rot.end), rot.tag, p.since(rp.at), rp.tag))
	}
	return excused, faults
}

func (p *platform) since(t time.Time) string {
	return t.Sub(p.start).Round(10 * time.Millisecond).String()
}

// callsFor returns the recorded POST /2/tweets calls of username that
// carried one of texts.
func (p *platform) callsFor(username string, texts []string) []*call {
	p.mu.Lock()
	defer p.mu.Unlock()
	want := map[string]bool{}
	for _, t := range texts {
		want[t] = true
	}
	var out []*call
	for _, c := range p.calls {
		if c.route == routeTweet && c.user == username && want[c.text] {
			out = append(out, c)
		}
	}
	return out
}

// summary counts calls by route and outcome class, and the injected faults.
func (p *platform) summary() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	counts := map[string]int{}
	for _, c := range p.calls {
		class := "ok"
		if faulted(c) {
			class = "spoiled"
		}
		if c.cut {
			class += "+cut"
		}
		counts[c.route+" "+class]++
	}
	return fmt.Sprintf("calls %v; injected %v", counts, p.injected)
}

func readBody(r *http.Request) []byte {
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

// recWriter records what a handler answered.
type recWriter struct {
	http.ResponseWriter
	status, n int
	body      *bytes.Buffer
}

func (w *recWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.n += n
	if w.body != nil {
		w.body.Write(b[:n])
	}
	return n, err
}

func (w *recWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
