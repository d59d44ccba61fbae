package threads

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sns-os/snsos/internal/sim/graph"
)

// Default values for the zero fields of Options.
const (
	DefaultAuthCodeTTL     = time.Hour
	DefaultShortLivedTTL   = time.Hour
	DefaultLongLivedTTL    = 5183944 * time.Second // the expires_in Meta answers (about 60 days)
	DefaultRefreshMinAge   = 24 * time.Hour
	DefaultImageProcessing = 2 * time.Second
	DefaultVideoProcessing = 20 * time.Second
	DefaultQuotaTotal      = 250
	DefaultReplyQuotaTotal = 1000
	DefaultInsightsDelay   = 10 * time.Minute
	DefaultDemoUsername    = "snsos_demo"
)

// The Threads scopes the simulator knows.
const (
	ScopeBasic          = "threads_basic"
	ScopeContentPublish = "threads_content_publish"
	ScopeManageInsights = "threads_manage_insights"
	ScopeManageReplies  = "threads_manage_replies"
	ScopeReadReplies    = "threads_read_replies"
)

// DefaultScopes are the scopes IssueTokens grants.
var DefaultScopes = []string{ScopeBasic, ScopeContentPublish, ScopeManageInsights, ScopeManageReplies, ScopeReadReplies}

// knownScopes are accepted at authorize time.
var knownScopes = append(slices.Clone(DefaultScopes), "threads_manage_mentions", "threads_keyword_search",
	"threads_delete", "threads_location_tagging", "threads_profile_discovery", "threads_share_to_instagram")

// Options configures a Sim. Only ClientID and ClientSecret are needed for a
// useful simulator; every other zero field takes the documented default.
type Options struct {
	// ClientID and ClientSecret are the Threads app id and secret.
	ClientID, ClientSecret string

	// RedirectURIs are the registered redirect callback URLs, matched
	// exactly. When empty any absolute http(s) URL is accepted at
	// authorize time (the code exchange must still repeat it exactly).
	RedirectURIs []string

	// Now is the clock; nil means time.Now. Advance adds an offset.
	Now func() time.Time

	// Logger receives one line per injected fault and refused authorize
	// request; nil discards.
	Logger *slog.Logger

	// BaseURL is the absolute URL under which the simulator is reachable
	// (e.g. "http://127.0.0.1:8080/sim/threads"), used for the consent
	// form, threads_profile_picture_url and paging links. When empty they
	// are derived from each request (Host plus the prefix an
	// http.StripPrefix removed). SetBaseURL changes it later.
	BaseURL string

	// AutoApprove makes GET /oauth/authorize redirect at once with a code
	// for the demo user, skipping the consent page.
	AutoApprove bool

	// DemoUsername is the account the consent page proposes (created when
	// first needed). Default "snsos_demo".
	DemoUsername string

	// AuthCodeTTL (default 1h), ShortLivedTTL (default 1h) and
	// LongLivedTTL (default 5183944 s) bound codes and tokens.
	AuthCodeTTL, ShortLivedTTL, LongLivedTTL time.Duration

	// RefreshMinAge is how old a long-lived token must be before it can be
	// refreshed. Default 24h.
	RefreshMinAge time.Duration

	// ImageProcessing (default 2 s; TEXT and CAROUSEL containers too) and
	// VideoProcessing (default 20 s) are how long containers stay
	// IN_PROGRESS on the simulator's clock.
	ImageProcessing, VideoProcessing time.Duration

	// QuotaTotal (default 250) and ReplyQuotaTotal (default 1000) are the
	// posts and replies an account may publish per rolling 24 h.
	QuotaTotal, ReplyQuotaTotal int

	// InsightsDelay is how long after publishing insights stay empty.
	// Default 10 minutes.
	InsightsDelay time.Duration

	// HTTPClient fetches media URLs; nil means a client of the simulator's
	// own (which may reach loopback). FetchTimeout bounds one fetch
	// (default 10 s) and MaxFetchBytes the bytes read of a video (default
	// 64 MiB; images stop at 8 MiB, Threads' limit).
	HTTPClient    *http.Client
	FetchTimeout  time.Duration
	MaxFetchBytes int64
}

// A User is a Threads account.
type User struct {
	ID       string
	Username string
	Name     string
}

