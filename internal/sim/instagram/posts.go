package instagram

import (
	"net/http"
	"time"

	"github.com/sns-os/snsos/internal/sim/graph"
)

// simComment is one API comment in GET /__sim/posts.
type simComment struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// simPost is one item of GET /__sim/posts.
type simPost struct {
	ID          string       `json:"id"`
	ContainerID string       `json:"container_id"`
	Account     string       `json:"account"`
	AuthorID    string       `json:"author_id"`
	Caption     string       `json:"caption"`
	Text        string       `json:"text"` // the caption, under the name every simulator uses
	AltText     string       `json:"alt_text,omitempty"`
	MediaType   string       `json:"media_type"`
	ProductType string       `json:"media_product_type"`
	Permalink   string       `json:"permalink"`
	MediaCount  int          `json:"media_count"`
	Media       []graph.File `json:"media"`
	Comments    []simComment `json:"comments"`
	CreatedAt   string       `json:"created_at"`
}

// handleSimPosts serves GET /__sim/posts: {"items":[…]}, every published
// post, reel, carousel and story, oldest first (not part of Instagram).
func (s *Sim) handleSimPosts(w http.ResponseWriter, r *http.Request) {
	s.core.Lock()
	items := make([]simPost, 0, len(s.posts))
	for _, p := range s.posts {
		it := simPost{ID: p.ID, ContainerID: p.ContainerID, Account: p.Username, AuthorID: p.OwnerID,
			Caption: p.Caption, Text: p.Caption, AltText: p.AltText, MediaType: p.MediaType, ProductType: p.ProductType,
			Permalink: p.Permalink, Media: graph.Files(p.Media), Comments: []simComment{},
			CreatedAt: p.CreatedAt.UTC().Format(time.RFC3339)}
		for _, f := range p.Media {
			if f.Kind != kindCover {
				it.MediaCount++
			}
		}
		for _, c := range p.Comments {
			it.Comments = append(it.Comments, simComment{ID: c.ID, Text: c.Text})
		}
		items = append(items, it)
	}
	s.core.Unlock()
	graph.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}
