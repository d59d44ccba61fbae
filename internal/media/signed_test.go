package media

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/store"
	"github.com/sns-os/snsos/internal/store/storetest"
)

var linkKey = bytes.Repeat([]byte{7}, 32)

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// streamOnly is a Store whose Open, once hide is set, returns a plain
// stream with neither Seek nor ReadAt (as a bucket without ranged reads
// would); it counts opens.
type streamOnly struct {
	*Disk
	hide  atomic.Bool
	opens atomic.Int64
}

func (s *streamOnly) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := s.Disk.Open(ctx, key)
	if err != nil || !s.hide.Load() {
		return rc, err
	}
	s.opens.Add(1)
	return struct {
		io.Reader
		io.Closer
	}{rc, rc}, nil
}

// linkEnv is a Library with a Signer, served by an httptest server.
type linkEnv struct {
	lib    *Library
	signer *Signer
	clock  *testClock
	srv    *httptest.Server
	store  *streamOnly
}

func newLinkEnv(t *testing.T, public string) *linkEnv {
	t.Helper()
	d, err := NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	so := &streamOnly{Disk: d}
	db := storetest.New(t, store.SQLite)
	lib := NewLibrary(so, db.Store, Limits{})
	clock := &testClock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	if public == "" {
		public = srv.URL
	}
	s, err := NewSigner(SignerOptions{Key: linkKey, PublicURL: public, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	lib.SetSigner(s)
	s.Routes(mux, lib)
	return &linkEnv{lib: lib, signer: s, clock: clock, srv: srv, store: so}
}

type resp struct {
	code int
	h    http.Header
	body []byte
}

func fetch(t *testing.T, method, u string, hdr ...string) resp {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp{r.StatusCode, r.Header, b}
}

func TestSignedLinkRoundTrip(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"seekable", "stream only"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			e := newLinkEnv(t, "")
			data := pngBytes(t, 64, 48)
			n := len(data)
			// The name says HTML; the content is a PNG, and the type comes
			// from the probe.
			m, err := e.lib.Upload(t.Context(), bytes.NewReader(data), "page.html")
			if err != nil {
				t.Fatal(err)
			}
			if mode == "stream only" {
				e.store.hide.Store(true)
			}
			u, exp := e.signer.URL(m.ID)
			if want := e.clock.Now().Add(time.Hour); !exp.Equal(want) {
				t.Fatalf("expiry %v, want %v", exp, want)
			}
			if !strings.HasPrefix(u, e.srv.URL+"/m/"+strconv.FormatInt(m.ID, 10)+"?exp="+strconv.FormatInt(exp.Unix(), 10)+"&sig=") {
				t.Fatalf("URL %s", u)
			}

			r := fetch(t, "GET", u)
			if r.code != 200 || !bytes.Equal(r.body, data) {
				t.Fatalf("GET = %d, %d bytes, want 200 and the %d uploaded", r.code, len(r.body), n)
			}
			for k, v := range map[string]string{
				"Content-Type":           "image/png",
				"Content-Length":         strconv.Itoa(n),
				"Cache-Control":          "private, max-age=3600",
				"X-Content-Type-Options": "nosniff",
				"Content-Disposition":    "inline",
				"Accept-Ranges":          "bytes",
			} {
				if got := r.h.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			e.clock.Add(20*time.Minute + 500*time.Millisecond)
			if r := fetch(t, "HEAD", u); r.code != 200 || len(r.body) != 0 || r.h.Get("Content-Length") != strconv.Itoa(n) ||
				r.h.Get("Cache-Control") != "private, max-age=2399" {
				t.Fatalf("HEAD = %d %v", r.code, r.h)
			}

			ranges := []struct {
				spec       string
				start, end int // inclusive
			}{
				{"bytes=0-9", 0, 9},
				{"bytes=-5", n - 5, n - 1},
				{"bytes=10-", 10, n - 1},
				{"bytes=20-29", 20, 29},
				{fmt.Sprintf("bytes=%d-%d", n-3, n+100), n - 3, n - 1}, // clipped at the end
			}
			for _, rg := range ranges {
				r := fetch(t, "GET", u, "Range", rg.spec)
				if r.code != 206 || !bytes.Equal(r.body, data[rg.start:rg.end+1]) {
					t.Fatalf("%s: %d, %d bytes", rg.spec, r.code, len(r.body))
				}
				if want := fmt.Sprintf("bytes %d-%d/%d", rg.start, rg.end, n); r.h.Get("Content-Range") != want {
					t.Fatalf("%s: Content-Range %q, want %q", rg.spec, r.h.Get("Content-Range"), want)
				}
				if r.h.Get("Content-Length") != strconv.Itoa(rg.end-rg.start+1) || r.h.Get("Content-Type") != "image/png" {
					t.Fatalf("%s: headers %v", rg.spec, r.h)
				}
			}

			// Several ranges, the second before the first (a stream-only
			// store reopens the file to go back).
			r = fetch(t, "GET", u, "Range", "bytes=10-19,0-4")
			mt, params, _ := mime.ParseMediaType(r.h.Get("Content-Type"))
			if r.code != 206 || mt != "multipart/byteranges" {
				t.Fatalf("multi-range: %d %s", r.code, r.h.Get("Content-Type"))
			}
			mr := multipart.NewReader(bytes.NewReader(r.body), params["boundary"])
			for _, want := range []struct {
				start, end int
			}{{10, 19}, {0, 4}} {
				p, err := mr.NextPart()
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(p)
				cr := fmt.Sprintf("bytes %d-%d/%d", want.start, want.end, n)
				if !bytes.Equal(b, data[want.start:want.end+1]) || p.Header.Get("Content-Range") != cr || p.Header.Get("Content-Type") != "image/png" {
					t.Fatalf("part %s: %q %v", cr, b, p.Header)
				}
			}
			if _, err := mr.NextPart(); err != io.EOF {
				t.Fatalf("more parts: %v", err)
			}

			// Past the end.
			for _, spec := range []string{fmt.Sprintf("bytes=%d-", n), fmt.Sprintf("bytes=%d-%d", n+10, n+20)} {
				if r := fetch(t, "GET", u, "Range", spec); r.code != 416 || r.h.Get("Content-Range") != fmt.Sprintf("bytes */%d", n) {
					t.Fatalf("%s: %d %v", spec, r.code, r.h)
				}
			}
			// Too many ranges: the whole file.
			many := "bytes=" + strings.TrimSuffix(strings.Repeat("0-0,", MaxRanges+1), ",")
			if r := fetch(t, "GET", u, "Range", many); r.code != 200 || !bytes.Equal(r.body, data) {
				t.Fatalf("too many ranges: %d, %d bytes", r.code, len(r.body))
			}
			if mode == "stream only" && e.store.opens.Load() < 2 {
				t.Fatalf("stream-only store opened %d times", e.store.opens.Load())
			}
		})
	}
}

