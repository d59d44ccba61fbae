// Package tiktok is the TikTok client of sns-os: Login Kit v2 with its hex
// PKCE challenge and rotating refresh tokens, the user's profile, the
// Content Posting API (Direct Post and inbox upload of a video in chunks
// read from Media.Open one at a time, photo posts pulled from signed
// links), settling an unknown outcome from the publish_id's status, and
// video metrics from the Display API. It implements platform.Platform and the optional platform.Revoker,
// platform.Reconciler, platform.MetricsReader, platform.Permalinker and
// platform.URLResolver.
//
// Every API answer is an envelope {"data":…,"error":{"code","message",
// "log_id"}}, and TikTok refuses some calls with HTTP 200: the envelope is
// read on every answer and only error.code "ok" is success (ClassifyResponse
// maps the codes to the engine's kinds).
//
// A post is made in steps: creator_info/query (what the account may post
// now), an init call that returns the publish_id (the mutating call: after
// it something may go live), the upload of the video to the upload_url in
// chunks read from Media.Open one at a time (memory holds one chunk, never
// the file), and status/fetch until TikTok reports the post complete, sent
// to the account's inbox, or failed. Publishing saves
// its progress under these keys (G is the generation, from 1; the keys of
// generation 1 have no prefix, those of generation G > 1 the prefix "gG."):
//
//	gen                      the current generation (absent: 1)
//	init_sent                when the init call was first sent (RFC 3339), saved just before it
//	upload.chunk_size        the chunk size the init call announces, saved before it
//	publish_id               TikTok's publish_id, saved the moment the init answer arrives
//	upload_url               where the chunks go (valid one hour); "" once TikTok refused it
//	upload.next_offset       bytes of the video TikTok has confirmed, saved as chunks land
//	upload.final_sent        "1" just before the last chunk is sent; "" once it was refused
//	part1.post_id            the post's id (platform.PartIDKey(1)): the public video id, or the publish_id
//	inbox                    "1" when the upload went to the account's TikTok inbox
//	post_mode                the mode the post was started in (DIRECT_POST or MEDIA_UPLOAD), saved before
//	                         an init call; once any generation started, it overrides the request's post_mode
//
// A resumed Publish never sends init again for a generation with a
// publish_id unless status/fetch proves nothing was or will be published:
// FAILED for a reason TikTok calls retryable, or PROCESSING_UPLOAD with
// part of the video missing and no way left to send it (the upload_url
// expired or refused). Only then does it start a new generation, whose keys
// never overwrite the old ones. A generation whose init was sent but whose
// answer was lost is outcome-unknown: TikTok cannot be asked about it.
//
// Options (PublishRequest.Options, TikTok's own names): post_mode
// (DIRECT_POST, the default, or MEDIA_UPLOAD for the inbox), privacy_level
// (required for Direct Post, never defaulted), disable_comment,
// disable_duet and disable_stitch (true unless the request turns the
// interaction on, as TikTok's rules for Direct Post want), the two brand
// toggles (false by default), video_cover_timestamp_ms, title (photo
// posts), and video_duration_ms when the engine knows it.
package tiktok

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

// The real TikTok hosts; Config.BaseURL replaces both (and the upload host).
const (
	DefaultAuthBase = "https://www.tiktok.com"
	DefaultAPIBase  = "https://open.tiktokapis.com"
)

// The Login Kit scopes sns-os asks for.
const (
	ScopeUserInfo     = "user.info.basic"
	ScopeVideoUpload  = "video.upload"
	ScopeVideoPublish = "video.publish"
	ScopeVideoList    = "video.list"
)

// Scopes are the permissions sns-os asks TikTok for, in one place the
// privacy page can read: the basic profile (user.info.basic: open id, name,
// avatar), uploading to the account's inbox (video.upload), Direct Post
// (video.publish, which also reads what the account may post and its
// username), and reading the account's videos for their metrics
// (video.list).
var Scopes = []string{ScopeUserInfo, ScopeVideoUpload, ScopeVideoPublish, ScopeVideoList}

// requiredScopes are the permissions without which nothing can be posted;
// video.list only feeds metrics.
var requiredScopes = []string{ScopeUserInfo, ScopeVideoUpload, ScopeVideoPublish}

// Limits of the Content Posting API (tiktok-x.md §1.3).
const (
	// MinChunkSize and MaxChunkSize bound a chunk (the last one absorbs the
	// remainder and may reach twice MaxChunkSize).
	MinChunkSize = 5 << 20
	MaxChunkSize = 64 << 20
	// DefaultChunkSize is the chunk size when Config.ChunkSize is zero.
	DefaultChunkSize = 10 << 20
	// MaxChunks is the most chunks one upload may have.
	MaxChunks = 1000
	// MaxVideoBytes is the largest video TikTok takes (4 GB).
	MaxVideoBytes = 4 << 30
	// UploadURLTTL is how long an upload_url works after init.
	UploadURLTTL = time.Hour
	// MaxTitle is the longest video caption, MaxPhotoTitle and
	// MaxPhotoDescription those of a photo post, in UTF-16 code units.
	MaxTitle            = 2200
	MaxPhotoTitle       = 90
	MaxPhotoDescription = 4000
	// MaxPhotos is the most images of a photo post.
	MaxPhotos = 35
	// MaxMetricsBatch is how many ids video/query takes at once.
	MaxMetricsBatch = 20
)

// Defaults of Config.
const (
	DefaultUploadBudget = 3 * time.Minute
	// DefaultMaxProcessing bounds how long after init a post may stay
	// processing before Publish hands it over as outcome-unknown.
	DefaultMaxProcessing = 3 * time.Hour
)

