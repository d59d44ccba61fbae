package cli

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/alert"
	"github.com/sns-os/snsos/internal/api"
	"github.com/sns-os/snsos/internal/attention"
	"github.com/sns-os/snsos/internal/collect"
	"github.com/sns-os/snsos/internal/compliance"
	"github.com/sns-os/snsos/internal/config"
	"github.com/sns-os/snsos/internal/jobs"
	"github.com/sns-os/snsos/internal/media"
	"github.com/sns-os/snsos/internal/oauth"
	"github.com/sns-os/snsos/internal/obs"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/instagram"
	"github.com/sns-os/snsos/internal/platform/threads"
	"github.com/sns-os/snsos/internal/platform/tiktok"
	"github.com/sns-os/snsos/internal/platform/x"
	"github.com/sns-os/snsos/internal/publish"
	"github.com/sns-os/snsos/internal/rules"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/web"
)

// lateJobs lets the services that insert jobs be built before the River
// client, which needs their workers first.
type lateJobs struct{ c *jobs.Client }

func (l *lateJobs) InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return l.c.InsertTx(ctx, tx, args, opts)
}

func (l *lateJobs) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return l.c.Insert(ctx, args, opts)
}

func (l *lateJobs) JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	return l.c.JobGet(ctx, id)
}

// services is the running application.
type services struct {
	app       *app
	platforms map[snsos.Platform]platform.Platform
	tokens    *oauth.Service
	collector *collect.Collector
	engine    *publish.Engine
	media     *media.Library
	links     *media.Signer
	api       *api.API
	jobs      *jobs.Client
	heartbeat *jobs.Heartbeat
	web       *web.Handler
	alerts    *alert.Alerter

	// compliance answers Meta's deauthorize and data-deletion callbacks
	// and purges deletion requests.
	compliance *compliance.Service
	archive    *archiveRun // nil: no git archive configured
	metrics    *obs.Metrics
}

// wireOptions are what the demo changes.
type wireOptions struct {
	publicURL   string
	checkpoints []collect.Checkpoint // nil: from the config
	platforms   map[snsos.Platform]*config.PlatformConfig
	// avatarLoopback lets profile pictures come from loopback: the demo's
	// simulator serves them on this listener.
	avatarLoopback bool
	// insecureMediaLinks lets platforms that pull media fetch it from a
	// plain-http loopback address (the demo's simulators).
	insecureMediaLinks bool
}

// buildPlatforms returns a client for every platform that has a client id.
func buildPlatforms(cfg *config.Config, publicURL string, pcs map[snsos.Platform]*config.PlatformConfig, a *app) map[snsos.Platform]platform.Platform {
	return buildPlatformsObserved(cfg, publicURL, pcs, a, nil)
}

// buildPlatformsObserved is buildPlatforms whose calls m counts (nil: none).
func buildPlatformsObserved(cfg *config.Config, publicURL string, pcs map[snsos.Platform]*config.PlatformConfig, a *app, m *obs.Metrics) map[snsos.Platform]platform.Platform {
	httpc := platform.NewHTTPClient(platform.HTTPOptions{Logger: a.log, UserAgent: "sns-os/" + Version, OnCall: m.Call})
	out := map[snsos.Platform]platform.Platform{}
	if pc := pcs[snsos.PlatformX]; pc != nil && pc.ClientID != "" {
		a.red.Add(pc.ClientSecret.Reveal())
		out[snsos.PlatformX] = x.New(x.Config{ClientID: pc.ClientID, ClientSecret: pc.ClientSecret.Reveal(),
			RedirectURL: publicURL + "/oauth/x/callback", BaseURL: pc.BaseURL, HTTP: httpc})
	}
	if pc := pcs[snsos.PlatformInstagram]; pc != nil && pc.ClientID != "" {
		a.red.Add(pc.ClientSecret.Reveal())
		out[snsos.PlatformInstagram] = instagram.New(instagram.Config{ClientID: pc.ClientID, ClientSecret: pc.ClientSecret.Reveal(),
			RedirectURL: publicURL + "/oauth/instagram/callback", BaseURL: pc.BaseURL, HTTP: httpc, FirstComment: pc.FirstComment})
	}
	if pc := pcs[snsos.PlatformThreads]; pc != nil && pc.ClientID != "" {
		a.red.Add(pc.ClientSecret.Reveal())
		out[snsos.PlatformThreads] = threads.New(threads.Config{ClientID: pc.ClientID, ClientSecret: pc.ClientSecret.Reveal(),
			RedirectURL: publicURL + "/oauth/threads/callback", BaseURL: pc.BaseURL, HTTP: httpc})
	}
	if pc := pcs[snsos.PlatformTikTok]; pc != nil && pc.ClientID != "" {
		a.red.Add(pc.ClientSecret.Reveal())
		out[snsos.PlatformTikTok] = tiktok.New(tiktok.Config{ClientKey: pc.ClientID, ClientSecret: pc.ClientSecret.Reveal(),
			RedirectURL: publicURL + "/oauth/tiktok/callback", BaseURL: pc.BaseURL, HTTP: httpc, OnCreatorInfo: noteCreatorInfo(a)})
	}
	return out
}

