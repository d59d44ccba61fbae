// Package api serves sns-os's JSON API under /api/v1: the operator's scripts
// list accounts, start connecting one, upload media, create, approve,
// schedule and cancel posts, and look after each delivery (retry, reconcile,
// resolve one that waits for the operator, refresh its metrics).
//
// POST /posts and PUT /posts/{id} take {body, media_ids, media_alt,
// targets: [{account_id, body, options, media_ids}], scheduled_at, approve}.
// A target's media_ids is its own media in its own order: absent for the
// post's media, [] for none, else a subset of the post's (GET shows it the
// same way). Target options use the platforms' own names (Instagram
// media_type, first_comment, share_to_feed; Threads media_type, parts,
// topic_tag, link_attachment; X parts; TikTok privacy_level …).
//
// PATCH /accounts/{id} takes {"options": {"publish_mode": "direct" |
// "inbox"}}: how a TikTok account publishes (Direct Post, or an upload to
// the account's TikTok inbox, finished in the TikTok app). It is the only
// account setting; other keys, and publish_mode on another platform, are
// refused field by field. The answer is the account. Targets show "inbox":
// true once delivered to the inbox, and "inbox_state": "waiting" (no public
// post yet: no metrics), "posted" (posted publicly from the app: its id,
// link and metrics follow) or "not_posted" (no public post appeared while
// its checkpoints waited).
//
// Every route needs an API token, sent as "Authorization: Bearer <token>".
// Only the SHA-256 hash of a token is stored (see auth.HashToken and TokenTag);
// a revoked token is refused. Bodies are JSON (application/json, at most
// 1 MiB, no unknown fields, exactly one value), except media uploads. Lists
// answer {"items": [...]}. Times are RFC 3339: input must carry a zone
// offset, output is rendered in the operator's zone and omitted when unset.
//
// Every error is an application/problem+json document (RFC 9457):
//
//	{"type": "https://sns-os.dev/problems/validation", "title": "Bad Request", "status": 400,
//	 "detail": "…", "errors": [{"field": "scheduled_at", "rule": "timezone", "message": "…"}]}
//
// The status comes from the error's snsos code in one function (statusOf):
// EINVALID 400 (validation errors included: this API does not use 422),
// EUNAUTHORIZED 401 (with WWW-Authenticate: Bearer), EFORBIDDEN 403,
// ENOTFOUND 404 (also for ids that are not positive integers), ECONFLICT
// 409, ETOOLARGE 413 (also for any body cut by its size cap), ERATELIMITED
// 429, EUNAVAILABLE 503; a body of the wrong type is 415 and a known path
// with the wrong method 405. Anything else is 500 "Internal error.", whose
// cause is logged with the request path, never returned. Field errors
// (snsos.ValidationErrors anywhere in the error chain) are listed in
// "errors", and their problem type is .../validation; other types are
// https://sns-os.dev/problems/{code} with "-" for "_", and about:blank for
// a 500.
//
// The package holds the HTTP layer only: business rules live behind the
// Engine, Connector, Metrics and Media interfaces declared here.
package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/publish"
	"github.com/sns-os/snsos/internal/store"
)

// Store is what the API reads from the database, plus the API token
// lookups. *store.Store satisfies it.
type Store interface {
	ListAccounts(ctx context.Context) ([]*snsos.Account, error)
	FindAccountByID(ctx context.Context, id int64) (*snsos.Account, error)
	// MergeAccountOptions sets some of an account's options and keeps the
	// others.
	MergeAccountOptions(ctx context.Context, id int64, set map[string]string, actor string) (*snsos.Account, error)
	FindPostByID(ctx context.Context, id int64) (*snsos.Post, error)
	ListPosts(ctx context.Context, f store.PostFilter) ([]*snsos.Post, error)
	FindTargetByID(ctx context.Context, id int64) (*snsos.Target, error)
	ListAttempts(ctx context.Context, targetID int64) ([]*snsos.Attempt, error)
	ListSnapshots(ctx context.Context, targetID int64) ([]*snsos.MetricSnapshot, error)
	FindMediaByID(ctx context.Context, id int64) (*snsos.MediaRef, error)
	ListMedia(ctx context.Context, limit int) ([]*snsos.MediaRef, error)
	FindAPITokenByHash(ctx context.Context, hash string) (*snsos.APIToken, error)
	TouchAPIToken(ctx context.Context, id int64) error
	DeletePost(ctx context.Context, postID int64) (unusedMedia []int64, err error)
}

