package soak

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/sim/graph"
	ttsim "github.com/sns-os/snsos/internal/sim/tiktok"
)

// The TikTok app the soak's sns-os processes are configured with.
const (
	ttClientKey    = "soak-tiktok-client"
	ttClientSecret = "soak-tiktok-client-secret"
)

// The calls of TikTok the front watches, by kind.
const (
	ttInit   = "init"   // POST /v2/post/publish/video/init/ (a Direct Post: it carries the caption) or inbox/video/init/
	ttChunk  = "chunk"  // PUT /upload/video/?upload_id=…: one chunk of a video
	ttStatus = "status" // POST /v2/post/publish/status/fetch/: a publish_id's status
)

// The paths of the watched calls, as the simulator sees them.
const (
	ttInitPath   = "/v2/post/publish/video/init/"
	ttInboxPath  = "/v2/post/publish/inbox/video/init/"
	ttChunkPath  = "/upload/video/"
	ttStatusPath = "/v2/post/publish/status/fetch/"
	ttTokenPath  = "/v2/oauth/token/"
)

// ttFront is the TikTok simulator behind a front that injects faults and
// records calls, like metaFront: each sns-os process reaches it under its
// own prefix /p/{tag}/. The simulator names its upload host apart from
// the API host (SetBaseURL with "localhost" where sns-os is given
// "127.0.0.1"), as TikTok does; sns-os then sends the chunks to the
// upload_url's path on its own base URL, so every chunk is known by the
// process that sent it. A call is attributed to its target by the caption
// of the init that started the publish (through the caller's token, which
// names the account; an upload to the inbox carries no caption, so by the
// size of its video, which is its own), later calls by the publish_id they
// name or the upload_id of their upload_url, both learnt from the init's
// answer before the caller sees it.
type ttFront struct {
	sim      *ttsim.Sim
	URL      string
	start    time.Time
	arrivals chan<- arrival

	mu            sync.Mutex
	rng           *rand.Rand
	injecting     bool
	textTarget    map[string]string // open_id + "\x00" + caption → target key
	sizeTarget    map[string]string // open_id + "\x00" + video size → target key of an inbox upload
	publishTarget map[string]string // publish_id → target key
	uploads       map[string]ttUpload
	accessUser    map[string]string // access token → open_id
	videoBySHA    map[string]string // hex SHA-256 → sns-os media id of the soak's videos
	disrupted     map[string]int    // target key → faulted or cut calls
	calls         []*call
	inflight      map[*call]bool
	lastPublish   time.Time
	injected      map[string]int
}

// ttUpload is an upload_url the front saw handed out.
type ttUpload struct{ target, publishID string }

func newTikTok(t *testing.T, seed uint64, start time.Time, arrivals chan<- arrival) *ttFront {
	sim := ttsim.New(ttsim.Options{ClientKey: ttClientKey, ClientSecret: ttClientSecret, DemoUsername: "soak_tt_demo",
		// Processed at once, like the Meta media: the soak's jobs time
		// out after 4 s, and a post still processing waits 30 s for its
		// next look. Public posts get their video id at once too.
		ProcessingDuration: time.Millisecond,
		// TikTok's daily caps are not under test (sns-os keeps its own
		// quota of 15 a day, which the plan respects); the per-token rate
		// limits per minute stay as TikTok has them.
		DailyPostCap: 10000, PendingShareCap: 10000, ActiveUserCap: 1000})
	f := &ttFront{sim: sim, start: start, arrivals: arrivals,
		rng:        rand.New(rand.NewPCG(seed, graph.Seed("tiktok"))),
		textTarget: map[string]string{}, sizeTarget: map[string]string{}, publishTarget: map[string]string{}, uploads: map[string]ttUpload{},
		accessUser: map[string]string{}, disrupted: map[string]int{}, inflight: map[*call]bool{}, injected: map[string]int{}}
	srv := httptest.NewServer(f)
	t.Cleanup(func() { sim.Close(); srv.Close() })
	f.URL = srv.URL
	sim.SetBaseURL(strings.Replace(srv.URL, "127.0.0.1", "localhost", 1))
	return f
}

// users returns the TikTok accounts' open_ids by username.
func (f *ttFront) users() map[string]string {
	out := map[string]string{}
	for _, u := range f.sim.Users() {
		out[u.Username] = u.OpenID
	}
	return out
}

