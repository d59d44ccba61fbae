package threads

import (
	"cmp"

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
func (s *Sim) InjectFault(f Fault) { s.core.InjectFault(f) }

// ClearFaults drops every queued fault.
func (s *Sim) ClearFaults() { s.core.ClearFaults() }

// mediaFailure is the error_message FaultMediaError gives a container.
func mediaFailure(f Fault) string { return cmp.Or(f.Message, DefaultMediaError) }
