package threads

import (
	"cmp"
	"log/slog"
	"net/http"
	"slices"
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
	opts Options
	core *graph.Core

	mediaIDs *graph.IDs

	// Guarded by core.Lock.
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
	s := &Sim{
		opts:       opts,
		mediaIDs:   graph.NewIDs(18030000000000001),
		containers: make(map[string]*container), postsByID: make(map[string]*Post),
		children:  make(map[string]*Post),
		published: graph.NewRolling(graph.QuotaWindow), replied: graph.NewRolling(graph.QuotaWindow),
	}
	s.core = graph.NewCore(graph.Config{
		Name: "threadssim", Product: "Threads", ClientID: opts.ClientID, ClientSecret: opts.ClientSecret,
		RedirectURIs: opts.RedirectURIs, Now: opts.Now, Logger: opts.Logger, BaseURL: opts.BaseURL,
		AutoApprove: opts.AutoApprove, DemoUsername: opts.DemoUsername, AuthCodeTTL: opts.AuthCodeTTL,
		ShortLivedTTL: opts.ShortLivedTTL, LongLivedTTL: opts.LongLivedTTL, RefreshMinAge: opts.RefreshMinAge,
		HTTPClient: opts.HTTPClient, FetchTimeout: opts.FetchTimeout,

		TokenPrefix: "THAA", UserIDStart: 25000000000000001,
		Scopes: knownScopes, GrantedScopes: DefaultScopes, RequiredScope: ScopeBasic,
		ExchangeGrant: "th_exchange_token", RefreshGrant: "th_refresh_token", CodeExchangeGET: true,
		ScopeError: scopeError, UserPath: userPath, ErrorType: graph.TypeThreads, GraphErrorType: graph.TypeThreads,
		UsageType: "threads", ThrottleCode: 4, ContainerIDStart: 17890000000000001, MediaFailure: mediaFailure,
	})
	s.routes()
	return s
}

func withDefaults(o Options) Options {
	o.AuthCodeTTL = graph.Positive(o.AuthCodeTTL, DefaultAuthCodeTTL)
	o.ShortLivedTTL = graph.Positive(o.ShortLivedTTL, DefaultShortLivedTTL)
	o.LongLivedTTL = graph.Positive(o.LongLivedTTL, DefaultLongLivedTTL)
	o.RefreshMinAge = graph.Positive(o.RefreshMinAge, DefaultRefreshMinAge)
	o.ImageProcessing = graph.Positive(o.ImageProcessing, DefaultImageProcessing)
	o.VideoProcessing = graph.Positive(o.VideoProcessing, DefaultVideoProcessing)
	o.InsightsDelay = graph.Positive(o.InsightsDelay, DefaultInsightsDelay)
	o.QuotaTotal = graph.Positive(o.QuotaTotal, DefaultQuotaTotal)
	o.ReplyQuotaTotal = graph.Positive(o.ReplyQuotaTotal, DefaultReplyQuotaTotal)
	o.MaxFetchBytes = graph.Positive(o.MaxFetchBytes, graph.DefaultMaxFetchBytes)
	o.DemoUsername = cmp.Or(o.DemoUsername, DefaultDemoUsername)
	return o
}

// routes adds Threads' routes to the core's (OAuth, avatars, unknown
// paths). Graph paths are listed without their optional version prefix,
// which ServeHTTP removes.
func (s *Sim) routes() {
	s.core.HandleFunc("GET /__sim/posts", s.handleSimPosts)
	s.core.HandleFunc("GET /{id}", s.handleNode)
	s.core.HandleFunc("POST /{id}/threads", s.handleCreate)
	s.core.HandleFunc("GET /{id}/threads", s.handleThreads)
	s.core.HandleFunc("GET /{id}/replies", s.handleReplies)
	s.core.HandleFunc("GET /{id}/conversation", s.handleConversation)
	s.core.HandleFunc("POST /{id}/threads_publish", s.handlePublish)
	s.core.HandleFunc("GET /{id}/threads_publishing_limit", s.handleLimit)
	s.core.HandleFunc("GET /{id}/insights", s.handleInsights)
}

// ServeHTTP removes the version prefix, records the request, applies the
// first queued fault that matches it and dispatches it.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.core.ServeHTTP(w, r) }

// Close releases requests blocked by hang faults. The Sim keeps serving.
func (s *Sim) Close() { s.core.Close() }

// SetBaseURL sets the absolute URL under which the simulator is reachable
// (see Options.BaseURL).
func (s *Sim) SetBaseURL(u string) { s.core.SetBaseURL(u) }

// Now returns the simulator's time: Options.Now plus every Advance.
func (s *Sim) Now() time.Time { return s.core.Now() }

// Advance moves the simulator's clock forward by d on top of Options.Now.
func (s *Sim) Advance(d time.Duration) { s.core.Advance(d) }

// AddUser creates an account, or returns the existing one with that
// username. An empty name defaults to the username.
func (s *Sim) AddUser(username, name string) User { return userOf(s.core.AddUser(username, name)) }

// Users returns every account in creation order.
func (s *Sim) Users() []User { return graph.Users(s.core, userOf) }

func userOf(a graph.Account) User { return User{ID: a.ID, Username: a.Username, Name: a.Name} }

// Posts returns every published thread and reply, oldest first. The
// result is a copy.
func (s *Sim) Posts() []Post {
	s.core.Lock()
	defer s.core.Unlock()
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
func (s *Sim) Requests() []Request { return s.core.Requests() }

// A Request is one recorded request.
type Request = graph.Request

// IssueTokens grants DefaultScopes to the account userID without the
// browser flow and returns a long-lived access token issued now. It panics
// if the account does not exist.
func (s *Sim) IssueTokens(userID string) (access string) { return s.core.IssueTokens(userID) }

// RevokeUser revokes every token and pending code of the account userID,
// as when the user removes the app. Revoked tokens get the 190/463
// "Session has expired" error.
func (s *Sim) RevokeUser(userID string) { s.core.RevokeUser(userID) }
