package media

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/secret"
)

// DefaultLinkTTL is how long a signed media link works by default.
const DefaultLinkTTL = time.Hour

// MaxRanges caps the byte ranges one request to a signed link may ask for;
// a request asking for more is answered with the whole file.
const MaxRanges = 16

// linkPrefix is the path of signed media links: /m/{id}?exp=…&sig=….
const linkPrefix = "/m/"

// SignerOptions configures NewSigner.
type SignerOptions struct {
	// Key signs and verifies links: at least 32 bytes, e.g.
	// store.DerivedKey("media-links") (which a master key rotation does not
	// change, so links handed out stay valid). It must not be used for
	// anything else.
	Key []byte
	// PublicURL is the absolute http(s) URL platforms reach sns-os at
	// (no trailing slash needed); links are PublicURL + "/m/…".
	PublicURL string
	// TTL is how long a link works; 0 means DefaultLinkTTL.
	TTL time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// A Signer makes and checks signed, expiring public links to media files:
//
//	{PublicURL}/m/{id}?exp={unix seconds}&sig={base64url(HMAC-SHA256(key, "{id}|{exp}"))}
//
// Platforms that pull media (Instagram, Threads, TikTok PULL_FROM_URL)
// fetch these links without a session or an API token: the signature is
// the only credential, so it is checked in constant time, and a link stops
// working at its expiry. A Signer is safe for concurrent use.
type Signer struct {
	key  []byte
	base string
	ttl  time.Duration
	now  func() time.Time
}

// NewSigner returns a Signer, or an error naming what is wrong with o.
func NewSigner(o SignerOptions) (*Signer, error) {
	if len(o.Key) < 32 {
		return nil, errors.New("media: signer: the link key must be at least 32 bytes")
	}
	base := strings.TrimRight(o.PublicURL, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("media: signer: public URL %q is not an absolute http(s) URL", o.PublicURL)
	}
	if o.TTL < 0 {
		return nil, fmt.Errorf("media: signer: negative link lifetime %s", o.TTL)
	}
	if o.TTL == 0 {
		o.TTL = DefaultLinkTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Signer{key: append([]byte(nil), o.Key...), base: base, ttl: o.TTL, now: o.Now}, nil
}

// TTL returns how long the links made by URL work.
func (s *Signer) TTL() time.Duration { return s.ttl }

// URL returns an absolute signed link to media id that works for the
// Signer's TTL from now, and when it stops working.
func (s *Signer) URL(id int64) (string, time.Time) {
	exp := s.now().Add(s.ttl).Truncate(time.Second)
	return s.URLUntil(id, exp), exp
}

// URLUntil returns an absolute signed link to media id that works until exp
// (rounded down to the second).
func (s *Signer) URLUntil(id int64, exp time.Time) string {
	return s.base + s.Path(id, exp)
}

// Path returns the path and query of a link to media id that works until
// exp: "/m/{id}?exp=…&sig=…".
func (s *Signer) Path(id int64, exp time.Time) string {
	ids, exps := strconv.FormatInt(id, 10), strconv.FormatInt(exp.Unix(), 10)
	return linkPrefix + ids + "?exp=" + exps + "&sig=" + base64.RawURLEncoding.EncodeToString(s.mac(ids, exps))
}

func (s *Signer) mac(id, exp string) []byte { return secret.Sign(s.key, []byte(id+"|"+exp)) }

// Check reports whether sig signs the raw id and exp of a link and the link
// has not expired; if so it returns the id and the expiry. The signature is
// compared in constant time and checked before anything else is read, so a
// failure says nothing about which part was wrong.
func (s *Signer) Check(rawID, rawExp, sig string) (id int64, exp time.Time, ok bool) {
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || len(rawID) > 20 || len(rawExp) > 20 {
		return 0, time.Time{}, false
	}
	if !secret.Verify(s.key, []byte(rawID+"|"+rawExp), mac) {
		return 0, time.Time{}, false
	}
	id, err1 := strconv.ParseInt(rawID, 10, 64)
	e, err2 := strconv.ParseInt(rawExp, 10, 64)
	if err1 != nil || err2 != nil || id <= 0 {
		return 0, time.Time{}, false
	}
	exp = time.Unix(e, 0)
	if !s.now().Before(exp) {
		return 0, time.Time{}, false
	}
	return id, exp, true
}

// Routes registers GET (and HEAD) /m/{id} on mux, serving lib's files to
// whoever holds a valid signed link. No other path under /m/ answers, so
// nothing can be listed.
func (s *Signer) Routes(mux *http.ServeMux, lib *Library) {
	mux.Handle("GET "+linkPrefix+"{id}", s.Handler(lib))
}

// Handler returns the handler of signed links to lib's files; it reads the
// id from the request's path value "id".
//
// A missing, malformed, tampered or expired signature is a 403 with one
// plain message whatever the reason; a valid link to media that no longer
// exists is a 404. The body is served with byte-range support (single and
// multiple ranges, 416 past the end); the type is the one the probe
// recorded, never the file name's.
func (s *Signer) Handler(lib *Library) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		id, exp, ok := s.Check(r.PathValue("id"), q.Get("exp"), q.Get("sig"))
		if !ok || len(q["exp"]) != 1 || len(q["sig"]) != 1 {
			plainError(w, http.StatusForbidden, "This media link is not valid or has expired.")
			return
		}
		rc, m, err := lib.Open(r.Context(), id)
		switch {
		case snsos.IsCode(err, snsos.ENOTFOUND):
			plainError(w, http.StatusNotFound, "No such media.")
			return
		case err != nil:
			plainError(w, http.StatusInternalServerError, "The media could not be read.")
			return
		}
		defer rc.Close()
		content := seekable(r.Context(), rc, m, lib)
		if rs, ok := content.(*reopenSeeker); ok {
			defer rs.close()
		}

		h := w.Header()
		h.Set("Content-Type", m.Mime)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Disposition", "inline")
		h.Set("Accept-Ranges", "bytes")
		h.Set("Cache-Control", "private, max-age="+strconv.FormatInt(int64(exp.Sub(s.now())/time.Second), 10))
		if m.SHA256 != "" {
			h.Set("ETag", `"`+m.SHA256+`"`)
		}
		if rg := r.Header.Get("Range"); rg != "" && strings.Count(rg, ",") >= MaxRanges {
			r.Header.Del("Range") // too many ranges: RFC 9110 lets a server ignore Range
		}
		http.ServeContent(w, r, "", m.CreatedAt, content)
	})
}

