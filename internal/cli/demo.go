package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"os"
	"strings"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/api"
	"github.com/sns-os/snsos/internal/auth"
	"github.com/sns-os/snsos/internal/collect"
	"github.com/sns-os/snsos/internal/config"
)

// demoCheckpoints returns the accelerated metric checkpoints of the demo:
// the standard names (1h, 24h, 7d) taken after the given delays.
func demoCheckpoints(spec string) ([]collect.Checkpoint, error) {
	var out []collect.Checkpoint
	names := []snsos.Checkpoint{snsos.Checkpoint1h, snsos.Checkpoint24h, snsos.Checkpoint7d}
	for i, part := range strings.Split(spec, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d <= 0 || i >= len(names) {
			return nil, usageError{fmt.Sprintf("--checkpoint-delays %q: give three durations for +1h, +24h and +7d, e.g. 1m,2m,5m", spec)}
		}
		out = append(out, collect.Checkpoint{Name: names[i], After: d})
	}
	if len(out) != len(names) {
		return nil, usageError{fmt.Sprintf("--checkpoint-delays %q: give three durations for +1h, +24h and +7d, e.g. 1m,2m,5m", spec)}
	}
	return out, nil
}

func runDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "demo", "demo [--addr HOST:PORT] [--data DIR] [flags]",
		"Run sns-os with simulated platforms mounted under /sim/{platform}/ on the same listener, and one\n"+
			"demo account per simulated platform connected through its real OAuth flow, so everything can be\n"+
			"tried without real accounts. Metric checkpoints are accelerated (+1h at 1 min, +24h at 2 min,\n"+
			"+7d at 5 min). Uses a fresh temporary data dir unless --data (or SNSOS_DATA_DIR) is given.\n"+
			"Prints the operator password and an API token.")
	delays := fs.String("checkpoint-delays", "1m,2m,5m", "when the demo takes its +1h, +24h and +7d metric snapshots")
	connect := fs.Bool("connect", true, "connect the demo accounts at start; with --connect=false, connect them yourself from the\n"+
		"Accounts page through the simulator's consent screen")
	flags := configFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	cps, err := demoCheckpoints(*delays)
	if err != nil {
		return err
	}
	dataSet := e.getenv("SNSOS_DATA_DIR") != ""
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "data" {
			dataSet = true
		}
	})
	getenv := e.getenv
	e2 := *e
	var tmp string
	if !dataSet {
		var err error
		if tmp, err = os.MkdirTemp("", "snsos-demo-"); err != nil {
			return fmt.Errorf("demo data dir: %w", err)
		}
	}
	e2.getenv = func(k string) string {
		if k == "SNSOS_DATA_DIR" && tmp != "" {
			return tmp
		}
		return getenv(k)
	}
	cfg, err := loadConfig(&e2, flags)
	if err != nil {
		return err
	}
	sims := newDemoSims(*connect, cps[0].After/2)
	defer sims.close()
	if err := setDemoAppSecrets(cfg, sims); err != nil {
		return err
	}
	if err := setDemoArchive(cfg, e.stdout); err != nil {
		return err
	}
	return serve(ctx, e, cfg, &serveExtras{
		wire: func(publicURL string, o *wireOptions) {
			pcs := map[snsos.Platform]*config.PlatformConfig{}
			for p, pc := range cfg.Platforms {
				pcs[p] = pc
			}
			for _, s := range sims {
				// The simulators serve their users' profile pictures
				// themselves, so connecting fetches them from this
				// listener, not from the platforms.
				base := publicURL + "/sim/" + string(s.platform)
				s.setBaseURL(base)
				pcs[s.platform] = &config.PlatformConfig{ClientID: s.clientID, ClientSecret: snsos.Secret(s.clientID + "-secret"), BaseURL: base,
					FirstComment: s.platform == snsos.PlatformInstagram, // the demo shows every option
					AppSecret:    s.appSecret}
			}
			o.platforms = pcs
			o.checkpoints = cps
			o.avatarLoopback = true
			// The simulated Instagram and Threads fetch media from the
			// demo's own plain-http loopback address.
			o.insecureMediaLinks = true
		},
		mount: func(mux *http.ServeMux) {
			for _, s := range sims {
				prefix := "/sim/" + string(s.platform)
				mux.Handle(prefix+"/", http.StripPrefix(prefix, s.handler))
			}
		},
		onReady: func(ctx context.Context, publicURL string, svc *services) error {
			return demoSetUp(ctx, e, cfg, publicURL, svc, cps, sims, *connect)
		},
	})
}

