// Package platform defines what sns-os needs from a social network, the
// classified errors a network client returns, and the one hardened outbound
// HTTP client every network client shares.
//
// A network client (internal/platform/x, …) implements Platform, and may
// implement the optional capabilities Revoker, Reconciler, MetricsReader,
// DuplicateWindower and URLResolver, which callers discover with a type
// assertion. Clients hold no database
// handle and read no global configuration: they take plain values and
// return results and *Error values whose Kind tells the engine whether to
// retry, wait, reconcile, ask for a reconnect or give up.
//
// Publishing is resumable. Publish receives a *Progress holding the
// intermediate ids saved by earlier attempts (media ids, ids of thread parts
// already posted) and a Save callback it calls as soon as a new id exists;
// the engine persists each id before Save returns. After a crash the engine
// calls Publish again with the saved values, and the client skips every step
// whose id it finds.
package platform

import (
	"context"
	"errors"
	"time"

	"github.com/sns-os/snsos"
)

// Platform is the core every network client implements. Implementations
// must be safe for concurrent use.
type Platform interface {
	// Name returns the network the client talks to.
	Name() snsos.Platform

	// AuthCodeURL returns the page the operator opens to grant access. The
	// caller generates state and the PKCE verifier (NewVerifier), keeps both
	// server-side, and passes the same verifier to Exchange.
	AuthCodeURL(state, verifier string) string
	// Exchange trades an authorization code for a credential.
	Exchange(ctx context.Context, code, verifier string) (*snsos.Credential, error)
	// Refresh returns a NEW credential obtained with cred's refresh token.
	// Platforms that rotate refresh tokens invalidate the old one at once:
	// the caller must persist the returned credential before using it and
	// never use cred again.
	Refresh(ctx context.Context, cred *snsos.Credential) (*snsos.Credential, error)

	// Profile returns the account the access token belongs to.
	Profile(ctx context.Context, token snsos.Secret) (*Profile, error)

	// Publish posts req on the account, resuming from progress (see the
	// package documentation). It returns the first part's id and URL.
	// A failure is an *Error; KindOutcomeUnknown means a mutating call was
	// sent without a seen result and the target must be reconciled.
	Publish(ctx context.Context, acct Auth, req *PublishRequest, progress *Progress) (*Published, error)
}

// Revoker is implemented by clients that can revoke a grant on the platform.
type Revoker interface {
	// Revoke invalidates cred's tokens on the platform.
	Revoke(ctx context.Context, cred *snsos.Credential) error
}

// Reconciler is implemented by clients that can look for a post among the
// account's recent posts, to settle a target whose outcome is unknown.
type Reconciler interface {
	// FindPost returns the newest post of the account that matches q, or an
	// error matching ErrNotFound when the search covered the window and found
	// nothing. A search that could not cover the whole window (a page bound
	// reached on a busy account) proves nothing and returns another error,
	// typically of KindTransient.
	FindPost(ctx context.Context, acct Auth, q PostQuery) (*RemotePost, error)
}

// DuplicateWindower is implemented by clients whose platform refuses the same content twice within a window.
type DuplicateWindower interface{ DuplicateWindow() time.Duration }

// URLResolver is implemented by clients that can read a post id from a
// permalink given by the operator. PostIDFromURL returns the platform's id of
// the post, or an error saying what is wrong with the link.
type URLResolver interface{ PostIDFromURL(string) (string, error) }

// MetricsReader is implemented by clients that read metrics of published
// posts in batches.
type MetricsReader interface {
	// Metrics returns one entry per post, in the order given. A post the
	// platform did not report has Err set; the call's own error is for
	// failures of the whole batch.
	Metrics(ctx context.Context, acct Auth, posts []PostRef) ([]PostMetrics, error)
}

// Auth is what a client needs to act for an account: the platform's user id
// (X needs it for timelines), the handle (for permalinks) and the access
// token, which is only ever sent in an Authorization header.
type Auth struct {
	UserID      string
	Handle      string
	AccessToken snsos.Secret
}

