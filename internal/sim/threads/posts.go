package threads

import (
	"net/http"
	"time"

	"github.com/sns-os/snsos/internal/sim/graph"
)

// simPost is one item of GET /__sim/posts.
type simPost struct {
	ID          string       `json:"id"`
	ContainerID string       `json:"container_id"`
	Account     string       `json:"account"`
	AuthorID    string       `json:"author_id"`
	Text        string       `json:"text"`
	MediaType   string       `json:"media_type"`
	ReplyTo     string       `json:"reply_to_id,omitempty"`
	RootID      string       `json:"root_id,omitempty"`
	QuotedID    string       `json:"quote_post_id,omitempty"`
	TopicTag    string       `json:"topic_tag,omitempty"`
	LinkURL     string       `json:"link_attachment,omitempty"`
	AltText     string       `json:"alt_text,omitempty"`
	Permalink   string       `json:"permalink"`
	MediaCount  int          `json:"media_count"`
	Media       []graph.File `json:"media"`
	CreatedAt   string       `json:"created_at"`
}

// handleSimPosts serves GET /__sim/posts: {"items":[…]}, every published
// thread and reply, oldest first (not part of Threads).
func (s *Sim) handleSimPosts(w http.ResponseWriter, r *http.Request) {
	s.core.Lock()
	items := make([]simPost, 0, len(s.posts))
	for _, p := range s.posts {
		it := simPost{ID: p.ID, ContainerID: p.ContainerID, Account: p.Username, AuthorID: p.OwnerID,
			Text: p.Text, MediaType: p.MediaType, ReplyTo: p.ReplyTo, RootID: p.RootID, QuotedID: p.QuotedID,
			TopicTag: p.TopicTag, LinkURL: p.LinkURL, AltText: p.AltText, Permalink: p.Permalink,
			MediaCount: len(p.Media), Media: graph.Files(p.Media), CreatedAt: p.CreatedAt.UTC().Format(time.RFC3339)}
		items = append(items, it)
	}
	s.core.Unlock()
	graph.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}
