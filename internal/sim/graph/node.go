package graph

import (
	"net/http"
	"strings"
	"time"
)

// stampLayout is how Graph writes timestamps.
const stampLayout = "2006-01-02T15:04:05-0700"

// Stamp writes t as Graph does: "2026-11-20T09:00:00+0000".
func Stamp(t time.Time) string { return t.UTC().Format(stampLayout) }

// Pick returns the requested fields of all (which lists each field's
// value; a missing key leaves the field out) and, as Graph does, the id.
func Pick(fields []string, all map[string]any) map[string]any {
	out := make(map[string]any, len(fields)+1)
	if id, ok := all["id"]; ok {
		out["id"] = id
	}
	for _, f := range fields {
		if v, ok := all[f]; ok {
			out[f] = v
		}
	}
	return out
}

// A NodeRequest is a GET /{id} that a simulator resolves.
type NodeRequest struct {
	// Caller is the authenticated account.
	Caller *Account
	// ID is the path's {id}.
	ID string
	// Fields are the requested fields, at least "id".
	Fields []string
	// Base is the base URL for links.
	Base string
	// Now is the simulator's time.
	Now time.Time
}

// ServeNode serves GET /{id}: it authenticates the caller, reads the
// fields parameter (default id) and calls resolve with the Core locked.
// resolve returns the object, an error, or nil and nil for an id the
// caller cannot see, which gets the 100/33 error.
func (c *Core) ServeNode(w http.ResponseWriter, r *http.Request, resolve func(NodeRequest) (map[string]any, *Error)) {
	a, _, ok := c.Auth(w, r)
	if !ok {
		return
	}
	req := NodeRequest{Caller: a, ID: r.PathValue("id"), Fields: ParseFields(CallFrom(r).Params.Get("fields"))}
	if len(req.Fields) == 0 {
		req.Fields = []string{"id"}
	}
	req.Base = c.Base(r)
	c.mu.Lock()
	defer c.mu.Unlock()
	req.Now = c.NowLocked()
	obj, gerr := resolve(req)
	if obj == nil && gerr == nil {
		e := NotFound(r.Method, req.ID)
		gerr = &e
	}
	if gerr != nil {
		WriteError(w, *gerr)
		return
	}
	WriteJSON(w, http.StatusOK, obj)
}

// InsightsRequest authenticates GET /{media_id}/insights, whose token
// must have scope, and reads its metric parameter: the names split on
// commas and trimmed. It writes the error itself.
func (c *Core) InsightsRequest(w http.ResponseWriter, r *http.Request, scope string) (*Account, []string, bool) {
	a, t, ok := c.Auth(w, r)
	if !ok || !c.Need(w, t, scope) {
		return nil, nil, false
	}
	raw := CallFrom(r).Params.Get("metric")
	if raw == "" {
		WriteError(w, MissingParam(c.cfg.GraphErrorType, "metric"))
		return nil, nil, false
	}
	names := strings.Split(raw, ",")
	for i, n := range names {
		names[i] = strings.TrimSpace(n)
	}
	return a, names, true
}

// InsightsAnswer is the answer of GET /{media_id}/insights: one lifetime
// entry per metric name, with its value in values, its title and its
// description.
func InsightsAnswer(mediaID string, names []string, values map[string]int64, title, description func(name string) string) map[string]any {
	data := make([]map[string]any, 0, len(names))
	for _, n := range names {
		data = append(data, map[string]any{
			"name": n, "period": "lifetime", "values": []map[string]int64{{"value": values[n]}},
			"title": title(n), "description": description(n), "id": mediaID + "/insights/" + n + "/lifetime",
		})
	}
	return map[string]any{"data": data}
}
