package media

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/sns-os/snsos"
)

// tempDir is the folder under a Disk's root that holds files being written.
// It is on the same file system as the objects, so a rename publishes them.
const tempDir = "tmp"

// staleTemp is how old a leftover temporary file (from a crash) must be
// before NewDisk removes it.
const staleTemp = 24 * time.Hour

// Disk is a Store in a local folder. An object with key
// "sha256/ab/abcdef…" lives in the file dir/sha256/ab/abcdef…; files being
// written live in dir/tmp until they are complete, synced and renamed into
// place. Files are created 0600 and folders 0700: media may be unpublished
// work.
type Disk struct {
	dir string
}

var _ Store = (*Disk)(nil)

// NewDisk returns a Disk storing its files under dir, creating dir if
// needed. It removes temporary files a crashed process left more than a day
// ago.
func NewDisk(dir string) (*Disk, error) {
	if dir == "" {
		return nil, errors.New("media: disk: no folder given")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("media: disk: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(abs, tempDir), 0o700); err != nil {
		return nil, fmt.Errorf("media: disk: %w", err)
	}
	d := &Disk{dir: abs}
	d.removeStaleTemps(time.Now())
	return d, nil
}

// removeStaleTemps deletes temporary files older than staleTemp. Errors are
// ignored: a leftover is only wasted space.
func (d *Disk) removeStaleTemps(now time.Time) {
	entries, err := os.ReadDir(filepath.Join(d.dir, tempDir))
	if err != nil {
		return
	}
	for _, e := range entries {
		info, err := e.Info()
		if err == nil && info.Mode().IsRegular() && now.Sub(info.ModTime()) > staleTemp {
			os.Remove(filepath.Join(d.dir, tempDir, e.Name()))
		}
	}
}

// path returns the file of key, or an EINVALID error if key is not a
// content address (so no key can name a path outside the store).
func (d *Disk) path(key string) (string, error) {
	sum := shaOfKey(key)
	if sum == "" {
		return "", snsos.Errorf(snsos.EINVALID, "media: %q is not a storage key", key)
	}
	return filepath.Join(d.dir, "sha256", sum[:2], sum), nil
}

// Put implements Store. It copies r into a temporary file while hashing it,
// syncs the file, and renames it to its content address, then syncs the
// folder. If the content is already stored, the existing file is kept and
// the temporary one removed. On every failure the temporary file is removed.
func (d *Disk) Put(ctx context.Context, r io.Reader) (key, sha256hex string, size int64, err error) {
	if err := ctx.Err(); err != nil {
		return "", "", 0, err
	}
	tmp, err := os.CreateTemp(filepath.Join(d.dir, tempDir), "put-*")
	if err != nil {
		return "", "", 0, fmt.Errorf("media: disk: %w", err)
	}
	published := false
	defer func() {
		if !published {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()

	h := sha256.New()
	size, err = io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, r})
	if err != nil {
		return "", "", 0, err // the reader's own error, e.g. a size cap: callers inspect it
	}
	if err := tmp.Sync(); err != nil {
		return "", "", 0, fmt.Errorf("media: disk: sync: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", "", 0, fmt.Errorf("media: disk: close: %w", err)
	}
	sha256hex = hex.EncodeToString(h.Sum(nil))
	key = KeyFor(sha256hex)
	final, _ := d.path(key)

	if info, err := os.Stat(final); err == nil && info.Mode().IsRegular() && info.Size() == size {
		return key, sha256hex, size, nil // already stored: the deferred cleanup drops the copy
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return "", "", 0, fmt.Errorf("media: disk: %w", err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", "", 0, fmt.Errorf("media: disk: rename: %w", err)
	}
	published = true
	if err := syncDir(filepath.Dir(final)); err != nil {
		// The file is complete under its name; only its durability across a
		// power cut is in doubt. Report it, and leave the file: another
		// record may already use it.
		return "", "", 0, fmt.Errorf("media: disk: sync folder: %w", err)
	}
	return key, sha256hex, size, nil
}

// Open implements Store. The stream is an *os.File, so it also implements
// io.ReaderAt and io.Seeker.
func (d *Disk) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, snsos.WrapError(snsos.ENOTFOUND, err, "media file not found")
	}
	if err != nil {
		return nil, fmt.Errorf("media: disk: %w", err)
	}
	return f, nil
}

// Stat implements Store.
func (d *Disk) Stat(ctx context.Context, key string) (int64, error) {
	p, err := d.path(key)
	if err != nil {
		return 0, err
	}
	info, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, snsos.WrapError(snsos.ENOTFOUND, err, "media file not found")
	}
	if err != nil {
		return 0, fmt.Errorf("media: disk: %w", err)
	}
	return info.Size(), nil
}

// Delete implements Store. The object's folder stays: there are at most 256
// of them, and removing one could race with a Put into it.
func (d *Disk) Delete(ctx context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("media: disk: %w", err)
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !isUnsupported(err) {
		return err
	}
	return nil
}

// isUnsupported reports whether err says the file system cannot sync a
// folder (some network and FUSE file systems), which is not a failure.
func isUnsupported(err error) bool {
	return errors.Is(err, errors.ErrUnsupported) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP)
}

// ctxReader stops a long copy when its context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
