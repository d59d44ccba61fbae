package threads

import (
	"net/http"
	"strings"

	"github.com/sns-os/snsos/internal/sim/graph"
)

// A Fault is a planned misbehaviour; see graph.Fault. Match paths have no
// version prefix, e.g. "POST /{id}/threads_publish" or "GET /{id}".
//
// For FaultMediaError, Message is the container's error_message (default
// FAILED_DOWNLOADING_VIDEO); Code is not used. FaultRateLimit's default
// code is 4.
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

// DefaultMediaError is the error_message of FaultMediaError without
// Message.
const DefaultMediaError = "FAILED_DOWNLOADING_VIDEO"

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
		Routes: s.mux, ErrorType: graph.TypeThreads, UsageType: "threads", ThrottleCode: 4,
		Now: s.now(), FailContainer: s.failContainer, Fetcher: s.fetcher, Log: s.log,
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(c.Path, "/"), "/")
	if t := s.tokens.Lookup(c.Token); t != nil {
		env.Account = t.UserID
	} else if u := s.byID[first]; u != nil {
		env.Account = u.ID
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
		reason = DefaultMediaError
	}
	c.Fail(reason, s.now())
}
