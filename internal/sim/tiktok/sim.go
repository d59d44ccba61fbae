package tiktok

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sns-os/snsos/internal/sim/graph"
)

// Default values for the zero fields of Options.
const (
	DefaultAccessTokenTTL     = 24 * time.Hour       // expires_in 86400
	DefaultRefreshTokenTTL    = 365 * 24 * time.Hour // refresh_expires_in 31536000
	DefaultAuthCodeTTL        = 5 * time.Minute
	DefaultProcessingDuration = 5 * time.Second
	DefaultDailyPostCap       = 15
	DefaultPendingShareCap    = 5
	DefaultActiveUserCap      = 5
	DefaultMaxDurationSec     = 300
	DefaultDemoUsername       = "snsos_demo"
)

// UploadURLTTL is how long an upload_url accepts chunks after the init
// that returned it, on the simulator's clock.
const UploadURLTTL = time.Hour

// The scopes of Login Kit and the Content Posting and Display APIs.
const (
	ScopeUserBasic    = "user.info.basic"
	ScopeUserProfile  = "user.info.profile"
	ScopeUserStats    = "user.info.stats"
	ScopeVideoList    = "video.list"
	ScopeVideoUpload  = "video.upload"
	ScopeVideoPublish = "video.publish"
)

// DefaultScopes are every scope; IssueTokens grants them.
var DefaultScopes = []string{ScopeUserBasic, ScopeUserProfile, ScopeUserStats, ScopeVideoList, ScopeVideoUpload, ScopeVideoPublish}

// Options configures a Sim. Only ClientKey and ClientSecret are needed for
// a useful simulator; every other zero field takes the documented default.
type Options struct {
	// ClientKey and ClientSecret identify the registered app. The token
	// and revoke endpoints take both in the form body.
	ClientKey, ClientSecret string

	// RedirectURIs are the registered redirect URIs, matched exactly,
	// except that a port written "*" (TikTok's desktop wildcard, e.g.
	// "http://127.0.0.1:*/callback/") matches any port. When empty any
	// absolute http(s) URL is accepted at authorize time (the code
	// exchange must still repeat it exactly).
	RedirectURIs []string

	// Now is the clock; nil means time.Now. Advance adds an offset.
	Now func() time.Time

	// Logger receives one line per injected fault and per refused
	// authorize request; nil discards. Secrets are never logged.
	Logger *slog.Logger

	// BaseURL is the absolute URL under which the simulator is reachable
	// (e.g. "http://127.0.0.1:8080/sim/tiktok"), used for the consent
	// form, upload_url, avatar_url and cover_image_url. When empty they
	// are derived from each request (Host plus the prefix an
	// http.StripPrefix removed). SetBaseURL changes it later.
	BaseURL string

	// AutoApprove makes GET /v2/auth/authorize/ redirect at once with a
	// code for the demo user and every requested scope.
	AutoApprove bool

	// DemoUsername is the account the consent page proposes (created when
	// first needed). Default "snsos_demo".
	DemoUsername string

	// Unaudited simulates a client that has not passed the Direct Post
	// audit: creator_info offers only SELF_ONLY, a direct post with any
	// other privacy_level gets 403
	// unaudited_client_can_only_post_to_private_accounts, and at most
	// ActiveUserCap accounts may post in 24 hours (403
	// reached_active_user_cap).
	Unaudited bool

	// AccessTokenTTL (default 24h), RefreshTokenTTL (default 365 days) and
	// AuthCodeTTL (default 5 min) bound codes and tokens; expires_in and
	// refresh_expires_in report the first two.
	AccessTokenTTL, RefreshTokenTTL, AuthCodeTTL time.Duration

	// RevokeOnRefreshReuse makes the reuse of a rotated refresh token also
	// kill the grant (every token issued under it), as OAuth 2.1 advises.
	// By default the reuse is only refused and the newest pair keeps
	// working.
	RevokeOnRefreshReuse bool

	// ProcessingDuration is how long a publish stays PROCESSING_UPLOAD
	// after its last chunk, or PROCESSING_DOWNLOAD after a pull init,
	// before it ends. Default 5 s.
	ProcessingDuration time.Duration

	// ModerationDelay is how long after PUBLISH_COMPLETE a public post
	// gets its publicaly_available_post_id. Default 0: at once.
	ModerationDelay time.Duration

	// DailyPostCap (default 15) is the direct posts per account per
	// rolling 24 h (403 spam_risk_too_many_posts), PendingShareCap
	// (default 5) the inbox uploads per account per rolling 24 h (403
	// spam_risk_too_many_pending_share), ActiveUserCap (default 5) the
	// accounts an Unaudited client may post for per rolling 24 h.
	DailyPostCap, PendingShareCap, ActiveUserCap int

	// Unlimited disables the per-token rate limits and every cap above.
	// Meant for soak tests and benchmarks.
	Unlimited bool

	// VerifiedURLPrefixes, when set, are the URL prefixes whose media may
	// be pulled (403 url_ownership_unverified otherwise). When empty any
	// http or https URL is pulled.
	VerifiedURLPrefixes []string

	// HTTPClient fetches PULL_FROM_URL media; nil means a client of the
	// simulator's own (which may reach loopback). FetchTimeout bounds one
	// fetch (default 10 s) and MaxFetchBytes the bytes read of one file
	// (default 64 MiB).
	HTTPClient    *http.Client
	FetchTimeout  time.Duration
	MaxFetchBytes int64
}

