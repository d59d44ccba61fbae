// Package instagram is the Instagram client of sns-os, for the Instagram
// API with Instagram Login (graph.instagram.com; no Facebook Page): the
// OAuth flow with its short- and long-lived tokens, the professional
// account's profile, publishing through media containers (one image, a
// carousel, a reel or a story), reconciliation from the containers' states
// and the account's recent media, media insights and the publishing quota.
// It implements platform.Platform and the optional platform.Reconciler,
// platform.MetricsReader, platform.QuotaReader and platform.MediaPuller.
// Instagram Login documents no revoke call, so there is no Revoker.
//
// Instagram pulls media from the signed public links (Media.URL); nothing
// is uploaded. Publishing is three steps: create a container (not mutating:
// an unpublished container is seen by no one and expires after 24 hours),
// wait until Instagram has processed it, and publish it (mutating).
// Publishing saves its progress under these keys (G is the generation,
// from 1; i counts carousel items from 1):
//
//	gen                      the current generation (absent: 1)
//	media_type               IMAGE, CAROUSEL, REELS or STORIES, set before the first container
//	g{G}.item{i}.container   a carousel item's container id
//	g{G}.item{i}.created     its creation time, Unix seconds
//	g{G}.container           the post's container id (image, carousel, reel or story)
//	g{G}.created             its creation time, Unix seconds
//	g{G}.publish_sent        when media_publish was first sent (RFC 3339), saved just before it
//	part1.post_id            the published media id (platform.PartIDKey(1))
//	comment.sent             "1", saved just before the first comment is sent
//	comment.id               the first comment's id
//	comment.error            why the first comment failed (the post stands)
//
// A resumed Publish reads the state of each recorded container before
// anything else: PUBLISHED is live (never published again), FINISHED is
// published, IN_PROGRESS is awaited, and EXPIRED (or older than 24 hours),
// a retryable ERROR, or a container that no longer exists and was never
// sent for publishing starts a new generation of containers, so that no id
// of an earlier one is overwritten.
package instagram

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/meta"
)

// The real Instagram hosts; Config.BaseURL replaces all three.
const (
	DefaultAuthBase  = "https://www.instagram.com"
	DefaultTokenBase = "https://api.instagram.com"
	DefaultGraphBase = "https://graph.instagram.com"
	// DefaultGraphVersion is the Graph API version of versioned calls.
	DefaultGraphVersion = "v25.0"
)

// The Instagram Login permissions sns-os asks for.
const (
	ScopeBasic    = "instagram_business_basic"
	ScopePublish  = "instagram_business_content_publish"
	ScopeInsights = "instagram_business_manage_insights"
	ScopeComments = "instagram_business_manage_comments"
)

// Scopes returns the permissions sns-os asks Instagram for, in one place
// the privacy page can read: the profile (instagram_business_basic),
// publishing (instagram_business_content_publish), post insights
// (instagram_business_manage_insights) and, only when sns-os posts a first
// comment under each post, instagram_business_manage_comments.
func Scopes(firstComment bool) []string {
	s := []string{ScopeBasic, ScopePublish, ScopeInsights}
	if firstComment {
		s = append(s, ScopeComments)
	}
	return s
}

// requiredScopes are the permissions without which nothing can be posted.
var requiredScopes = []string{ScopeBasic, ScopePublish}

// Config configures a Client.
type Config struct {
	// ClientID and ClientSecret are the Instagram app id and Instagram app
	// secret (App Dashboard > Instagram > API setup with Instagram login),
	// not the Meta app's.
	ClientID     string
	ClientSecret string
	// RedirectURL must equal one of the app's OAuth redirect URIs exactly.
	RedirectURL string
	// BaseURL, when set, replaces every Instagram host (the authorize page
	// on www.instagram.com, the token endpoint on api.instagram.com and the
	// Graph host graph.instagram.com), keeping the real paths. Tests and
	// the demo point it at a simulator.
	BaseURL string
	// GraphVersion is the version prefix of Graph calls (default
	// DefaultGraphVersion).
	GraphVersion string
	// HTTP is the shared outbound client; nil means platform defaults.
	HTTP *platform.HTTPClient
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits between polls and retries; nil means a timer that
	// honours ctx. Polling.Sleep, when set, takes precedence for polls.
	Sleep func(ctx context.Context, d time.Duration) error
	// Polling bounds the wait for a container inside one Publish call;
	// past its budget Publish returns a *platform.Continue.
	Polling meta.Polling
	// FirstComment enables the first_comment option (and asks for the
	// comments permission).
	FirstComment bool
}

