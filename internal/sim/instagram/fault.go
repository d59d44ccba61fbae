package instagram

import (
	"strconv"

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
func (s *Sim) InjectFault(f Fault) { s.core.InjectFault(f) }

// ClearFaults drops every queued fault.
func (s *Sim) ClearFaults() { s.core.ClearFaults() }

// mediaFailure is the status FaultMediaError gives a container.
func mediaFailure(f Fault) string {
	if f.Message != "" {
		return f.Message
	}
	if f.Code != 0 {
		return uploadFailed(f.Code)
	}
	return uploadFailed(DefaultMediaErrorCode)
}

// uploadFailed is the status string of a container in ERROR.
func uploadFailed(code int) string {
	return "Error: Media upload has failed with error code " + strconv.Itoa(code)
}