// wire builds the services over an opened app.
func wire(ctx context.Context, cfg *config.Config, a *app, o wireOptions) (*services, error) {
	s := &services{app: a, metrics: obs.New(obs.Options{Jobs: obs.RiverJobs(a.store.ReadDB()), Logger: a.log})}
	lj := &lateJobs{}
	s.platforms = buildPlatformsObserved(cfg, o.publicURL, o.platforms, a, s.metrics)
	backend, err := mediaBackend(ctx, cfg, a)
	if err != nil {
		return nil, err
	}
	s.media = media.NewLibrary(backend, a.store, media.Limits{})
	if s.links, err = media.NewSigner(media.SignerOptions{Key: a.linkKey, PublicURL: o.publicURL}); err != nil {
		return nil, fmt.Errorf("SNSOS_PUBLIC_URL: %w", err)
	}
	s.media.SetSigner(s.links)
	// The fragment replaces the "#_" Meta appends to its redirect, which
	// the browser would otherwise carry to the accounts page.
	s.tokens = oauth.New(oauth.Config{Store: a.store, Platforms: s.platforms, PublicURL: o.publicURL, Jobs: lj, Logger: a.log,
		AfterConnect: "/accounts?flash=connected#flash", AvatarLoopback: o.avatarLoopback, OnRefresh: s.metrics.Refresh})
	cps := o.checkpoints
	if cps == nil {
		cps = collect.Checkpoints(cfg.Checkpoints)
	}
	s.collector = collect.New(collect.Config{Store: a.store, Platforms: s.platforms, Tokens: s.tokens, Checkpoints: cps, Jobs: lj, Logger: a.log,
		OnCollected: s.metrics.Collected})
	s.engine = publish.New(publish.Config{Store: a.store, Jobs: lj, Platforms: s.platforms, Tokens: s.tokens, Media: s.media,
		OnPublished: s.collector.ScheduleTx, OnApplied: s.metrics.Applied, Logger: a.log, ReconcileDelay: cfg.ReconcileDelay,
		JobTimeout: cfg.JobTimeout, LandMargin: cfg.LandMargin, Backoff: publish.ExponentialBackoff(cfg.RetryBackoff),
		AllowInsecureMediaLinks: o.insecureMediaLinks || pullersFaked(o.platforms)})
	s.tokens.SetTargetFailer(s.engine)
	if s.archive, err = wireArchive(cfg, a); err != nil {
		return nil, err
	}
	workers := river.NewWorkers()
	s.heartbeat = jobs.NewHeartbeat(nil)
	periodic := []*river.PeriodicJob{s.heartbeat.Register(workers, time.Minute)}
	s.engine.Register(workers)
	periodic = append(periodic, s.engine.Periodic()...)
	s.collector.Register(workers)
	periodic = append(periodic, collect.RegisterDays(workers, a.store, a.log))
	periodic = append(periodic, s.tokens.Register(workers)...)
	periodic = append(periodic, registerSessionCleanup(workers, a.store, a.log))
	periodic = append(periodic, wireCompliance(cfg, s, lj, o, workers)...)
	if s.alerts, err = buildAlerts(cfg, o.publicURL, a); err != nil {
		return nil, err
	}
	periodic = append(periodic, s.alerts.Register(workers)...)
	s.jobs, err = jobs.New(jobs.Config{DB: a.store.DB(), Pool: a.store.Pool(), Workers: workers, Periodic: periodic, Logger: a.log,
		JobTimeout: cfg.JobTimeout})
	if err != nil {
		return nil, err
	}
	lj.c = s.jobs
	s.api = api.New(api.Config{Store: a.store, Engine: s.engine, Connector: s.tokens, Metrics: s.collector, Media: s.media,
		Logger: a.log, Location: cfg.Location(), MediaURL: s.links.URL})
	var alerts web.Alerter // nil when no channel is configured
	if s.alerts.Enabled() {
		alerts = s.alerts
	}
	s.web = web.New(web.Config{Store: a.store, Engine: s.engine, Media: s.media, PublicURL: o.publicURL, Location: cfg.Location(), Logger: a.log,
		XPrices: rules.XPrices{Post: cfg.XPricePost, PostWithURL: cfg.XPricePostWithURL}, FeedKey: a.feedKey,
		TrustedProxies: cfg.TrustedProxies, Alerts: alerts, Accounts: s.tokens, Platforms: connectable(s.platforms),
		InstagramFirstComment: firstComment(o.platforms), Creators: creatorsOf(s),
		Policy: policyFacts(cfg, a.store, s.platforms, o.platforms, cps), Notify: notifyOf(s.alerts), Purger: s.compliance,
		Archive: cfg.ArchiveEnabled()})
	if err := s.web.LoadSettings(ctx); err != nil { // the time zone chosen in Settings
		return nil, err
	}
	// Before the jobs start: a change of the privacy policy is recorded and
	// listed, and the alert scan that runs on start sends it.
	if err := s.web.SyncPolicy(ctx); err != nil {
		return nil, fmt.Errorf("privacy policy: %w", err)
	}
	if tok := cfg.APIToken.Reveal(); tok != "" {
		if _, err := api.EnsureBootstrapToken(ctx, a.store, tok); err != nil {
			return nil, fmt.Errorf("SNSOS_API_TOKEN: %w", err)
		}
	}
	return s, nil
}

