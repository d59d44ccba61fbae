package platform

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sns-os/snsos"
)

// Defaults of HTTPOptions.
const (
	DefaultTimeout          = 30 * time.Second
	DefaultDialTimeout      = 10 * time.Second
	DefaultTLSTimeout       = 10 * time.Second
	DefaultMaxResponseBytes = 4 << 20
	DefaultUserAgent        = "sns-os (+https://github.com/sns-os/snsos)"
)

// ErrResponseTooLarge matches a response refused because its body exceeded
// the size cap.
var ErrResponseTooLarge = errors.New("platform: response body too large")

// ErrBodyShort matches a request whose Body ended before its
// ContentLength.
var ErrBodyShort = errors.New("platform: request body shorter than its content length")

// HTTPOptions configures an HTTPClient. The zero value gives the defaults.
type HTTPOptions struct {
	// Timeout bounds one request from dial to the last byte of the body.
	Timeout time.Duration
	// DialTimeout and TLSHandshakeTimeout bound connection set-up.
	DialTimeout         time.Duration
	TLSHandshakeTimeout time.Duration
	// MaxResponseBytes caps every response body; a bigger one is refused.
	MaxResponseBytes int64
	// UserAgent is sent with every request.
	UserAgent string
	// Logger receives one debug line per request and one warning per
	// failure, never with a token. Nil discards.
	Logger *slog.Logger
	// Transport replaces the default transport (TLS 1.2+, verified
	// certificates, proxy from the environment). Tests use it; production
	// leaves it nil.
	Transport http.RoundTripper
	// Now is the clock used to turn rate-limit headers into times.
	Now func() time.Time
	// OnCall, when set, hears of every call once it ended: how long it
	// took and its class, "ok" for an answer below 400, else the Kind name
	// of its failure (an HTTP error status counts as the Kind it maps to).
	OnCall func(p snsos.Platform, took time.Duration, class string)
}

// HTTPClient is the one outbound HTTP client every platform client uses.
// It enforces timeouts and a response size cap, sends the token only in the
// Authorization header, classifies every failure as an *Error, and redacts
// the request's secrets from every error and log line. It is safe for
// concurrent use.
type HTTPClient struct {
	client    *http.Client
	timeout   time.Duration
	maxBody   int64
	userAgent string
	log       *slog.Logger
	now       func() time.Time
	onCall    func(p snsos.Platform, took time.Duration, class string)
}

// NewHTTPClient returns a client configured by o.
func NewHTTPClient(o HTTPOptions) *HTTPClient {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.TLSHandshakeTimeout <= 0 {
		o.TLSHandshakeTimeout = DefaultTLSTimeout
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	rt := o.Transport
	if rt == nil {
		rt = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: o.DialTimeout, KeepAlive: 30 * time.Second}).DialContext,
			TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:   o.TLSHandshakeTimeout,
			ResponseHeaderTimeout: o.Timeout,
			ExpectContinueTimeout: time.Second,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		}
	}
	return &HTTPClient{
		client: &http.Client{
			Transport: rt,
			// Platform APIs do not redirect API calls; a redirect would
			// carry nothing we want and could leak the token to another host.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		timeout:   o.Timeout,
		maxBody:   o.MaxResponseBytes,
		userAgent: o.UserAgent,
		log:       o.Logger,
		now:       o.Now,
		onCall:    o.OnCall,
	}
}

// Now returns the client's clock reading.
func (c *HTTPClient) Now() time.Time { return c.now() }

// Request is one outbound call.
type Request struct {
	Platform snsos.Platform
	// Op names the call in errors and logs ("post tweet").
	Op     string
	Method string
	URL    string
	Header http.Header
	// Token, when set, is sent as "Authorization: Bearer …".
	Token snsos.Secret
	// BasicUser and BasicPassword, when set, are sent as Basic auth.
	BasicUser     string
	BasicPassword snsos.Secret
	// Body and ContentType are the request body. A *bytes.Reader,
	// *bytes.Buffer or *strings.Reader gets a Content-Length.
	Body        io.Reader
	ContentType string
	// ContentLength, when positive, is the length of a Body of another
	// kind (a section of a file, a stream), sent as Content-Length: the
	// transport reads Body while it sends, so nothing is held. Exactly
	// ContentLength bytes are read, never one more; a Body that ends
	// sooner fails the request with ErrBodyShort, one that fails to read
	// with KindTransient, and the server is never sent a complete
	// request in either case. The transport may still read Body, or close
	// it, after Do returns (an answer that came before the whole body was
	// sent): a Body shared with later work must stop itself.
	ContentLength int64
	// Mutating marks a call with a visible side effect (a post, a token
	// grant). A mutating call whose result was not seen fails with
	// KindOutcomeUnknown; any other with KindTransient.
	Mutating bool
	// Redact lists more secret values that must never appear in an error or
	// log line (an authorization code, a refresh token in a form body).
	Redact []string
	// Timeout, when positive, replaces the client's per-request timeout
	// (for large uploads).
	Timeout time.Duration
}

