package x

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Default values for the zero fields of Options.
const (
	DefaultAccessTokenTTL     = 2 * time.Hour
	DefaultRefreshTokenTTL    = 180 * 24 * time.Hour
	DefaultAuthCodeTTL        = 30 * time.Second
	DefaultDuplicateWindow    = 24 * time.Hour
	DefaultProcessingDuration = 3 * time.Second
	DefaultMaxChunkBytes      = 5 << 20
	DefaultDemoUsername       = "snsos_demo"
)

// DefaultScopes are the scopes sns-os requests and IssueTokens grants when
// given none.
var DefaultScopes = []string{"tweet.read", "tweet.write", "users.read", "media.write", "offline.access"}

// Options configures a Sim. Only ClientID is needed for a useful simulator;
// every other zero field takes the documented default.
type Options struct {
	// ClientID and ClientSecret identify the registered app. The token and
	// revoke endpoints accept a confidential client (Authorization: Basic
	// base64(id:secret)) and a public client (client_id in the form body).
	ClientID, ClientSecret string

	// RequireBasicAuth refuses public-client requests (client_id in the body
	// without Basic auth) with 401 unauthorized_client, as X does for a
	// confidential app.
	RequireBasicAuth bool

	// RedirectURIs are the registered callback URLs, matched exactly. When
	// empty, any absolute http or https URL is accepted at authorize time
	// (the token exchange still has to repeat it exactly).
	RedirectURIs []string

	// Now is the clock; nil means time.Now. Advance adds an offset on top.
	Now func() time.Time

	// Logger receives one line per injected fault and per refused request;
	// nil discards.
	Logger *slog.Logger

	// BaseURL, when set, is the absolute URL under which the simulator is
	// reachable (e.g. "http://127.0.0.1:8080/sim/x"). It is used for the
	// consent form's action and for the users' profile_image_url, which
	// then points at the simulator's own avatars
	// (BaseURL/__sim/avatars/{id}.png). When empty, the form uses a relative
	// link, which also works behind http.StripPrefix, and profile_image_url
	// is X's default picture. SetBaseURL changes it later.
	BaseURL string

	// AutoApprove makes GET /i/oauth2/authorize redirect straight back with
	// a code for the default demo user, skipping the consent page.
	AutoApprove bool

	// DemoUsername is the user the consent page picks (creating it if
	// needed) when no username is submitted and no user exists. Default
	// "snsos_demo".
	DemoUsername string

	// AccessTokenTTL (default 2h), RefreshTokenTTL (default 180 days,
	// UNVERIFIED for X) and AuthCodeTTL (default 30 s) bound token lifetimes
	// on the simulator's clock.
	AccessTokenTTL, RefreshTokenTTL, AuthCodeTTL time.Duration

	// DuplicateWindow is how long an identical text from the same user is
	// refused as duplicate content. Default 24h (X does not document it).
	DuplicateWindow time.Duration

	// AllowDuplicates turns off the duplicate-content refusal, so that a
	// client that posts twice leaves two posts — used by soak tests to count
	// duplicates. SetAllowDuplicates changes it later.
	AllowDuplicates bool

	// MaxWeightedLength is the post length limit. Default 280.
	MaxWeightedLength int

	// AllowReplyToOthers lifts the 2026 self-serve reply restriction. By
	// default a reply to another user's post gets 403; replies to one's own
	// posts (threads) are allowed.
	AllowReplyToOthers bool

	// ProcessingDuration is how long video and GIF processing takes after
	// finalize: "pending" for the first second, then "in_progress" with a
	// growing progress_percent, then "succeeded". Default 3 s.
	ProcessingDuration time.Duration

	// MaxChunkBytes caps one appended segment. Default 5 MiB.
	MaxChunkBytes int64

	// RateLimits overrides per-endpoint limits. Keys are route patterns as
	// listed in the package documentation, e.g. "POST /2/tweets" or
	// "GET /2/users/me"; a negative Limit disables the limit for that route.
	RateLimits map[string]RateLimit

	// Unlimited disables every rate limit (headers are still sent). Meant for
	// benchmarks.
	Unlimited bool
}

// A RateLimit is a fixed-window per-user request limit.
type RateLimit struct {
	Limit  int
	Window time.Duration
}

// A User is an account on the simulated X.
type User struct {
	ID       string // decimal, 19 digits, larger than 2^53
	Username string
	Name     string
}

// A Post is a published post as the simulator stored it.
type Post struct {
	ID             string
	AuthorID       string
	Text           string
	MediaIDs       []string
	ReplyTo        string // in_reply_to_tweet_id, or ""
	ConversationID string // id of the first post of the thread
	CreatedAt      time.Time
	EditHistoryIDs []string
	Deleted        bool // deleted through DELETE /2/tweets/{id}
}

// A Media describes one upload. The bytes are not kept.
type Media struct {
	ID        string
	OwnerID   string
	Category  string // tweet_image, tweet_gif, tweet_video, ...
	MediaType string // MIME type
	TotalSize int64  // declared total_bytes (or the one-shot size)
	Received  int64  // bytes received so far
	SHA256    string // hex digest of the received bytes once finalized
	State     string // "uploading", "pending", "in_progress", "succeeded" or "failed"
	AltText   string // set by POST /2/media/metadata ("" if none)
}

