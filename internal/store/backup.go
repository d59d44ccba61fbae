package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sns-os/snsos"
)

// Backup writes a consistent copy of the SQLite database to out while the
// database stays in use (VACUUM INTO). out must not exist. On PostgreSQL it
// returns an EINVALID error that points to pg_dump. The copy holds tokens
// only sealed; the master key is not in it.
func (s *Store) Backup(ctx context.Context, out string) error {
	if s.dialect == Postgres {
		return snsos.Errorf(snsos.EINVALID, "sns-os backup copies the SQLite database; on PostgreSQL use pg_dump, e.g. pg_dump --format=custom --file=snsos.dump \"$SNSOS_DATABASE_URL\"")
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return snsos.Errorf(snsos.EINVALID, "backup: bad output path %q", out)
	}
	if _, err := os.Stat(abs); err == nil {
		return snsos.Errorf(snsos.ECONFLICT, "backup: %s already exists; choose a new file name", abs)
	}
	dir := filepath.Dir(abs)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return snsos.Errorf(snsos.EINVALID, "backup: directory %s does not exist", dir)
	}
	// Write to a temporary name and rename, so a failed backup leaves
	// nothing that looks like a backup.
	tmp := filepath.Join(dir, "."+filepath.Base(abs)+".partial")
	os.Remove(tmp)
	// Created 0600 (empty, which VACUUM INTO accepts) before a byte of the
	// database is written, so no other user can open it meanwhile.
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f.Close()
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO $1`, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", mapErr(err))
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp, abs); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}