// Response is a complete response whose body was read within the size cap.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	// RetryAt is when the platform said to try again (zero if it did not).
	RetryAt time.Time

	req     *Request
	secrets []string
}

// OK reports a 2xx status.
func (r *Response) OK() bool { return r.StatusCode >= 200 && r.StatusCode < 300 }

// ContentType returns the media type of the body, lower case, without
// parameters.
func (r *Response) ContentType() string {
	ct := r.Header.Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

// Mutating reports whether the request was mutating.
func (r *Response) Mutating() bool { return r.req != nil && r.req.Mutating }

// Redact returns s with the request's secrets masked.
func (r *Response) Redact(s string) string { return redact(s, r.secrets) }

// Error returns a classified error for this response. kind 0 means
// StatusKind; reason and code are redacted. RetryAt is filled for
// rate-limited errors.
func (r *Response) Error(kind Kind, code, reason string) *Error {
	if kind == 0 {
		kind = StatusKind(r.StatusCode, r.Mutating())
	}
	if kind == 0 {
		kind = KindRejected
	}
	e := &Error{
		Kind:   kind,
		Status: r.StatusCode,
		Code:   r.Redact(code),
		Reason: r.Redact(reason),
	}
	if r.req != nil {
		e.Platform, e.Op = r.req.Platform, r.req.Op
	}
	if kind == KindRateLimited {
		e.RetryAt = r.RetryAt
	}
	return e
}

// Do sends r and reads the whole response body (at most the size cap). It
// returns a Response for every HTTP status; only failures to get a complete
// response are errors, all of them *Error.
func (c *HTTPClient) Do(ctx context.Context, r *Request) (*Response, error) {
	secrets := requestSecrets(r)
	start := c.now()
	resp, err := c.do(ctx, r, secrets)
	took := c.now().Sub(start)
	if c.onCall != nil {
		c.onCall(r.Platform, took, callClass(resp, err, r.Mutating))
	}
	attrs := []slog.Attr{
		slog.String("platform", string(r.Platform)),
		slog.String("op", r.Op),
		slog.String("method", r.Method),
		slog.String("url", safeURL(r.URL)),
		slog.Duration("duration", took),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
		c.log.LogAttrs(ctx, slog.LevelWarn, "platform request failed", attrs...)
		return nil, err
	}
	attrs = append(attrs, slog.Int("status", resp.StatusCode), slog.Int("bytes", len(resp.Body)))
	c.log.LogAttrs(ctx, slog.LevelDebug, "platform request", attrs...)
	return resp, nil
}

// callClass names the outcome of a call for OnCall.
func callClass(resp *Response, err error, mutating bool) string {
	switch {
	case err != nil:
		if k := KindOf(err); k != 0 {
			return k.String()
		}
		return KindTransient.String()
	case resp.StatusCode < 400:
		return "ok"
	}
	if k := StatusKind(resp.StatusCode, mutating); k != 0 {
		return k.String()
	}
	return KindRejected.String()
}

func (c *HTTPClient) do(ctx context.Context, r *Request, secrets []string) (*Response, error) {
	fail := func(kind Kind, reason string, cause error) *Error {
		return &Error{Kind: kind, Platform: r.Platform, Op: r.Op, Reason: redact(reason, secrets), Err: cause}
	}
	timeout := c.timeout
	if r.Timeout > 0 {
		timeout = r.Timeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// sent says whether the final attempt wrote its request. The
	// transport retries on a fresh connection only when it knows the
	// earlier attempt was not processed, so each attempt starts unsent.
	var sent atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GetConn:      func(string) { sent.Store(false) },
		WroteHeaders: func() { sent.Store(true) },
	})
	reqBody, sized, err := requestBody(r)
	if err != nil {
		return nil, fail(KindRejected, "bad request: "+err.Error(), nil)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, reqBody)
	if err != nil {
		return nil, fail(KindRejected, "bad request: "+safeErr(err, secrets), nil)
	}
	if sized != nil {
		req.ContentLength = r.ContentLength
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	req.Header.Set("User-Agent", c.userAgent)
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	if !r.Token.IsZero() {
		req.Header.Set("Authorization", "Bearer "+r.Token.Reveal())
	}
	if r.BasicUser != "" || !r.BasicPassword.IsZero() {
		req.SetBasicAuth(url.QueryEscape(r.BasicUser), url.QueryEscape(r.BasicPassword.Reveal()))
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	hresp, err := c.client.Do(req)
	if berr := sized.failure(); berr != nil {
		// The body, not the connection, failed: the server never had the
		// whole request, so even a mutating one took no effect.
		if err == nil {
			hresp.Body.Close()
		}
		return nil, c.bodyError(r, berr, sent.Load(), secrets)
	}
	if err != nil {
		return nil, c.transportError(ctx, r, err, sent.Load(), secrets)
	}
	defer hresp.Body.Close()
	out := &Response{
		StatusCode: hresp.StatusCode,
		Header:     hresp.Header,
		RetryAt:    ParseRetryAt(hresp.Header, c.now()),
		req:        r,
		secrets:    secrets,
	}
	if hresp.ContentLength > c.maxBody {
		return nil, fail(ambiguous(r.Mutating && out.OK()), fmt.Sprintf("response of %d bytes exceeds the %d-byte limit (HTTP %d)", hresp.ContentLength, c.maxBody, hresp.StatusCode), ErrResponseTooLarge)
	}
	body, err := io.ReadAll(io.LimitReader(hresp.Body, c.maxBody+1))
	if err != nil {
		return nil, c.transportError(ctx, r, fmt.Errorf("read body: %w", err), true, secrets)
	}
	if int64(len(body)) > c.maxBody {
		return nil, fail(ambiguous(r.Mutating && out.OK()), fmt.Sprintf("response exceeds the %d-byte limit (HTTP %d)", c.maxBody, hresp.StatusCode), ErrResponseTooLarge)
	}
	out.Body = body
	return out, nil
}

// transportError classifies a failure to get a complete response.
func (c *HTTPClient) transportError(ctx context.Context, r *Request, err error, sent bool, secrets []string) *Error {
	kind := ambiguous(r.Mutating && sent)
	var cause error
	reason := "connection failed: " + safeErr(err, secrets)
	switch {
	case errors.Is(err, context.Canceled):
		reason, cause = "canceled", context.Canceled
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) || isTimeout(err):
		reason, cause = "no complete response in time: "+safeErr(err, secrets), context.DeadlineExceeded
	case errors.Is(err, io.ErrUnexpectedEOF):
		reason = "response cut short: " + safeErr(err, secrets)
	}
	if sent && r.Mutating {
		reason += "; the request was sent, so it may have taken effect"
	}
	return &Error{Kind: kind, Platform: r.Platform, Op: r.Op, Reason: reason, Err: cause}
}

// bodyError classifies a request whose own body failed: a body shorter
// than announced is the caller's mistake (rejected), a read error may pass
// (transient). A mutating request whose headers went out stays of unknown
// outcome: its server may have acted before it missed the rest.
func (c *HTTPClient) bodyError(r *Request, err error, sent bool, secrets []string) *Error {
	e := &Error{Kind: KindTransient, Platform: r.Platform, Op: r.Op, Reason: "read the request body: " + safeErr(err, secrets)}
	var short shortBody
	if errors.As(err, &short) {
		e.Kind, e.Reason, e.Err = KindRejected, short.Error(), ErrBodyShort
	}
	if r.Mutating && sent {
		e.Kind = KindOutcomeUnknown
		e.Reason += "; the request was sent in part, so it may have taken effect"
	}
	return e
}

// requestBody returns the body to send for r: r.Body, or, with a
// ContentLength, a sizedBody over it.
func requestBody(r *Request) (io.Reader, *sizedBody, error) {
	switch {
	case r.ContentLength < 0:
		return nil, nil, fmt.Errorf("negative content length %d", r.ContentLength)
	case r.ContentLength == 0:
		return r.Body, nil, nil
	case r.Body == nil:
		return nil, nil, fmt.Errorf("a content length of %d bytes without a body", r.ContentLength)
	}
	sb := &sizedBody{r: r.Body, left: r.ContentLength, size: r.ContentLength}
	return sb, sb, nil
}

// sizedBody reads exactly size bytes of r for the transport and records
// why it could not.
type sizedBody struct {
	r          io.Reader
	left, size int64
	mu         sync.Mutex // guards err: the transport reads in its own goroutine
	err        error
}

func (b *sizedBody) Read(p []byte) (int, error) {
	if b.left == 0 {
		return 0, io.EOF // what follows the announced bytes is not read
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	switch {
	case err == io.EOF && b.left > 0:
		err = shortBody{got: b.size - b.left, size: b.size}
	case err == io.EOF:
		return n, io.EOF
	case err == nil:
		return n, nil
	}
	b.mu.Lock()
	b.err = err
	b.mu.Unlock()
	return n, err
}

// shortBody is the error of a body that ended after got of its size bytes.
type shortBody struct{ got, size int64 }

func (e shortBody) Error() string {
	return fmt.Sprintf("the request body ended after %d of its %d bytes", e.got, e.size)
}

func (e shortBody) Unwrap() error { return ErrBodyShort }

// Close closes r when it is an io.Closer: the transport closes what it was
// given, as it would r itself.
func (b *sizedBody) Close() error {
	if c, ok := b.r.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// failure returns why the body could not be read (nil if it could, or if b
// is nil).
func (b *sizedBody) failure() error {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// safeErr returns err's text without the URL that *url.Error adds and with
// secrets masked.
func safeErr(err error, secrets []string) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return redact(err.Error(), secrets)
}

// safeURL returns u without its query and fragment, for logs.
func safeURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable url)"
	}
	p.RawQuery, p.Fragment, p.User = "", "", nil
	return p.String()
}

