package cli

import (
	"context"
	"net/url"
	"slices"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/alert"
	"github.com/sns-os/snsos/internal/collect"
	"github.com/sns-os/snsos/internal/config"
	"github.com/sns-os/snsos/internal/oauth"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/instagram"
	"github.com/sns-os/snsos/internal/platform/threads"
	"github.com/sns-os/snsos/internal/platform/tiktok"
	"github.com/sns-os/snsos/internal/platform/x"
	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/web"
)

// The public privacy policy is computed here, where the configuration and
// the platform clients meet: whatever a client asks for or records is what
// the policy says.

// policyScopes are the permissions each platform's client asks for, read
// from the client packages' own lists (Instagram's depends on the first
// comment switch).
func policyScopes(p snsos.Platform, pcs map[snsos.Platform]*config.PlatformConfig) []string {
	switch p {
	case snsos.PlatformX:
		return slices.Clone(x.Scopes)
	case snsos.PlatformInstagram:
		return instagram.Scopes(firstComment(pcs))
	case snsos.PlatformThreads:
		return threads.Scopes()
	case snsos.PlatformTikTok:
		return slices.Clone(tiktok.Scopes)
	}
	return nil
}

// policyMetrics are the values each client records for a post: the
// standard four and the platform's own (see each client's Metrics).
// Instagram's come from its insight sets; the others' clients name them
// in their documentation only.
func policyMetrics(p snsos.Platform) []string {
	std := []string{snsos.MetricViews, snsos.MetricLikes, snsos.MetricComments, snsos.MetricShares}
	switch p {
	case snsos.PlatformX:
		return append(std, "impressions", "bookmarks", "replies", "reposts", "quotes", "url_link_clicks", "user_profile_clicks", "engagements")
	case snsos.PlatformInstagram:
		out := slices.Clone(std)
		for _, m := range append(slices.Clone(instagram.FeedMetrics), instagram.StoryMetrics...) {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
		return out
	case snsos.PlatformThreads:
		return append(std, "replies", "reposts", "quotes")
	}
	return std
}

// policyFacts are what the policy states at this server: the operator, the
// platforms that have a client, their scopes and metrics, the checkpoints
// in force, the storage and the retention windows.
func policyFacts(cfg *config.Config, st *store.Store, clients map[snsos.Platform]platform.Platform,
	pcs map[snsos.Platform]*config.PlatformConfig, cps []collect.Checkpoint) web.PolicyFacts {
	f := web.PolicyFacts{Operator: cfg.OperatorName, Email: cfg.OperatorEmail, Jurisdiction: cfg.Jurisdiction,
		Database: string(st.Dialect()), Media: "disk",
		// A purge set to run at once still takes its job's run: the policy
		// promises no less than an hour.
		PurgeWindow: max(cfg.DeletionWindow, time.Hour), ConnectCookieTTL: oauth.DefaultStateTTL}
	if cfg.S3.Endpoint != "" {
		f.Media, f.MediaHost = "s3", cfg.S3.Endpoint
	}
	if cfg.ArchiveEnabled() {
		f.Archive, f.ArchiveHost = true, archiveHost(cfg)
	}
	for _, p := range snsos.Platforms {
		if clients[p] == nil {
			continue
		}
		f.Platforms = append(f.Platforms, web.PolicyPlatform{Platform: p, Scopes: policyScopes(p, pcs), Metrics: policyMetrics(p)})
	}
	for _, c := range cps {
		f.Checkpoints = append(f.Checkpoints, c.After)
	}
	return f
}

// archiveHost is where the policy says the git archive is kept: the
// remote's host (never its user or token), or this server's own host when
// the copy stays on it (no remote, or a file:// one).
func archiveHost(cfg *config.Config) string {
	if u, err := url.Parse(cfg.ArchiveRemote); err == nil && u.Hostname() != "" && u.Scheme != "file" {
		return u.Hostname()
	}
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "localhost"
}

// notifyOf runs the alert channels at once, or is nil when none is
// configured.
func notifyOf(a *alert.Alerter) func(ctx context.Context) error {
	if a == nil || !a.Enabled() {
		return nil
	}
	return a.Run
}