// Config configures a Client.
type Config struct {
	// ClientKey and ClientSecret are the app's credentials from the TikTok
	// developer portal.
	ClientKey    string
	ClientSecret string
	// RedirectURL must equal one of the app's registered redirect URIs.
	RedirectURL string
	// BaseURL, when set, replaces every TikTok host (the authorize page on
	// www.tiktok.com, the API on open.tiktokapis.com), keeping the real
	// paths. The upload_url TikTok returns is used as given, except that
	// when BaseURL is set and the upload_url names another host, only its
	// path and query are kept, on BaseURL. Tests and the demo point it at
	// a simulator.
	BaseURL string
	// HTTP is the shared outbound client; nil means platform defaults.
	HTTP *platform.HTTPClient
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits between polls and chunk retries; nil means a timer that
	// honours ctx. Polling.Sleep, when set, takes precedence for polls.
	Sleep func(ctx context.Context, d time.Duration) error
	// Polling bounds the wait for TikTok's processing inside one Publish
	// call; past its budget Publish returns a *platform.Continue.
	Polling Polling
	// ChunkSize is the upload chunk size (default 10 MiB), clamped to
	// TikTok's 5 MiB to 64 MiB.
	ChunkSize int64
	// UploadBudget bounds the time one Publish call spends uploading
	// chunks (default 3 min); past it Publish returns a *platform.Continue
	// and the next call goes on from the saved offset.
	UploadBudget time.Duration
	// MaxProcessing bounds how long after init a post may stay processing
	// (default 3 h); later Publish returns an outcome-unknown error.
	MaxProcessing time.Duration
	// OnCreatorInfo, when set, hears every creator_info answer read for a
	// known account (its open_id, platform.Auth.UserID), so sns-os can
	// record what it says of the account (CreatorInfo.AccountOptions:
	// whether TikTok offers it only "Only me"). It runs in the caller's
	// call and must be quick; its failures are its own to log.
	OnCreatorInfo func(ctx context.Context, openID string, ci *CreatorInfo)
}

// Polling bounds one wait for TikTok's processing inside a job.
type Polling struct {
	// First is the first pause (default 3 s: status/fetch takes 30 calls
	// a minute); each next one doubles up to Max (default 30 s).
	First, Max time.Duration
	// Budget is the longest wait inside one call (default 90 s).
	Budget time.Duration
	// Sleep waits d or until ctx ends.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client talks to TikTok for any number of accounts. It holds no state
// between calls apart from its configuration and is safe for concurrent
// use.
type Client struct {
	cfg     Config
	auth    string // authorize page URL
	api     string // API base, no trailing slash
	base    *url.URL
	http    *platform.HTTPClient
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error
	polling Polling
	chunk   int64
}

var (
	_ platform.Platform      = (*Client)(nil)
	_ platform.Revoker       = (*Client)(nil)
	_ platform.Reconciler    = (*Client)(nil)
	_ platform.MetricsReader = (*Client)(nil)
	_ platform.Permalinker   = (*Client)(nil)
	_ platform.URLResolver   = (*Client)(nil)
)

// New returns a client configured by cfg.
func New(cfg Config) *Client {
	authBase, apiBase := DefaultAuthBase, DefaultAPIBase
	var base *url.URL
	if b := strings.TrimRight(cfg.BaseURL, "/"); b != "" {
		authBase, apiBase = b, b
		base, _ = url.Parse(b)
	}
	c := &Client{cfg: cfg, auth: authBase + "/v2/auth/authorize/", api: apiBase, base: base,
		http: cfg.HTTP, now: cfg.Now, sleep: cfg.Sleep, polling: cfg.Polling, chunk: cfg.ChunkSize}
	if c.now == nil {
		c.now = time.Now
	}
	if c.http == nil {
		c.http = platform.NewHTTPClient(platform.HTTPOptions{Now: c.now})
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	if c.polling.Sleep == nil {
		c.polling.Sleep = c.sleep
	}
	if c.polling.First <= 0 {
		c.polling.First = 3 * time.Second
	}
	if c.polling.Max <= 0 {
		c.polling.Max = 30 * time.Second
	}
	if c.polling.Budget <= 0 {
		c.polling.Budget = 90 * time.Second
	}
	if c.chunk <= 0 {
		c.chunk = DefaultChunkSize
	}
	c.chunk = min(max(c.chunk, MinChunkSize), MaxChunkSize)
	if c.cfg.UploadBudget <= 0 {
		c.cfg.UploadBudget = DefaultUploadBudget
	}
	if c.cfg.MaxProcessing <= 0 {
		c.cfg.MaxProcessing = DefaultMaxProcessing
	}
	return c
}

// Name returns snsos.PlatformTikTok.
func (c *Client) Name() snsos.Platform { return snsos.PlatformTikTok }

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

// fail returns an error of kind made here, not from an answer.
func fail(kind platform.Kind, op, reason string) *platform.Error {
	return &platform.Error{Kind: kind, Platform: snsos.PlatformTikTok, Op: op, Reason: reason}
}

func rejected(op, reason string) *platform.Error { return fail(platform.KindRejected, op, reason) }

// secrets returns the values no error may show: the client secret and the
// given ones.
func (c *Client) secrets(more ...string) []string {
	out := make([]string, 0, len(more)+1)
	if c.cfg.ClientSecret != "" {
		out = append(out, c.cfg.ClientSecret)
	}
	for _, s := range more {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