// plainError writes a short text/plain error that no cache keeps.
func plainError(w http.ResponseWriter, code int, msg string) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	http.Error(w, msg, code)
}

// seekable returns rc as an io.ReadSeeker: itself if it is one, a section
// of it if it has random access, else a reader that reopens the file to
// seek (each seek backwards reopens it and skips forward, reading at most
// the file's size).
func seekable(ctx context.Context, rc io.ReadCloser, m *snsos.MediaRef, lib *Library) io.ReadSeeker {
	if rs, ok := rc.(io.ReadSeeker); ok {
		return rs
	}
	if ra, ok := rc.(io.ReaderAt); ok {
		return io.NewSectionReader(ra, 0, m.Size)
	}
	return &reopenSeeker{
		open: func() (io.ReadCloser, error) { return lib.openFile(ctx, m) },
		cur:  rc, size: m.Size, owned: false,
	}
}

// reopenSeeker seeks over a stream that cannot seek: reading from an offset
// behind the stream's position reopens it and discards up to the offset.
type reopenSeeker struct {
	mu     sync.Mutex // http.ServeContent reads multiple ranges in a goroutine
	open   func() (io.ReadCloser, error)
	cur    io.ReadCloser // positioned at curPos
	owned  bool          // cur was opened here and must be closed here
	size   int64
	pos    int64 // where the next Read reads
	cur0   int64 // position of cur
	closed bool
}

func (r *reopenSeeker) Seek(offset int64, whence int) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		offset += r.size
	default:
		return 0, errors.New("media: seek: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("media: seek: negative position")
	}
	r.pos = offset
	return offset, nil
}

func (r *reopenSeeker) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, os.ErrClosed
	}
	if r.pos >= r.size {
		return 0, io.EOF
	}
	if r.cur == nil || r.cur0 > r.pos {
		r.closeCur()
		rc, err := r.open()
		if err != nil {
			return 0, err
		}
		r.cur, r.owned, r.cur0 = rc, true, 0
	}
	if skip := r.pos - r.cur0; skip > 0 {
		n, err := io.CopyN(io.Discard, r.cur, skip)
		r.cur0 += n
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
	}
	if rem := r.size - r.pos; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := r.cur.Read(p)
	r.pos += int64(n)
	r.cur0 += int64(n)
	return n, err
}

// close closes the stream this reader opened, and makes later reads fail.
func (r *reopenSeeker) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	r.closeCur()
}

func (r *reopenSeeker) closeCur() {
	if r.cur != nil && r.owned {
		r.cur.Close()
	}
	r.cur = nil
}

// SetSigner makes PlatformMedia fill signed URLs and lets SignedURL work.
// Call it before the Library is used.
func (l *Library) SetSigner(s *Signer) { l.signer = s }

// Signer returns the Signer set by SetSigner, or nil.
func (l *Library) Signer() *Signer { return l.signer }

// SignedURL returns a signed public link to media id and when it expires.
// It is an ENOTFOUND error if id is unknown and an EINVALID error if no
// Signer is set.
func (l *Library) SignedURL(ctx context.Context, id int64) (string, time.Time, error) {
	if l.signer == nil {
		return "", time.Time{}, snsos.Errorf(snsos.EINVALID, "signed media links are not configured")
	}
	if _, err := l.db.FindMediaByID(ctx, id); err != nil {
		return "", time.Time{}, err
	}
	u, exp := l.signer.URL(id)
	return u, exp, nil
}

// signedURL fills a platform.Media's URL fields when a Signer is set.
func (l *Library) signedURL(id int64) (string, time.Time) {
	if l.signer == nil {
		return "", time.Time{}
	}
	return l.signer.URL(id)
}
