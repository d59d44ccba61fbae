package instagram

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/sns-os/snsos/internal/sim/graph"
)

// A Fault is a planned misbehaviour; see graph.Fault. Match paths have no
// version prefix, e.g. "POST /{id}/media_publish" or "GET /{id}".
//
// For FaultMediaError, Code is the error code of the container's status
// "Error: Media upload has failed with error code NNNN" (default 2207026,
// video format not supported) and Message, when set, replaces that whole
// status string. FaultRateLimit's default code is 80002 (Instagram's
// business-use-case throttle).
type Fault = graph.Fault

// A FaultKind says what a Fault does; see the graph.Fault* constants.
type FaultKind = graph.FaultKind

// The fault kinds, documented at their graph counterparts.
const (
	FaultStatus            = graph.FaultStatus
	FaultHTML              = graph.FaultHTML
	FaultHang              = graph.FaultHang
	FaultHangAfterCommit   = graph.FaultHangAfterCommit
	FaultStatusAfterCommit = graph.FaultStatusAfterCommit
	FaultTruncated         = graph.FaultTruncated
	FaultRateLimit         = graph.FaultRateLimit
	FaultUnauthorized      = graph.FaultUnauthorized
	FaultContainerNotFound = graph.FaultContainerNotFound
	FaultMediaError        = graph.FaultMediaError
	FaultFetchFail         = graph.FaultFetchFail
)

// DefaultMediaErrorCode is the error code of FaultMediaError without Code.
const DefaultMediaErrorCode = 2207026

// InjectFault queues f. Faults are tried in the order they were queued and
// the first one that matches a request fires. It panics on a malformed
// Match or an unknown Kind, like http.ServeMux.Handle.
func (s *Sim) InjectFault(f Fault) { s.faults.Inject(f) }

// ClearFaults drops every queued fault.
func (s *Sim) ClearFaults() { s.faults.Clear() }

// faultEnv describes r for a fault.
func (s *Sim) faultEnv(r *http.Request) graph.FaultEnv {
	c := graph.CallFrom(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	env := graph.FaultEnv{
		Routes: s.mux, ErrorType: graph.TypeIGAPI, UsageType: "instagram", ThrottleCode: 80002,
		Now: s.now(), FailContainer: s.failContainer, Fetcher: s.fetcher, Log: s.log,
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(c.Path, "/"), "/")
	if t := s.tokens.Lookup(c.Token); t != nil {
		env.Account = t.UserID
	} else if u := s.byID[first]; u != nil {
		env.Account = u.UserID
	}
	switch id := c.Params.Get("creation_id"); {
	case id != "":
		env.Container = id
	case s.containers[first] != nil:
		env.Container = first
	}
	return env
}

// failContainer applies FaultMediaError to container id.
func (s *Sim) failContainer(id string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.containers[id]
	if c == nil {
		return
	}
	reason := f.Message
	if reason == "" {
		reason = uploadFailed(orDefault(f.Code, DefaultMediaErrorCode))
	}
	c.Fail(reason, s.now())
}

// uploadFailed is the status string of a container in ERROR.
func uploadFailed(code int) string {
	return "Error: Media upload has failed with error code " + strconv.Itoa(code)
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