// Sim is the X API simulator. Create one with New.
type Sim struct {
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	limits  map[string]RateLimit
	closing chan struct{}
	closeMu sync.Once

	mu          sync.Mutex
	baseURL     string // Options.BaseURL, or what SetBaseURL set
	allowDups   bool   // Options.AllowDuplicates, or what SetAllowDuplicates set
	offset      time.Duration
	lastID      uint64
	users       []*userRec
	usersByID   map[string]*userRec
	usersByName map[string]*userRec
	codes       map[string]*authCode
	grants      map[string]*grant // by grant id
	access      map[string]*accessToken
	refresh     map[string]*grant // current refresh token -> grant
	posts       []*Post
	postsByID   map[string]*Post
	dupes       map[string]*Post // userID + "\x00" + text -> latest post
	media       map[string]*mediaRec
	buckets     map[bucketKey]*bucket
	faults      []*faultRec
}

type userRec struct {
	User
	createdAt time.Time
}

// New returns a simulator configured by opts.
func New(opts Options) *Sim {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.AccessTokenTTL <= 0 {
		opts.AccessTokenTTL = DefaultAccessTokenTTL
	}
	if opts.RefreshTokenTTL <= 0 {
		opts.RefreshTokenTTL = DefaultRefreshTokenTTL
	}
	if opts.AuthCodeTTL <= 0 {
		opts.AuthCodeTTL = DefaultAuthCodeTTL
	}
	if opts.DuplicateWindow <= 0 {
		opts.DuplicateWindow = DefaultDuplicateWindow
	}
	if opts.MaxWeightedLength <= 0 {
		opts.MaxWeightedLength = 280
	}
	if opts.ProcessingDuration <= 0 {
		opts.ProcessingDuration = DefaultProcessingDuration
	}
	if opts.MaxChunkBytes <= 0 {
		opts.MaxChunkBytes = DefaultMaxChunkBytes
	}
	if opts.DemoUsername == "" {
		opts.DemoUsername = DefaultDemoUsername
	}
	opts.BaseURL = strings.TrimSuffix(opts.BaseURL, "/")
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Sim{
		opts:        opts,
		log:         log,
		mux:         http.NewServeMux(),
		limits:      make(map[string]RateLimit),
		closing:     make(chan struct{}),
		usersByID:   make(map[string]*userRec),
		usersByName: make(map[string]*userRec),
		codes:       make(map[string]*authCode),
		grants:      make(map[string]*grant),
		access:      make(map[string]*accessToken),
		refresh:     make(map[string]*grant),
		postsByID:   make(map[string]*Post),
		dupes:       make(map[string]*Post),
		media:       make(map[string]*mediaRec),
		buckets:     make(map[bucketKey]*bucket),
		baseURL:     opts.BaseURL,
		allowDups:   opts.AllowDuplicates,
	}
	s.routes()
	return s
}

// routes is the one route table of the simulator. API routes list the
// scopes they need and their documented per-user 15-minute limit.
func (s *Sim) routes() {
	read := []string{"tweet.read", "users.read"}
	write := []string{"tweet.read", "tweet.write", "users.read"}
	media := []string{"media.write"}

	s.mux.HandleFunc("GET /i/oauth2/authorize", s.handleAuthorizePage)
	s.mux.HandleFunc("POST /i/oauth2/authorize", s.handleAuthorizeSubmit)
	s.mux.HandleFunc("POST /2/oauth2/token", s.handleToken)
	s.mux.HandleFunc("POST /2/oauth2/revoke", s.handleRevoke)
	s.mux.HandleFunc("GET /__sim/posts", s.handleSimPosts)
	s.mux.HandleFunc("GET /__sim/avatars/{file}", s.handleSimAvatar)

	s.api("GET /2/users/me", read, 75, s.handleUsersMe)
	s.api("GET /2/users/{id}/tweets", read, 900, s.handleUserTweets)
	s.api("POST /2/tweets", write, 100, s.handleCreateTweet)
	s.api("GET /2/tweets", read, 5000, s.handleLookupTweets)
	s.api("GET /2/tweets/{id}", read, 5000, s.handleLookupTweet)
	s.api("DELETE /2/tweets/{id}", write, 50, s.handleDeleteTweet)
	s.api("POST /2/media/upload", media, 500, s.handleUploadOneShot)
	s.api("GET /2/media/upload", media, 1000, s.handleUploadStatus)
	s.api("POST /2/media/upload/initialize", media, 1875, s.handleUploadInit)
	s.api("POST /2/media/upload/{id}/append", media, 1875, s.handleUploadAppend)
	s.api("POST /2/media/upload/{id}/finalize", media, 1875, s.handleUploadFinalize)
	s.api("POST /2/media/metadata", media, 500, s.handleMediaMetadata)
}

// ServeHTTP dispatches to the simulated endpoints, applying any queued
// fault that matches the request first.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f := s.takeFault(r); f != nil {
		s.serveFault(w, r, f)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Close releases requests blocked by hang faults. The Sim keeps serving.
