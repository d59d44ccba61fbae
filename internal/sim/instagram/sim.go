package instagram

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
	DefaultQuotaTotal      = 100
	DefaultContainerLimit  = 400
	DefaultInsightsDelay   = 10 * time.Minute
	DefaultDemoUsername    = "snsos_demo"
)

// The scopes of Instagram API with Instagram Login.
const (
	ScopeBasic          = "instagram_business_basic"
	ScopeContentPublish = "instagram_business_content_publish"
	ScopeManageComments = "instagram_business_manage_comments"
	ScopeManageMessages = "instagram_business_manage_messages"
	ScopeManageInsights = "instagram_business_manage_insights"
)

// DefaultScopes are every scope; IssueTokens grants them.
var DefaultScopes = []string{ScopeBasic, ScopeContentPublish, ScopeManageComments, ScopeManageMessages, ScopeManageInsights}

// Options configures a Sim. Only ClientID and ClientSecret are needed for a
// useful simulator; every other zero field takes the documented default.
type Options struct {
	// ClientID and ClientSecret are the Instagram app id and secret.
	ClientID, ClientSecret string

	// RedirectURIs are the registered OAuth redirect URIs, matched exactly.
	// When empty any absolute http(s) URL is accepted at authorize time
	// (the code exchange must still repeat it exactly).
	RedirectURIs []string

	// Now is the clock; nil means time.Now. Advance adds an offset.
	Now func() time.Time

	// Logger receives one line per injected fault and refused authorize
	// request; nil discards.
	Logger *slog.Logger

	// BaseURL is the absolute URL under which the simulator is reachable
	// (e.g. "http://127.0.0.1:8080/sim/instagram"), used for the consent
	// form, profile_picture_url and paging links. When empty they are
	// derived from each request (Host plus the prefix an http.StripPrefix
	// removed). SetBaseURL changes it later.
	BaseURL string

	// AutoApprove makes GET /oauth/authorize redirect at once with a code
	// for the demo user, skipping the consent page.
	AutoApprove bool

	// DemoUsername is the account the consent page proposes (created when
	// first needed). Default "snsos_demo".
	DemoUsername string

	// WrappedTokenAnswer makes POST /oauth/access_token answer the
	// documented {"data":[{"access_token","user_id":"…","permissions":"a,b"}]}
	// instead of the flat shape observed in practice.
	WrappedTokenAnswer bool

	// AuthCodeTTL (default 1h), ShortLivedTTL (default 1h) and
	// LongLivedTTL (default 5183944 s) bound codes and tokens.
	AuthCodeTTL, ShortLivedTTL, LongLivedTTL time.Duration

	// RefreshMinAge is how old a long-lived token must be before it can be
	// refreshed. Default 24h.
	RefreshMinAge time.Duration

	// ImageProcessing (default 2 s) and VideoProcessing (default 20 s) are
	// how long containers stay IN_PROGRESS on the simulator's clock.
	ImageProcessing, VideoProcessing time.Duration

	// QuotaTotal is the number of publishes per account per rolling 24 h
	// (a carousel counts 1, a story 1). Default 100.
	QuotaTotal int

	// ContainerLimit is the number of containers an account may create per
	// rolling 24 h. Default 400.
	ContainerLimit int

	// InsightsDelay is how long after publishing insights stay empty.
	// Default 10 minutes.
	InsightsDelay time.Duration

	// StoryViewers, when set, replaces a story's simulated viewer count
	// (its reach), deciding the "not enough viewers" refusal.
	StoryViewers func(mediaID string) int

	// HTTPClient fetches media URLs; nil means a client of the simulator's
	// own (which may reach loopback). FetchTimeout bounds one fetch
	// (default 10 s) and MaxFetchBytes the bytes read of a video (default
	// 64 MiB; images stop at 8 MiB, Instagram's limit).
	HTTPClient    *http.Client
	FetchTimeout  time.Duration
	MaxFetchBytes int64
}

// A User is an Instagram professional account.
type User struct {
	ID       string // app-scoped id (the "id" of /me)
	UserID   string // Instagram professional account id ("user_id"), used in POST paths
	Username string
	Name     string
}

// A Post is a published feed post, reel, carousel or story.
type Post struct {
	ID          string // the media id
	ContainerID string
	OwnerID     string // the owner's UserID
	Username    string
	MediaType   string // IMAGE, VIDEO or CAROUSEL_ALBUM
	ProductType string // FEED, REELS or STORY
	Caption     string
	AltText     string
	ShareToFeed bool
	Shortcode   string
	Permalink   string
	CreatedAt   time.Time
	// Media lists what the simulator fetched: the image or video, a reel's
	// cover, or a carousel's children in order.
	Media    []MediaFile
	Comments []Comment
}

// A MediaFile is one fetched media URL.
type MediaFile struct {
	ID     string // the carousel child's media id, "" otherwise
	Kind   string // IMAGE, VIDEO or COVER
	URL    string
	Bytes  int64  // bytes read
	Format string // graph.FormatJPEG, graph.FormatMP4, …
}

// A Comment is a comment posted through POST /{media_id}/comments.
type Comment struct {
	ID        string
	UserID    string
	Text      string
	CreatedAt time.Time
}

