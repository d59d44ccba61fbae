package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

// Default upload limits.
const (
	DefaultMaxImageBytes = 20 << 20 // 20 MiB
	DefaultMaxVideoBytes = 1 << 30  // 1 GiB
)

// Limits caps the size of uploads. A zero field takes its default.
type Limits struct {
	MaxImageBytes int64 // default DefaultMaxImageBytes
	MaxVideoBytes int64 // default DefaultMaxVideoBytes
}

func (l Limits) withDefaults() Limits {
	if l.MaxImageBytes <= 0 {
		l.MaxImageBytes = DefaultMaxImageBytes
	}
	if l.MaxVideoBytes <= 0 {
		l.MaxVideoBytes = DefaultMaxVideoBytes
	}
	return l
}

// LibraryStore is the part of the database a Library uses; *store.Store
// implements it.
type LibraryStore interface {
	// CreateMedia records m, or, if media with the same SHA-256 exists,
	// fills m with the existing record and returns created=false.
	CreateMedia(ctx context.Context, m *snsos.MediaRef) (created bool, err error)
	// FindMediaByID returns a record or an ENOTFOUND error.
	FindMediaByID(ctx context.Context, id int64) (*snsos.MediaRef, error)
	// DeleteMedia deletes a record; ECONFLICT while a post uses it.
	DeleteMedia(ctx context.Context, id int64) error
	// ListMedia returns records, newest first.
	ListMedia(ctx context.Context, limit int) ([]*snsos.MediaRef, error)
}

// A Library is the operator's media: files in a Store, described by records
// in the database. It is safe for concurrent use. Uploads and deletions of
// the same content are serialised inside one Library, so one Library (one
// process) must own a Store: two processes sharing a Store could race an
// upload of some content against the deletion of the same content.
type Library struct {
	store  Store
	db     LibraryStore
	limits Limits
	locks  keyLocks
	signer *Signer // nil: no signed URLs (see SetSigner)
}

// NewLibrary returns a Library keeping files in store and records in db.
func NewLibrary(store Store, db LibraryStore, limits Limits) *Library {
	return &Library{store: store, db: db, limits: limits.withDefaults()}
}

// Limits returns the limits in force, defaults filled in.
func (l *Library) Limits() Limits { return l.limits }

// Upload stores the file read from r and records it. The type is decided by
// the content (filename is kept, sanitised by SanitizeFilename, for display
// only). Uploading content that is already recorded returns the existing
// record, with its original filename.
//
// The file is streamed: it is never held in memory whole. Until its first
// SniffLen bytes show its type it is capped at the larger of the limits;
// then images are capped at MaxImageBytes and videos at MaxVideoBytes.
// Exceeding a cap is an ETOOLARGE error naming it; an empty file, a type
// sns-os does not accept, or a damaged file is an EINVALID error. On any
// error nothing is left behind: no temporary file, and no stored file unless
// it was already stored before this upload.
func (l *Library) Upload(ctx context.Context, r io.Reader, filename string) (*snsos.MediaRef, error) {
	capped := &capReader{r: r, limit: max(l.limits.MaxImageBytes, l.limits.MaxVideoBytes), what: "upload limit"}
	head := make([]byte, SniffLen)
	n, err := io.ReadFull(capped, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, readErr(err)
	}
	head = head[:n]
	if n == 0 {
		return nil, snsos.Errorf(snsos.EINVALID, "the file is empty")
	}
	t := Sniff(head)
	switch {
	case t == "":
		return nil, snsos.Errorf(snsos.EINVALID, "unsupported file type: %s (%s)", describe(head), supported)
	case strings.HasPrefix(t, "image/"):
		capped.tighten(l.limits.MaxImageBytes, "limit for images")
	default:
		capped.tighten(l.limits.MaxVideoBytes, "limit for videos")
	}
	if capped.err != nil {
		return nil, capped.err
	}

	c := &committer{ctx: ctx, lib: l, r: io.MultiReader(bytes.NewReader(head), capped), h: sha256.New()}
	defer c.release()
	key, sum, size, err := l.store.Put(ctx, c)
	if err != nil {
		c.discard()
		if c.err != nil {
			return nil, c.err
		}
		return nil, fmt.Errorf("media: store upload: %w", err)
	}
	if c.key == "" || key != c.key || sum != c.sum || size != c.size {
		c.discard()
		return nil, fmt.Errorf("media: store %T broke its contract: put %q (%d bytes), read %q (%d bytes)", l.store, key, size, c.key, c.size)
	}
	m, err := l.record(ctx, key, sum, size, SanitizeFilename(filename))
	if err != nil {
		c.discard()
		return nil, err
	}
	return m, nil
}

