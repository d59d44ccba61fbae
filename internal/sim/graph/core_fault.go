package graph

import (
	"net/http"
	"strings"
	"time"
)

// NewContainerLocked returns a new container of ownerID created now whose
// processing takes processing. The Core keeps it for the faults that name
// containers.
func (c *Core) NewContainerLocked(ownerID string, processing time.Duration) *Container {
	ct := NewContainer(c.containerIDs.Next(), ownerID, c.NowLocked(), processing)
	c.containers[ct.ID] = ct
	return ct
}

// InjectFault queues f; see Faults.Inject.
func (c *Core) InjectFault(f Fault) { c.faults.Inject(f) }

// ClearFaults drops every queued fault.
func (c *Core) ClearFaults() { c.faults.Clear() }

// faultEnv describes r for a fault: the caller's account (from the token,
// else the path's first segment) and the container the request names
// (creation_id, else the path's first segment).
func (c *Core) faultEnv(r *http.Request) FaultEnv {
	call := CallFrom(r)
	c.mu.Lock()
	defer c.mu.Unlock()
	env := FaultEnv{
		Routes: c.mux, ErrorType: c.cfg.ErrorType, UsageType: c.cfg.UsageType, ThrottleCode: c.cfg.ThrottleCode,
		Now: c.NowLocked(), FailContainer: c.failContainer, Fetcher: c.fetcher, Log: c.log,
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(call.Path, "/"), "/")
	if t := c.tokens.Lookup(call.Token); t != nil {
		env.Account = t.UserID
	} else if a := c.byID[first]; a != nil {
		env.Account = a.UserID
	}
	switch id := call.Params.Get("creation_id"); {
	case id != "":
		env.Container = id
	case c.containers[first] != nil:
		env.Container = first
	}
	return env
}

// failContainer applies FaultMediaError to container id.
func (c *Core) failContainer(id string, f Fault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ct := c.containers[id]; ct != nil {
		ct.Fail(c.cfg.MediaFailure(f), c.NowLocked())
	}
}