// creatorsOf returns what compose asks of TikTok about its accounts, or
// nil when TikTok is not configured.
func creatorsOf(s *services) web.Creators {
	tc, ok := s.platforms[snsos.PlatformTikTok].(*tiktok.Client)
	if !ok {
		return nil
	}
	return newTikTokCreators(s.app.store, s.tokens, tc, nil)
}

// firstComment reports whether Instagram posts may carry a first comment
// (SNSOS_INSTAGRAM_FIRST_COMMENT, with Instagram configured).
func firstComment(pcs map[snsos.Platform]*config.PlatformConfig) bool {
	pc := pcs[snsos.PlatformInstagram]
	return pc != nil && pc.ClientID != "" && pc.FirstComment
}

// pullersFaked reports whether every configured platform that fetches
// media by link (Instagram, Threads, TikTok's photo posts) is a simulator
// or a test fake (SNSOS_{INSTAGRAM,THREADS,TIKTOK}_BASE_URL set): media links may then be plain
// http, as such a fake runs beside sns-os. Real Meta is only ever given
// https links.
func pullersFaked(pcs map[snsos.Platform]*config.PlatformConfig) bool {
	for _, p := range []snsos.Platform{snsos.PlatformInstagram, snsos.PlatformThreads, snsos.PlatformTikTok} {
		if pc := pcs[p]; pc != nil && pc.ClientID != "" && pc.BaseURL == "" {
			return false
		}
	}
	return true
}

// connectable lists, in the usual order, the platforms that have a client
// (configured with a client id and supported), which the accounts page
// offers to connect.
func connectable(m map[snsos.Platform]platform.Platform) []snsos.Platform {
	var out []snsos.Platform
	for _, p := range snsos.Platforms {
		if m[p] != nil {
			out = append(out, p)
		}
	}
	return out
}

// mount adds the feature routes.
func (s *services) mount(mux *http.ServeMux) {
	s.api.Routes(mux)
	// Behind a proxy every request comes from loopback: the main listener
	// never serves the metrics without a token (SNSOS_METRICS_ADDR does).
	mux.Handle("GET /metrics", s.api.Authenticate(s.metrics.Handler()))
	s.tokens.Routes(mux, s.web.RequireSession) // /connect needs the operator; the callback is public
	s.links.Routes(mux, s.media)               // public: the signature is the credential
	s.compliance.Routes(mux)                   // public: the signed_request is the credential
	s.web.Routes(mux)                          // the operator UI: every page but sign-in needs a session
}

func (s *services) store() *store.Store { return s.app.store }

// buildAlerts returns the alerter of the configured channels (none
// configured: an alerter that does nothing).
func buildAlerts(cfg *config.Config, publicURL string, a *app) (*alert.Alerter, error) {
	smtpURL := cfg.SMTPURL.Reveal()
	if u, err := url.Parse(smtpURL); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			a.red.Add(pw)
		}
	}
	a.red.Add(smtpURL, cfg.AlertWebhookSecret.Reveal(), cfg.AlertWebhookURL)
	var to []string
	if cfg.AlertEmailTo != "" {
		to = []string{cfg.AlertEmailTo}
	}
	al, err := alert.New(alert.Config{Store: a.store, Logger: a.log, PublicURL: publicURL, Location: cfg.Location(),
		Attention: attention.Options{Archive: cfg.ArchiveEnabled()},
		Email:     alert.EmailConfig{URL: smtpURL, From: cfg.AlertEmailFrom, To: to},
		Webhook:   alert.WebhookConfig{URL: cfg.AlertWebhookURL, Secret: cfg.AlertWebhookSecret.Reveal()}})
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	return al, nil
}

// mediaBackend returns the bucket when SNSOS_S3_ENDPOINT is set, else the
// media folder in the data dir.
func mediaBackend(ctx context.Context, cfg *config.Config, a *app) (media.Store, error) {
	if c := cfg.S3; c.Endpoint != "" {
		a.red.Add(c.SecretKey.Reveal())
		return media.NewS3(ctx, media.S3Config{Endpoint: c.Endpoint, Bucket: c.Bucket, Region: c.Region, AccessKey: c.AccessKey,
			SecretKey: c.SecretKey, UseSSL: c.UseSSL, PathStyle: c.PathStyle})
	}
	disk, err := media.NewDisk(filepath.Join(cfg.DataDir, "media"))
	if err != nil {
		return nil, store.DataDirError(cfg.DataDir, err)
	}
	return disk, nil
}