func requestSecrets(r *Request) []string {
	s := append([]string(nil), r.Redact...)
	s = append(s, r.Token.Reveal(), r.BasicPassword.Reveal())
	return s
}

// redact masks every secret of at least 4 bytes in s, in clear and in URL
// query encoding.
func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) < 4 {
			continue
		}
		s = strings.ReplaceAll(s, sec, snsos.Mask)
		if q := url.QueryEscape(sec); q != sec {
			s = strings.ReplaceAll(s, q, snsos.Mask)
		}
	}
	return s
}

// Redact masks every secret of at least 4 bytes in s. Clients use it for
// text they build from platform responses outside a Response.
func Redact(s string, secrets ...string) string { return redact(s, secrets) }

// ParseRetryAt returns when the platform allows the next call, from
// Retry-After (seconds or an HTTP date), x-rate-limit-reset (epoch seconds),
// and the X daily windows x-user-limit-24hour-reset / x-app-limit-24hour-reset
// when their remaining count is 0. It returns the latest of them, or the zero
// time when none is present or valid. Values in the past become now.
func ParseRetryAt(h http.Header, now time.Time) time.Time {
	var at time.Time
	later := func(t time.Time) {
		if t.After(at) {
			at = t
		}
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 && n < 7*24*3600 {
			later(now.Add(time.Duration(n) * time.Second))
		} else if t, err := http.ParseTime(v); err == nil {
			later(t)
		}
	}
	epoch := func(name string) {
		v := strings.TrimSpace(h.Get(name))
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 && n < 1<<40 {
			later(time.Unix(n, 0))
		}
	}
	epoch("X-Rate-Limit-Reset")
	for _, w := range []string{"X-User-Limit-24hour", "X-App-Limit-24hour"} {
		if strings.TrimSpace(h.Get(w+"-Remaining")) == "0" {
			epoch(w + "-Reset")
		}
	}
	if !at.IsZero() && at.Before(now) {
		at = now
	}
	return at
}