// demoSetUp sets the operator password, makes an API token when none is
// configured, connects the demo accounts through the simulators' OAuth
// flows, and says how to use it all.
func demoSetUp(ctx context.Context, e *env, cfg *config.Config, publicURL string, svc *services, cps []collect.Checkpoint, sims demoSims, connect bool) error {
	pw, err := auth.GeneratePassword()
	if err != nil {
		return err
	}
	if _, err := auth.SetOperatorPassword(ctx, svc.store(), pw, ""); err != nil {
		return err
	}
	token := cfg.APIToken.Reveal()
	if token == "" {
		token = auth.NewToken(api.TokenTag, api.TokenBytes)
		if _, err := api.EnsureBootstrapToken(ctx, svc.store(), token); err != nil {
			return err
		}
	}
	out := e.stdout
	if !connect {
		fmt.Fprintf(out, "sns-os demo is running at %s (data in %s)\n", publicURL, cfg.DataDir)
		fmt.Fprintf(out, "operator password: %s\n", pw)
		fmt.Fprintf(out, "sign in at %s/signin with that password, then connect X, Instagram, Threads and TikTok on %s/accounts\n", publicURL, publicURL)
		fmt.Fprintf(out, "api token: %s\n", token)
		fmt.Fprintf(out, "metric checkpoints are accelerated: +1h after %s, +24h after %s, +7d after %s\n", cps[0].After, cps[1].After, cps[2].After)
		fmt.Fprintf(out, "Press Ctrl-C to stop.\n")
		return nil
	}
	for _, sim := range sims {
		if err := demoConnect(ctx, svc, sim.platform); err != nil {
			return err
		}
	}
	accts, err := svc.store().ListAccounts(ctx)
	if err != nil {
		return err
	}
	if len(accts) != len(sims) {
		return fmt.Errorf("demo: %d of %d demo accounts connected", len(accts), len(sims))
	}
	fmt.Fprintf(out, "sns-os demo is running at %s (data in %s)\n", publicURL, cfg.DataDir)
	fmt.Fprintf(out, "operator password: %s\n", pw)
	fmt.Fprintf(out, "sign in at %s/signin with that password\n", publicURL)
	fmt.Fprintf(out, "api token: %s\n", token)
	byPlatform := map[snsos.Platform]*snsos.Account{}
	for _, a := range accts {
		byPlatform[a.Platform] = a
	}
	for _, sim := range sims { // in the usual order, X first
		if a := byPlatform[sim.platform]; a != nil {
			fmt.Fprintf(out, "connected %s account @%s (id %d) through the simulator's OAuth flow\n", a.Platform.DisplayName(), a.Handle, a.ID)
		}
	}
	x := byPlatform[snsos.PlatformX]
	if x == nil {
		return errors.New("demo: the X account did not connect")
	}
	for _, sim := range sims {
		base := publicURL + "/sim/" + string(sim.platform)
		fmt.Fprintf(out, "simulated %s API: %s (what it published: %s/__sim/posts)\n", sim.platform.DisplayName(), base, base)
	}
	printDemoCallbacks(out, publicURL, sims, byPlatform)
	fmt.Fprintf(out, "metric checkpoints are accelerated: +1h after %s, +24h after %s, +7d after %s\n", cps[0].After, cps[1].After, cps[2].After)
	fmt.Fprintf(out, "try (publishes one minute from when you run it):\n")
	fmt.Fprintf(out, "  curl -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n", token)
	fmt.Fprintf(out, "    -d '{\"body\":\"Hello from sns-os\",\"targets\":[{\"account_id\":%d}],\"approve\":true,\"scheduled_at\":\"'$(date -u -d '+1 minute' +%%Y-%%m-%%dT%%H:%%M:%%SZ)'\"}' \\\n", x.ID)
	fmt.Fprintf(out, "    %s/api/v1/posts\n", publicURL)
	fmt.Fprintf(out, "  then: curl -H 'Authorization: Bearer %s' %s/api/v1/posts\n", token, publicURL)
	fmt.Fprintf(out, "Instagram needs media: add \"media_ids\" from POST /api/v1/media. TikTok needs a video and its audience in the\n")
	fmt.Fprintf(out, "target's options, e.g. \"options\":{\"privacy_level\":\"SELF_ONLY\"} (the simulated TikTok app is unaudited: \"Only me\" posts only).\n")
	fmt.Fprintf(out, "A TikTok account in inbox mode (Accounts page, or PATCH /api/v1/accounts/{id} {\"options\":{\"publish_mode\":\"inbox\"}})\n")
	fmt.Fprintf(out, "sends the video to the inbox; finish it as the app would: POST %s/sim/tiktok/__sim/inbox/finish with publish_id.\n", publicURL)
	fmt.Fprintf(out, "Press Ctrl-C to stop.\n")
	return nil
}

// demoConnect connects the demo account of platform p exactly as a browser
// would: open the authorize URL, consent (the simulator approves at once),
// follow the redirect to sns-os's callback.
func demoConnect(ctx context.Context, svc *services, p snsos.Platform) error {
	authURL, err := svc.tokens.StartConnect(ctx, p, "")
	if err != nil {
		return fmt.Errorf("demo: connect %s: %w", p.DisplayName(), err)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("demo: connect %s: %w", p.DisplayName(), err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("demo: connect %s: the OAuth callback answered %s", p.DisplayName(), resp.Status)
	}
	return nil
}
