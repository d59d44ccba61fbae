package tiktok

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// A FaultKind says what an injected fault does to the request it matches.
type FaultKind string

// The fault kinds. "Before" kinds answer without touching state; "after
// commit" kinds let the request run to completion (a publish is created,
// a chunk accepted) and then spoil the answer.
const (
	// FaultStatus answers Fault.Status (default 503) with the envelope
	// error Fault.Code (default internal_error), or on /v2/oauth/ paths
	// the OAuth error server_error, before anything is stored.
	FaultStatus FaultKind = "status"

	// FaultHTML answers Fault.Status (default 503) with a text/html page,
	// as a proxy in front of the API would.
	FaultHTML FaultKind = "html"

	// FaultHang blocks until the client gives up or Sim.Close is called,
	// before anything is stored.
	FaultHang FaultKind = "hang"

	// FaultHangAfterCommit runs the request to completion and then blocks
	// like FaultHang, discarding the answer: "the init created a publish
	// but the call timed out".
	FaultHangAfterCommit FaultKind = "hang_after_commit"

	// FaultStatusAfterCommit runs the request to completion and then
	// answers like FaultStatus instead.
	FaultStatusAfterCommit FaultKind = "status_after_commit"

	// FaultTruncated runs the request to completion and sends its status,
	// headers and a Content-Length for the full body, but only half the
	// body, then drops the connection.
	FaultTruncated FaultKind = "truncated"

	// FaultRateLimit answers 429 rate_limit_exceeded (on /v2/oauth/ paths
	// the OAuth error temporarily_unavailable). TikTok sends no rate-limit
	// headers.
	FaultRateLimit FaultKind = "rate_limit"

	// FaultUnauthorized answers 401 access_token_invalid (on /v2/oauth/
	// paths 400 invalid_grant). The token itself stays valid.
	FaultUnauthorized FaultKind = "unauthorized"

	// FaultUploadURLExpired expires the upload_url the request names (a
	// PUT's upload_id) for good and answers 403, as after the hour.
	FaultUploadURLExpired FaultKind = "upload_url_expired"

	// FaultProcessingFailed makes the publish the request names (the
	// publish_id of its body, the upload_id of a PUT, or the publish an
	// init creates) end FAILED with Fault.FailReason (default
	// "internal") once its processing ends; the request then runs
	// normally. A publish that has already ended is not changed.
	FaultProcessingFailed FaultKind = "processing_failed"

	// FaultSpamRisk answers the spam error Fault.Code (default
	// spam_risk_too_many_posts; also spam_risk_user_banned_from_posting,
	// reached_active_user_cap, spam_risk_too_many_pending_share): HTTP 200
	// on creator_info as TikTok answers there, 403 elsewhere, or
	// Fault.Status when set. Nothing is stored.
	FaultSpamRisk FaultKind = "spam_risk"
)

var faultKinds = []FaultKind{FaultStatus, FaultHTML, FaultHang, FaultHangAfterCommit, FaultStatusAfterCommit,
	FaultTruncated, FaultRateLimit, FaultUnauthorized, FaultUploadURLExpired, FaultProcessingFailed, FaultSpamRisk}

// A Fault is a planned misbehaviour for the next matching requests, e.g.
//
//	sim.InjectFault(tiktok.Fault{Match: "POST /v2/post/publish/video/init/", Kind: tiktok.FaultHangAfterCommit})
//	sim.InjectFault(tiktok.Fault{Match: "PUT /upload/video/", Kind: tiktok.FaultStatus, Status: 502, Times: 2})
//	sim.InjectFault(tiktok.Fault{Match: "POST /v2/post/publish/status/fetch/", Kind: tiktok.FaultProcessingFailed,
//		FailReason: "duration_check_failed"})
type Fault struct {
	// Match selects requests as "METHOD /path", where a segment written
	// {name} matches any one segment, a trailing "/..." any rest and the
	// method "*" any method. Trailing slashes and the query string are
	// ignored; paths are as the simulator sees them (after any
	// http.StripPrefix).
	Match string

	// Kind is what happens. Required.
	Kind FaultKind

	// Status is the HTTP status of FaultStatus, FaultHTML,
	// FaultStatusAfterCommit (0 means 503) and FaultSpamRisk.
	Status int

	// Times is how many matching requests the fault affects; 0 means once,
	// a negative value means until ClearFaults.
	Times int

	// Code is the envelope error code of FaultStatus and FaultSpamRisk.
	Code string

	// FailReason is FaultProcessingFailed's fail_reason, e.g.
	// "file_format_check_failed" or "spam_risk_text".
	FailReason string

	// Message replaces the error message.
	Message string

	// Body and ContentType, when set, replace the body of FaultStatus,
	// FaultHTML and FaultStatusAfterCommit.
	Body, ContentType string
}

type faultRec struct {
	Fault
	method string
	segs   []string
	left   int // < 0: unlimited
}

// InjectFault queues f. Faults are tried in the order they were queued and
// the first that matches a request fires. It panics on a malformed Match
// or an unknown Kind, like http.ServeMux.Handle.
func (s *Sim) InjectFault(f Fault) {
	method, path, ok := strings.Cut(strings.TrimSpace(f.Match), " ")
	path = strings.TrimSpace(path)
	if !ok || method == "" || !strings.HasPrefix(path, "/") {
		panic("tiktok sim: InjectFault: Match must look like \"POST /v2/post/publish/video/init/\", got " + strconv.Quote(f.Match))
	}
	if !slices.Contains(faultKinds, f.Kind) {
		panic("tiktok sim: InjectFault: unknown Kind " + strconv.Quote(string(f.Kind)))
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

func (f *faultRec) matches(method, path string) bool {
	if f.method != "*" && f.method != method {
		return false
	}
	got := strings.Split(strings.Trim(path, "/"), "/")
	for i, seg := range f.segs {
		if seg == "..." && i == len(f.segs)-1 {
			return true
		}
		if i >= len(got) {
			return false
		}
		if !(strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}")) && seg != got[i] {
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
		if !f.matches(r.Method, r.URL.Path) {
			continue
		}
		if f.left > 0 {
			f.left--
			if f.left == 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
		}
		out := f.Fault
		return &out
	}
	return nil
}