// record probes the stored file and records it.
func (l *Library) record(ctx context.Context, key, sum string, size int64, filename string) (*snsos.MediaRef, error) {
	rc, err := l.store.Open(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("media: open stored upload: %w", err)
	}
	defer rc.Close()
	ra, ok := rc.(io.ReaderAt)
	if !ok {
		return nil, fmt.Errorf("media: store %T gives no random access to probe files", l.store)
	}
	f, err := Probe(ra, size)
	if err != nil {
		return nil, err
	}
	m := &snsos.MediaRef{
		Key: key, SHA256: sum, Mime: f.MIME, Size: size,
		Width: f.Width, Height: f.Height, DurationMS: f.DurationMS, FrameRate: f.FrameRate, Codec: f.Codec,
		Filename: filename,
	}
	if _, err := l.db.CreateMedia(ctx, m); err != nil {
		return nil, fmt.Errorf("media: record upload: %w", err)
	}
	return m, nil
}

// Get returns the record of media id, or an ENOTFOUND error.
func (l *Library) Get(ctx context.Context, id int64) (*snsos.MediaRef, error) {
	return l.db.FindMediaByID(ctx, id)
}

// List returns up to limit records, newest first.
func (l *Library) List(ctx context.Context, limit int) ([]*snsos.MediaRef, error) {
	return l.db.ListMedia(ctx, limit)
}

// Open returns a stream of media id's bytes and its record. The caller
// closes the stream. The stream of a Disk store implements io.ReadSeeker and
// io.ReaderAt.
func (l *Library) Open(ctx context.Context, id int64) (io.ReadCloser, *snsos.MediaRef, error) {
	m, err := l.db.FindMediaByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	rc, err := l.openFile(ctx, m)
	if err != nil {
		return nil, nil, err
	}
	return rc, m, nil
}

func (l *Library) openFile(ctx context.Context, m *snsos.MediaRef) (io.ReadCloser, error) {
	rc, err := l.store.Open(ctx, m.Key)
	if snsos.IsCode(err, snsos.ENOTFOUND) {
		return nil, snsos.WrapError(snsos.EINTERNAL, err, fmt.Sprintf("the file of media %d is missing from the media store", m.ID))
	}
	return rc, err
}

// Delete deletes media id: its record, then its file. While a post uses the
// media the database refuses with ECONFLICT, and the file is kept. Records
// are unique by content and keys are content addresses, so no other record
// uses the file; a record whose key is not its content address (not made
// by a Library) keeps its file, since another might share it.
func (l *Library) Delete(ctx context.Context, id int64) error {
	m, err := l.db.FindMediaByID(ctx, id)
	if err != nil {
		return err
	}
	unlock, err := l.locks.lock(ctx, m.Key)
	if err != nil {
		return err
	}
	defer unlock()
	if err := l.db.DeleteMedia(ctx, id); err != nil {
		return err
	}
	if m.Key != KeyFor(m.SHA256) {
		return nil
	}
	if err := l.store.Delete(context.WithoutCancel(ctx), m.Key); err != nil {
		return fmt.Errorf("media: delete file of media %d (record deleted): %w", id, err)
	}
	return nil
}

// PlatformMedia returns media id in the form platform clients take: its
// type and size from the record, an Open that streams the file (X's
// chunked upload reads it) and, when a Signer is set (SetSigner), a signed
// public URL and its expiry for platforms that pull media.
func (l *Library) PlatformMedia(ctx context.Context, id int64) (platform.Media, error) {
	m, err := l.db.FindMediaByID(ctx, id)
	if err != nil {
		return platform.Media{}, err
	}
	u, exp := l.signedURL(m.ID)
	return platform.Media{
		MIME:       m.Mime,
		Size:       m.Size,
		Open:       func(ctx context.Context) (io.ReadCloser, error) { return l.openFile(ctx, m) },
		URL:        u,
		URLExpires: exp,
	}, nil
}

