package instagram

import (
	"net/http"
	"time"

	"github.com/sns-os/snsos/internal/sim/graph"
)

// Fields each node type can return.
var (
	userFields = []string{"id", "user_id", "username", "name", "account_type", "profile_picture_url",
		"followers_count", "follows_count", "media_count", "biography", "website"}
	containerFields = []string{"id", "status_code", "status"}
	commentFields   = []string{"id", "text", "timestamp", "username", "like_count", "hidden"}
)

// handleNode serves GET /{id}: the caller's account ("me", its ID or its
// UserID), one of its containers, media, carousel children or comments.
// Anything else is the 100/33 error.
func (s *Sim) handleNode(w http.ResponseWriter, r *http.Request) {
	s.core.ServeNode(w, r, s.nodeLocked)
}

// nodeLocked resolves a GET /{id}. Callers hold the core's lock.
func (s *Sim) nodeLocked(q graph.NodeRequest) (map[string]any, *graph.Error) {
	u, id := q.Caller, q.ID
	switch {
	case id == "me" || id == u.ID || id == u.UserID:
		return s.userObject(u, q.Fields, q.Base)
	case s.containers[id] != nil && s.containers[id].OwnerID == u.UserID:
		return containerObject(s.containers[id], q.Fields, q.Now)
	case s.postsByID[id] != nil && s.postsByID[id].OwnerID == u.UserID:
		return s.mediaObject(s.postsByID[id], q.Fields, q.Now)
	case s.children[id] != nil && s.children[id].OwnerID == u.UserID:
		return s.childObject(s.children[id], id, q.Fields)
	case s.comments[id] != nil && s.comments[id].OwnerID == u.UserID:
		return s.commentObject(s.comments[id], id, q.Fields)
	}
	return nil, nil
}

// userObject renders an account. Callers hold the core's lock.
func (s *Sim) userObject(u *graph.Account, fields []string, base string) (map[string]any, *graph.Error) {
	if e := graph.CheckFields(fields, userFields, "IGUser"); e != nil {
		return nil, e
	}
	seed := graph.Seed(u.UserID)
	media := 0
	for _, p := range s.posts {
		if p.OwnerID == u.UserID && p.ProductType != "STORY" {
			media++
		}
	}
	return graph.Pick(fields, map[string]any{
		"id": u.ID, "user_id": u.UserID, "username": u.Username, "name": u.Name,
		"account_type": "BUSINESS", "profile_picture_url": base + "/__sim/avatars/" + u.ID + ".jpg",
		"followers_count": 100 + seed%9900, "follows_count": seed % 500, "media_count": media,
		"biography": "Simulated Instagram account for sns-os.", "website": "",
	}), nil
}

// containerObject renders a container: status_code and, as Meta does, a
// human status string ("Error: Media upload has failed with error code
// NNNN" in ERROR).
func containerObject(c *container, fields []string, now time.Time) (map[string]any, *graph.Error) {
	if e := graph.CheckFields(fields, containerFields, "ShadowIGMediaBuilder"); e != nil {
		return nil, e
	}
	st := c.Status(now)
	status := map[graph.Status]string{
		graph.StatusInProgress: "In Progress: Media is still being processed.",
		graph.StatusFinished:   "Finished: Media has been uploaded and it is ready to be published.",
		graph.StatusExpired:    "Expired: Media was not published within 24 hours and has expired.",
		graph.StatusPublished:  "Published: Media has been successfully published.",
		graph.StatusError:      c.Failure,
	}[st]
	return graph.Pick(fields, map[string]any{"id": c.ID, "status_code": string(st), "status": status}), nil
}

// commentObject renders a comment. Callers hold the core's lock.
func (s *Sim) commentObject(p *Post, id string, fields []string) (map[string]any, *graph.Error) {
	if e := graph.CheckFields(fields, commentFields, "IGComment"); e != nil {
		return nil, e
	}
	for _, c := range p.Comments {
		if c.ID == id {
			return graph.Pick(fields, s.commentValues(c)), nil
		}
	}
	return nil, errp(graph.NotFound(http.MethodGet, id))
}

// commentValues lists every field of a comment. Callers hold the core's
// lock.
func (s *Sim) commentValues(c Comment) map[string]any {
	username := ""
	if u := s.core.AccountLocked(c.UserID); u != nil {
		username = u.Username
	}
	return map[string]any{"id": c.ID, "text": c.Text, "timestamp": graph.Stamp(c.CreatedAt),
		"username": username, "like_count": 0, "hidden": false}
}

// AvatarJPEG returns the profile picture the simulator serves for the
// account whose ID is id.
func AvatarJPEG(id string) []byte { return graph.AvatarJPEG(id) }

// userPath resolves the {id} of a user edge for caller u, writing the
// error itself. GET accepts "me", the ID and the UserID; POST only the
// UserID: "me" gets code 100 "Unsupported request - method type: post"
// as on graph.instagram.com, the app-scoped ID the 100/33 error.
func userPath(w http.ResponseWriter, r *http.Request, u *graph.Account) bool {
	id := r.PathValue("id")
	switch {
	case r.Method == http.MethodPost && id == "me":
		graph.WriteError(w, graph.Error{Code: 100, Type: graph.TypeIGAPI, Message: "Unsupported request - method type: post"})
		return false
	case id == u.UserID, r.Method != http.MethodPost && (id == "me" || id == u.ID):
		return true
	}
	graph.WriteError(w, graph.NotFound(r.Method, id))
	return false
}
