package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sns-os/snsos/internal/archive"
	"github.com/sns-os/snsos/internal/config"
	"github.com/sns-os/snsos/internal/jobs"
	"github.com/sns-os/snsos/internal/secret"
	"github.com/sns-os/snsos/internal/store"
)

const restoreDesc = `Rebuild a fresh sns-os database from the git archive or from an 'sns-os backup' file.

  --from-archive DIR|URL  the archive's bare repository (a path, read in place), or a
                          file://, https:// or ssh:// URL (fetched into a temporary copy;
                          https uses SNSOS_ARCHIVE_TOKEN, ssh SNSOS_ARCHIVE_SSH_KEY_FILE).
                          Accounts come back needing re-auth (the archive never holds a
                          token); posts, deliveries with their ids, links and attempts, media
                          lists and metric snapshots come back as archived. Media files are
                          not in the archive: the posts keep their media ids, as placeholders.
  --from-backup FILE      a SQLite file written by 'sns-os backup', copied into the data dir.
                          Its tokens open only with the master key of the install it came
                          from: put that key file (master.key) in the data dir, or set
                          SNSOS_MASTER_KEY, before starting the server.

Either way, deliveries that were scheduled, waiting to retry, publishing or unknown come
back as needing your look (the post page lists them): nothing publishes on its own after a
restore. Check each on its platform, then mark it published or failed. No queued job of the
copy runs.

The data dir (or the SNSOS_DATABASE_URL database) must hold no database yet; a restore
never writes over one. Stop any server on it first.`

func runRestore(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "restore", "restore --from-archive DIR|URL | --from-backup FILE [flags]", restoreDesc)
	fromArchive := fs.String("from-archive", "", "the archive to rebuild from: a bare repository's path, or a file://, https:// or ssh:// URL")
	fromBackup := fs.String("from-backup", "", "an 'sns-os backup' SQLite file to restore")
	flags := configFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	case (*fromArchive == "") == (*fromBackup == ""):
		return usageError{"give one of --from-archive DIR|URL or --from-backup FILE"}
	}
	cfg, err := loadConfig(e, flags)
	if err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		db := filepath.Join(cfg.DataDir, store.DBFileName)
		if _, err := os.Lstat(db); err == nil || !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("SNSOS_DATA_DIR: %s already holds a database (%s); a restore never writes over one: "+
				"give an empty data dir with --data, or move that one away first", cfg.DataDir, db)
		}
	}
	if *fromBackup != "" {
		if cfg.DatabaseURL != "" {
			return errors.New("--from-backup restores a SQLite backup into a data dir; for PostgreSQL use pg_restore of a pg_dump, or --from-archive")
		}
		if err := checkBackupFile(*fromBackup); err != nil {
			return err
		}
	}
	if err := store.EnsureDataDir(cfg.DataDir); err != nil {
		return err
	}
	release, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	defer release()
	if *fromBackup != "" {
		return restoreBackup(ctx, e, cfg, *fromBackup)
	}
	return restoreArchive(ctx, e, cfg, *fromArchive)
}

// restoreArchive rebuilds the database from the archive at src.
func restoreArchive(ctx context.Context, e *env, cfg *config.Config, src string) (err error) {
	tmp, err := os.MkdirTemp("", "snsos-restore-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ca, err := archiveCABundle(cfg)
	if err != nil {
		return err
	}
	repo, err := archive.OpenSource(ctx, src, archive.Remote{Token: cfg.Archive.Token.Reveal(), SSHKeyFile: cfg.Archive.SSHKeyFile,
		CABundle: ca}, tmp)
	if err != nil {
		return err
	}
	log, _ := newLogger(cfg, e.stderr)
	s, err := store.Open(ctx, store.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		return err
	}
	defer func() {
		s.Close()
		if err != nil && cfg.DatabaseURL == "" {
			removeDB(cfg.DataDir) // this run made it: a retry starts clean
		}
	}()
	p := newProgress(e.stderr, "restore: posts")
	rep, err := archive.Restore(ctx, repo, s, p.step)
	p.done()
	if err != nil {
		if cfg.DatabaseURL != "" && rep.Posts > 0 {
			return fmt.Errorf("%w\nthe database holds the %d posts restored before this; empty it (drop and create it again) before trying again", err, rep.Posts)
		}
		return err
	}
	fmt.Fprintf(e.stdout, "restored %d accounts, %d posts, %d deliveries, %d metric snapshots from %s (commit %s)\n",
		rep.Accounts, rep.Posts, rep.Targets, rep.Snapshots, archive.RedactURL(src), repo.Head().String()[:12])
	fmt.Fprintln(e.stdout, "accounts need connecting again: the archive holds no token")
	printHeld(e.stdout, rep.Held)
	return nil
}

// restoreBackup copies a backup into the data dir and settles the copy.
func restoreBackup(ctx context.Context, e *env, cfg *config.Config, file string) (err error) {
	dst := filepath.Join(cfg.DataDir, store.DBFileName)
	if err := copyPrivate(file, dst); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			removeDB(cfg.DataDir)
		}
	}()
	log, _ := newLogger(cfg, e.stderr)
	s, err := store.Open(ctx, store.Options{DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		return fmt.Errorf("the backup %s: %w", file, err)
	}
	defer s.Close()
	if err := jobs.Migrate(ctx, s.DB(), nil, log); err != nil {
		return err
	}
	held, deleted, err := s.SettleRestoredCopy(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "restored %s into %s; %d queued jobs of the copy removed\n", file, dst, deleted)
	printHeld(e.stdout, held)
	if _, err := os.Stat(filepath.Join(cfg.DataDir, secret.KeyFileName)); err != nil && cfg.MasterKey.Reveal() == "" {
		fmt.Fprintf(e.stdout, "put the master key of the install the backup came from in %s (or set SNSOS_MASTER_KEY) before starting: "+
			"the tokens in the backup open only with it\n", filepath.Join(cfg.DataDir, secret.KeyFileName))
	}
	fmt.Fprintln(e.stdout, "media files are not in the backup: copy the media directory (or keep the S3 bucket) beside it")
	return nil
}

func printHeld(w io.Writer, held int) {
	if held > 0 {
		fmt.Fprintf(w, "%d deliveries were scheduled or in flight: they wait for you (check each on its platform, then mark it published or failed)\n", held)
	}
}

// checkBackupFile refuses what is not a SQLite file before anything is
// written.
func checkBackupFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("--from-backup: %w", err)
	}
	defer f.Close()
	head := make([]byte, 16)
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, []byte("SQLite format 3\x00")) {
		return fmt.Errorf("--from-backup: %s is not a SQLite database written by sns-os backup", path)
	}
	return nil
}

// copyPrivate copies src to dst (which must not exist) through a
// temporary file created 0600, synced, then renamed: the data dir never
// holds half a database under the real name.
func copyPrivate(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("--from-backup: %w", err)
	}
	defer in.Close()
	tmp := dst + ".restoring"
	os.Remove(tmp)
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp, dst) // fails if dst appeared meanwhile, unlike a rename
	}
	os.Remove(tmp)
	if err != nil {
		return fmt.Errorf("restore: copy the backup: %w", err)
	}
	return nil
}

// removeDB removes a database this run created, with SQLite's side files.
func removeDB(dir string) {
	db := filepath.Join(dir, store.DBFileName)
	for _, p := range []string{db, db + "-wal", db + "-shm"} {
		os.Remove(p)
	}
}
