package graph

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// Defaults of a Fetcher.
const (
	DefaultFetchTimeout  = 10 * time.Second
	DefaultMaxFetchBytes = 64 << 20
)

// Media formats Sniff recognizes.
const (
	FormatJPEG = "jpeg"
	FormatPNG  = "png"
	FormatGIF  = "gif"
	FormatWebP = "webp"
	FormatMP4  = "mp4"
	FormatMOV  = "mov"
)

// A Fetched is the outcome of fetching one media URL.
type Fetched struct {
	URL string
	// Status is the HTTP status of the answer, 0 when there was none.
	Status int
	// Bytes is how many body bytes were read (at most the limit).
	Bytes int64
	// TooLarge reports that the body went on past the limit.
	TooLarge bool
	// Format is what Sniff made of the first bytes ("" if unknown).
	Format string
	// Err says why the fetch failed; "" when a 2xx answer was read.
	Err string
}

// OK reports whether a 2xx answer was read.
func (f Fetched) OK() bool { return f.Err == "" }

// A Fetcher performs the real HTTP GETs of media URLs. Unlike Meta it may
// reach loopback and plain http, so that tests and the demo can serve
// media from httptest servers. It is safe for concurrent use.
type Fetcher struct {
	client  *http.Client
	timeout time.Duration

	mu       sync.Mutex
	failNext int
}

// NewFetcher returns a Fetcher using client (a fresh client when nil) with
// a per-fetch timeout (DefaultFetchTimeout when ≤ 0).
func NewFetcher(client *http.Client, timeout time.Duration) *Fetcher {
	if client == nil {
		tr, ok := http.DefaultTransport.(*http.Transport)
		if !ok {
			tr = &http.Transport{}
		}
		client = &http.Client{Transport: tr.Clone()}
	}
	if timeout <= 0 {
		timeout = DefaultFetchTimeout
	}
	return &Fetcher{client: client, timeout: timeout}
}

// FailNext makes the next fetch fail without a request, as if the host
// were unreachable (the fetch_fail fault).
func (f *Fetcher) FailNext() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failNext++
}

func (f *Fetcher) takeFailure() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failNext > 0 {
		f.failNext--
		return true
	}
	return false
}

// Fetch GETs rawURL and reads at most limit body bytes, keeping only the
// first ones for Sniff. Only absolute http and https URLs are fetched.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string, limit int64) Fetched {
	out := Fetched{URL: rawURL}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		out.Err = "not an absolute http(s) URL"
		return out
	}
	if f.takeFailure() {
		out.Err = "connection refused (injected fetch_fail fault)"
		return out
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		out.Err = "bad URL"
		return out
	}
	req.Header.Set("User-Agent", "facebookexternalhit/1.1 (sns-os simulator)")
	res, err := f.client.Do(req)
	if err != nil {
		out.Err = "request failed"
		var ue *url.Error
		if errors.As(err, &ue) {
			out.Err = "request failed: " + ue.Err.Error()
		}
		return out
	}
	defer res.Body.Close()
	out.Status = res.StatusCode
	head := make([]byte, 64)
	n, _ := io.ReadFull(res.Body, head)
	rest, err := io.Copy(io.Discard, io.LimitReader(res.Body, limit-int64(n)+1))
	out.Bytes = min(int64(n)+rest, limit)
	out.TooLarge = int64(n)+rest > limit
	out.Format = Sniff(head[:n])
	switch {
	case res.StatusCode < 200 || res.StatusCode > 299:
		out.Err = "HTTP status " + strconv.Itoa(res.StatusCode)
	case err != nil:
		out.Err = "reading the body failed"
	}
	return out
}

// RedactURL returns rawURL without user info, query and fragment, for
// error messages: a presigned media URL carries a signature there.
func RedactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// Sniff names the media format of a file from its first bytes: FormatJPEG,
// FormatPNG, FormatGIF, FormatWebP, FormatMP4, FormatMOV or "".
func Sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return FormatJPEG
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return FormatPNG
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return FormatGIF
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return FormatWebP
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		if string(b[8:12]) == "qt  " {
			return FormatMOV
		}
		return FormatMP4
	case len(b) >= 8 && (string(b[4:8]) == "moov" || string(b[4:8]) == "mdat" || string(b[4:8]) == "wide"):
		return FormatMOV
	}
	return ""
}
