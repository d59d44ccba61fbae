package tiktok

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"time"
)

// upload is the state of a FILE_UPLOAD's upload_url. The bytes are hashed,
// never kept.
type upload struct {
	id, token string
	expires   time.Time
	chunkSize int64
	chunks    int
	next      int // index of the next chunk expected
	// lastFirst and lastEnd are the byte range of the last accepted chunk
	// and lastSum its SHA-256, so that a retry of it is recognized.
	lastFirst, lastEnd int64
	lastSum            [32]byte
	hash               hash.Hash // SHA-256 of the accepted chunks
	head               []byte    // the file's first bytes
}

// chunkRange returns the inclusive byte range of chunk i of a file of
// size bytes: chunkSize bytes each, the last one absorbing the rest.
func (u *upload) chunkRange(i int, size int64) (first, last int64) {
	first = int64(i) * u.chunkSize
	last = first + u.chunkSize - 1
	if i == u.chunks-1 {
		last = size - 1
	}
	return first, last
}

// Codes of the upload host's error bodies, which TikTok does not document.
const (
	codeUploadExpired  = "upload_url_expired"
	codeUploadNotFound = "upload_task_not_found"
)

var contentRangeRe = regexp.MustCompile(`^bytes ([0-9]{1,12})-([0-9]{1,12})/([0-9]{1,12})$`)

// uploadChunk is one validated PUT.
type uploadChunk struct {
	p           *publish
	first, last int64
	index       int  // up.next when the chunk was checked
	retry       bool // a repeat of the last accepted chunk
	state       []byte
}

// handleUpload serves PUT /upload/video/?upload_id=…&upload_token=…: one
// chunk, in order. It answers 206 with Content-Range: bytes 0-{n-1}/{total}
// while chunks are missing and 201 after the last.
func (s *Sim) handleUpload(w http.ResponseWriter, r *http.Request) {
	ch, e := s.checkChunk(r)
	if e != nil {
		// Drain what a refused chunk sends, so the client reads the answer
		// rather than a reset connection.
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxLastChunk))
		s.writeErr(w, *e)
		return
	}
	sum, running, head, err := readChunk(r, ch)
	if err != nil {
		s.writeErr(w, apiError{Status: http.StatusBadRequest, Code: codeInvalidFileUpload,
			Message: "the body is shorter than Content-Length; resend the chunk"})
		return
	}
	s.mu.Lock()
	p := ch.p
	up := p.up
	msg := ""
	switch {
	case up.next != ch.index:
		msg = "another chunk was accepted meanwhile; send chunks one at a time, in order"
	case ch.retry && sum != up.lastSum:
		msg = "this range was already uploaded with other bytes"
	case !ch.retry:
		s.commitLocked(p, ch, sum, running, head)
	}
	if msg != "" {
		s.mu.Unlock()
		s.writeErr(w, apiError{Status: http.StatusRequestedRangeNotSatisfiable, Code: codeInvalidFileUpload, Message: msg})
		return
	}
	done, total, got := up.next == up.chunks, p.VideoSize, p.UploadedBytes
	s.mu.Unlock()
	w.Header().Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", got-1, total))
	if done {
		w.WriteHeader(http.StatusCreated)
		return
	}
	w.WriteHeader(http.StatusPartialContent)
}

// commitLocked records an accepted chunk; after the last one processing
// starts. Callers hold s.mu.
func (s *Sim) commitLocked(p *publish, ch uploadChunk, sum [32]byte, running hash.Hash, head []byte) {
	up := p.up
	up.hash, up.next = running, up.next+1
	up.lastFirst, up.lastEnd, up.lastSum = ch.first, ch.last, sum
	if ch.first == 0 {
		up.head = head
	}
	p.UploadedBytes = ch.last + 1
	if up.next < up.chunks {
		return
	}
	p.SHA256 = hex.EncodeToString(up.hash.Sum(nil))
	p.readyAt = s.now().Add(s.opts.ProcessingDuration)
	if !isVideoFormat(sniffVideo(up.head)) {
		p.failure = "file_format_check_failed"
	}
}

