package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/sns-os/snsos/internal/bench"
	"github.com/sns-os/snsos/internal/config"
	"github.com/sns-os/snsos/internal/jobs"
	"github.com/sns-os/snsos/internal/store"
)

const benchDesc = `Build and measure the scale benchmark's data set.

  seed   fill a new data dir with N posts over two years on the given accounts (X, Instagram,
         Threads and TikTok in turn), written through the store as the server would have: 3–4
         targets each, about 97 % published with their +1h/+24h/+7d snapshots, 1 % of the
         deliveries failed, 2 % of the posts scheduled over the 30 days after the anchor date.
         The accounts look connected but hold placeholder tokens.
  run    seed the data dir unless it already holds this data set, start 'sns-os serve' on it
         with the X simulator, and print p50/p95 and HTML size of every page and API route, the
         server's peak RSS and the lateness of posts due while the heaviest page is requested in
         a loop (make bench-scale)`

// benchDefaultAnchor is the seed's "now" when none is given: a fixed date,
// so the same flags always build the same data set.
const benchDefaultAnchor = "2026-12-01"

func runBench(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		fmt.Fprintf(e.stdout, "Usage: sns-os bench seed|run --data DIR --posts N [flags]\n\n%s\n", benchDesc)
		if len(args) == 0 {
			return usageError{"name a subcommand: seed or run"}
		}
		return errHelp
	}
	sub, rest := args[0], args[1:]
	if sub != "seed" && sub != "run" {
		return usageError{fmt.Sprintf("unknown bench subcommand %q: use seed or run", sub)}
	}
	fs := newFlags(e, "bench "+sub, "bench "+sub+" --data DIR --posts N [flags]", benchDesc)
	posts := fs.Int("posts", 0, "how many posts the data set holds (required)")
	accounts := fs.Int("accounts", 4, "how many accounts: X, Instagram, Threads and TikTok in turn")
	anchor := fs.String("anchor", benchDefaultAnchor, "the data set's \"now\" (YYYY-MM-DD, UTC): two years of history before it; run defaults to today")
	seed := fs.Uint64("seed", 1, "the random source: the same flags build the same data set")
	ro := bench.RunOptions{}
	if sub == "run" {
		fs.IntVar(&ro.Requests, "requests", 20, "timed requests per route")
		fs.DurationVar(&ro.Budget, "route-budget", 90*time.Second, "stop timing a route after this long (at least 3 requests)")
		fs.IntVar(&ro.LatePosts, "late-posts", 20, "posts scheduled while the heaviest page is requested in a loop")
	}
	flags := configFlags(fs)
	if err := parse(fs, rest); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if *posts < 1 || *accounts < 1 {
		return usageError{"--posts and --accounts must be at least 1"}
	}
	anchorSet := false
	fs.Visit(func(f *flag.Flag) { anchorSet = anchorSet || f.Name == "anchor" })
	cfg, err := loadConfig(e, flags)
	if err != nil {
		return err
	}
	if sub == "run" && !anchorSet {
		if *anchor, err = benchRunAnchor(cfg, benchSpec{Posts: *posts, Accounts: *accounts, Seed: *seed}); err != nil {
			return err
		}
	}
	at, err := time.Parse(time.DateOnly, *anchor)
	if err != nil {
		return usageError{fmt.Sprintf("--anchor %q: want a date like 2026-12-01", *anchor)}
	}
	spec := benchSpec{Posts: *posts, Accounts: *accounts, Anchor: *anchor, Seed: *seed}
	if err := benchSeed(ctx, e, cfg, spec, at); err != nil {
		return err
	}
	if sub == "seed" {
		return nil
	}
	ro.DataDir, ro.DatabaseURL, ro.Posts, ro.Out, ro.Progress = cfg.DataDir, cfg.DatabaseURL, *posts, e.stdout, e.stderr
	if ro.Exe, err = os.Executable(); err != nil {
		return fmt.Errorf("bench run: cannot find this program to start the server: %w", err)
	}
	prep := func(ctx context.Context, p bench.Prepare) (bench.Prepared, error) {
		return benchPrepare(ctx, e, cfg, p)
	}
	return bench.Run(ctx, ro, prep)
}

// benchRunAnchor is the anchor of a measured run: the server runs on the
// wall clock, so the data set's history must end about today, or "the last
// 90 days" would be empty. A data set built with the same flags in the
// last 6 days is reused; an older one is refused, as its scheduled posts
// come due a week after its anchor.
func benchRunAnchor(cfg *config.Config, want benchSpec) (string, error) {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	old, err := readBenchSpec(filepath.Join(cfg.DataDir, benchMarker))
	if err != nil || !old.Done || old.Posts != want.Posts || old.Accounts != want.Accounts || old.Seed != want.Seed {
		return today.Format(time.DateOnly), nil // benchSeed seeds, or says why it cannot
	}
	at, err := time.Parse(time.DateOnly, old.Anchor)
	if err != nil {
		return "", fmt.Errorf("bench run: %s: anchor %q is not a date", benchMarker, old.Anchor)
	}
	if today.Sub(at) > 6*24*time.Hour {
		return "", fmt.Errorf("bench run: the data set in %s ends on %s, more than 6 days ago (its scheduled posts come due): "+
			"remove the data dir (and its database) to seed one that ends today", cfg.DataDir, old.Anchor)
	}
	return old.Anchor, nil
}