var _ Store = (*store.Store)(nil)

// Engine changes posts and targets. Its errors are snsos errors; an EINVALID
// one may wrap snsos.ValidationErrors, which the API lists field by field.
type Engine interface {
	// CreatePost validates (including each target platform's text/media rules) and stores the post;
	// approve=true approves its targets; a non-zero p.ScheduledAt with approve schedules them too.
	CreatePost(ctx context.Context, p *snsos.Post, approve bool) error
	// UpdatePost validates an edited post as CreatePost does and saves it
	// over the stored post p.ID (ECONFLICT once a target has started
	// publishing).
	UpdatePost(ctx context.Context, p *snsos.Post, approve bool) error
	Approve(ctx context.Context, postID int64) (*snsos.Post, error)
	Schedule(ctx context.Context, postID int64, at time.Time) (*snsos.Post, error)
	Cancel(ctx context.Context, postID int64) (*snsos.Post, error)
	RetryTarget(ctx context.Context, targetID int64) (*snsos.Target, error)
	ReconcileTarget(ctx context.Context, targetID int64) (*snsos.Target, error)
	// ResolveTarget records what the operator found on the platform for a
	// target in needs_operator (ECONFLICT in any other state): published,
	// with its link (a bad link is a validation error on remote_url), or
	// not published (the target fails, and RetryTarget can post it again).
	ResolveTarget(ctx context.Context, targetID int64, r publish.Resolution) (*snsos.Target, error)
}

// Connector starts the OAuth flow that connects an account. binding is ""
// for flows started through the API (no browser cookie to bind to).
type Connector interface {
	StartConnect(ctx context.Context, p snsos.Platform, binding string) (authorizeURL string, err error)
}

// Metrics takes a manual metric snapshot of a published target.
type Metrics interface {
	RefreshNow(ctx context.Context, targetID int64) (*snsos.MetricSnapshot, error)
}

// Media stores uploaded files. Upload sniffs the type from the content and
// enforces the per-type size caps; Delete is ECONFLICT while a post uses the
// file.
type Media interface {
	Upload(ctx context.Context, r io.Reader, filename string) (*snsos.MediaRef, error)
	Delete(ctx context.Context, id int64) error
	// ConvertToJPEG stores a JPEG copy of an image as a new media item (for
	// platforms that take only JPEG); the original stays.
	ConvertToJPEG(ctx context.Context, id int64) (*snsos.MediaRef, error)
}

// DefaultMaxUploadBytes caps a media upload request body: 1 GiB (the largest
// file any platform accepts) plus room for multipart headers. The media
// layer applies tighter caps per type.
const DefaultMaxUploadBytes = 1<<30 + 1<<20

// MaxJSONBytes caps a JSON request body.
const MaxJSONBytes = 1 << 20

// Config holds the API's dependencies.
type Config struct {
	Store     Store
	Engine    Engine
	Connector Connector
	Metrics   Metrics
	Media     Media
	// Logger receives internal errors and auth failures; nil discards.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Location is the operator's zone: output times carry its offset. Nil
	// means UTC.
	Location *time.Location
	// MaxUploadBytes caps a media upload request; 0 means
	// DefaultMaxUploadBytes.
	MaxUploadBytes int64
	// MediaURL returns a signed public link to media id and its expiry;
	// GET /api/v1/media/{id} shows it as "url". Nil: no links.
	MediaURL func(id int64) (string, time.Time)
}