// checkChunk validates the upload URL and the headers of a PUT against
// the chunk plan.
func (s *Sim) checkChunk(r *http.Request) (uploadChunk, *apiError) {
	q := r.URL.Query()
	ch := uploadChunk{}
	fail := func(status int, code, msg string) (uploadChunk, *apiError) {
		return ch, &apiError{Status: status, Code: code, Message: msg}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.byUpload[q.Get("upload_id")]
	if p == nil || subtle.ConstantTimeCompare([]byte(p.up.token), []byte(q.Get("upload_token"))) != 1 {
		return fail(http.StatusNotFound, codeUploadNotFound, "no upload task for this upload_id and upload_token")
	}
	up := p.up
	if !s.now().Before(up.expires) {
		return fail(http.StatusForbidden, codeUploadExpired, "the upload_url expired one hour after the init; init a new upload")
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "video/mp4" && ct != "video/quicktime" && ct != "video/webm" {
		return fail(http.StatusBadRequest, codeInvalidFileUpload, "Content-Type must be video/mp4, video/quicktime or video/webm")
	}
	m := contentRangeRe.FindStringSubmatch(r.Header.Get("Content-Range"))
	if m == nil {
		return fail(http.StatusBadRequest, codeInvalidFileUpload, "Content-Range must be \"bytes {first}-{last}/{total}\"")
	}
	first, _ := strconv.ParseInt(m[1], 10, 64)
	last, _ := strconv.ParseInt(m[2], 10, 64)
	total, _ := strconv.ParseInt(m[3], 10, 64)
	if last < first || r.ContentLength != last-first+1 {
		return fail(http.StatusBadRequest, codeInvalidFileUpload, "Content-Length must equal the size of the Content-Range")
	}
	ch.p, ch.first, ch.last, ch.index = p, first, last, up.next
	if total != p.VideoSize {
		return fail(http.StatusRequestedRangeNotSatisfiable, codeInvalidFileUpload,
			fmt.Sprintf("the Content-Range total must be the video_size of the init, %d", p.VideoSize))
	}
	if up.next > 0 && first == up.lastFirst && last == up.lastEnd {
		ch.retry = true
		return ch, nil
	}
	if up.next >= up.chunks {
		return fail(http.StatusRequestedRangeNotSatisfiable, codeInvalidFileUpload, "every chunk has been uploaded already")
	}
	wantFirst, wantLast := up.chunkRange(up.next, p.VideoSize)
	if first != wantFirst || last != wantLast {
		return fail(http.StatusRequestedRangeNotSatisfiable, codeInvalidFileUpload,
			fmt.Sprintf("expected chunk %d of %d: Content-Range bytes %d-%d/%d", up.next+1, up.chunks, wantFirst, wantLast, total))
	}
	st, err := up.hash.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return fail(http.StatusInternalServerError, codeInternal, msgInternal)
	}
	ch.state = st
	return ch, nil
}

// readChunk reads the chunk's body, returning its SHA-256, the running
// SHA-256 of the file continued with it (nil for a retry) and its first
// bytes.
func readChunk(r *http.Request, ch uploadChunk) (sum [32]byte, running hash.Hash, head []byte, err error) {
	own := sha256.New()
	dst := []io.Writer{own}
	if !ch.retry {
		running = sha256.New()
		if err := running.(encoding.BinaryUnmarshaler).UnmarshalBinary(ch.state); err != nil {
			return sum, nil, nil, err
		}
		dst = append(dst, running)
	}
	var first bytes.Buffer
	dst = append(dst, &limitedBuffer{buf: &first, n: 64})
	if _, err := io.CopyN(io.MultiWriter(dst...), r.Body, ch.last-ch.first+1); err != nil {
		return sum, nil, nil, err
	}
	copy(sum[:], own.Sum(nil))
	return sum, running, first.Bytes(), nil
}

// limitedBuffer keeps the first n bytes written to it and drops the rest.
type limitedBuffer struct {
	buf *bytes.Buffer
	n   int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.n - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}