// benchSpec is what a data set was built from, kept in the data dir as
// benchMarker so a later run reuses a data set built with the same flags.
type benchSpec struct {
	Posts    int    `json:"posts"`
	Accounts int    `json:"accounts"`
	Anchor   string `json:"anchor"`
	Seed     uint64 `json:"seed"`
	// Done is false while the seed runs: a data set left half built is
	// refused rather than added to.
	Done    bool    `json:"done"`
	Seconds float64 `json:"seconds,omitempty"`
}

const benchMarker = "bench-seed.json"

// benchSeed builds spec's data set in cfg's data dir, or does nothing if it
// is already there.
func benchSeed(ctx context.Context, e *env, cfg *config.Config, spec benchSpec, anchor time.Time) error {
	marker := filepath.Join(cfg.DataDir, benchMarker)
	switch old, err := readBenchSpec(marker); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case !old.Done:
		return fmt.Errorf("bench seed: an earlier seed of %s did not finish: remove the data dir (and its database) and seed again", cfg.DataDir)
	case old.Posts == spec.Posts && old.Accounts == spec.Accounts && old.Anchor == spec.Anchor && old.Seed == spec.Seed:
		fmt.Fprintf(e.stdout, "bench seed: %s already holds %d posts on %d accounts up to %s (seeded in %.0f s); reusing it\n",
			cfg.DataDir, old.Posts, old.Accounts, old.Anchor, old.Seconds)
		return nil
	default:
		return fmt.Errorf("bench seed: %s holds another data set (%d posts, %d accounts, anchor %s, seed %d): use another data dir",
			cfg.DataDir, old.Posts, old.Accounts, old.Anchor, old.Seed)
	}
	if err := store.EnsureDataDir(cfg.DataDir); err != nil {
		return err
	}
	if err := writeBenchSpec(marker, spec); err != nil {
		return err
	}
	s, clock, release, err := openSeedStore(ctx, e, cfg)
	if err != nil {
		return err
	}
	defer release()
	res, err := bench.Seed(ctx, s, clock, bench.SeedOptions{Posts: spec.Posts, Accounts: spec.Accounts, Anchor: anchor, Seed: spec.Seed,
		Progress: func(done int) {
			if done%10000 == 0 {
				fmt.Fprintf(e.stderr, "bench seed: %d of %d posts\n", done, spec.Posts)
			}
		}})
	if err != nil {
		return err
	}
	spec.Done, spec.Seconds = true, res.Elapsed.Seconds()
	if err := writeBenchSpec(marker, spec); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "bench seed: %d posts, %d targets (%d published, %d failed, %d scheduled), %d snapshots on %d accounts in %.1f s (%.2f ms per post)\n",
		res.Posts, res.Targets, res.Published, res.Failed, res.Scheduled, res.Snapshots, len(res.Accounts),
		res.Elapsed.Seconds(), float64(res.Elapsed.Microseconds())/1000/float64(res.Posts))
	return nil
}

// openSeedStore opens the data dir as openApp does — its lock, its keys,
// the schema and River's tables — but with the seed's clock as the
// store's, so every row carries its moment in the data set's history.
func openSeedStore(ctx context.Context, e *env, cfg *config.Config) (*store.Store, *bench.Clock, func(), error) {
	log, red := newLogger(cfg, e.stderr)
	release, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return nil, nil, nil, err
	}
	k, err := loadKeys(cfg, log, red)
	if err != nil {
		release()
		return nil, nil, nil, err
	}
	clock := &bench.Clock{}
	s, err := store.Open(ctx, store.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, Box: k.box(), Now: clock.Now, Logger: log})
	if err != nil {
		release()
		return nil, nil, nil, err
	}
	if err := jobs.Migrate(ctx, s.DB(), s.Pool(), log); err != nil {
		s.Close()
		release()
		return nil, nil, nil, err
	}
	if s.Dialect() == store.SQLite {
		for _, q := range []string{"PRAGMA synchronous=OFF", "PRAGMA cache_size=-262144", "PRAGMA wal_autocheckpoint=100000"} {
			if _, err := s.DB().ExecContext(ctx, q); err != nil {
				s.Close()
				release()
				return nil, nil, nil, err
			}
		}
	}
	return s, clock, func() { s.Close(); release() }, nil
}

func readBenchSpec(path string) (benchSpec, error) {
	var sp benchSpec
	b, err := os.ReadFile(path)
	if err != nil {
		return sp, err
	}
	if err := json.Unmarshal(b, &sp); err != nil {
		return sp, fmt.Errorf("bench seed: %s is not a bench marker (%v): use another data dir", path, err)
	}
	return sp, nil
}

func writeBenchSpec(path string, sp benchSpec) error {
	b, _ := json.MarshalIndent(sp, "", "  ")
	return os.WriteFile(path, append(b, '\n'), 0o600)
}