// Client talks to Instagram for any number of accounts. It holds no state
// between calls apart from its configuration and is safe for concurrent
// use.
type Client struct {
	cfg     Config
	auth    string      // authorize page URL
	token   *meta.Graph // api.instagram.com (code exchange)
	graph   *meta.Graph // graph.instagram.com
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error
	polling meta.Polling
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
	authBase, tokenBase, graphBase := DefaultAuthBase, DefaultTokenBase, DefaultGraphBase
	if b := strings.TrimRight(cfg.BaseURL, "/"); b != "" {
		authBase, tokenBase, graphBase = b, b, b
	}
	if cfg.GraphVersion == "" {
		cfg.GraphVersion = DefaultGraphVersion
	}
	c := &Client{cfg: cfg, auth: authBase + "/oauth/authorize", now: cfg.Now, sleep: cfg.Sleep, polling: cfg.Polling}
	if c.now == nil {
		c.now = time.Now
	}
	httpc := cfg.HTTP
	if httpc == nil {
		httpc = platform.NewHTTPClient(platform.HTTPOptions{Now: c.now})
	}
	if c.sleep == nil {
		c.sleep = meta.Sleep
	}
	if c.polling.Sleep == nil {
		c.polling.Sleep = c.sleep
	}
	c.token = &meta.Graph{Platform: snsos.PlatformInstagram, HTTP: httpc, Base: tokenBase, Now: c.now}
	c.graph = &meta.Graph{Platform: snsos.PlatformInstagram, HTTP: httpc, Base: graphBase, Version: cfg.GraphVersion, Now: c.now}
	return c
}

// Name returns snsos.PlatformInstagram.
func (c *Client) Name() snsos.Platform { return snsos.PlatformInstagram }

// PullsMedia reports that Instagram fetches media from public links.
func (c *Client) PullsMedia() bool { return true }

// send sends one call to g and returns its answer when the status is 2xx
// and the body is no error envelope; otherwise the classified error.
func (c *Client) send(ctx context.Context, g *meta.Graph, call meta.Call) (*platform.Response, error) {
	if c.cfg.ClientSecret != "" {
		call.Redact = append(call.Redact, c.cfg.ClientSecret)
	}
	resp, err := g.Send(ctx, call)
	if err != nil {
		return nil, err
	}
	if err := g.Decode(resp, nil); err != nil {
		return nil, refine(resp, err)
	}
	return resp, nil
}

// notTester explains Instagram's misleading answer to an account that may
// not use the app.
const notTester = "Instagram answers every call with \"Unsupported request - method type\" (code 100) when the " +
	"Instagram account is not an accepted tester of the app: add it as an Instagram tester under App roles in the " +
	"App Dashboard, accept the invitation from the Instagram account, then connect the account again"

// refine adds what Instagram needs on top of meta.Classify: the "not a
// tester" answer is a credentials problem, not a bad parameter.
func refine(resp *platform.Response, err error) error {
	var pe *platform.Error
	if !errors.As(err, &pe) {
		return err
	}
	if g := meta.ParseError(resp.Body); g != nil && g.Code == meta.CodeBadParameter && g.Subcode == 0 &&
		strings.Contains(strings.ToLower(g.Message), "unsupported request - method type") {
		pe.Kind, pe.RetryAt = platform.KindAuth, time.Time{}
		pe.Reason = resp.Redact(notTester + " (" + g.Error() + ")")
	}
	return pe
}

// fail returns an error of kind made here, not from an answer.
func fail(kind platform.Kind, op, reason string) *platform.Error {
	return &platform.Error{Kind: kind, Platform: snsos.PlatformInstagram, Op: op, Reason: reason}
}

func rejected(op, reason string) *platform.Error { return fail(platform.KindRejected, op, reason) }

// graphCode returns Meta's code and subcode carried by err ("100/33" in
// platform.Error.Code), or zeros.
func graphCode(err error) (code, sub int) {
	var pe *platform.Error
	if !errors.As(err, &pe) || pe.Code == "" {
		return 0, 0
	}
	a, b, _ := strings.Cut(pe.Code, "/")
	return atoi(a), atoi(b)
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}

// reasonOf returns the plain-words reason of err (its Reason when it is a
// *platform.Error).
func reasonOf(err error) string {
	var pe *platform.Error
	if errors.As(err, &pe) && pe.Reason != "" {
		return pe.Reason
	}
	return err.Error()
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

// isNoObject reports Meta's "object does not exist" (code 100, subcode 33).
func isNoObject(err error) bool {
	code, sub := graphCode(err)
	return code == meta.CodeBadParameter && sub == meta.SubcodeNoObject
}
