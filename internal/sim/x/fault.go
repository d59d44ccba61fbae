package x

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// A FaultKind says what an injected fault does to the request it matches.
type FaultKind string

// The fault kinds. "Before" kinds answer without touching state (nothing is
// stored); "after" kinds let the request run to completion, so its effect
// (a stored post, an accepted segment) is committed, and then spoil the
// response.
const (
	// FaultStatus answers Fault.Status (default 503) with a problem+json
	// body, before anything is stored. Use 500, 502, 503 or 504.
	FaultStatus FaultKind = "status"

	// FaultRateLimit answers 429 Too Many Requests with the route's real
	// x-rate-limit-limit, x-rate-limit-remaining: 0 and x-rate-limit-reset
	// (now + Fault.Reset, default the route's window) headers.
	FaultRateLimit FaultKind = "rate_limit"

	// FaultUsageCap answers 429 with the UsageCapExceeded body
	// (type …/problems/usage-capped, period Monthly, scope Product), which a
	// client must not retry.
	FaultUsageCap FaultKind = "usage_cap"

	// FaultCredits answers 402 with the CreditsDepleted body.
	FaultCredits FaultKind = "credits"

	// FaultHTML answers Fault.Status (default 503) with a text/html error
	// page instead of JSON, as a proxy in front of the API would.
	FaultHTML FaultKind = "html"

	// FaultUnauthorized answers 401 with X's Unauthorized problem, as for an
	// expired or revoked token. The token itself stays valid (use RevokeUser
	// or the clock for a real revocation or expiry).
	FaultUnauthorized FaultKind = "unauthorized"

	// FaultHang blocks until the request's context is canceled (the client
	// gave up) or Sim.Close is called, before anything is stored.
	FaultHang FaultKind = "hang"

	// FaultHangAfterCommit runs the request to completion (the post is
	// stored) and then blocks like FaultHang, discarding the response: the
	// "timeout after commit" case.
	FaultHangAfterCommit FaultKind = "hang_after_commit"

	// FaultStatusAfterCommit runs the request to completion (the post is
	// stored) and then answers Fault.Status (default 503) instead of the
	// real response.
	FaultStatusAfterCommit FaultKind = "status_after_commit"

	// FaultTruncated runs the request to completion and sends its status and
	// headers with a Content-Length for the full body, but only the first
	// half of the body, then drops the connection (the client reads an
	// unexpected EOF).
	FaultTruncated FaultKind = "truncated"

	// FaultMediaFailed marks the media the request names (the {id} of
	// finalize or append, or media_id of STATUS) as failed processing; the
	// request then runs normally, so STATUS reports state "failed" with
	// error {code 1, name InvalidMedia, message Fault.Message}. Match
	// "POST /2/media/upload/{id}/finalize" or "GET /2/media/upload".
	FaultMediaFailed FaultKind = "media_failed"
)

// A Fault is a planned misbehaviour for the next matching requests. Build
// one as a literal, e.g.
//
//	sim.InjectFault(xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultStatus, Status: 503})
//	sim.InjectFault(xsim.Fault{Match: "POST /2/tweets", Kind: xsim.FaultHangAfterCommit})
//	sim.InjectFault(xsim.Fault{Match: "POST /2/media/upload/{id}/append", Kind: xsim.FaultRateLimit, Times: 2})
type Fault struct {
	// Match selects requests as "METHOD /path", where a path segment
	// written {name} matches any one segment and a trailing "/..." matches
	// any rest. Examples: "POST /2/tweets", "POST /2/media/upload/{id}/append",
	// "GET /2/tweets", "* /2/..." (any method). The query string is ignored.
	// Paths are as the Sim sees them, i.e. after any http.StripPrefix.
	Match string

	// Kind is what happens. Required.
	Kind FaultKind

	// Status is the HTTP status for FaultStatus, FaultHTML and
	// FaultStatusAfterCommit; 0 means 503.
	Status int

	// Times is how many matching requests the fault affects; 0 means once,
	// a negative value means until ClearFaults.
	Times int

	// Reset is, for FaultRateLimit and FaultUsageCap, how far from now
	// x-rate-limit-reset points; 0 means the route's window (15 minutes).
	Reset time.Duration

	// Body and ContentType, when set, replace the response body (and its
	// Content-Type) of FaultStatus, FaultHTML, FaultCredits, FaultUsageCap
	// and FaultStatusAfterCommit, e.g. to send the other 402 variant.
	Body, ContentType string

	// Message is the processing error message for FaultMediaFailed.
	Message string
}

type faultRec struct {
	Fault
	method string
	segs   []string
	left   int // < 0: unlimited
}

