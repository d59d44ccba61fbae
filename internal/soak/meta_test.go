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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/sim/graph"
	igsim "github.com/sns-os/snsos/internal/sim/instagram"
	threadssim "github.com/sns-os/snsos/internal/sim/threads"
)

// The Meta apps the soak's sns-os processes are configured with.
const (
	igClientID     = "soak-ig-client"
	igClientSecret = "soak-ig-client-secret"
	thClientID     = "soak-threads-client"
	thClientSecret = "soak-threads-client-secret"
)

// The calls of a Meta platform the front watches, by kind.
const (
	metaCreate  = "create"  // POST /{user}/media or /{user}/threads: a post container (it carries the text)
	metaItem    = "item"    // the same route for a carousel item (no text)
	metaPublish = "publish" // POST /{user}/media_publish or /{user}/threads_publish
	metaStatus  = "status"  // GET /{container}: a container's status
	metaList    = "list"    // GET /{user}/media, /threads, /replies: reconciliation's searches
)

// metaSim is what the soak needs of the Instagram and Threads simulators.
type metaSim interface {
	http.Handler
	InjectFault(graph.Fault)
	ClearFaults()
	Close()
	SetBaseURL(string)
	RevokeUser(userID string)
}

// metaShape is what tells the two Meta platforms apart for the front.
type metaShape struct {
	platform  string   // as sns-os names it: instagram, threads
	env       string   // the base URL variable: SNSOS_INSTAGRAM_BASE_URL, …
	create    string   // the container edge: media, threads
	publish   string   // the publish edge: media_publish, threads_publish
	lists     []string // the edges reconciliation reads
	textParam string   // the container's text: caption, text
	// mediaError returns a media_error fault whose reason the client
	// takes as retryable (new containers may work), so that the fault
	// alone never fails a target.
	mediaError func(rng *rand.Rand) graph.Fault
}

var (
	instagramShape = metaShape{platform: "instagram", env: "SNSOS_INSTAGRAM_BASE_URL", create: "media", publish: "media_publish",
		lists: []string{"media", "stories"}, textParam: "caption",
		mediaError: func(rng *rand.Rand) graph.Fault {
			// Instagram server error, media builder expired, upload failed:
			// all "retryable" in Meta's notes.
			return graph.Fault{Kind: graph.FaultMediaError, Code: []int{2207001, 2207008, 2207082}[rng.IntN(3)]}
		}}
	threadsShape = metaShape{platform: "threads", env: "SNSOS_THREADS_BASE_URL", create: "threads", publish: "threads_publish",
		lists: []string{"threads", "replies", "conversation"}, textParam: "text",
		mediaError: func(rng *rand.Rand) graph.Fault {
			return graph.Fault{Kind: graph.FaultMediaError, Message: []string{"UNKNOWN", "FAILED_DOWNLOADING_IMAGE"}[rng.IntN(2)]}
		}}
)

// metaFront is an Instagram or Threads simulator behind a front that
// injects faults and records calls, like platform for X: each sns-os
// process reaches it under its own prefix /p/{tag}/. The front learns
// each container's target from the text of its creation (carousel items
// carry none and get no faults), so container status reads and publish
// calls are attributed too.
type metaFront struct {
	shape    metaShape
	sim      metaSim
	URL      string
	start    time.Time
	arrivals chan<- arrival
	posts    func() []livePost
	users    func() map[string]string // username → the id that authors its posts

	mu          sync.Mutex
	rng         *rand.Rand
	injecting   bool
	textTarget  map[string]string         // user id + "\x00" + text → target key
	containers  map[string]*metaContainer // container id → what it belongs to
	disrupted   map[string]int            // target key → faulted or cut calls
	calls       []*call
	inflight    map[*call]bool
	lastPublish time.Time
	injected    map[string]int
}

// metaContainer is a container the front saw created.
type metaContainer struct {
	target, user string // target "" for a carousel item
	publishSent  bool   // a publish call named it
}

