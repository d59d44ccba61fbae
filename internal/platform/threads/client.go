// Package threads is the Threads API client of sns-os: OAuth with the
// short- and long-lived token exchanges, the profile, publishing text,
// image, video and carousel posts and reply chains through media
// containers, reconciliation by container status and the account's recent
// posts, post insights and the publishing quota. It implements
// platform.Platform and the optional platform.Reconciler,
// platform.MetricsReader, platform.QuotaReader and platform.MediaPuller.
//
// It does not implement platform.URLResolver or platform.Permalinker: a
// Threads permalink (https://www.threads.net/@user/post/{shortcode}) holds
// a shortcode that cannot be turned into the Graph media id without asking
// Threads, and the media id cannot be turned into a permalink either; the
// client reads the permalink from Threads after publishing.
//
// Publishing saves its progress under these keys (n counts parts from 1,
// m carousel items from 1):
//
//	part{n}.container            container id of the part
//	part{n}.created              when the part's container was made (RFC 3339)
//	part{n}.item{m}.container    container id of carousel item m
//	part{n}.item{m}.created      when item m's container was made (RFC 3339)
//	part{n}.publish_sent         when the publish call was sent (RFC 3339)
//	part{n}.gen                  generation of the part's containers, when above 1
//	part{n}.gen{g}.…             the keys above for generation g ≥ 2
//	part{n}.post_id              published media id (platform.PartIDKey)
//
// A container that expired (or is still IN_PROGRESS 24 hours after it was
// made, and was never sent for publishing) or failed to download its media
// is replaced by a new generation, so ids already saved are never
// overwritten. A resumed Publish skips every part with a post_id, reads the
// status of each recorded container before doing anything else (a
// PUBLISHED container is never published twice), and replies to the last
// posted part.
package threads

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/meta"
)

// The real Threads hosts; Config.BaseURL replaces both.
const (
	// DefaultAuthBase serves the consent page. Current documentation names
	// https://threads.com, older pages and known clients threads.net;
	// both answer.
	DefaultAuthBase = "https://threads.net"
	// DefaultGraphBase serves the token endpoints and the API
	// (graph.threads.com answers as well).
	DefaultGraphBase = "https://graph.threads.net"
	// DefaultGraphVersion is the API version path prefix.
	DefaultGraphVersion = "v1.0"
)

// The permissions sns-os asks for.
const (
	ScopeBasic       = "threads_basic"
	ScopePublish     = "threads_content_publish"
	ScopeInsights    = "threads_manage_insights"
	ScopeReadReplies = "threads_read_replies"
)

// Scopes returns the permissions sns-os asks a Threads account for, in one
// place the privacy page can read: the profile (threads_basic), publishing
// posts and the operator's own reply chains (threads_content_publish), the
// posts' insights (threads_manage_insights), and reading the account's
// own replies (threads_read_replies), which Meta requires for every reply
// endpoint: when the answer to publishing a later part of a reply chain is
// lost, sns-os finds that part among the account's replies instead of
// posting it again. It asks for no reply management permission.
func Scopes() []string { return []string{ScopeBasic, ScopePublish, ScopeInsights, ScopeReadReplies} }

// requiredScopes are the permissions without which the account is useless
// to sns-os.
var requiredScopes = []string{ScopeBasic, ScopePublish}

// Limits Threads documents.
const (
	// MaxCarouselItems and MinCarouselItems bound a carousel.
	MinCarouselItems = 2
	MaxCarouselItems = 20
	// DefaultQuotaTotal is the posts allowed per DefaultQuotaWindow when
	// Threads does not say.
	DefaultQuotaTotal  = 250
	DefaultQuotaWindow = 24 * time.Hour
	// DefaultTokenLifetime is a long-lived token's life when the answer
	// does not give expires_in.
	DefaultTokenLifetime = 60 * 24 * time.Hour
	// maxGenerations bounds the generations of containers of one part.
	maxGenerations = 5
)

// Config configures a Client.
type Config struct {
	// ClientID and ClientSecret are the Threads app id and Threads app
	// secret (not the Meta app's).
	ClientID     string
	ClientSecret string
	RedirectURL  string
	// BaseURL, when set, replaces every Threads host (the consent page,
	// the token endpoints and the Graph host), keeping the real paths.
	// Tests and the demo point it at a simulator.
	BaseURL string
	// AuthBase and GraphBase replace one host each (defaults
	// DefaultAuthBase and DefaultGraphBase); BaseURL wins over both.
	AuthBase  string
	GraphBase string
	// GraphVersion is the API version (default DefaultGraphVersion).
	GraphVersion string
	// HTTP is the shared outbound client; nil means platform defaults.
	HTTP *platform.HTTPClient
	// Now is the clock (token expiry, publish times); nil means time.Now.
	Now func() time.Time
	// Sleep waits between container status polls; nil means a timer that
	// honours ctx. Tests inject one that only records.
	Sleep func(ctx context.Context, d time.Duration) error
	// Polling bounds the wait for a container inside one Publish call
	// (default: first pause 1 s, doubling to 30 s, 90 s in all; then
	// Publish returns a *platform.Continue). Its Sleep defaults to Sleep.
	Polling meta.Polling
}

