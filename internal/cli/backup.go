package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sns-os/snsos/internal/store"
)

func runBackup(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "backup", "backup --out FILE [flags]",
		"Write a consistent copy of the SQLite database to FILE while sns-os keeps running. Tokens stay\nsealed in the copy and the master key is not in it: back up the key file (or SNSOS_MASTER_KEY)\nseparately. On PostgreSQL, use pg_dump instead.")
	out := fs.String("out", "", "the backup file to create (must not exist)")
	flags := configFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageError{"--out FILE is required"}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	cfg, err := loadConfig(e, flags)
	if err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		db := filepath.Join(cfg.DataDir, store.DBFileName)
		if _, err := os.Stat(db); err != nil {
			return fmt.Errorf("SNSOS_DATA_DIR: no database at %s, nothing to back up; point --data at your data dir", db)
		}
	}
	log, _ := newLogger(cfg, e.stderr)
	s, err := store.Open(ctx, store.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Backup(ctx, *out); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "backup written to %s\n", *out)
	return nil
}
