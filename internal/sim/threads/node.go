package threads

import (
	"net/http"
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
	s.core.ServeNode(w, r, s.nodeLocked)
}

// nodeLocked resolves a GET /{id}. Callers hold the core's lock.
func (s *Sim) nodeLocked(q graph.NodeRequest) (map[string]any, *graph.Error) {
	u, id := q.Caller, q.ID
	switch {
	case id == "me" || id == u.ID:
		return s.userObject(u, q.Fields, q.Base)
	case s.containers[id] != nil && s.containers[id].OwnerID == u.ID:
		return s.containerObject(s.containers[id], q.Fields, q.Now)
	case s.postsByID[id] != nil:
		return s.mediaObject(s.postsByID[id], q.Fields)
	case s.children[id] != nil:
		return s.childObject(s.children[id], id, q.Fields)
	}
	return nil, nil
}

// userObject renders an account.
func (s *Sim) userObject(u *graph.Account, fields []string, base string) (map[string]any, *graph.Error) {
	if e := s.core.CheckFields(fields, userFields, "ThreadsUser"); e != nil {
		return nil, e
	}
	return graph.Pick(fields, map[string]any{
		"id": u.ID, "username": u.Username, "name": u.Name,
		"threads_profile_picture_url": base + "/__sim/avatars/" + u.ID + ".jpg",
		"threads_biography":           "Simulated Threads account for sns-os.", "is_verified": false,
	}), nil
}

// containerObject renders a container: status and, in ERROR,
// error_message.
func (s *Sim) containerObject(c *container, fields []string, now time.Time) (map[string]any, *graph.Error) {
	if e := s.core.CheckFields(fields, containerFields, "ThreadsMediaBuilder"); e != nil {
		return nil, e
	}
	st := c.Status(now)
	all := map[string]any{"id": c.ID, "status": string(st)}
	if st == graph.StatusError {
		all["error_message"] = c.Failure
	}
	return graph.Pick(fields, all), nil
}

// AvatarJPEG returns the profile picture the simulator serves for the
// account whose ID is id.
func AvatarJPEG(id string) []byte { return graph.AvatarJPEG(id) }

// userPath resolves the {id} of a user edge for caller u ("me" or its ID,
// for GET and POST alike), writing the 100/33 error otherwise.
func userPath(w http.ResponseWriter, r *http.Request, u *graph.Account) bool {
	if id := r.PathValue("id"); id == "me" || id == u.ID {
		return true
	}
	graph.WriteError(w, graph.NotFound(r.Method, r.PathValue("id")))
	return false
}
