package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/sns-os/snsos/internal/media"
	"github.com/sns-os/snsos/internal/store"
)

func runMedia(ctx context.Context, e *env, args []string) error {
	const desc = `Manage the media library.

  gc    remove media that no post uses and that are older than the grace period:
        their records and their stored files. With --dry-run, only list them.
        Removing takes the data dir lock: stop the server first (a dry run
        can run beside it).`
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		fmt.Fprintf(e.stdout, "Usage: sns-os media gc [--grace 24h] [--dry-run] [flags]\n\n%s\n", desc)
		if len(args) == 0 {
			return usageError{"name a subcommand: gc"}
		}
		return errHelp
	}
	sub, rest := args[0], args[1:]
	if sub != "gc" {
		return usageError{fmt.Sprintf("unknown media subcommand %q: use gc", sub)}
	}
	fs := newFlags(e, "media gc", "media gc [--grace 24h] [--dry-run] [flags]", desc)
	grace := fs.Duration("grace", 24*time.Hour, "keep unused media younger than this (uploads waiting for their post)")
	dryRun := fs.Bool("dry-run", false, "list what would be removed and remove nothing")
	flags := configFlags(fs)
	if err := parse(fs, rest); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if *grace < 0 {
		return usageError{"--grace must not be negative"}
	}
	cfg, err := loadConfig(e, flags)
	if err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		db := filepath.Join(cfg.DataDir, store.DBFileName)
		if _, err := os.Stat(db); err != nil {
			return fmt.Errorf("SNSOS_DATA_DIR: no database at %s, no media to collect; point --data at your data dir", db)
		}
	}
	if !*dryRun {
		// One process owns the media store: never delete files under a
		// running server, which may be attaching the same content.
		release, err := lockDataDir(cfg.DataDir)
		if err != nil {
			return err
		}
		defer release()
	}
	log, _ := newLogger(cfg, e.stderr)
	s, err := store.Open(ctx, store.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		return err
	}
	defer s.Close()
	var lib *media.Library
	if *dryRun {
		lib = media.NewLibrary(nil, s, media.Limits{}) // reads records only
	} else {
		disk, err := media.NewDisk(filepath.Join(cfg.DataDir, "media")) // as in wire
		if err != nil {
			return store.DataDirError(cfg.DataDir, err)
		}
		lib = media.NewLibrary(disk, s, media.Limits{})
	}
	before := time.Now().Add(-*grace)
	res, gcErr := lib.GC(ctx, s, before, *dryRun)
	loc := cfg.Location()
	if len(res.Removed) > 0 {
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSIZE\tCREATED\tFILENAME")
		for _, m := range res.Removed {
			fmt.Fprintf(tw, "%d\t%d\t%s\t%s\n", m.ID, m.Size, m.CreatedAt.In(loc).Format(time.RFC3339), m.Filename)
		}
		tw.Flush()
	}
	verb := "removed"
	if *dryRun {
		verb = "would remove"
	}
	fmt.Fprintf(e.stdout, "%s %d media (%d bytes) unused by any post and created before %s\n",
		verb, len(res.Removed), res.Bytes, before.In(loc).Format(time.RFC3339))
	for _, m := range res.Skipped {
		fmt.Fprintf(e.stderr, "kept media %d: a post started using it, or it was deleted meanwhile\n", m.ID)
	}
	return gcErr
}