// Sim is the Instagram API simulator. Create one with New.
type Sim struct {
	opts Options
	core *graph.Core

	mediaIDs, commentIDs *graph.IDs

	// Guarded by core.Lock.
	containers map[string]*container
	posts      []*Post
	postsByID  map[string]*Post
	children   map[string]*Post // carousel child media id -> its carousel
	comments   map[string]*Post // comment id -> its post
	published  *graph.Rolling   // publishes per UserID
	created    *graph.Rolling   // containers per UserID
}

// New returns a simulator configured by opts.
func New(opts Options) *Sim {
	opts = withDefaults(opts)
	s := &Sim{
		opts:       opts,
		mediaIDs:   graph.NewIDs(17920000000000001),
		commentIDs: graph.NewIDs(17870000000000001),
		containers: make(map[string]*container), postsByID: make(map[string]*Post),
		children: make(map[string]*Post), comments: make(map[string]*Post),
		published: graph.NewRolling(graph.QuotaWindow), created: graph.NewRolling(graph.QuotaWindow),
	}
	s.core = graph.NewCore(graph.Config{
		Name: "igsim", Product: "Instagram", ClientID: opts.ClientID, ClientSecret: opts.ClientSecret,
		RedirectURIs: opts.RedirectURIs, Now: opts.Now, Logger: opts.Logger, BaseURL: opts.BaseURL,
		AutoApprove: opts.AutoApprove, DemoUsername: opts.DemoUsername, AuthCodeTTL: opts.AuthCodeTTL,
		ShortLivedTTL: opts.ShortLivedTTL, LongLivedTTL: opts.LongLivedTTL, RefreshMinAge: opts.RefreshMinAge,
		HTTPClient: opts.HTTPClient, FetchTimeout: opts.FetchTimeout,

		TokenPrefix: "IGAA", UserIDStart: 17841400000000001, AppIDStart: 26100000000000001,
		Scopes: DefaultScopes, GrantedScopes: DefaultScopes, RequiredScope: ScopeBasic,
		ExchangeGrant: "ig_exchange_token", RefreshGrant: "ig_refresh_token",
		TokenAnswer: s.tokenAnswer, ScopeError: scopeError, UserPath: userPath,
		ErrorType: graph.TypeIGAPI, UsageType: "instagram", ThrottleCode: 80002, ContainerIDStart: 17880000000000001,
		MediaFailure: mediaFailure,
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
	o.ContainerLimit = graph.Positive(o.ContainerLimit, DefaultContainerLimit)
	o.MaxFetchBytes = graph.Positive(o.MaxFetchBytes, graph.DefaultMaxFetchBytes)
	o.DemoUsername = cmp.Or(o.DemoUsername, DefaultDemoUsername)
	return o
}

// routes adds Instagram's routes to the core's (OAuth, avatars, unknown
// paths). Graph paths are listed without their optional version prefix,
// which ServeHTTP removes.
func (s *Sim) routes() {
	s.core.HandleFunc("GET /__sim/posts", s.handleSimPosts)
	s.core.HandleFunc("GET /{id}", s.handleNode)
	s.core.HandleFunc("POST /{id}/media", s.handleCreate)
	s.core.HandleFunc("GET /{id}/media", s.handleMediaList)
	s.core.HandleFunc("GET /{id}/stories", s.handleStories)
	s.core.HandleFunc("POST /{id}/media_publish", s.handlePublish)
	s.core.HandleFunc("GET /{id}/content_publishing_limit", s.handleLimit)
	s.core.HandleFunc("GET /{id}/insights", s.handleInsights)
	s.core.HandleFunc("POST /{id}/comments", s.handleComment)
	s.core.HandleFunc("GET /{id}/comments", s.handleComments)
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
func (s *Sim) AddUser(username, name string) User { return User(s.core.AddUser(username, name)) }

// Users returns every account in creation order.
func (s *Sim) Users() []User {
	return graph.Users(s.core, func(a graph.Account) User { return User(a) })
}

// Posts returns every published post, reel, carousel and story, oldest
// first. The result is a copy.
func (s *Sim) Posts() []Post {
	s.core.Lock()
	defer s.core.Unlock()
	out := make([]Post, len(s.posts))
	for i, p := range s.posts {
		out[i] = *p
		out[i].Media = slices.Clone(p.Media)
		out[i].Comments = slices.Clone(p.Comments)
	}
	return out
}

// Requests returns the recorded API requests, oldest first (at most
// graph.MaxRecorded), with access tokens, client secrets and codes masked.
// The simulator's own /__sim/ paths are not recorded.
func (s *Sim) Requests() []Request { return s.core.Requests() }

// A Request is one recorded request.
type Request = graph.Request

// IssueTokens grants every scope to the account userID (its ID or
// UserID) without the browser flow and returns a long-lived access token
// issued now. It panics if the account does not exist.
func (s *Sim) IssueTokens(userID string) (access string) { return s.core.IssueTokens(userID) }

// RevokeUser revokes every token and pending code of the account userID
// (its ID or UserID), as when the user removes the app. Revoked tokens get
// the 190/463 "Session has expired" error.
func (s *Sim) RevokeUser(userID string) { s.core.RevokeUser(userID) }