func (s *Sim) Close() {
	s.closeMu.Do(func() { close(s.closing) })
}

// SetBaseURL sets the absolute URL under which the simulator is reachable
// (see Options.BaseURL), for a caller that learns it only after building
// the Sim, such as the demo once it listens.
func (s *Sim) SetBaseURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.baseURL = strings.TrimSuffix(u, "/")
}

// SetAllowDuplicates turns the duplicate-content refusal off (on = true) or
// back on (see Options.AllowDuplicates), from the next POST /2/tweets on.
// Posts made while the refusal was off still count as earlier posts once
// it is on again.
func (s *Sim) SetAllowDuplicates(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.allowDups = on
}

// now returns the simulator's time. Callers may hold s.mu.
func (s *Sim) now() time.Time {
	return s.opts.Now().Add(s.offset)
}

// Now returns the simulator's current time: Options.Now plus everything
// passed to Advance.
func (s *Sim) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

// Advance moves the simulator's clock forward by d on top of Options.Now.
// Tests that inject their own clock can move that instead.
func (s *Sim) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
}

// twitterEpoch is the snowflake epoch in Unix milliseconds.
const twitterEpoch = 1288834974657

// minID keeps every id at 19 digits even with a clock before the epoch.
const minID uint64 = 1_100_000_000_000_000_000

// newID returns a snowflake-like id: 19 decimal digits, strictly increasing.
// Callers hold s.mu.
func (s *Sim) newID() string {
	id := minID
	if ms := s.now().UnixMilli() - twitterEpoch; ms > 0 {
		id = max(id, uint64(ms)<<22)
	}
	id = max(id, s.lastID+1)
	s.lastID = id
	return formatID(id)
}

func formatID(id uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + id%10)
		id /= 10
		if id == 0 {
			break
		}
	}
	return string(b[i:])
}

// AddUser creates a user, or returns the existing one with that username.
func (s *Sim) AddUser(username, name string) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addUserLocked(username, name).User
}

func (s *Sim) addUserLocked(username, name string) *userRec {
	if u, ok := s.usersByName[strings.ToLower(username)]; ok {
		return u
	}
	if name == "" {
		name = username
	}
	u := &userRec{User: User{ID: s.newID(), Username: username, Name: name}, createdAt: s.now()}
	s.users = append(s.users, u)
	s.usersByID[u.ID] = u
	s.usersByName[strings.ToLower(username)] = u
	return u
}

// Users returns every user in creation order.
func (s *Sim) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, len(s.users))
	for i, u := range s.users {
		out[i] = u.User
	}
	return out
}

// Posts returns every post created through POST /2/tweets, oldest first,
// including deleted ones (Deleted is set). The result is a copy.
func (s *Sim) Posts() []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Post, len(s.posts))
	for i, p := range s.posts {
		out[i] = *p
		out[i].MediaIDs = slices.Clone(p.MediaIDs)
		out[i].EditHistoryIDs = slices.Clone(p.EditHistoryIDs)
	}
	return out
}

// Media returns what the simulator knows about an upload.
func (s *Sim) Media(id string) (Media, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.media[id]
	if !ok {
		return Media{}, false
	}
	return m.snapshot(s.now(), s.opts.ProcessingDuration), true
}

// mediaItem is one media of a post in GET /__sim/posts.
type mediaItem struct {
	ID      string `json:"id"`
	AltText string `json:"alt_text"`
}

// handleSimPosts serves GET /__sim/posts: the live (not deleted) posts,
// oldest first.
func (s *Sim) handleSimPosts(w http.ResponseWriter, r *http.Request) {
	type item struct {
		ID         string `json:"id"`
		Account    string `json:"account"`
		AuthorID   string `json:"author_id"`
		Text       string `json:"text"`
		MediaCount int    `json:"media_count"`
		// Media lists the post's media in order with their alt text.
		Media     []mediaItem `json:"media"`
		ReplyTo   string      `json:"in_reply_to_tweet_id,omitempty"`
		CreatedAt string      `json:"created_at"`
	}
	s.mu.Lock()
	items := make([]item, 0, len(s.posts))
	for _, p := range s.posts {
		if p.Deleted {
			continue
		}
		account := ""
		if u := s.usersByID[p.AuthorID]; u != nil {
			account = u.Username
		}
		media := make([]mediaItem, 0, len(p.MediaIDs))
		for _, id := range p.MediaIDs {
			mi := mediaItem{ID: id}
			if m := s.media[id]; m != nil {
				mi.AltText = m.altText
			}
			media = append(media, mi)
		}
		items = append(items, item{
			ID: p.ID, Account: account, AuthorID: p.AuthorID, Text: p.Text,
			MediaCount: len(p.MediaIDs), Media: media, ReplyTo: p.ReplyTo,
			CreatedAt: p.CreatedAt.UTC().Format(time.RFC3339),
		})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

// writeJSON writes v as JSON, with Content-Type application/json unless the
// caller set another.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "xsim: encode response", http.StatusInternalServerError)
		return
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
