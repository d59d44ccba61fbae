package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/sns-os/snsos/internal/config"
	"github.com/sns-os/snsos/internal/jobs"
	"github.com/sns-os/snsos/internal/server"
	"github.com/sns-os/snsos/internal/store"
)

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve", "serve [flags]", "Run the sns-os server: the operator interface, the JSON API, the public pages and the job\nworkers that publish and measure posts. Stops gracefully on SIGINT or SIGTERM.")
	flags := configFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	cfg, err := loadConfig(e, flags)
	if err != nil {
		return err
	}
	return serve(ctx, e, cfg, nil)
}

// serve runs the server until ctx is cancelled. extra lets the demo add
// routes, change the wiring and act once the server is ready.
func serve(ctx context.Context, e *env, cfg *config.Config, extra *serveExtras) error {
	start := time.Now()
	if extra == nil {
		extra = &serveExtras{}
	}
	a, err := openApp(ctx, cfg, e.stderr, true)
	if err != nil {
		return err
	}
	defer a.Close()

	// Bind first: with --addr HOST:0 the public URL needs the real port.
	ln, publicURL, err := listen(cfg)
	if err != nil {
		return err
	}
	wo := wireOptions{publicURL: publicURL, platforms: cfg.Platforms}
	if extra.wire != nil {
		extra.wire(publicURL, &wo)
	}
	svc, err := wire(ctx, cfg, a, wo)
	if err != nil {
		ln.Close()
		return err
	}
	stopMetrics, err := serveMetrics(cfg, a, svc)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopMetrics()
	srv := newServer(cfg, a, svc, ln, publicURL, extra.mount)
	if err := startJobs(ctx, a, svc); err != nil {
		return err
	}
	svc.archive.start(ctx)
	a.log.Info("ready", "addr", ln.Addr().String(), "database", string(a.store.Dialect()), "data_dir", cfg.DataDir,
		"key_id", a.keys.primary.ID(), "startup_ms", time.Since(start).Milliseconds())
	serveCtx, stopServe := context.WithCancel(ctx)
	defer stopServe()
	if extra.onReady == nil { // the demo sets its own password
		if err := printSetupLink(ctx, e, svc, publicURL); err != nil {
			return err
		}
	}
	if extra.onReady != nil {
		go func() {
			if err := extra.onReady(serveCtx, publicURL, svc); err != nil {
				a.log.Error("demo set-up failed", "err", err)
				fmt.Fprintf(e.stderr, "sns-os: %s\n", err)
				stopServe()
			}
		}()
	}
	serveErr := srv.Serve(serveCtx)

	// Shut down in reverse: the listener is closed; now let running jobs
	// finish within the bound, then close the database (deferred).
	stopJobs(ctx, cfg, a, svc)
	svc.archive.stop() // its last commit and push, before the database closes
	return serveErr
}

// listen binds cfg.Addr and returns the listener and the public URL: the
// configured one, or the listener's own address when it ends in :0.
func listen(cfg *config.Config) (net.Listener, string, error) {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, "", fmt.Errorf("SNSOS_ADDR: cannot listen on %s: %w", cfg.Addr, err)
	}
	publicURL := cfg.PublicURL
	if strings.HasSuffix(publicURL, ":0") {
		publicURL = "http://" + ln.Addr().String()
	}
	return ln, publicURL, nil
}

// serveMetrics serves /metrics, without a token, on SNSOS_METRICS_ADDR
// when it is set: a listener for the scraper alone, which the operator keeps
// off the public network (no secret is in the metrics, but the numbers are
// the operator's). stop closes it.
func serveMetrics(cfg *config.Config, a *app, svc *services) (stop func(), err error) {
	if cfg.MetricsAddr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("SNSOS_METRICS_ADDR: cannot listen on %s: %w", cfg.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", svc.metrics.Handler())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("metrics listener stopped", "err", err)
		}
	}()
	a.log.Info("metrics listening", "addr", ln.Addr().String())
	return func() { hs.Close() }, nil
}

