package cli

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	xsim "github.com/sns-os/snsos/internal/sim/x"
)

func runDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "demo", "demo [--addr HOST:PORT] [--data DIR] [flags]",
		"Run sns-os on the embedded defaults with simulated platforms mounted under /sim/{platform}/, so\neverything can be tried without real accounts. Uses ./snsos-demo as the data dir unless --data is given.")
	flags := configFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	// The demo keeps its data apart from a real installation's by default.
	getenv := e.getenv
	e2 := *e
	e2.getenv = func(k string) string {
		if k == "SNSOS_DATA_DIR" && getenv(k) == "" {
			return "./snsos-demo"
		}
		return getenv(k)
	}
	cfg, err := loadConfig(&e2, flags)
	if err != nil {
		return err
	}
	// The consent form links relatively, so the simulator works under any
	// address, including a port chosen at start (--addr 127.0.0.1:0).
	x := xsim.New(xsim.Options{ClientID: "snsos-demo-x", ClientSecret: "snsos-demo-x-secret"})
	x.AddUser("snsos_demo", "sns-os demo")
	return serve(ctx, e, cfg, &serveExtras{
		mount: func(mux *http.ServeMux) {
			mux.Handle("/sim/x/", http.StripPrefix("/sim/x", x))
		},
		onReady: func(addr string) {
			base := cfg.PublicURL
			if strings.HasSuffix(base, ":0") {
				base = "http://" + addr
			}
			simBase := base + "/sim/x"
			fmt.Fprintf(e.stdout, "sns-os demo is running at %s (data in %s)\n", base, cfg.DataDir)
			fmt.Fprintf(e.stdout, "simulated X API: %s (published posts: %s/__sim/posts)\n", simBase, simBase)
			fmt.Fprintf(e.stdout, "The publishing engine, the operator interface and the other simulators arrive in the next releases.\nPress Ctrl-C to stop.\n")
		},
	})
}