func newMetaFront(t *testing.T, seed uint64, start time.Time, arrivals chan<- arrival, shape metaShape, sim metaSim) *metaFront {
	m := &metaFront{shape: shape, sim: sim, start: start, arrivals: arrivals,
		rng:        rand.New(rand.NewPCG(seed, graph.Seed(shape.platform))),
		textTarget: map[string]string{}, containers: map[string]*metaContainer{},
		disrupted: map[string]int{}, inflight: map[*call]bool{}, injected: map[string]int{}}
	srv := httptest.NewServer(m)
	t.Cleanup(func() { sim.Close(); srv.Close() })
	m.URL = srv.URL
	sim.SetBaseURL(srv.URL)
	return m
}

// newInstagram returns the Instagram simulator behind its front.
func newInstagram(t *testing.T, seed uint64, start time.Time, arrivals chan<- arrival) *metaFront {
	sim := igsim.New(igsim.Options{ClientID: igClientID, ClientSecret: igClientSecret, DemoUsername: "soak_ig_demo",
		// Processed at once: a container still in progress makes the
		// client wait 2 s before it looks again, and the soak's jobs
		// time out after 4 s.
		ImageProcessing: time.Millisecond,
		// sns-os's own quotas are not under test here.
		QuotaTotal: 10000, ContainerLimit: 100000})
	m := newMetaFront(t, seed, start, arrivals, instagramShape, sim)
	m.posts = func() []livePost {
		var out []livePost
		for _, p := range sim.Posts() {
			lp := livePost{platform: "instagram", id: p.ID, author: p.OwnerID, text: p.Caption, media: len(p.Media),
				sources: []string{}, createdAt: p.CreatedAt}
			for _, f := range p.Media {
				lp.sources = append(lp.sources, mediaOfLink(f.URL))
			}
			out = append(out, lp)
		}
		return out
	}
	m.users = func() map[string]string {
		out := map[string]string{}
		for _, u := range sim.Users() {
			out[u.Username] = u.UserID
		}
		return out
	}
	return m
}

// newThreads returns the Threads simulator behind its front.
func newThreads(t *testing.T, seed uint64, start time.Time, arrivals chan<- arrival) *metaFront {
	sim := threadssim.New(threadssim.Options{ClientID: thClientID, ClientSecret: thClientSecret, DemoUsername: "soak_th_demo",
		ImageProcessing: time.Millisecond, QuotaTotal: 10000, ReplyQuotaTotal: 10000})
	m := newMetaFront(t, seed, start, arrivals, threadsShape, sim)
	m.posts = func() []livePost {
		var out []livePost
		for _, p := range sim.Posts() {
			lp := livePost{platform: "threads", id: p.ID, author: p.OwnerID, text: p.Text, replyTo: p.ReplyTo,
				media: len(p.Media), sources: []string{}, createdAt: p.CreatedAt}
			for _, f := range p.Media {
				lp.sources = append(lp.sources, mediaOfLink(f.URL))
			}
			out = append(out, lp)
		}
		return out
	}
	m.users = func() map[string]string {
		out := map[string]string{}
		for _, u := range sim.Users() {
			out[u.Username] = u.ID
		}
		return out
	}
	return m
}

// mediaOfLink returns the sns-os media id of a signed link
// (http://host/m/{id}?exp=…&sig=…), or the link itself when it is not one.
func mediaOfLink(link string) string {
	u, err := url.Parse(link)
	if err != nil {
		return link
	}
	if id, ok := strings.CutPrefix(u.Path, "/m/"); ok && id != "" {
		return id
	}
	return link
}

// expectText tells the front which target a text of user's belongs to.
func (m *metaFront) expectText(user, text, target string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.textTarget[user+"\x00"+text] = target
}

func (m *metaFront) setInjecting(on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.injecting = on
	if !on {
		m.sim.ClearFaults()
	}
}

