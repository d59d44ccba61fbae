package cli

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/riverqueue/river"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/compliance"
	"github.com/sns-os/snsos/internal/config"
	"github.com/sns-os/snsos/internal/web"
)

// The inbox's confirmation of a deletion request goes to the compliance
// service.
var _ web.Purger = (*compliance.Service)(nil)

// wireCompliance builds the Meta callbacks and the purge of deletion
// requests over the services built so far, and registers their workers.
func wireCompliance(cfg *config.Config, s *services, jobs compliance.Jobs, o wireOptions, workers *river.Workers) []*river.PeriodicJob {
	window := cfg.DeletionWindow
	if window == 0 {
		window = -1 // SNSOS_DELETION_WINDOW=0s: at once
	}
	s.compliance = compliance.New(compliance.Config{Store: s.app.store, Failer: s.engine, Media: s.media, Jobs: jobs,
		PublicURL: o.publicURL, Secrets: appSecrets(cfg, o.platforms, s.app), MaxAge: cfg.SignedRequestMaxAge,
		Window: window, Logger: s.app.log})
	return s.compliance.Register(workers)
}

// appSecrets returns the secrets that may sign each Meta platform's
// callbacks: its app secret (SNSOS_{INSTAGRAM,THREADS}_APP_SECRET, else
// META_APP_SECRET), META_APP_SECRET itself, and its client secret, which
// for Instagram API with Instagram Login is the Instagram app secret and
// for Threads the Threads app secret (Meta's documentation and clients
// disagree on which signs: each is a secret of the operator's own app).
func appSecrets(cfg *config.Config, pcs map[snsos.Platform]*config.PlatformConfig, a *app) map[snsos.Platform][][]byte {
	out := map[snsos.Platform][][]byte{}
	for _, p := range []snsos.Platform{snsos.PlatformInstagram, snsos.PlatformThreads} {
		pc := pcs[p]
		if pc == nil {
			pc = &config.PlatformConfig{}
		}
		var list []string
		for _, sec := range []snsos.Secret{pc.AppSecret, cfg.MetaAppSecret, pc.ClientSecret} {
			if v := sec.Reveal(); v != "" && !slices.Contains(list, v) {
				list = append(list, v)
				a.red.Add(v)
			}
		}
		for _, v := range list {
			out[p] = append(out[p], []byte(v))
		}
	}
	return out
}

// setDemoAppSecrets gives the demo's Instagram and Threads their app
// secrets: the configured one (SNSOS_{INSTAGRAM,THREADS}_APP_SECRET, else
// META_APP_SECRET) when set, otherwise a generated one, so the callbacks
// can be tried against the demo's accounts.
func setDemoAppSecrets(cfg *config.Config, sims demoSims) error {
	for _, s := range sims {
		if s.platform != snsos.PlatformInstagram && s.platform != snsos.PlatformThreads {
			continue
		}
		if pc := cfg.Platforms[s.platform]; pc != nil && !pc.AppSecret.IsZero() {
			name := "SNSOS_" + strings.ToUpper(string(s.platform)) + "_APP_SECRET"
			if cfg.Source(name) == "META_APP_SECRET" {
				name = "META_APP_SECRET"
			}
			s.appSecret, s.appSecretFrom = pc.AppSecret, name
			continue
		}
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		s.appSecret = snsos.Secret(hex.EncodeToString(b))
	}
	return nil
}

// printDemoCallbacks says where the demo's Meta callbacks are, which
// secret signs them and which user ids its accounts have.
func printDemoCallbacks(out io.Writer, publicURL string, sims demoSims, accts map[snsos.Platform]*snsos.Account) {
	for _, s := range sims {
		if s.appSecret.IsZero() {
			continue
		}
		secret := s.appSecret.Reveal() + " (generated)"
		if s.appSecretFrom != "" {
			secret = "from " + s.appSecretFrom
		}
		fmt.Fprintf(out, "%s callbacks: POST %s/webhooks/%s/deauthorize and /data-deletion, signed_request signed with the app secret %s\n",
			s.platform.DisplayName(), publicURL, s.platform, secret)
		if a := accts[s.platform]; a != nil {
			fmt.Fprintf(out, "  the demo %s account's user id: %s\n", s.platform.DisplayName(), a.RemoteID)
		}
	}
}