// A Post is a published thread or reply.
type Post struct {
	ID           string // the media id
	ContainerID  string
	OwnerID      string
	Username     string
	MediaType    string // TEXT_POST, IMAGE, VIDEO or CAROUSEL_ALBUM
	Text         string
	AltText      string
	ReplyTo      string // reply_to_id, "" for a top-level post
	RootID       string // the conversation's top-level post, "" for a top-level post
	QuotedID     string // quote_post_id
	TopicTag     string
	LinkURL      string // link_attachment
	ReplyControl string
	Shortcode    string
	Permalink    string
	CreatedAt    time.Time
	// Media lists what the simulator fetched: the image or video, or a
	// carousel's children in order.
	Media []MediaFile
}

// A MediaFile is one fetched media URL.
type MediaFile struct {
	ID     string // the carousel child's media id, "" otherwise
	Kind   string // IMAGE or VIDEO
	URL    string
	Bytes  int64  // bytes read
	Format string // graph.FormatJPEG, graph.FormatPNG, graph.FormatMP4, …
}

// Sim is the Threads API simulator. Create one with New.
type Sim struct {
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	faults  *graph.Faults
	fetcher *graph.Fetcher
	rec     graph.Recorder
	consent *graph.Consent

	userIDs, containerIDs, mediaIDs *graph.IDs

	mu         sync.Mutex
	baseURL    string
	offset     time.Duration
	tokens     *graph.Tokens
	users      []*User
	byID       map[string]*User
	byName     map[string]*User
	containers map[string]*container
	posts      []*Post
	postsByID  map[string]*Post
	children   map[string]*Post // carousel child media id -> its carousel
	published  *graph.Rolling   // top-level posts per user
	replied    *graph.Rolling   // replies per user
}

// New returns a simulator configured by opts.
func New(opts Options) *Sim {
	opts = withDefaults(opts)
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Sim{
		opts: opts, log: log, mux: http.NewServeMux(), faults: graph.NewFaults(),
		fetcher:      graph.NewFetcher(opts.HTTPClient, opts.FetchTimeout),
		userIDs:      graph.NewIDs(25000000000000001),
		containerIDs: graph.NewIDs(17890000000000001),
		mediaIDs:     graph.NewIDs(18030000000000001),
		baseURL:      opts.BaseURL, tokens: graph.NewTokens("THAA"),
		byID: make(map[string]*User), byName: make(map[string]*User),
		containers: make(map[string]*container), postsByID: make(map[string]*Post),
		children:  make(map[string]*Post),
		published: graph.NewRolling(graph.QuotaWindow), replied: graph.NewRolling(graph.QuotaWindow),
	}
	s.consent = &graph.Consent{
		Product: "Threads", ClientID: opts.ClientID, RedirectURIs: opts.RedirectURIs,
		Scopes: knownScopes, RequiredScope: ScopeBasic, AutoApprove: opts.AutoApprove,
		DefaultUser: s.defaultUsername, Action: s.formAction, Issue: s.issueCode, Log: log,
	}
	s.routes()
	return s
}

func withDefaults(o Options) Options {
	set := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	set(&o.AuthCodeTTL, DefaultAuthCodeTTL)
	set(&o.ShortLivedTTL, DefaultShortLivedTTL)
	set(&o.LongLivedTTL, DefaultLongLivedTTL)
	set(&o.RefreshMinAge, DefaultRefreshMinAge)
	set(&o.ImageProcessing, DefaultImageProcessing)
	set(&o.VideoProcessing, DefaultVideoProcessing)
	set(&o.InsightsDelay, DefaultInsightsDelay)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.QuotaTotal <= 0 {
		o.QuotaTotal = DefaultQuotaTotal
	}
	if o.ReplyQuotaTotal <= 0 {
		o.ReplyQuotaTotal = DefaultReplyQuotaTotal
	}
	if o.MaxFetchBytes <= 0 {
		o.MaxFetchBytes = graph.DefaultMaxFetchBytes
	}
	if o.DemoUsername == "" {
		o.DemoUsername = DefaultDemoUsername
	}
	o.BaseURL = strings.TrimSuffix(o.BaseURL, "/")
	return o
}

