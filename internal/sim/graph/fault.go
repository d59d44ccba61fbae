package graph

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A FaultKind says what an injected fault does to the request it matches.
type FaultKind string

// The fault kinds. "Before" kinds answer without touching state; "after
// commit" kinds let the request run to completion (a container is
// created, a publish is committed) and then spoil the response.
const (
	// FaultStatus answers Fault.Status (default 503) with Graph's
	// transient error (code Fault.Code, default 2, is_transient true),
	// before anything is stored.
	FaultStatus FaultKind = "status"

	// FaultHTML answers Fault.Status (default 503) with a text/html page,
	// as a proxy in front of the API would.
	FaultHTML FaultKind = "html"

	// FaultHang blocks until the client gives up or the simulator is
	// closed, before anything is stored.
	FaultHang FaultKind = "hang"

	// FaultHangAfterCommit runs the request to completion and then blocks
	// like FaultHang, discarding the answer: "published but the publish
	// call timed out".
	FaultHangAfterCommit FaultKind = "hang_after_commit"

	// FaultStatusAfterCommit runs the request to completion and then
	// answers like FaultStatus instead.
	FaultStatusAfterCommit FaultKind = "status_after_commit"

	// FaultTruncated runs the request to completion and sends its status,
	// headers and a Content-Length for the full body, but only half the
	// body, then drops the connection.
	FaultTruncated FaultKind = "truncated"

	// FaultRateLimit answers HTTP Fault.Status (default 400) with Graph
	// throttle code Fault.Code (4, 17, 32, 613 or 80002; default the
	// simulator's) and an X-Business-Use-Case-Usage header whose
	// estimated_time_to_regain_access is Fault.Reset in minutes (default
	// 1).
	FaultRateLimit FaultKind = "rate_limit"

	// FaultUnauthorized answers the 190/463 expired-session error. The
	// token itself stays valid.
	FaultUnauthorized FaultKind = "unauthorized"

	// FaultContainerNotFound answers code 100 subcode 33 for the container
	// the request names (creation_id, or the {id} of the path).
	FaultContainerNotFound FaultKind = "container_not_found"

	// FaultMediaError makes the container the request names (creation_id
	// or the path's {id}; for a create request, the container it creates)
	// report ERROR with Fault.Code and Fault.Message as the simulator
	// documents, then runs the request normally.
	FaultMediaError FaultKind = "media_error"

	// FaultFetchFail makes the next media fetch fail as if the host were
	// unreachable, then runs the request normally.
	FaultFetchFail FaultKind = "fetch_fail"
)

var faultKinds = []FaultKind{FaultStatus, FaultHTML, FaultHang, FaultHangAfterCommit, FaultStatusAfterCommit,
	FaultTruncated, FaultRateLimit, FaultUnauthorized, FaultContainerNotFound, FaultMediaError, FaultFetchFail}

// A Fault is a planned misbehaviour for the next matching requests, e.g.
//
//	sim.InjectFault(instagram.Fault{Match: "POST /{id}/media_publish", Kind: instagram.FaultHangAfterCommit})
//	sim.InjectFault(threads.Fault{Match: "GET /{id}", Kind: threads.FaultMediaError, Message: "FAILED_PROCESSING_VIDEO"})
type Fault struct {
	// Match selects requests as "METHOD /path", where a segment written
	// {name} matches any one segment, a trailing "/..." any rest and the
	// method "*" any method. Paths are as the simulator sees them: after
	// any http.StripPrefix and WITHOUT the /vNN.N version prefix, e.g.
	// "POST /{id}/media_publish". The query string is ignored.
	Match string

	// Kind is what happens. Required.
	Kind FaultKind

	// Status is the HTTP status of FaultStatus, FaultHTML and
	// FaultStatusAfterCommit (0 means 503) and of FaultRateLimit (0 means
	// 400).
	Status int

	// Times is how many matching requests the fault affects; 0 means
	// once, a negative value means until ClearFaults.
	Times int

	// Code is the Graph code of FaultStatus (default 2) and FaultRateLimit,
	// and the error code of FaultMediaError (see the simulator).
	Code int

	// Message replaces the error message of FaultStatus, FaultRateLimit
	// and FaultUnauthorized, and is the failure of FaultMediaError.
	Message string

	// Reset is FaultRateLimit's estimated time to regain access.
	Reset time.Duration

	// Body and ContentType, when set, replace the response body of
	// FaultStatus, FaultHTML and FaultStatusAfterCommit.
	Body, ContentType string
}

type faultRec struct {
	Fault
	method string
	segs   []string
	left   int // < 0: unlimited
}

// Faults is a queue of faults. It is safe for concurrent use.
type Faults struct {
	mu      sync.Mutex
	list    []*faultRec
	closing chan struct{}
	once    sync.Once
}

// NewFaults returns an empty queue.
func NewFaults() *Faults { return &Faults{closing: make(chan struct{})} }

// Inject queues f. Faults are tried in the order they were queued and the
// first that matches a request fires. It panics on a malformed Match or an
// unknown Kind, like http.ServeMux.Handle.
func (q *Faults) Inject(f Fault) {
	method, path, ok := strings.Cut(strings.TrimSpace(f.Match), " ")
	path = strings.TrimSpace(path)
	if !ok || method == "" || !strings.HasPrefix(path, "/") {
		panic("graph sim: InjectFault: Match must look like \"POST /{id}/media_publish\", got " + strconv.Quote(f.Match))
	}
	if _, v := StripVersion(path); v != "" {
		panic("graph sim: InjectFault: Match paths have no version prefix, got " + strconv.Quote(f.Match))
	}
	known := false
	for _, k := range faultKinds {
		known = known || k == f.Kind
	}
	if !known {
		panic("graph sim: InjectFault: unknown Kind " + strconv.Quote(string(f.Kind)))
	}
	left := f.Times
	if left == 0 {
		left = 1
	}
	rec := &faultRec{Fault: f, method: strings.ToUpper(method), segs: strings.Split(strings.Trim(path, "/"), "/"), left: left}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.list = append(q.list, rec)
}

// Clear drops every queued fault.
func (q *Faults) Clear() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.list = nil
}

// Close releases every request blocked by a hang fault, now and later.
func (q *Faults) Close() { q.once.Do(func() { close(q.closing) }) }

// Hang blocks until ctx is done or Close is called.
func (q *Faults) Hang(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-q.closing:
	}
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

// Take removes one firing of the first fault matching the request and
// returns it, or nil.
func (q *Faults) Take(method, path string) *Fault {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, f := range q.list {
		if !f.matches(method, path) {
			continue
		}
		if f.left > 0 {
			f.left--
			if f.left == 0 {
				q.list = append(q.list[:i:i], q.list[i+1:]...)
			}
		}
		out := f.Fault
		return &out
	}
	return nil
}

// usageHeader is the X-Business-Use-Case-Usage value of a throttled
// account.
func usageHeader(account, typ string, regain time.Duration) string {
	b, _ := json.Marshal(map[string]any{account: []map[string]any{{
		"type": typ, "call_count": 100, "total_cputime": 37, "total_time": 52,
		"estimated_time_to_regain_access": int(regain / time.Minute),
	}}})
	return string(b)
}

// throttleMessages are Graph's messages for the throttle codes.
var throttleMessages = map[int]string{
	4:     "(#4) Application request limit reached",
	17:    "(#17) User request limit reached",
	32:    "(#32) Page request limit reached",
	613:   "(#613) Calls to this api have exceeded the rate limit.",
	80002: "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
}