// A Creator holds the settings of an account that creator_info reports
// and the Content Posting API enforces.
type Creator struct {
	// Private makes privacy_level_options FOLLOWER_OF_CREATOR,
	// MUTUAL_FOLLOW_FRIENDS, SELF_ONLY instead of PUBLIC_TO_EVERYONE,
	// MUTUAL_FOLLOW_FRIENDS, SELF_ONLY.
	Private bool
	// CommentDisabled, DuetDisabled and StitchDisabled are reported by
	// creator_info.
	CommentDisabled, DuetDisabled, StitchDisabled bool
	// MaxVideoPostDurationSec is reported by creator_info. Default 300.
	MaxVideoPostDurationSec int
	// BannedFromPosting makes creator_info answer
	// spam_risk_user_banned_from_posting (HTTP 200) and init refuse with
	// 403.
	BannedFromPosting bool
}

// A User is an account on the simulated TikTok.
type User struct {
	OpenID      string // the open_id of the token answer and user info
	UnionID     string
	Username    string
	DisplayName string
	Creator
}

// Sim is the TikTok API simulator. Create one with New.
type Sim struct {
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	fetcher *graph.Fetcher
	rec     recorder

	publishIDs, publicIDs, uploadIDs *graph.IDs

	mu       sync.Mutex
	baseURL  string
	offset   time.Duration
	faults   []*faultRec
	closing  chan struct{}
	closeMu  sync.Once
	users    []*User
	byID     map[string]*User
	byName   map[string]*User
	codes    map[string]*authCode
	grants   map[string]*grant
	access   map[string]*accessToken
	refresh  map[string]*grant
	rotated  map[string]*grant // refresh tokens already used once
	limits   map[string]*graph.Rolling
	posted   *graph.Rolling // direct posts per open_id
	shared   *graph.Rolling // inbox uploads per open_id
	posters  *graph.Rolling // any post per open_id (the active-user cap)
	pubs     []*publish
	pubByID  map[string]*publish
	byUpload map[string]*publish
	byPublic map[string]*publish
	fixed    map[string]Metrics // SetMetrics overrides by video id
}