// API is the JSON API. Build it with New and mount it with Routes.
type API struct {
	store     Store
	engine    Engine
	connector Connector
	metrics   Metrics
	media     Media
	log       *slog.Logger
	now       func() time.Time
	loc       *time.Location
	maxUpload int64
	mediaURL  func(id int64) (string, time.Time)
}

// New returns the API over cfg's dependencies.
func New(cfg Config) *API {
	a := &API{
		store: cfg.Store, engine: cfg.Engine, connector: cfg.Connector, metrics: cfg.Metrics, media: cfg.Media,
		log: cfg.Logger, now: cfg.Now, loc: cfg.Location, maxUpload: cfg.MaxUploadBytes,
		mediaURL: cfg.MediaURL,
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.loc == nil {
		a.loc = time.UTC
	}
	if a.maxUpload <= 0 {
		a.maxUpload = DefaultMaxUploadBytes
	}
	return a
}

// Routes registers every API route on mux. This is the API's one route
// table; every route passes the bearer-token check first.
func (a *API) Routes(mux *http.ServeMux) {
	routes := []struct {
		pattern string
		handler http.HandlerFunc
	}{
		{"GET /api/v1/accounts", a.handleListAccounts},
		{"POST /api/v1/accounts/connect", a.handleConnectAccount},
		{"PATCH /api/v1/accounts/{id}", a.handleUpdateAccount},

		{"GET /api/v1/media", a.handleListMedia},
		{"POST /api/v1/media", a.handleUploadMedia},
		{"GET /api/v1/media/{id}", a.handleGetMedia},
		{"DELETE /api/v1/media/{id}", a.handleDeleteMedia},
		{"POST /api/v1/media/{id}/convert", a.handleConvertMedia},

		{"GET /api/v1/posts", a.handleListPosts},
		{"POST /api/v1/posts", a.handleCreatePost},
		{"GET /api/v1/posts/{id}", a.handleGetPost},
		{"PUT /api/v1/posts/{id}", a.handleUpdatePost},
		{"POST /api/v1/posts/{id}/approve", a.handleApprovePost},
		{"POST /api/v1/posts/{id}/schedule", a.handleSchedulePost},
		{"POST /api/v1/posts/{id}/cancel", a.handleCancelPost},
		{"DELETE /api/v1/posts/{id}", a.handleDeletePost},

		{"GET /api/v1/targets/{id}", a.handleGetTarget},
		{"POST /api/v1/targets/{id}/retry", a.handleRetryTarget},
		{"POST /api/v1/targets/{id}/reconcile", a.handleReconcileTarget},
		{"POST /api/v1/targets/{id}/resolve", a.handleResolveTarget},
		{"POST /api/v1/targets/{id}/metrics/refresh", a.handleRefreshMetrics},

		// Anything else under /api/v1/ is a problem+json 404 or 405 (after
		// auth, so unauthenticated callers learn nothing about the routes).
		{catchAll, a.handleNoRoute(mux)},
	}
	for _, r := range routes {
		mux.Handle(r.pattern, a.authenticate(r.handler))
	}
}

const catchAll = "/api/v1/"

// handleNoRoute answers requests no route matched: 405 with Allow when the
// path exists for other methods, else 404.
func (a *API) handleNoRoute(mux *http.ServeMux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != catchAll && pattern != "" {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			if slices.Contains(allow, http.MethodGet) {
				allow = append(allow, http.MethodHead)
			}
			w.Header().Set("Allow", strings.Join(allow, ", "))
			a.error(w, r, snsos.Errorf(eMethodNotAllowed, "%s is not allowed here; use %s.", r.Method, strings.Join(allow, " or ")))
			return
		}
		a.error(w, r, snsos.Errorf(snsos.ENOTFOUND, "There is no API route %s.", r.URL.Path))
	}
}