// expectText tells the front which target a caption of the account
// open_id belongs to.
func (f *ttFront) expectText(openID, text, target string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.textTarget[openID+"\x00"+text] = target
}

// expectVideo tells the front which target an inbox upload of size bytes
// by the account open_id is.
func (f *ttFront) expectVideo(openID string, size int64, target string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sizeTarget[openID+"\x00"+strconv.FormatInt(size, 10)] = target
}

func (f *ttFront) setInjecting(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.injecting = on
	if !on {
		f.sim.ClearFaults()
	}
}

// setVideos tells the front the sns-os media id of each video by the
// hex SHA-256 of its bytes.
func (f *ttFront) setVideos(bySHA map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.videoBySHA = bySHA
}

// posts returns the publishes that are live as the judge sees them: a
// Direct Post TikTok completed, an upload waiting in its account's inbox
// (whose text is the video it carries, inboxText). A publish that failed,
// or whose upload never completed, shows nowhere on TikTok. sources is
// the sns-os media id of the video whose bytes TikTok got (from the
// SHA-256 of the upload).
func (f *ttFront) posts() []livePost {
	f.mu.Lock()
	videoBySHA := f.videoBySHA
	f.mu.Unlock()
	var out []livePost
	for _, p := range f.sim.Posts() {
		if p.Status != ttsim.StatusPublishComplete && p.Status != ttsim.StatusSendToUserInbox {
			continue
		}
		src, ok := videoBySHA[p.SHA256]
		if !ok {
			src = "sha256:" + p.SHA256
		}
		text := p.Title
		if p.Mode == ttsim.ModeInbox {
			text = inboxText(src)
		}
		out = append(out, livePost{platform: "tiktok", id: p.PublishID, alias: p.PublicID, author: p.OpenID, text: text,
			media: 1, sources: []string{src}, createdAt: p.CreatedAt})
	}
	return out
}

func (f *ttFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tag, r := stripTag(r)
	if r.Method == http.MethodPost && r.URL.Path == ttTokenPath {
		f.serveToken(w, r)
		return
	}
	c := f.classify(r)
	if c == nil {
		f.sim.ServeHTTP(w, r)
		return
	}
	c.tag, c.start = tag, time.Now()
	var before map[string]bool
	if c.kind == ttInit {
		before = f.publishIDs(c)
	}
	f.mu.Lock()
	f.inject(c)
	f.inflight[c] = true
	f.mu.Unlock()
	select {
	case f.arrivals <- arrival{route: c.route, tag: tag}:
	default:
	}

	rw := &recWriter{ResponseWriter: w}
	if c.kind == ttInit {
		// The init's answer is held until the ids it hands out are known
		// here: the caller's next calls name them.
		held := &heldAnswer{header: http.Header{}}
		f.sim.ServeHTTP(held, r)
		f.learn(c, held.body.Bytes(), before)
		held.replay(rw)
	} else {
		f.sim.ServeHTTP(rw, r)
	}

	c.end = time.Now()
	c.status, c.wrote = rw.status, rw.n
	c.cl = contentLength(rw)
	f.mu.Lock()
	defer f.mu.Unlock()
	c.outcome = outcomeOf(c, r)
	delete(f.inflight, c)
	f.calls = append(f.calls, c)
	if c.mutating {
		f.lastPublish = c.end
	}
	if c.target != "" && faulted(c) && !c.cut {
		f.disrupted[c.target]++
	}
}

// heldAnswer holds an answer until the front lets it go.
type heldAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (h *heldAnswer) Header() http.Header { return h.header }

func (h *heldAnswer) WriteHeader(status int) {
	if h.status == 0 {
		h.status = status
	}
}

func (h *heldAnswer) Write(b []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	return h.body.Write(b)
}

// replay writes the held answer to w as it was written (a truncated one
// keeps its Content-Length and half its body); nothing when none was
// written (a hang that ended with the caller).
func (h *heldAnswer) replay(w http.ResponseWriter) {
	if h.status == 0 {
		return
	}
	for k, v := range h.header {
		w.Header()[k] = v
	}
	w.WriteHeader(h.status)
	_, _ = w.Write(h.body.Bytes())
}