func (m *metaFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tag, r := stripTag(r)
	c := m.classify(r)
	if c == nil {
		m.sim.ServeHTTP(w, r)
		return
	}
	c.tag, c.start = tag, time.Now()
	var before map[string]bool
	if c.kind == metaPublish {
		before = m.liveIDs(c.user)
	}
	m.mu.Lock()
	m.inject(c)
	if ct := m.containers[c.container]; ct != nil && c.kind == metaPublish {
		ct.publishSent = true
	}
	m.inflight[c] = true
	m.mu.Unlock()
	select {
	case m.arrivals <- arrival{route: c.route, tag: tag}:
	default:
	}

	rw := &recWriter{ResponseWriter: w, body: &bytes.Buffer{}}
	m.sim.ServeHTTP(rw, r)

	c.end = time.Now()
	c.status, c.wrote = rw.status, rw.n
	c.cl = contentLength(rw)
	if c.kind == metaPublish {
		for id := range m.liveIDs(c.user) {
			if !before[id] {
				c.created = append(c.created, id)
			}
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c.outcome = outcomeOf(c, r)
	delete(m.inflight, c)
	m.calls = append(m.calls, c)
	if c.kind == metaPublish {
		m.lastPublish = c.end
	}
	if (c.kind == metaCreate || c.kind == metaItem) && c.status == http.StatusOK && !truncated(c) {
		var created struct{ ID string }
		if json.Unmarshal(rw.body.Bytes(), &created) == nil && created.ID != "" {
			m.containers[created.ID] = &metaContainer{target: c.target, user: c.user}
			c.container = created.ID
		}
	}
	if c.target != "" && faulted(c) && !c.cut {
		m.disrupted[c.target]++
	}
}

// classify returns the call r is, when the front watches it, else nil.
func (m *metaFront) classify(r *http.Request) *call {
	body := readBody(r)
	parse := r.Clone(r.Context())
	parse.Body = io.NopCloser(bytes.NewReader(body))
	gc, perr := graph.ParseCall(parse)
	if perr != nil {
		return nil
	}
	segs := strings.Split(strings.Trim(gc.Path, "/"), "/")
	c := &call{platform: m.shape.platform}
	post, get := r.Method == http.MethodPost, r.Method == http.MethodGet
	switch {
	case post && len(segs) == 2 && segs[1] == m.shape.create:
		c.kind, c.user = metaCreate, segs[0]
		if gc.Params.Get("is_carousel_item") == "true" {
			c.kind = metaItem
		} else {
			c.text = gc.Params.Get(m.shape.textParam)
		}
	case post && len(segs) == 2 && segs[1] == m.shape.publish:
		c.kind, c.user, c.container = metaPublish, segs[0], gc.Params.Get("creation_id")
	case get && len(segs) == 1 && m.known(segs[0]):
		c.kind, c.container = metaStatus, segs[0]
	case get && len(segs) == 2 && slices.Contains(m.shape.lists, segs[1]):
		c.kind, c.user = metaList, segs[0]
	default:
		return nil
	}
	c.mutating = c.kind == metaPublish
	c.match = r.Method + " " + gc.Path
	c.route = m.routeOf(c.kind, segs)
	m.mu.Lock()
	defer m.mu.Unlock()
	switch c.kind {
	case metaCreate:
		c.target = m.textTarget[c.user+"\x00"+c.text]
	case metaPublish, metaStatus:
		if ct := m.containers[c.container]; ct != nil {
			c.target = ct.target
			if c.user == "" {
				c.user = ct.user
			}
		}
	}
	return c
}

// routeOf names a watched call for the summaries and the killer.
func (m *metaFront) routeOf(kind string, segs []string) string {
	p := m.shape.platform + " "
	switch kind {
	case metaCreate:
		return p + "POST /{user}/" + m.shape.create
	case metaItem:
		return p + "POST /{user}/" + m.shape.create + " (carousel item)"
	case metaPublish:
		return p + "POST /{user}/" + m.shape.publish
	case metaStatus:
		return p + "GET /{container}"
	}
	return p + "GET /{user}/" + segs[len(segs)-1]
}

func (m *metaFront) known(container string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.containers[container] != nil
}

// metaChoice is one fault of a menu, with its weight.
type metaChoice struct {
	w    int
	kind graph.FaultKind
}

// inject decides, at random, whether c gets a fault, and queues it right
// before the simulator sees c. The fault matches c's own path (its
// account's edge, or its container), so only a concurrent call of the same
// account on the same edge can take it instead; the outcome recorded for
// each call is what really happened either way. Calls of a target that has
// had its share of faults get none; carousel items (whose target the front
// cannot tell) get none. Callers hold m.mu.
func (m *metaFront) inject(c *call) {
	if !m.injecting || (c.target == "" && c.kind != metaList) || m.disrupted[c.target] >= maxPostFaults {
		return
	}
	var rate float64
	var menu []metaChoice
	switch c.kind {
	case metaCreate:
		rate = 0.12
		menu = []metaChoice{{3, graph.FaultStatus}, {1, graph.FaultHTML}, {2, graph.FaultHang}, {1, graph.FaultHangAfterCommit}}
	case metaStatus:
		rate = 0.10
		menu = []metaChoice{{2, graph.FaultStatus}, {2, graph.FaultContainerNotFound}}
		if ct := m.containers[c.container]; ct != nil && !ct.publishSent {
			// Failing a container whose publish may be on its way would
			// stand for a platform that loses a post after the fact.
			menu = append(menu, metaChoice{2, graph.FaultMediaError})
		}
	case metaPublish:
		rate = 0.25
		menu = []metaChoice{
			{3, graph.FaultStatus}, {1, graph.FaultHTML}, {3, graph.FaultStatusAfterCommit}, {2, graph.FaultTruncated},
			{2, graph.FaultHangAfterCommit}, {1, graph.FaultHang}, {2, graph.FaultRateLimit},
		}
	case metaList:
		rate = 0.08
		menu = []metaChoice{{3, graph.FaultStatus}, {1, graph.FaultHTML}, {1, graph.FaultTruncated}, {1, graph.FaultHang}, {1, graph.FaultRateLimit}}
	default:
		return
	}
	if m.rng.Float64() >= rate {
		return
	}
	total := 0
	for _, ch := range menu {
		total += ch.w
	}
	n := m.rng.IntN(total)
	var kind graph.FaultKind
	for _, ch := range menu {
		if n < ch.w {
			kind = ch.kind
			break
		}
		n -= ch.w
	}
	f := graph.Fault{Kind: kind}
	switch kind {
	case graph.FaultStatus, graph.FaultStatusAfterCommit, graph.FaultHTML:
		f.Status = []int{500, 502, 503, 504}[m.rng.IntN(4)]
	case graph.FaultRateLimit:
		f.Reset = time.Minute // Meta says it in whole minutes
	case graph.FaultMediaError:
		f = m.shape.mediaError(m.rng)
	}
	f.Match = c.match
	m.sim.InjectFault(f)
	c.fault = string(kind)
	m.injected[c.route+" "+string(kind)]++
}

// liveIDs returns the ids of user's live posts.
func (m *metaFront) liveIDs(user string) map[string]bool {
	out := map[string]bool{}
	for _, p := range m.posts() {
		if p.author == user {
			out[p.id] = true
		}
	}
	return out
}

// killed marks the calls of incarnation tag still running as cut and
// returns them, described.
func (m *metaFront) killed(tag string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var cut []string
	for c := range m.inflight {
		if c.tag != tag {
			continue
		}
		c.cut = true
		what := c.route
		if c.target != "" {
			m.disrupted[c.target]++
			what += " of " + c.target
		}
		if c.fault != "" {
			what += " [fault " + c.fault + "]"
		}
		cut = append(cut, what)
	}
	return cut
}

// running returns the calls in flight that a kill may cut: every watched
// call but carousel items.
func (m *metaFront) running() []*call {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*call
	for c := range m.inflight {
		if c.kind != metaItem {
			out = append(out, c)
		}
	}
	return out
}

// publishesInFlight reports the publish calls running and when the last
// one ended.
func (m *metaFront) publishesInFlight() (int, time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for c := range m.inflight {
		if c.kind == metaPublish {
			n++
		}
	}
	return n, m.lastPublish
}

// callsOf returns the recorded calls attributed to target key.
func (m *metaFront) callsOf(key string) []*call {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*call
	for _, c := range m.calls {
		if c.target == key {
			out = append(out, c)
		}
	}
	return out
}

// summary counts calls by route and outcome class, and the injected
// faults.
func (m *metaFront) summary() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	counts := map[string]int{}
	for _, c := range m.calls {
		class := "ok"
		if faulted(c) {
			class = "spoiled"
		}
		if c.cut {
			class += "+cut"
		}
		counts[strings.TrimPrefix(c.route, m.shape.platform+" ")+" "+class]++
	}
	return fmt.Sprintf("%s: calls %v; injected %v", m.shape.platform, counts, m.injected)
}
