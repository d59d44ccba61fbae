// Package x is the X (Twitter) API v2 client of sns-os: OAuth 2.0
// Authorization Code with PKCE, the user profile, chunked media upload,
// posts and threads, reconciliation through the user's timeline, and post
// metrics. It implements platform.Platform and the optional
// platform.Revoker, platform.Reconciler, platform.MetricsReader,
// platform.DuplicateWindower and platform.URLResolver.
//
// The client is built from plain values (Config) and holds no state between
// calls apart from its configuration; credentials are passed in on each call
// and refreshed credentials are returned to the caller to persist.
//
// Publishing saves its progress under these keys (n and m count from 1):
//
//	part{n}.media{m}.upload_id  media id from INITIALIZE (upload may be unfinished)
//	part{n}.media{m}.media_id   media id whose processing succeeded
//	part{n}.media{m}.alt_text   media id the alt text was set on
//	part{n}.tweet_id            id of the posted part
//
// A resumed Publish skips every part with a tweet_id, reuses ready media,
// asks X for the status of an unfinished upload before starting it again,
// and replies to the last posted part.
package x

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

// The real X hosts; Config.BaseURL replaces both.
const (
	DefaultAuthBase = "https://x.com"
	DefaultAPIBase  = "https://api.x.com"
)

// Scopes are the OAuth scopes sns-os requests: read and write posts, read
// the user, upload media, and get a refresh token.
var Scopes = []string{"tweet.read", "tweet.write", "users.read", "media.write", "offline.access"}

// Defaults of Config.
const (
	DefaultChunkSize         = 4 << 20
	DefaultMaxProcessingWait = 10 * time.Minute
	// MaxMetricsBatch is how many ids GET /2/tweets takes at once.
	MaxMetricsBatch = 100
	// PrivateMetricsWindow is how long X serves non-public and organic
	// metrics of a post after its creation.
	PrivateMetricsWindow = 30 * 24 * time.Hour
)

// Config configures a Client.
type Config struct {
	ClientID     string
	ClientSecret string // empty for a public client (client_id in the body)
	RedirectURL  string
	// BaseURL, when set, replaces every X host (the authorize page on
	// x.com and the token, revoke, API and upload endpoints on api.x.com),
	// keeping the real paths. Tests and the demo point it at a simulator.
	BaseURL string
	// HTTP is the shared outbound client; nil means platform defaults.
	HTTP *platform.HTTPClient
	// Now is the clock (token expiry, metrics age); nil means time.Now.
	Now func() time.Time
	// Sleep waits between media status polls; nil means a timer that
	// honours ctx. Tests inject one that only records.
	Sleep func(ctx context.Context, d time.Duration) error
	// ChunkSize is the APPEND segment size (default 4 MiB).
	ChunkSize int
	// MaxProcessingWait bounds the total time spent waiting for media
	// processing, counted from check_after_secs (default 10 min).
	MaxProcessingWait time.Duration
	// AppendTimeout bounds one APPEND request (default 2 min; a 4 MiB
	// segment needs time on a slow uplink).
	AppendTimeout time.Duration
}

// Client talks to X for any number of accounts. It is safe for concurrent use.
type Client struct {
	cfg     Config
	secret  snsos.Secret
	auth    string // authorize page URL
	api     string // API base, no trailing slash
	http    *platform.HTTPClient
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error
	oauth   *oauth2.Config
	chunk   int
	maxWait time.Duration
}

var (
	_ platform.Platform      = (*Client)(nil)
	_ platform.Revoker       = (*Client)(nil)
	_ platform.Reconciler    = (*Client)(nil)
	_ platform.MetricsReader = (*Client)(nil)
)

// New returns a client configured by cfg.
func New(cfg Config) *Client {
	authBase, apiBase := DefaultAuthBase, DefaultAPIBase
	if b := strings.TrimRight(cfg.BaseURL, "/"); b != "" {
		authBase, apiBase = b, b
	}
	c := &Client{
		cfg:     cfg,
		secret:  snsos.Secret(cfg.ClientSecret),
		auth:    authBase + "/i/oauth2/authorize",
		api:     apiBase,
		http:    cfg.HTTP,
		now:     cfg.Now,
		sleep:   cfg.Sleep,
		chunk:   cfg.ChunkSize,
		maxWait: cfg.MaxProcessingWait,
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.http == nil {
		c.http = platform.NewHTTPClient(platform.HTTPOptions{Now: c.now})
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	if c.chunk <= 0 {
		c.chunk = DefaultChunkSize
	}
	if c.cfg.AppendTimeout <= 0 {
		c.cfg.AppendTimeout = 2 * time.Minute
	}
	if c.maxWait <= 0 {
		c.maxWait = DefaultMaxProcessingWait
	}
	style := oauth2.AuthStyleInHeader
	if cfg.ClientSecret == "" {
		style = oauth2.AuthStyleInParams
	}
	c.oauth = &oauth2.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		RedirectURL:  cfg.RedirectURL,
		Scopes:       Scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:   c.auth,
			TokenURL:  apiBase + "/2/oauth2/token",
			AuthStyle: style,
		},
	}
	return c
}

// Name returns snsos.PlatformX.
func (c *Client) Name() snsos.Platform { return snsos.PlatformX }

// PostURL returns the permalink of post id by handle ("" handle gives the
// handle-free form).
func PostURL(handle, id string) string {
	if handle == "" {
		return "https://x.com/i/web/status/" + id
	}
	return "https://x.com/" + url.PathEscape(handle) + "/status/" + id
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// request describes one API call.
type request struct {
	op       string
	method   string
	path     string
	query    url.Values
	token    snsos.Secret
	body     []byte
	ct       string
	mutating bool
	timeout  time.Duration
}

// do sends an API call and returns the response if its status is 2xx, or
// the classified error.
func (c *Client) do(ctx context.Context, r request) (*platform.Response, error) {
	u := c.api + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	req := &platform.Request{
		Platform:    snsos.PlatformX,
		Op:          r.op,
		Method:      r.method,
		URL:         u,
		Token:       r.token,
		ContentType: r.ct,
		Mutating:    r.mutating,
		Redact:      []string{c.cfg.ClientSecret},
		Timeout:     r.timeout,
	}
	if r.body != nil {
		req.Body = bytes.NewReader(r.body)
	}
	resp, err := c.http.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if !resp.OK() {
		return nil, ClassifyResponse(resp)
	}
	return resp, nil
}