// Client talks to Threads for any number of accounts. It is safe for
// concurrent use.
type Client struct {
	cfg   Config
	auth  string // consent page URL
	graph *meta.Graph
	now   func() time.Time
	poll  meta.Polling
}

var (
	_ platform.Platform      = (*Client)(nil)
	_ platform.Reconciler    = (*Client)(nil)
	_ platform.MetricsReader = (*Client)(nil)
	_ platform.QuotaReader   = (*Client)(nil)
	_ platform.MediaPuller   = (*Client)(nil)
)

// New returns a client configured by cfg.
func New(cfg Config) *Client {
	authBase, graphBase := firstNonEmpty(cfg.AuthBase, DefaultAuthBase), firstNonEmpty(cfg.GraphBase, DefaultGraphBase)
	if b := strings.TrimRight(cfg.BaseURL, "/"); b != "" {
		authBase, graphBase = b, b
	}
	c := &Client{cfg: cfg, auth: strings.TrimRight(authBase, "/") + "/oauth/authorize", now: cfg.Now}
	if c.now == nil {
		c.now = time.Now
	}
	httpc := cfg.HTTP
	if httpc == nil {
		httpc = platform.NewHTTPClient(platform.HTTPOptions{Now: c.now})
	}
	c.graph = &meta.Graph{Platform: snsos.PlatformThreads, HTTP: httpc, Base: strings.TrimRight(graphBase, "/"),
		Version: firstNonEmpty(cfg.GraphVersion, DefaultGraphVersion), Now: c.now}
	c.poll = cfg.Polling
	if c.poll.First <= 0 {
		c.poll.First = time.Second
	}
	if c.poll.Sleep == nil {
		c.poll.Sleep = cfg.Sleep
	}
	if c.poll.Sleep == nil {
		c.poll.Sleep = meta.Sleep
	}
	return c
}

// Name returns snsos.PlatformThreads.
func (c *Client) Name() snsos.Platform { return snsos.PlatformThreads }

// PullsMedia reports true: Threads fetches images and videos from their
// public links (Media.URL); nothing is uploaded.
func (c *Client) PullsMedia() bool { return true }

// do sends a Graph call with the client secret among the values to redact
// and decodes a 2xx answer into v.
func (c *Client) do(ctx context.Context, call meta.Call, v any) error {
	call.Redact = append(call.Redact, c.cfg.ClientSecret)
	return c.graph.Do(ctx, call, v)
}

// linkSecrets returns what of the media links must never reach an error
// or a log line: each link, and its signature (the sig query value), which
// Meta may echo in a refusal that the operator's screens and alerts show.
func linkSecrets(links ...string) []string {
	var out []string
	for _, l := range links {
		if l == "" {
			continue
		}
		out = append(out, l)
		if u, err := url.Parse(l); err == nil {
			out = append(out, u.Query()["sig"]...)
		}
	}
	return out
}

// send is do without decoding: the caller inspects the answer.
func (c *Client) send(ctx context.Context, call meta.Call) (*platform.Response, error) {
	call.Redact = append(call.Redact, c.cfg.ClientSecret)
	return c.graph.Send(ctx, call)
}

// get is a GET call with the account's token.
func get(op, path string, token snsos.Secret, params url.Values) meta.Call {
	return meta.Call{Op: op, Method: "GET", Path: path, Params: params, Token: token}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// failure returns a classified error built by the client itself.
func failure(kind platform.Kind, op, reason string) *platform.Error {
	return &platform.Error{Kind: kind, Platform: snsos.PlatformThreads, Op: op, Reason: reason}
}

func rejected(op, reason string) *platform.Error { return failure(platform.KindRejected, op, reason) }

// validID reports whether s is a Graph object id: 1 to 30 decimal digits.
// Ids go into paths, so nothing else is accepted.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 30 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// userPath returns the path of the account's node: its numeric id, or "me"
// when none is known.
func userPath(acct platform.Auth) (string, bool) {
	switch {
	case acct.UserID == "":
		return "/me", true
	case validID(acct.UserID):
		return "/" + acct.UserID, true
	}
	return "", false
}