// newServer is the HTTP server on ln: the services' routes (and mount's,
// when set) and the readiness checks of the database and the jobs.
func newServer(cfg *config.Config, a *app, svc *services, ln net.Listener, publicURL string, mount func(*http.ServeMux)) *server.Server {
	return server.New(server.Options{
		Listener:        ln,
		Addr:            cfg.Addr,
		PublicURL:       publicURL,
		Version:         Version,
		Logger:          a.log,
		ShutdownTimeout: cfg.ShutdownTimeout,
		Ready: []server.Check{
			{Name: "database", Func: a.store.Ready},
			{Name: "jobs", Func: func(context.Context) error { return svc.jobs.Ready() }},
		},
		Details: archiveDetails(cfg, a), // archive.go
		Mount: func(mux *http.ServeMux) {
			svc.mount(mux)
			if mount != nil {
				mount(mux)
			}
		},
		CrossOriginBypass: []string{"POST /webhooks/"},
		LongPaths:         []string{"/m/"}, // signed media links: platforms download large videos
		// Pages read from SQLite's read pool, never the publisher's
		// connection, and give up with a 503 after PageTimeout; these take
		// their time elsewhere (the platform's token exchange, a file, an export).
		Context:     store.ReadPool,
		PageTimeout: cfg.PageTimeout,
		SlowPaths:   []string{"/oauth/", "/media/", "/analytics.csv"},
	})
}

// startJobs starts the job workers, and hands to reconciliation the
// publications a previous process left in flight.
func startJobs(ctx context.Context, a *app, svc *services) error {
	// Publications a dead process left in flight are reconciled, never
	// posted again blindly. On SQLite the data dir lock proves the process
	// that owned them is gone, and this runs before this process's own
	// workers start, so none of them can be mistaken for it. On PostgreSQL
	// other live processes may be mid-call: only targets whose owner's
	// lease ran out (on the database's clock) are taken over, and jobs
	// that meet the others later wait for their leases.
	sqlite := a.store.Dialect() == store.SQLite
	if sqlite {
		// Jobs still marked running belong to the process that died.
		if n, err := jobs.RescueOrphans(ctx, a.store.DB()); err != nil {
			return err
		} else if n > 0 {
			a.log.Warn("jobs interrupted by a previous stop run again", "count", n)
		}
		// So do token refresh leases: left held, they would stall every
		// refresh of those accounts (and their posts) until they expire.
		if n, err := a.store.ReleaseAllRefreshLeases(ctx); err != nil {
			return err
		} else if n > 0 {
			a.log.Warn("token refresh leases of a previous stop released", "count", n)
		}
		if _, err := svc.engine.Recover(ctx, true); err != nil {
			return fmt.Errorf("recover interrupted publications: %w", err)
		}
	}
	if err := svc.jobs.Start(ctx); err != nil {
		return err
	}
	if !sqlite {
		if _, err := svc.engine.Recover(ctx, false); err != nil {
			a.log.Error("recover interrupted publications", "err", err)
		}
	}
	return nil
}

// printSetupLink prints the one-time link to choose the operator password
// while none is set.
func printSetupLink(ctx context.Context, e *env, svc *services, publicURL string) error {
	link, err := svc.web.SetupLink(ctx, publicURL)
	if err != nil {
		return err
	}
	if link != "" {
		// On stdout, never in the log: the link is a credential.
		fmt.Fprintf(e.stdout, "No operator password is set yet. Choose one within %s at this one-time link:\n  %s\n"+
			"(or run \"sns-os operator password\")\n", "24 hours", link)
	}
	return nil
}

// stopJobs lets running jobs finish within cfg.ShutdownTimeout, even when
// ctx is cancelled.
func stopJobs(ctx context.Context, cfg *config.Config, a *app, svc *services) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	graceful, err := svc.jobs.Stop(sctx)
	if err != nil {
		a.log.Error("job shutdown", "err", err)
	}
	a.log.Info("stopped", "jobs_graceful", graceful)
}

// serveExtras lets the demo change the wiring, add routes and act once the
// server is ready.
type serveExtras struct {
	wire    func(publicURL string, o *wireOptions)
	mount   func(mux *http.ServeMux)
	onReady func(ctx context.Context, publicURL string, svc *services) error
}