// serveToken passes a token call through and notes whose account the
// access token it hands out is.
func (f *ttFront) serveToken(w http.ResponseWriter, r *http.Request) {
	held := &heldAnswer{header: http.Header{}}
	f.sim.ServeHTTP(held, r)
	var tok struct {
		AccessToken string `json:"access_token"`
		OpenID      string `json:"open_id"`
	}
	if held.status == http.StatusOK && json.Unmarshal(held.body.Bytes(), &tok) == nil && tok.AccessToken != "" {
		f.mu.Lock()
		f.accessUser[tok.AccessToken] = tok.OpenID
		f.mu.Unlock()
	}
	held.replay(w)
}

var contentRangeRE = regexp.MustCompile(`^bytes (\d+)-(\d+)/(\d+)$`)

// classify returns the call r is, when the front watches it, else nil.
func (f *ttFront) classify(r *http.Request) *call {
	c := &call{platform: "tiktok", match: r.Method + " " + r.URL.Path}
	switch {
	case r.Method == http.MethodPost && (r.URL.Path == ttInitPath || r.URL.Path == ttInboxPath):
		var req struct {
			PostInfo struct {
				Title string `json:"title"`
			} `json:"post_info"`
			SourceInfo struct {
				VideoSize int64 `json:"video_size"`
			} `json:"source_info"`
		}
		_ = json.Unmarshal(readBody(r), &req)
		c.kind, c.text, c.size, c.mutating = ttInit, req.PostInfo.Title, req.SourceInfo.VideoSize, true
		if r.URL.Path == ttInboxPath {
			c.text, c.detail = "", fmt.Sprintf("(inbox, %d bytes)", c.size)
		}
	case r.Method == http.MethodPut && r.URL.Path == ttChunkPath:
		c.kind, c.detail = ttChunk, r.Header.Get("Content-Range")
		if m := contentRangeRE.FindStringSubmatch(c.detail); m != nil {
			last, _ := strconv.ParseInt(m[2], 10, 64)
			total, _ := strconv.ParseInt(m[3], 10, 64)
			c.mutating = last == total-1 // the last chunk makes the post
		}
	case r.Method == http.MethodPost && r.URL.Path == ttStatusPath:
		var req struct {
			PublishID string `json:"publish_id"`
		}
		_ = json.Unmarshal(readBody(r), &req)
		c.kind, c.container = ttStatus, req.PublishID
	default:
		return nil
	}
	c.route = "tiktok " + r.Method + " " + r.URL.Path
	f.mu.Lock()
	defer f.mu.Unlock()
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		c.user = f.accessUser[tok]
	}
	switch c.kind {
	case ttInit:
		c.target = f.textTarget[c.user+"\x00"+c.text]
		if r.URL.Path == ttInboxPath {
			c.target = f.sizeTarget[c.user+"\x00"+strconv.FormatInt(c.size, 10)]
		}
	case ttChunk:
		up := f.uploads[r.URL.Query().Get("upload_id")]
		c.target, c.container = up.target, up.publishID
	case ttStatus:
		c.target = f.publishTarget[c.container]
	}
	return c
}

// learn records the publish an init created (from the answer, or from the
// simulator when the answer was spoiled) and its upload_id.
func (f *ttFront) learn(c *call, answer []byte, before map[string]bool) {
	var created []string
	for id := range f.publishIDs(c) {
		if !before[id] {
			created = append(created, id)
		}
	}
	slices.Sort(created)
	var ans struct {
		Data struct {
			PublishID string `json:"publish_id"`
			UploadURL string `json:"upload_url"`
		} `json:"data"`
	}
	_ = json.Unmarshal(answer, &ans)
	f.mu.Lock()
	defer f.mu.Unlock()
	c.created = created
	for _, id := range created {
		f.publishTarget[id] = c.target
	}
	if id := ans.Data.PublishID; id != "" {
		c.container = id
		f.publishTarget[id] = c.target
		if u, err := url.Parse(ans.Data.UploadURL); err == nil && u.Query().Get("upload_id") != "" {
			f.uploads[u.Query().Get("upload_id")] = ttUpload{target: c.target, publishID: id}
		}
	}
}

