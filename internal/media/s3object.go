package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// s3ReadAhead is the least an S3Object's ReadAt fetches in one GET. Probing
// reads many small headers close together; fetching a block and keeping the
// last few turns them into a handful of requests.
const s3ReadAhead = 64 << 10

// s3CachedBlocks is how many read-ahead blocks an S3Object keeps (at most
// s3CachedBlocks × s3ReadAhead bytes, 256 KiB).
const s3CachedBlocks = 4

// S3Object is a stream of an object in an S3 store, returned by S3.Open.
// Read streams the object with one GET from the current position; Seek only
// moves the position (the next Read starts a new GET if it must); ReadAt
// does ranged GETs of at least 64 KiB and caches the last few blocks. All
// requests use the context given to Open and are pinned to the object's
// ETag, so a replaced object reads as an error, never as a mix.
//
// ReadAt is safe for concurrent use; Read and Seek, like on a file, are
// not safe to use concurrently with each other.
type S3Object struct {
	s    *S3
	ctx  context.Context
	key  string
	size int64
	etag string

	pos     int64         // of Read and Seek
	body    io.ReadCloser // the stream Read uses, positioned at bodyPos
	bodyPos int64
	closed  bool

	mu     sync.Mutex // guards blocks
	blocks []s3Block  // most recently used last
}

type s3Block struct {
	off  int64
	data []byte
}

var (
	_ io.ReadSeekCloser = (*S3Object)(nil)
	_ io.ReaderAt       = (*S3Object)(nil)
)

// Size returns the object's size.
func (o *S3Object) Size() int64 { return o.size }

// Read implements io.Reader.
func (o *S3Object) Read(p []byte) (int, error) {
	if o.closed {
		return 0, os.ErrClosed
	}
	if o.pos >= o.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if o.body != nil && o.bodyPos != o.pos {
		o.body.Close()
		o.body = nil
	}
	if o.body == nil {
		rc, _, err := o.s.get(o.ctx, o.key, o.pos, -1, o.etag)
		if err != nil {
			return 0, err
		}
		o.body, o.bodyPos = rc, o.pos
	}
	if rest := o.size - o.pos; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := o.body.Read(p)
	o.pos += int64(n)
	o.bodyPos += int64(n)
	switch {
	case err == io.EOF && o.pos < o.size:
		err = io.ErrUnexpectedEOF
	case err == io.EOF && n > 0:
		err = nil
	case err != nil && err != io.EOF:
		err = o.s.opErr("read", o.key, err)
	}
	if err != nil {
		o.body.Close()
		o.body = nil
	}
	return n, err
}

// Seek implements io.Seeker.
func (o *S3Object) Seek(offset int64, whence int) (int64, error) {
	if o.closed {
		return 0, os.ErrClosed
	}
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = o.pos + offset
	case io.SeekEnd:
		abs = o.size + offset
	default:
		return 0, errors.New("media: s3: seek: invalid whence")
	}
	if abs < 0 {
		return 0, errors.New("media: s3: seek: negative position")
	}
	o.pos = abs
	return abs, nil
}

// ReadAt implements io.ReaderAt.
func (o *S3Object) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("media: s3: read at a negative offset")
	}
	if off >= o.size {
		return 0, io.EOF
	}
	want := p
	if rest := o.size - off; int64(len(want)) > rest {
		want = want[:rest]
	}
	n := 0
	for n < len(want) {
		m, err := o.readAtOnce(want[n:], off+int64(n))
		n += m
		if err != nil {
			return n, err
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// readAtOnce fills part of p from the cache or from one GET.
func (o *S3Object) readAtOnce(p []byte, off int64) (int, error) {
	if n := o.fromCache(p, off); n > 0 {
		return n, nil
	}
	if len(p) >= s3ReadAhead { // large reads go straight into p
		return o.fetch(p, off)
	}
	buf := make([]byte, min(int64(s3ReadAhead), o.size-off))
	m, err := o.fetch(buf, off)
	if err != nil {
		return 0, err
	}
	buf = buf[:m]
	o.mu.Lock()
	if len(o.blocks) == s3CachedBlocks {
		o.blocks = append(o.blocks[:0], o.blocks[1:]...)
	}
	o.blocks = append(o.blocks, s3Block{off: off, data: buf})
	o.mu.Unlock()
	return copy(p, buf), nil
}

// fromCache copies into p what a cached block holds at off.
func (o *S3Object) fromCache(p []byte, off int64) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.blocks) - 1; i >= 0; i-- {
		b := o.blocks[i]
		if off >= b.off && off < b.off+int64(len(b.data)) {
			if i != len(o.blocks)-1 { // move to the end: most recently used
				o.blocks = append(append(o.blocks[:i:i], o.blocks[i+1:]...), b)
			}
			return copy(p, b.data[off-b.off:])
		}
	}
	return 0
}

// fetch fills p with one ranged GET at off; p must not reach past the end.
func (o *S3Object) fetch(p []byte, off int64) (int, error) {
	rc, _, err := o.s.get(o.ctx, o.key, off, int64(len(p)), o.etag)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	n, err := io.ReadFull(rc, p)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return n, fmt.Errorf("media: s3: read %s: object shorter than its size (%d bytes at %d)", o.key, n, off)
		}
		return n, o.s.opErr("read", o.key, err)
	}
	return n, nil
}

// Close implements io.Closer. ReadAt still works after Close (like
// io.SectionReader), Read and Seek do not.
func (o *S3Object) Close() error {
	if o.closed {
		return os.ErrClosed
	}
	o.closed = true
	if o.body != nil {
		o.body.Close()
		o.body = nil
	}
	o.mu.Lock()
	o.blocks = nil
	o.mu.Unlock()
	return nil
}