func TestSignedLinkRefused(t *testing.T) {
	t.Parallel()
	e := newLinkEnv(t, "")
	ctx := t.Context()
	a, err := e.lib.Upload(ctx, bytes.NewReader(pngBytes(t, 8, 8)), "a.png")
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.lib.Upload(ctx, bytes.NewReader(jpegBytes(t, 8, 8)), "b.jpg")
	if err != nil {
		t.Fatal(err)
	}
	good, exp := e.signer.URL(a.ID)
	if r := fetch(t, "GET", good); r.code != 200 {
		t.Fatalf("valid link: %d", r.code)
	}
	pu, _ := url.Parse(good)
	q := pu.Query()
	sig, expS := q.Get("sig"), q.Get("exp")
	raw, _ := base64.RawURLEncoding.DecodeString(sig)
	raw[0] ^= 1
	flipped := base64.RawURLEncoding.EncodeToString(raw)
	_, bExp := e.signer.URL(b.ID)
	bLink, _ := url.Parse(e.signer.URLUntil(b.ID, bExp))
	base := e.srv.URL + "/m/"
	ida := strconv.FormatInt(a.ID, 10)

	forbidden := map[string]string{
		"tampered signature":        base + ida + "?exp=" + expS + "&sig=" + flipped,
		"signature not base64":      base + ida + "?exp=" + expS + "&sig=%%%",
		"missing signature":         base + ida + "?exp=" + expS,
		"empty signature":           base + ida + "?exp=" + expS + "&sig=",
		"missing expiry":            base + ida + "?sig=" + sig,
		"later expiry":              base + ida + "?exp=" + strconv.FormatInt(exp.Unix()+3600, 10) + "&sig=" + sig,
		"another id's signature":    base + ida + "?" + bLink.RawQuery,
		"id with a leading zero":    base + "0" + ida + "?exp=" + expS + "&sig=" + sig,
		"non-numeric id":            base + "abc?exp=" + expS + "&sig=" + sig,
		"repeated parameters":       good + "&sig=" + sig,
		"signature of another key":  other(t, e, a.ID, exp),
		"no query at all":           base + ida,
		"signature in another case": base + ida + "?exp=" + expS + "&sig=" + strings.ToUpper(sig),
	}
	var msg []byte
	for name, u := range forbidden {
		r := fetch(t, "GET", u)
		if r.code != 403 || !strings.HasPrefix(r.h.Get("Content-Type"), "text/plain") {
			t.Fatalf("%s: %d %s", name, r.code, r.h.Get("Content-Type"))
		}
		if msg == nil {
			msg = r.body
		} else if !bytes.Equal(msg, r.body) {
			t.Fatalf("%s: message %q differs from %q: it must not tell what was wrong", name, r.body, msg)
		}
	}

	// Unknown id, validly signed: 404.
	if r := fetch(t, "GET", e.signer.URLUntil(99999, exp)); r.code != 404 {
		t.Fatalf("unknown id: %d", r.code)
	}
	// No listing, no other paths.
	for _, p := range []string{"/m/", "/m", "/m/" + ida + "/x", "/m/" + ida + "/"} {
		if r := fetch(t, "GET", e.srv.URL+p); r.code != 404 {
			t.Fatalf("GET %s = %d", p, r.code)
		}
	}
	if r := fetch(t, "POST", good); r.code != 405 {
		t.Fatalf("POST = %d", r.code)
	}

	// Expired: the same link, once its time has come, is refused with the
	// same message.
	e.clock.Add(time.Hour)
	if r := fetch(t, "GET", good); r.code != 403 || !bytes.Equal(r.body, msg) {
		t.Fatalf("expired link: %d %q", r.code, r.body)
	}
	// A deleted media's link: 404 while valid.
	e.clock.Add(-time.Hour)
	if err := e.lib.Delete(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if r := fetch(t, "GET", good); r.code != 404 {
		t.Fatalf("deleted media: %d", r.code)
	}
}

// other returns a link to id signed with another key.
func other(t *testing.T, e *linkEnv, id int64, exp time.Time) string {
	s, err := NewSigner(SignerOptions{Key: bytes.Repeat([]byte{8}, 32), PublicURL: e.srv.URL, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return s.URLUntil(id, exp)
}

func TestSignerOptionsAndPlatformMedia(t *testing.T) {
	t.Parallel()
	for _, o := range []SignerOptions{
		{Key: linkKey[:16], PublicURL: "https://sns.example.com"},
		{Key: linkKey, PublicURL: "sns.example.com"},
		{Key: linkKey, PublicURL: "ftp://sns.example.com"},
		{Key: linkKey, PublicURL: "https://sns.example.com?x=1"},
		{Key: linkKey, PublicURL: "https://sns.example.com", TTL: -time.Second},
	} {
		if _, err := NewSigner(o); err == nil {
			t.Fatalf("NewSigner(%+v) accepted", o)
		}
	}
	e := newLinkEnv(t, "https://sns.example.com/")
	m, err := e.lib.Upload(t.Context(), bytes.NewReader(pngBytes(t, 8, 8)), "x.png")
	if err != nil {
		t.Fatal(err)
	}
	pm, err := e.lib.PlatformMedia(t.Context(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantExp := e.clock.Now().Add(DefaultLinkTTL)
	if pm.Open == nil || !pm.URLExpires.Equal(wantExp) || pm.URL != e.signer.URLUntil(m.ID, wantExp) ||
		!strings.HasPrefix(pm.URL, "https://sns.example.com/m/"+strconv.FormatInt(m.ID, 10)+"?exp=") {
		t.Fatalf("PlatformMedia = %+v", pm)
	}
	u, exp, err := e.lib.SignedURL(t.Context(), m.ID)
	if err != nil || u != pm.URL || !exp.Equal(wantExp) {
		t.Fatalf("SignedURL = %s %v %v", u, exp, err)
	}
	if _, _, err := e.lib.SignedURL(t.Context(), 12345); err == nil {
		t.Fatal("SignedURL of unknown media")
	}
	// The link verifies.
	pu, _ := url.Parse(pm.URL)
	if id, exp, ok := e.signer.Check(strconv.FormatInt(m.ID, 10), pu.Query().Get("exp"), pu.Query().Get("sig")); !ok || id != m.ID || !exp.Equal(wantExp) {
		t.Fatalf("Check = %d %v %v", id, exp, ok)
	}
	// A custom lifetime.
	s, _ := NewSigner(SignerOptions{Key: linkKey, PublicURL: "https://a.example", TTL: 5 * time.Minute, Now: e.clock.Now})
	if _, exp := s.URL(1); !exp.Equal(e.clock.Now().Add(5*time.Minute)) || s.TTL() != 5*time.Minute {
		t.Fatalf("TTL 5m: expiry %v", exp)
	}
	// Without a signer: no URL.
	lib := newTestLib(t, Limits{})
	m2, _ := lib.Upload(t.Context(), bytes.NewReader(pngBytes(t, 8, 8)), "x.png")
	if pm, err := lib.PlatformMedia(t.Context(), m2.ID); err != nil || pm.URL != "" || !pm.URLExpires.IsZero() {
		t.Fatalf("PlatformMedia without signer = %+v, %v", pm, err)
	}
	if _, _, err := lib.SignedURL(t.Context(), m2.ID); err == nil {
		t.Fatal("SignedURL without signer")
	}
}