// InjectFault queues f. Faults are tried in the order they were queued and
// the first one that matches a request fires. It panics on a malformed
// Match or an unknown Kind, like http.ServeMux.Handle.
func (s *Sim) InjectFault(f Fault) {
	method, path, ok := strings.Cut(strings.TrimSpace(f.Match), " ")
	path = strings.TrimSpace(path)
	if !ok || method == "" || !strings.HasPrefix(path, "/") {
		panic("xsim: InjectFault: Match must look like \"POST /2/tweets\", got " + strconv.Quote(f.Match))
	}
	switch f.Kind {
	case FaultStatus, FaultRateLimit, FaultUsageCap, FaultCredits, FaultHTML, FaultUnauthorized,
		FaultHang, FaultHangAfterCommit, FaultStatusAfterCommit, FaultTruncated, FaultMediaFailed:
	default:
		panic("xsim: InjectFault: unknown Kind " + strconv.Quote(string(f.Kind)))
	}
	left := f.Times
	if left == 0 {
		left = 1
	}
	rec := &faultRec{Fault: f, method: strings.ToUpper(method), segs: strings.Split(strings.Trim(path, "/"), "/"), left: left}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, rec)
}

// ClearFaults drops every queued fault.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (f *faultRec) matches(r *http.Request) bool {
	if f.method != "*" && f.method != r.Method {
		return false
	}
	got := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	for i, seg := range f.segs {
		if seg == "..." && i == len(f.segs)-1 {
			return true
		}
		if i >= len(got) {
			return false
		}
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			continue
		}
		if seg != got[i] {
			return false
		}
	}
	return len(got) == len(f.segs)
}

// takeFault removes one firing of the first fault matching r.
func (s *Sim) takeFault(r *http.Request) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if !f.matches(r) {
			continue
		}
		if f.left > 0 {
			f.left--
			if f.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		out := f.Fault
		return &out
	}
	return nil
}

// serveFault answers r according to f.
func (s *Sim) serveFault(w http.ResponseWriter, r *http.Request, f *Fault) {
	s.log.Info("xsim: injecting fault", "kind", string(f.Kind), "method", r.Method, "path", r.URL.Path)
	status := f.Status
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	switch f.Kind {
	case FaultStatus:
		s.writeFaultBody(w, f, status, statusProblem(status))
	case FaultRateLimit:
		s.faultHeaders(w, r, f)
		tooManyRequests(w)
	case FaultUsageCap:
		s.faultHeaders(w, r, f)
		s.writeFaultBody(w, f, http.StatusTooManyRequests, map[string]any{
			"title": "UsageCapExceeded", "detail": "Usage cap exceeded: Monthly product cap",
			"type": problemUsageCapped, "period": "Monthly", "scope": "Product",
		})
	case FaultCredits:
		s.writeFaultBody(w, f, http.StatusPaymentRequired, map[string]any{
			"title": "CreditsDepleted", "detail": "Your enrolled account does not have any credits",
			"type": problemCredits,
		})
	case FaultHTML:
		if f.Body == "" {
			f.Body = "<!DOCTYPE html><html><head><title>" + http.StatusText(status) +
				"</title></head><body><h1>Something went wrong</h1><p>Over capacity. Please try again later.</p></body></html>\n"
			f.ContentType = "text/html; charset=utf-8"
		}
		s.writeFaultBody(w, f, status, nil)
	case FaultUnauthorized:
		unauthorized(w)
	case FaultHang:
		s.hang(r.Context())
	case FaultMediaFailed:
		s.failMedia(r, f.Message)
		s.mux.ServeHTTP(w, r)
	case FaultHangAfterCommit, FaultStatusAfterCommit, FaultTruncated:
		rec := &recorder{header: make(http.Header)}
		s.mux.ServeHTTP(rec, r)
		switch f.Kind {
		case FaultHangAfterCommit:
			s.hang(r.Context())
		case FaultStatusAfterCommit:
			s.writeFaultBody(w, f, status, statusProblem(status))
		case FaultTruncated:
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			body := rec.body.Bytes()
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(rec.statusCode())
			_, _ = w.Write(body[:len(body)/2])
		}
	}
}

// hang blocks until ctx is done or the Sim is closed.
func (s *Sim) hang(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-s.closing:
	}
}

// faultHeaders sets exhausted rate-limit headers for the route r matches.
func (s *Sim) faultHeaders(w http.ResponseWriter, r *http.Request, f *Fault) {
	_, pattern := s.mux.Handler(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exhaustHeaders(w.Header(), pattern, f.Reset)
}

func (s *Sim) writeFaultBody(w http.ResponseWriter, f *Fault, status int, def any) {
	if f.Body == "" {
		writeProblem(w, status, def)
		return
	}
	ct := f.ContentType
	if ct == "" {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(f.Body))
}

// statusProblem is the problem body for a server-side status.
func statusProblem(status int) map[string]any {
	text := http.StatusText(status)
	if text == "" {
		text = "Error"
	}
	return map[string]any{"title": text, "detail": text, "type": "about:blank", "status": status}
}

// recorder buffers a response so a fault can spoil it after the handler ran.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

func (r *recorder) statusCode() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}
