package threads

import (
	"net/http"
	"strings"
	"time"

	"github.com/sns-os/snsos/internal/sim/graph"
)

// Fields each node type can return.
var (
	userFields = []string{"id", "username", "name", "threads_profile_picture_url", "threads_biography", "is_verified"}
	// containerFields: note the field is status, where Instagram has
	// status_code.
	containerFields = []string{"id", "status", "error_message"}
)

// handleNode serves GET /{id}: the caller's account ("me" or its ID), one
// of its containers, or any published thread, reply or carousel child.
// Anything else is the 100/33 error.
func (s *Sim) handleNode(w http.ResponseWriter, r *http.Request) {
	u, _, ok := s.auth(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	fields := graph.ParseFields(graph.CallFrom(r).Params.Get("fields"))
	if len(fields) == 0 {
		fields = []string{"id"}
	}
	base := s.base(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var obj map[string]any
	var gerr *graph.Error
	switch {
	case id == "me" || id == u.ID:
		obj, gerr = s.userObject(u, fields, base)
	case s.containers[id] != nil && s.containers[id].OwnerID == u.ID:
		obj, gerr = containerObject(s.containers[id], fields, now)
	case s.postsByID[id] != nil:
		obj, gerr = s.mediaObject(s.postsByID[id], fields)
	case s.children[id] != nil:
		obj, gerr = s.childObject(s.children[id], id, fields)
	default:
		e := graph.NotFound(r.Method, id)
		gerr = &e
	}
	if gerr != nil {
		graph.WriteError(w, *gerr)
		return
	}
	graph.WriteJSON(w, http.StatusOK, obj)
}

// pick returns the requested fields of all (which lists each field's
// value; a missing key leaves the field out) and, as Graph does, the id.
func pick(fields []string, all map[string]any) map[string]any {
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

// userObject renders an account. Callers hold s.mu.
func (s *Sim) userObject(u *User, fields []string, base string) (map[string]any, *graph.Error) {
	if e := graph.CheckFields(fields, userFields, "ThreadsUser"); e != nil {
		e.Type = graph.TypeThreads
		return nil, e
	}
	return pick(fields, map[string]any{
		"id": u.ID, "username": u.Username, "name": u.Name,
		"threads_profile_picture_url": base + "/__sim/avatars/" + u.ID + ".jpg",
		"threads_biography":           "Simulated Threads account for sns-os.", "is_verified": false,
	}), nil
}

// containerObject renders a container: status and, in ERROR,
// error_message.
func containerObject(c *container, fields []string, now time.Time) (map[string]any, *graph.Error) {
	if e := graph.CheckFields(fields, containerFields, "ThreadsMediaBuilder"); e != nil {
		e.Type = graph.TypeThreads
		return nil, e
	}
	st := c.Status(now)
	all := map[string]any{"id": c.ID, "status": string(st)}
	if st == graph.StatusError {
		all["error_message"] = c.Failure
	}
	return pick(fields, all), nil
}

// handleAvatar serves GET /__sim/avatars/{id}.jpg: a small JPEG in a
// colour derived from the account's ID.
func (s *Sim) handleAvatar(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutSuffix(r.PathValue("file"), ".jpg")
	s.mu.Lock()
	u := s.byID[id]
	s.mu.Unlock()
	if !ok || u == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(AvatarJPEG(u.ID))
}

// AvatarJPEG returns the profile picture the simulator serves for the
// account whose ID is id.
func AvatarJPEG(id string) []byte { return graph.AvatarJPEG(id) }

// userPath resolves the {id} of a user edge for caller u ("me" or its ID,
// for GET and POST alike), writing the 100/33 error otherwise.
func userPath(w http.ResponseWriter, r *http.Request, u *User) bool {
	if id := r.PathValue("id"); id == "me" || id == u.ID {
		return true
	}
	graph.WriteError(w, graph.NotFound(r.Method, r.PathValue("id")))
	return false
}