// Profile is an account as the platform describes it.
type Profile struct {
	RemoteID    string // the platform's user id, always a string
	Handle      string
	DisplayName string
	AvatarURL   string
	// Options are further facts the platform gives about the account,
	// stored with it (snsos.Account.Options), e.g. Instagram's app-scoped
	// "app_scoped_id" beside the professional user_id in RemoteID, which
	// Meta's callbacks may name instead.
	Options map[string]string
}

// PublishRequest is one post on one account. A single post has one part; a
// thread (X, Threads) has several, each replying to the previous one.
type PublishRequest struct {
	Parts []Part
	// Options are platform parameters under the platform's own names.
	Options map[string]any
}

// Part is one post of a thread, or the whole post.
type Part struct {
	Text  string
	Media []Media
}

// Published is the result of a successful Publish.
type Published struct {
	RemoteID    string   // id of the first (root) part
	URL         string   // permalink of the root part
	PartIDs     []string // ids of every part, in order
	PublishedAt time.Time
	// Inbox says the platform took the upload into the account's inbox
	// (TikTok's inbox upload): the operator finishes the post in the
	// platform's app, so RemoteID is the upload's id until a public post
	// id appears, and there may never be one.
	Inbox bool
}

// PostQuery selects a post during reconciliation.
type PostQuery struct {
	// Text is compared with each post's text after normalisation (HTML
	// entities decoded, links removed, white space collapsed).
	Text string
	// Prefix accepts posts whose normalised text starts with Text.
	Prefix bool
	// Since bounds the search: posts created before it are not examined.
	Since time.Time
	// InReplyTo, when set, accepts only replies to that post id.
	InReplyTo string
	// Part is the part looked for (counted from 1), and Progress the
	// intermediate ids saved by the attempts (container ids, publish_id,
	// media ids). A client decides from those first where its platform
	// can (a container's status, a publish_id's status) and searches by
	// text only where it offers nothing better; a client that cannot prove
	// absence returns a transient error, never ErrNotFound.
	Part     int
	Progress map[string]string
}

// RemotePost is a post found on the platform.
type RemotePost struct {
	ID        string
	Text      string
	URL       string
	CreatedAt time.Time
	InReplyTo string
	// Proven says the client found the post through the attempt's own
	// records (a container it created now reports PUBLISHED), not by
	// matching text: it is the target's own post even if the platform's
	// clock puts its creation before the attempt began.
	Proven bool
}

// PostRef names a published post whose metrics are wanted. PublishedAt lets
// a client decide which metrics the platform still serves (X: private
// metrics only for 30 days).
type PostRef struct {
	ID          string
	PublishedAt time.Time
}

// ErrNoMetrics, in the chain of PostMetrics.Err, says the platform will
// never report this post's metrics (Instagram keeps a story's insights for
// 24 hours, and has none for a story seen by fewer than five people): the
// checkpoint is recorded as unavailable at once instead of being retried.
var ErrNoMetrics = errors.New("platform: no metrics will be reported for this post")

// PostMetrics is the metrics of one post: the standard names of
// snsos.MetricSnapshot (views, likes, comments, shares) plus the platform's
// extras. Err is set, and Values nil, when the platform reported nothing.
type PostMetrics struct {
	ID     string
	Values map[string]int64
	// Notes lists fields the platform withheld while still reporting others
	// (for example private metrics of a post older than 30 days).
	Notes []string
	Err   error
}

// QuotaReader is implemented by clients whose platform caps the posts an
// account may publish in a rolling window (Instagram's
// content_publishing_limit, Threads' threads_publishing_limit). Preflight
// and the publish step read it so that a post over the cap waits for the
// window instead of being refused.
type QuotaReader interface {
	PublishQuota(ctx context.Context, acct Auth) (*Quota, error)
}

// Quota is an account's publishing allowance: Used of Total posts within
// the rolling Window.
type Quota struct {
	Used   int
	Total  int
	Window time.Duration
}

// Left returns how many more posts the window allows (never negative).
func (q *Quota) Left() int { return max(q.Total-q.Used, 0) }

// MediaPuller is implemented by clients whose platform fetches media from
// the signed public links (Media.URL) rather than receiving uploads. The
// engine then makes sure every link is a public https URL that answers
// before the post's time.
type MediaPuller interface{ PullsMedia() bool }
