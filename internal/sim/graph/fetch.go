package graph

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of a Fetcher.
const (
	DefaultFetchTimeout  = 10 * time.Second
	DefaultMaxFetchBytes = 64 << 20
)

// MaxImageBytes is the largest image Instagram and Threads accept: 8 MiB.
const MaxImageBytes = 8 << 20

// Media formats Sniff recognizes.
const (
	FormatJPEG = "jpeg"
	FormatPNG  = "png"
	FormatGIF  = "gif"
	FormatWebP = "webp"
	FormatMP4  = "mp4"
	FormatMOV  = "mov"
	// FormatWebM is recognised for the TikTok simulator, which takes WebM
	// videos; it is not a video for the Meta simulators (IsVideo).
	FormatWebM = "webm"
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

// IsVideo reports whether the file is an MP4 or MOV video.
func (f Fetched) IsVideo() bool { return f.Format == FormatMP4 || f.Format == FormatMOV }

// A File is one fetched media URL as a simulator records it, and as GET
// /__sim/posts lists it. The simulators' MediaFile types have the same
// fields, so each converts to the other.
type File struct {
	ID     string `json:"id,omitempty"` // a carousel child's media id
	Kind   string `json:"kind"`         // IMAGE, VIDEO, COVER, …
	URL    string `json:"url"`
	Bytes  int64  `json:"bytes"`  // bytes read
	Format string `json:"format"` // FormatJPEG, …
}

// File records f as a file of kind.
func (f Fetched) File(kind string) File {
	return File{Kind: kind, URL: f.URL, Bytes: f.Bytes, Format: f.Format}
}

// Files converts a simulator's MediaFile list into Files, never nil.
func Files[F ~struct {
	ID, Kind, URL string
	Bytes         int64
	Format        string
}](in []F) []File {
	out := make([]File, len(in))
	for i, f := range in {
		out[i] = File(f)
	}
	return out
}

// An ImageRule is what a simulator accepts as an image URL.
type ImageRule struct {
	// Type is the envelope type of the refusals.
	Type string
	// Formats are the accepted formats (FormatJPEG, …).
	Formats []string
	// FetchFailed is error.message when the image cannot be fetched.
	FetchFailed string
}

// Image fetches an image URL (at most MaxImageBytes) and checks it: one
// that cannot be fetched is refused with 9004/2207052, one over 8 MiB with
// 36000/2207004 and one in another format with 36001/2207005.
func (f *Fetcher) Image(ctx context.Context, rawURL string, rule ImageRule) (Fetched, *Error) {
	got := f.Fetch(ctx, rawURL, MaxImageBytes)
	e := Error{Type: rule.Type, Transient: Bool(false)}
	switch {
	case !got.OK():
		e.Code, e.Subcode, e.Message, e.UserTitle = 9004, 2207052, rule.FetchFailed, "Media download has failed."
		e.UserMsg = "The media could not be fetched from this URI: " + RedactURL(rawURL) + " (" + got.Err + "). Check that it is public and try again."
	case got.TooLarge:
		e.Code, e.Subcode, e.Message, e.UserTitle = 36000, 2207004, "The image size is too large.", "Image size too large"
		e.UserMsg = "The image is larger than 8 MiB; send a smaller file."
	case !slices.Contains(rule.Formats, got.Format):
		format := got.Format
		if format == "" {
			format = "an unknown format"
		}
		e.Code, e.Subcode, e.Message, e.UserTitle = 36001, 2207005, "The image format is not supported.", "Image format not supported"
		names := make([]string, len(rule.Formats))
		for i, f := range rule.Formats {
			names[i] = strings.ToUpper(f)
		}
		e.UserMsg = "Only " + strings.Join(names, " and ") + " images are supported; " +
			RedactURL(rawURL) + " is " + strings.ToUpper(format) + "."
	default:
		return got, nil
	}
	return got, &e
}

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
	case bytes.HasPrefix(b, []byte{0x1A, 0x45, 0xDF, 0xA3}): // EBML, as WebM files start
		return FormatWebM
	case len(b) >= 8 && (string(b[4:8]) == "moov" || string(b[4:8]) == "mdat" || string(b[4:8]) == "wide"):
		return FormatMOV
	}
	return ""
}