// publishIDs returns the ids of the publishes (in any state) that init
// call c may make: its account's, with its caption, or of its size in
// the inbox.
func (f *ttFront) publishIDs(c *call) map[string]bool {
	inbox := c.detail != ""
	out := map[string]bool{}
	for _, p := range f.sim.Posts() {
		if p.OpenID == c.user && (p.Mode == ttsim.ModeInbox) == inbox && (inbox && p.VideoSize == c.size || !inbox && p.Title == c.text) {
			out[p.PublishID] = true
		}
	}
	return out
}

// ttChoice is one fault of a menu, with its weight.
type ttChoice struct {
	w    int
	kind ttsim.FaultKind
}

// ttMenus are the faults of each watched call and how often one is
// injected. Every kind of answer an init may get is there, the lost ones
// (a hang, a 5xx or an HTML page, before or after the publish exists; a
// truncated answer) included: TikTok cannot be asked about an init whose
// answer sns-os never read, so such a target ends needs_operator, as
// designed. processing_failed with TikTok's retryable reason "internal"
// makes the publish fail once its upload is processed (sns-os then uploads
// the video again), spam_risk refuses the post for good, and an expired
// upload_url leaves the upload to the status (a new upload when bytes are
// missing).
var ttMenus = map[string]struct {
	rate float64
	menu []ttChoice
}{
	ttInit: {0.10, []ttChoice{{3, ttsim.FaultStatus}, {1, ttsim.FaultHTML}, {1, ttsim.FaultHang}, {2, ttsim.FaultHangAfterCommit},
		{2, ttsim.FaultStatusAfterCommit}, {1, ttsim.FaultTruncated}, {4, ttsim.FaultRateLimit}, {4, ttsim.FaultProcessingFailed},
		{1, ttsim.FaultSpamRisk}}},
	ttChunk: {0.12, []ttChoice{{3, ttsim.FaultStatus}, {1, ttsim.FaultHTML}, {2, ttsim.FaultHang}, {2, ttsim.FaultHangAfterCommit},
		{2, ttsim.FaultStatusAfterCommit}, {2, ttsim.FaultUploadURLExpired}, {1, ttsim.FaultProcessingFailed}, {1, ttsim.FaultRateLimit}}},
	ttStatus: {0.08, []ttChoice{{3, ttsim.FaultStatus}, {1, ttsim.FaultHTML}, {1, ttsim.FaultHang}, {1, ttsim.FaultTruncated},
		{2, ttsim.FaultRateLimit}, {1, ttsim.FaultProcessingFailed}}},
}

// inject decides, at random, whether c gets a fault, and queues it right
// before the simulator sees c. TikTok's paths name neither the account
// nor the publish, so a concurrent call on the same route may take the
// fault instead (by microseconds); the outcome recorded for each call is
// what really happened either way. Calls the front cannot attribute, and
// those of a target that has had its share of faults, get none. Callers
// hold f.mu.
func (f *ttFront) inject(c *call) {
	m, ok := ttMenus[c.kind]
	if !f.injecting || !ok || c.target == "" || f.disrupted[c.target] >= maxPostFaults || f.rng.Float64() >= m.rate {
		return
	}
	total := 0
	for _, ch := range m.menu {
		total += ch.w
	}
	n := f.rng.IntN(total)
	var kind ttsim.FaultKind
	for _, ch := range m.menu {
		if n < ch.w {
			kind = ch.kind
			break
		}
		n -= ch.w
	}
	ft := ttsim.Fault{Match: c.match, Kind: kind}
	switch kind {
	case ttsim.FaultStatus, ttsim.FaultStatusAfterCommit, ttsim.FaultHTML:
		ft.Status = []int{500, 502, 503, 504}[f.rng.IntN(4)]
	case ttsim.FaultProcessingFailed:
		ft.FailReason = "internal" // retryable: nothing was published
	case ttsim.FaultSpamRisk:
		ft.Code = "spam_risk_user_banned_from_posting" // a refusal without a daily cap
	}
	f.sim.InjectFault(ft)
	c.fault = string(kind)
	f.injected[c.route+" "+string(kind)]++
}

// killed marks the calls of incarnation tag still running as cut and
// returns them, described.
func (f *ttFront) killed(tag string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var cut []string
	for c := range f.inflight {
		if c.tag != tag {
			continue
		}
		c.cut = true
		what := c.route
		if c.detail != "" {
			what += " " + c.detail
		}
		if c.target != "" {
			f.disrupted[c.target]++
			what += " of " + c.target
		}
		if c.fault != "" {
			what += " [fault " + c.fault + "]"
		}
		cut = append(cut, what)
	}
	return cut
}

