package cli

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/riverqueue/river"

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

// serve runs the server until ctx is cancelled. mount, when set, adds routes
// (the demo's simulators); onReady is called with the bound address.
func serve(ctx context.Context, e *env, cfg *config.Config, extra *serveExtras) error {
	start := time.Now()
	if err := store.EnsureDataDir(cfg.DataDir); err != nil {
		return err
	}
	release, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	defer release()
	a, err := openApp(ctx, cfg, e.stderr)
	if err != nil {
		return err
	}
	defer a.Close()

	workers := river.NewWorkers()
	hb := jobs.NewHeartbeat(nil)
	periodic := []*river.PeriodicJob{hb.Register(workers, time.Minute)}
	jc, err := jobs.New(jobs.Config{DB: a.store.DB(), Pool: a.store.Pool(), Workers: workers, Periodic: periodic, Logger: a.log})
	if err != nil {
		return err
	}
	srv := server.New(server.Options{
		Addr:            cfg.Addr,
		PublicURL:       cfg.PublicURL,
		Version:         Version,
		Logger:          a.log,
		ShutdownTimeout: cfg.ShutdownTimeout,
		Ready: []server.Check{
			{Name: "database", Func: a.store.Ready},
			{Name: "jobs", Func: func(context.Context) error { return jc.Ready() }},
		},
		Mount: func(mux *http.ServeMux) {
			if extra != nil && extra.mount != nil {
				extra.mount(mux)
			}
		},
		CrossOriginBypass: []string{"POST /webhooks/"},
	})
	if err := srv.Listen(); err != nil {
		return err
	}
	if err := jc.Start(ctx); err != nil {
		return err
	}
	a.log.Info("ready", "addr", srv.Addr(), "database", string(a.store.Dialect()), "data_dir", cfg.DataDir,
		"key_id", a.keys.primary.ID(), "startup_ms", time.Since(start).Milliseconds())
	if extra != nil && extra.onReady != nil {
		extra.onReady(srv.Addr())
	}
	serveErr := srv.Serve(ctx)

	// Shut down in reverse: the listener is closed; now let running jobs
	// finish within the bound, then close the database (deferred).
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	graceful, err := jc.Stop(sctx)
	if err != nil {
		a.log.Error("job shutdown", "err", err)
	}
	a.log.Info("stopped", "jobs_graceful", graceful)
	return serveErr
}

// serveExtras lets the demo add routes and learn the bound address.
type serveExtras struct {
	mount   func(mux *http.ServeMux)
	onReady func(addr string)
}