// routes is the one route table of the simulator. Graph paths are listed
// without their optional version prefix, which ServeHTTP removes.
func (s *Sim) routes() {
	s.mux.Handle("GET /oauth/authorize", s.consent)
	s.mux.Handle("POST /oauth/authorize", s.consent)
	s.mux.HandleFunc("POST /oauth/access_token", s.handleCodeExchange)
	s.mux.HandleFunc("GET /oauth/access_token", s.handleCodeExchange)
	s.mux.HandleFunc("GET /access_token", s.handleExchange)
	s.mux.HandleFunc("GET /refresh_access_token", s.handleRefresh)
	s.mux.HandleFunc("GET /__sim/posts", s.handleSimPosts)
	s.mux.HandleFunc("GET /__sim/avatars/{file}", s.handleAvatar)

	s.mux.HandleFunc("GET /{id}", s.handleNode)
	s.mux.HandleFunc("POST /{id}/threads", s.handleCreate)
	s.mux.HandleFunc("GET /{id}/threads", s.handleThreads)
	s.mux.HandleFunc("GET /{id}/replies", s.handleReplies)
	s.mux.HandleFunc("GET /{id}/conversation", s.handleConversation)
	s.mux.HandleFunc("POST /{id}/threads_publish", s.handlePublish)
	s.mux.HandleFunc("GET /{id}/threads_publishing_limit", s.handleLimit)
	s.mux.HandleFunc("GET /{id}/insights", s.handleInsights)
	s.mux.HandleFunc("/", handleUnknown)
}

// ServeHTTP removes the version prefix, records the request, applies the
// first queued fault that matches it and dispatches it.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	call, perr := graph.ParseCall(r)
	if strings.HasPrefix(call.Path, "/__sim/") {
		s.mux.ServeHTTP(w, graph.WithCall(r, call))
		return
	}
	entry := s.rec.Start(s.Now(), r.Method, call)
	sw := &graph.StatusWriter{ResponseWriter: w}
	defer func() { s.rec.Finish(entry, sw.Status()) }()
	if perr != nil {
		perr.Type = graph.TypeThreads
		graph.WriteError(sw, *perr)
		return
	}
	r = graph.WithCall(r, call)
	if f := s.faults.Take(r.Method, call.Path); f != nil {
		s.faults.Serve(sw, r, *f, s.faultEnv(r))
		return
	}
	s.mux.ServeHTTP(sw, r)
}

// handleUnknown answers paths no route serves, as Graph does.
func handleUnknown(w http.ResponseWriter, r *http.Request) {
	first, rest, _ := strings.Cut(strings.Trim(r.URL.Path, "/"), "/")
	if rest == "" {
		graph.WriteError(w, graph.NotFound(r.Method, first))
		return
	}
	graph.WriteError(w, graph.UnknownPath("/"+rest))
}

// Close releases requests blocked by hang faults. The Sim keeps serving.
func (s *Sim) Close() { s.faults.Close() }

// SetBaseURL sets the absolute URL under which the simulator is reachable
// (see Options.BaseURL).
func (s *Sim) SetBaseURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.baseURL = strings.TrimSuffix(u, "/")
}

// base returns the base URL for links in the answer to r.
func (s *Sim) base(r *http.Request) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return graph.BaseURL(r, s.baseURL)
}

// now returns the simulator's time. Callers may hold s.mu.
func (s *Sim) now() time.Time { return s.opts.Now().Add(s.offset) }

// Now returns the simulator's time: Options.Now plus every Advance.
func (s *Sim) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

// Advance moves the simulator's clock forward by d on top of Options.Now.
func (s *Sim) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
}

// AddUser creates an account, or returns the existing one with that
// username. An empty name defaults to the username.
func (s *Sim) AddUser(username, name string) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.addUserLocked(username, name)
}

func (s *Sim) addUserLocked(username, name string) *User {
	if u, ok := s.byName[strings.ToLower(username)]; ok {
		return u
	}
	if name == "" {
		name = username
	}
	u := &User{ID: s.userIDs.Next(), Username: username, Name: name}
	s.users = append(s.users, u)
	s.byID[u.ID] = u
	s.byName[strings.ToLower(username)] = u
	return u
}

// Users returns every account in creation order.
func (s *Sim) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, len(s.users))
	for i, u := range s.users {
		out[i] = *u
	}
	return out
}

// Posts returns every published thread and reply, oldest first. The
// result is a copy.
func (s *Sim) Posts() []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Post, len(s.posts))
	for i, p := range s.posts {
		out[i] = *p
		out[i].Media = slices.Clone(p.Media)
	}
	return out
}

// Requests returns the recorded API requests, oldest first (at most
// graph.MaxRecorded), with access tokens, client secrets and codes masked.
// The simulator's own /__sim/ paths are not recorded.
func (s *Sim) Requests() []Request { return s.rec.List() }

// A Request is one recorded request.
type Request = graph.Request