// running returns the calls in flight that a kill may cut.
func (f *ttFront) running() []*call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*call
	for c := range f.inflight {
		out = append(out, c)
	}
	return out
}

// publishesInFlight reports the calls running that may make a post (an
// init, a last chunk) and when the last one ended.
func (f *ttFront) publishesInFlight() (int, time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for c := range f.inflight {
		if c.mutating {
			n++
		}
	}
	return n, f.lastPublish
}

// callsOf returns the recorded calls attributed to target key.
func (f *ttFront) callsOf(key string) []*call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*call
	for _, c := range f.calls {
		if c.target == key {
			out = append(out, c)
		}
	}
	return out
}

// spoiledInit reports why a Direct Post's init call of target key may
// have started a publish whose publish_id sns-os never read: the answer
// was spoiled or lost, the caller was killed while it ran, or its
// incarnation died within 2 s of the answer (before it could store the
// id). TikTok offers no search, so such a post is the operator's to
// settle: needs_operator is the designed outcome. "" when no init fits.
func (f *ttFront) spoiledInit(key string, kills []kill) string {
	dead := map[string]time.Time{}
	for _, k := range kills {
		dead[k.tag] = k.at
	}
	for _, c := range f.callsOf(key) {
		if c.kind != ttInit {
			continue
		}
		switch at, ok := dead[c.tag]; {
		case c.cut:
			return fmt.Sprintf("its init at +%s was cut by a kill", f.since(c.start))
		case c.status == 0 || c.status >= 500 || truncated(c): // a 4xx is a refusal: nothing was started
			return fmt.Sprintf("its init at +%s got %s (%s)", f.since(c.start), orNone(c.fault), c.outcome)
		case ok && !at.Before(c.end) && at.Sub(c.end) < 2*time.Second:
			return fmt.Sprintf("its init at +%s answered %s, and %s was killed %s later", f.since(c.start), c.outcome, c.tag,
				at.Sub(c.end).Round(time.Millisecond))
		}
	}
	return ""
}

// refusedBySpam reports a spam_risk refusal target key received: a
// failure TikTok decided, which the target may end in.
func (f *ttFront) refusedBySpam(key string) string {
	for _, c := range f.callsOf(key) {
		if c.fault == string(ttsim.FaultSpamRisk) && !c.cut && c.status == http.StatusForbidden {
			return fmt.Sprintf("TikTok refused its init at +%s as spam (an injected spam_risk)", f.since(c.start))
		}
	}
	return ""
}

func orNone(s string) string {
	if s == "" {
		return "no injected fault"
	}
	return "fault " + s
}

func (f *ttFront) since(t time.Time) string {
	return t.Sub(f.start).Round(10 * time.Millisecond).String()
}

// summary counts calls by route and outcome class, and the injected
// faults.
func (f *ttFront) summary() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	counts := map[string]int{}
	for _, c := range f.calls {
		class := "ok"
		if faulted(c) {
			class = "spoiled"
		}
		if c.cut {
			class += "+cut"
		}
		counts[strings.TrimPrefix(c.route, "tiktok ")+" "+class]++
	}
	return fmt.Sprintf("tiktok: calls %v; injected %v", counts, f.injected)
}

// ttRecord is what the front says of one TikTok target for the run's
// account of TikTok: the calls that went wrong for it, and whether a kill
// fell inside its life on TikTok or inside its upload.
type ttRecord struct {
	faults int  // calls spoiled by a fault (not cut)
	killed bool // an incarnation that made one of its calls was killed between its first and last call
	// killedUpload: one of its chunks was cut by a kill, or an incarnation
	// that sent one was killed before its last chunk was sent.
	killedUpload bool
}