// StdClient returns an *http.Client that sends through c (size cap, timeouts,
// User-Agent, classification and redaction) for libraries that want one,
// such as golang.org/x/oauth2. Its transport errors are *Error values
// wrapped in *url.Error; the redact values are masked like Request.Redact.
func (c *HTTPClient) StdClient(p snsos.Platform, op string, mutating bool, redact ...string) *http.Client {
	return &http.Client{
		Transport:     &stdTransport{c: c, platform: p, op: op, mutating: mutating, redact: redact},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

type stdTransport struct {
	c        *HTTPClient
	platform snsos.Platform
	op       string
	mutating bool
	redact   []string
}

func (t *stdTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := &Request{
		Platform: t.platform,
		Op:       t.op,
		Method:   req.Method,
		URL:      req.URL.String(),
		Header:   req.Header.Clone(),
		Mutating: t.mutating,
		Redact:   t.redact,
	}
	if auth := req.Header.Get("Authorization"); auth != "" {
		if _, pw, ok := req.BasicAuth(); ok {
			r.Redact = append(r.Redact, pw)
		}
		r.Redact = append(r.Redact, strings.TrimPrefix(strings.TrimPrefix(auth, "Bearer "), "Basic "))
	}
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, &Error{Kind: KindTransient, Platform: t.platform, Op: t.op, Reason: "read request body: " + safeErr(err, r.Redact)}
		}
		r.Body = bytes.NewReader(b)
	}
	resp, err := t.c.Do(req.Context(), r)
	if err != nil {
		return nil, err
	}
	return &http.Response{
		Status:        strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode),
		StatusCode:    resp.StatusCode,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        resp.Header,
		Body:          io.NopCloser(bytes.NewReader(resp.Body)),
		ContentLength: int64(len(resp.Body)),
		Request:       req,
	}, nil
}

// NewResponse returns a Response as Do would for req (which may be nil),
// for fakes, fixtures and fuzz tests of response decoders.
func NewResponse(status int, header http.Header, body []byte, req *Request) *Response {
	if header == nil {
		header = http.Header{}
	}
	r := &Response{StatusCode: status, Header: header, Body: body, req: req, RetryAt: ParseRetryAt(header, time.Now())}
	if req != nil {
		r.secrets = requestSecrets(req)
	}
	return r
}