// readErr wraps an error from reading the client's upload.
func readErr(err error) error {
	var se *snsos.Error
	if errors.As(err, &se) {
		return err
	}
	return fmt.Errorf("media: read upload: %w", err)
}

// capReader reads r and fails with an ETOOLARGE error once more than limit
// bytes have been read.
type capReader struct {
	r     io.Reader
	n     int64
	limit int64
	what  string // names the limit in the error: "limit for images"
	err   error
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if room := c.limit + 1 - c.n; int64(len(p)) > room { // one byte more tells "over"
		p = p[:room]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.limit {
		c.err = c.tooLarge()
		return 0, c.err
	}
	return n, err
}

// tighten lowers the cap once the type is known.
func (c *capReader) tighten(limit int64, what string) {
	if limit < c.limit {
		c.limit, c.what = limit, what
	}
	if c.n > c.limit && c.err == nil {
		c.err = c.tooLarge()
	}
}

func (c *capReader) tooLarge() error {
	return snsos.Errorf(snsos.ETOOLARGE, "the file is larger than the %s of %s", c.what, formatBytes(c.limit))
}

// formatBytes writes n in the largest binary unit that divides it.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// committer is the reader Upload hands to Store.Put. It hashes what passes
// through, and at the end of the input — before Put can make the object
// visible — it locks the content's key and notes whether the object already
// exists. The lock is held until Upload returns, so no other upload or
// deletion of the same content interleaves, and Upload knows whether a
// failure must delete the stored object (only if this upload created it).
type committer struct {
	ctx context.Context
	lib *Library
	r   io.Reader
	h   hash.Hash

	size     int64
	sum, key string // set at the end of the input
	existed  bool   // the object was stored before this upload
	unlock   func() // set while the key is locked
	err      error  // why reading failed, reported by Upload
}

func (c *committer) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.key != "" {
		return 0, io.EOF
	}
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	c.size += int64(n)
	switch {
	case errors.Is(err, io.EOF):
		if err := c.atEOF(); err != nil {
			c.err = err
			return n, err
		}
		return n, io.EOF
	case err != nil:
		c.err = readErr(err)
		return n, c.err
	}
	return n, nil
}

func (c *committer) atEOF() error {
	c.sum = hex.EncodeToString(c.h.Sum(nil))
	key := KeyFor(c.sum)
	unlock, err := c.lib.locks.lock(c.ctx, key)
	if err != nil {
		return err
	}
	c.key, c.unlock = key, unlock
	size, err := c.lib.store.Stat(c.ctx, key)
	switch {
	case err == nil:
		c.existed = size == c.size // a file of another size is damaged and will be replaced
	case snsos.IsCode(err, snsos.ENOTFOUND):
	default:
		return fmt.Errorf("media: stat stored file: %w", err)
	}
	return nil
}

// discard deletes the object if this upload created it. It is called, with
// the key still locked, when the upload fails after the input was read.
func (c *committer) discard() {
	if c.unlock == nil || c.existed {
		return
	}
	c.lib.store.Delete(context.WithoutCancel(c.ctx), c.key) // best effort; Put may not have stored it
}

// release unlocks the key, if it was locked.
func (c *committer) release() {
	if c.unlock != nil {
		c.unlock()
		c.unlock = nil
	}
}

// keyLocks is a set of mutexes, one per storage key in use.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	ch   chan struct{} // holds a token while locked
	refs int           // holders and waiters
}

// lock locks key, waiting at most until ctx is done, and returns the unlock
// function.
func (k *keyLocks) lock(ctx context.Context, key string) (func(), error) {
	k.mu.Lock()
	if k.m == nil {
		k.m = make(map[string]*keyLock)
	}
	l := k.m[key]
	if l == nil {
		l = &keyLock{ch: make(chan struct{}, 1)}
		k.m[key] = l
	}
	l.refs++
	k.mu.Unlock()

	done := func() {
		k.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
	select {
	case l.ch <- struct{}{}:
		return func() { <-l.ch; done() }, nil
	case <-ctx.Done():
		done()
		return nil, ctx.Err()
	}
}