// New returns a simulator configured by opts.
func New(opts Options) *Sim {
	opts = withDefaults(opts)
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Sim{
		opts: opts, log: log, mux: http.NewServeMux(),
		fetcher:    graph.NewFetcher(opts.HTTPClient, opts.FetchTimeout),
		publishIDs: graph.NewIDs(130_000_000_000_000_001),
		publicIDs:  graph.NewIDs(7_300_000_000_000_000_001),
		uploadIDs:  graph.NewIDs(68_000_000_000_000_001),
		baseURL:    opts.BaseURL, closing: make(chan struct{}),
		byID: make(map[string]*User), byName: make(map[string]*User),
		codes: make(map[string]*authCode), grants: make(map[string]*grant),
		access: make(map[string]*accessToken), refresh: make(map[string]*grant),
		rotated: make(map[string]*grant), limits: make(map[string]*graph.Rolling),
		posted: graph.NewRolling(24 * time.Hour), shared: graph.NewRolling(24 * time.Hour),
		posters: graph.NewRolling(24 * time.Hour), pubByID: make(map[string]*publish),
		byUpload: make(map[string]*publish), byPublic: make(map[string]*publish),
		fixed: make(map[string]Metrics),
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
	setInt := func(n *int, def int) {
		if *n <= 0 {
			*n = def
		}
	}
	set(&o.AccessTokenTTL, DefaultAccessTokenTTL)
	set(&o.RefreshTokenTTL, DefaultRefreshTokenTTL)
	set(&o.AuthCodeTTL, DefaultAuthCodeTTL)
	set(&o.ProcessingDuration, DefaultProcessingDuration)
	setInt(&o.DailyPostCap, DefaultDailyPostCap)
	setInt(&o.PendingShareCap, DefaultPendingShareCap)
	setInt(&o.ActiveUserCap, DefaultActiveUserCap)
	if o.ModerationDelay < 0 {
		o.ModerationDelay = 0
	}
	if o.Now == nil {
		o.Now = time.Now
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

// routes is the one route table of the simulator. API routes name the
// scopes of which they need one and their per-token limit per minute.
func (s *Sim) routes() {
	publish := []string{ScopeVideoPublish}
	either := []string{ScopeVideoPublish, ScopeVideoUpload}
	s.mux.HandleFunc("GET /v2/auth/authorize/{$}", s.handleAuthorizePage)
	s.mux.HandleFunc("POST /v2/auth/authorize/{$}", s.handleAuthorizeSubmit)
	s.mux.HandleFunc("POST /v2/oauth/token/{$}", s.handleToken)
	s.mux.HandleFunc("POST /v2/oauth/revoke/{$}", s.handleRevoke)
	s.mux.HandleFunc("PUT /upload/video/{$}", s.handleUpload)
	s.mux.HandleFunc("GET /__sim/posts", s.handleSimPosts)
	s.mux.HandleFunc("POST /__sim/inbox/finish", s.handleSimFinishInbox)
	s.mux.HandleFunc("GET /__sim/avatars/{file}", s.handleImage)
	s.mux.HandleFunc("GET /__sim/covers/{file}", s.handleImage)

	s.api("GET /v2/user/info/", []string{ScopeUserBasic}, 600, s.handleUserInfo)
	s.api("POST /v2/post/publish/creator_info/query/", publish, 20, s.handleCreatorInfo)
	s.api("POST /v2/post/publish/video/init/", publish, 6, s.handleVideoInit)
	s.api("POST /v2/post/publish/inbox/video/init/", []string{ScopeVideoUpload}, 6, s.handleInboxInit)
	s.api("POST /v2/post/publish/content/init/", either, 6, s.handleContentInit)
	s.api("POST /v2/post/publish/status/fetch/", either, 30, s.handleStatus)
	s.api("POST /v2/post/publish/cancel/", either, 30, s.handleCancel)
	s.api("POST /v2/video/query/", []string{ScopeVideoList}, 600, s.handleVideoQuery)
	s.api("POST /v2/video/list/", []string{ScopeVideoList}, 600, s.handleVideoList)
	s.mux.HandleFunc("/", s.handleUnknown)
}

// maxBodyBytes caps the non-upload request bodies.
const maxBodyBytes = 1 << 20

// ServeHTTP records the request, applies the first queued fault that
// matches it and dispatches it.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/__sim/") {
		s.mux.ServeHTTP(w, r)
		return
	}
	var body []byte
	if r.Method != http.MethodPut && r.Body != nil {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
		if err != nil || len(body) > maxBodyBytes {
			s.writeErr(w, errParams("the request body could not be read or is larger than 1 MiB"))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	entry := s.rec.start(s.Now(), r, body)
	sw := &graph.StatusWriter{ResponseWriter: w}
	defer func() { s.rec.finish(entry, sw.Status()) }()
	if f := s.takeFault(r); f != nil {
		s.serveFault(sw, r, body, f)
		return
	}
	if !strings.HasSuffix(r.URL.Path, "/") { // not redirected as ServeMux would
		s.handleUnknown(sw, r)
		return
	}
	s.mux.ServeHTTP(sw, r)
}

// handleUnknown answers paths no route serves.
func (s *Sim) handleUnknown(w http.ResponseWriter, r *http.Request) {
	msg := "no such endpoint: " + r.Method + " " + r.URL.Path
	if !strings.HasSuffix(r.URL.Path, "/") {
		msg += " (TikTok paths end with a slash)"
	}
	s.writeErr(w, apiError{Status: http.StatusNotFound, Code: "not_found", Message: msg})
}

// Close releases requests blocked by hang faults. The Sim keeps serving.
func (s *Sim) Close() { s.closeMu.Do(func() { close(s.closing) }) }

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

// Requests returns the recorded requests, oldest first (at most
// MaxRecorded), with client secrets, codes, verifiers and tokens masked.
// The simulator's own /__sim/ paths are not recorded.
func (s *Sim) Requests() []Request { return s.rec.list() }