// record returns what the front saw of target key, given the run's kills.
func (f *ttFront) record(key string, kills []kill) ttRecord {
	var r ttRecord
	calls := f.callsOf(key)
	var first, last, firstChunk, lastChunk time.Time
	tags, chunkTags := map[string]bool{}, map[string]bool{}
	for _, c := range calls {
		if first.IsZero() {
			first = c.start
		}
		last, tags[c.tag] = c.end, true
		switch {
		case c.cut:
			r.killed = true
		case faulted(c):
			r.faults++
		}
		if c.kind == ttChunk {
			if firstChunk.IsZero() {
				firstChunk = c.start
			}
			lastChunk, chunkTags[c.tag] = c.start, true
			r.killedUpload = r.killedUpload || c.cut
		}
	}
	for _, k := range kills {
		r.killed = r.killed || tags[k.tag] && k.at.After(first) && k.at.Before(last)
		r.killedUpload = r.killedUpload || chunkTags[k.tag] && k.at.After(firstChunk) && k.at.Before(lastChunk)
	}
	return r
}

// ttUnaskable returns why TikTok cannot be asked whether target tg's post
// was made: its progress holds an init call with no publish_id (sns-os
// never read the answer), and the front saw that init's answer lost or
// its caller killed. "" otherwise: a target without both is judged like
// any other.
func (s *soak) ttUnaskable(tg *planTarget, targets []apiTarget, kills []kill) string {
	var progress map[string]string
	for _, t := range targets {
		if t.ID == tg.id {
			progress = t.Progress
		}
	}
	gens, err := strconv.Atoi(progress["gen"])
	if err != nil || gens < 1 {
		gens = 1
	}
	unanswered, sent := "", ""
	for g := 1; g <= gens; g++ {
		prefix := ""
		if g > 1 {
			prefix = fmt.Sprintf("g%d.", g)
		}
		if progress[prefix+"init_sent"] != "" && progress[prefix+"publish_id"] == "" {
			sent = progress[prefix+"init_sent"]
			unanswered = fmt.Sprintf("upload %d's init was sent at %s and no publish_id was stored", g, sent)
		}
	}
	if unanswered == "" {
		return ""
	}
	why := s.plat.tt.spoiledInit(tg.key, kills)
	if why == "" {
		why = s.plat.tt.killedBeforeInit(tg.key, sent, kills)
	}
	if why == "" {
		return ""
	}
	return unanswered + "; " + why
}

// killedBeforeInit explains an init recorded as sent (init_sent is saved
// before the request) that never reached TikTok because a process was
// killed in between: sns-os cannot tell it from an init whose answer was
// lost, and TikTok cannot be asked, so the operator must look. sent is the
// init_sent time (whole seconds); "" when no kill falls in that window
// with no init of key started between the mark and the kill.
func (f *ttFront) killedBeforeInit(key, sent string, kills []kill) string {
	at, err := time.Parse(time.RFC3339, sent)
	if err != nil {
		return ""
	}
	for _, k := range kills {
		if k.at.Before(at) || k.at.Sub(at) >= 2*time.Second {
			continue
		}
		started := false
		for _, c := range f.callsOf(key) {
			if c.kind == ttInit && !c.start.Before(at) && !c.start.After(k.at) {
				started = true
			}
		}
		if !started {
			return fmt.Sprintf("%s was killed at +%s, after the init was marked sent and before it reached TikTok", k.tag, f.since(k.at))
		}
	}
	return ""
}

// ttSummary says how the TikTok targets ended and what they went
// through: the run must show posts published through faults and kills,
// and uploads of several chunks carried across a kill.
func (s *soak) ttSummary(targets []apiTarget, expect map[int64]expectation, kills []kill) string {
	state := map[int64]string{}
	for _, t := range targets {
		state[t.ID] = t.State
	}
	var n, published, viaFaults, viaKills, multi, multiKilled, designed, refused int
	for id, tg := range s.byID {
		if tg.platform != "tiktok" {
			continue
		}
		n++
		r := s.plat.tt.record(tg.key, kills)
		switch st := state[id]; {
		case st == "published":
			published++
			if r.faults > 0 {
				viaFaults++
			}
			if r.killed {
				viaKills++
			}
			if tg.chunks > 1 {
				multi++
				if r.killedUpload {
					multiKilled++
				}
			}
		case st == "needs_operator" && expect[id].unaskable != "":
			designed++
		case st == "failed" && expect[id].refused != "":
			refused++
		}
	}
	return fmt.Sprintf("tiktok: %d targets, %d published (%d through injected faults, %d through kills; %d of several chunks, "+
		"%d of them carried across a kill), %d needs_operator after an init whose answer was lost, %d refused as spam",
		n, published, viaFaults, viaKills, multi, multiKilled, designed, refused)
}
