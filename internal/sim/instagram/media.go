package instagram

import (
	"net/http"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/sns-os/snsos/internal/sim/graph"
)

// mediaFields are the fields of a published media.
var mediaFields = []string{"id", "caption", "comments_count", "like_count", "media_type", "media_product_type",
	"media_url", "permalink", "shortcode", "thumbnail_url", "timestamp", "username", "owner",
	"is_comment_enabled", "alt_text", "children"}

// mediaObject renders a published media. like_count and comments_count
// follow the same curves as the insights. Callers hold the core's lock.
func (s *Sim) mediaObject(p *Post, fields []string, now time.Time) (map[string]any, *graph.Error) {
	if e := graph.CheckFields(fields, mediaFields, "IGMedia"); e != nil {
		return nil, e
	}
	m := s.metricsLocked(p, now)
	all := map[string]any{
		"id": p.ID, "caption": p.Caption, "media_type": p.MediaType, "media_product_type": p.ProductType,
		"permalink": p.Permalink, "shortcode": p.Shortcode, "timestamp": graph.Stamp(p.CreatedAt),
		"username": p.Username, "owner": map[string]string{"id": p.OwnerID}, "is_comment_enabled": p.ProductType != productStory,
		"like_count": m["likes"], "comments_count": m["comments"],
	}
	if p.AltText != "" {
		all["alt_text"] = p.AltText
	}
	if len(p.Media) > 0 && p.MediaType != mediaCarouselAlbum {
		all["media_url"] = p.Media[0].URL
	}
	for _, f := range p.Media {
		if f.Kind == kindCover {
			all["thumbnail_url"] = f.URL
		}
	}
	if p.MediaType == mediaCarouselAlbum {
		var kids []map[string]string
		for _, f := range p.Media {
			kids = append(kids, map[string]string{"id": f.ID})
		}
		all["children"] = map[string]any{"data": kids}
		all["media_url"] = p.Media[0].URL
	}
	return graph.Pick(fields, all), nil
}

// childObject renders a carousel child; it has no permalink, caption or
// counts. Callers hold the core's lock.
func (s *Sim) childObject(p *Post, id string, fields []string) (map[string]any, *graph.Error) {
	if e := graph.CheckFields(fields, mediaFields, "IGMedia"); e != nil {
		return nil, e
	}
	for _, f := range p.Media {
		if f.ID == id {
			return graph.Pick(fields, map[string]any{"id": id, "media_type": f.Kind, "media_url": f.URL,
				"timestamp": graph.Stamp(p.CreatedAt), "username": p.Username, "owner": map[string]string{"id": p.OwnerID}}), nil
		}
	}
	return nil, errp(graph.NotFound(http.MethodGet, id))
}

// handleMediaList serves GET /{ig_user_id}/media: the account's feed
// posts, reels and carousels (no stories), newest first, with fields
// (default id), limit (default 25, at most 100), after/before cursors and
// since/until (Unix seconds).
func (s *Sim) handleMediaList(w http.ResponseWriter, r *http.Request) {
	s.list(w, r, func(p *Post, now time.Time) bool { return p.ProductType != productStory })
}

// handleStories serves GET /{ig_user_id}/stories: the account's stories
// of the last 24 hours, newest first, paged like /media.
func (s *Sim) handleStories(w http.ResponseWriter, r *http.Request) {
	s.list(w, r, func(p *Post, now time.Time) bool {
		return p.ProductType == productStory && now.Sub(p.CreatedAt) < 24*time.Hour
	})
}

// mediaList is how GET /{ig_user_id}/media and /stories check their
// parameters.
var mediaList = graph.ListSpec{Node: "IGMedia", Fields: mediaFields, PageType: graph.TypeIGAPI,
	TimeError: graph.InvalidParam(graph.TypeIGAPI, "since and until must be Unix timestamps")}

func (s *Sim) list(w http.ResponseWriter, r *http.Request, keep func(*Post, time.Time) bool) {
	u, ok := s.core.AuthEdge(w, r, "")
	if !ok {
		return
	}
	q, gerr := mediaList.Parse(graph.CallFrom(r).Params)
	if gerr != nil {
		graph.WriteError(w, *gerr)
		return
	}
	base := s.core.Base(r)
	s.core.Lock()
	defer s.core.Unlock()
	now := s.core.NowLocked()
	var ids []string
	var posts []*Post
	for _, p := range slices.Backward(s.posts) {
		if p.OwnerID == u.UserID && keep(p, now) && q.Within(p.CreatedAt) {
			ids, posts = append(ids, p.ID), append(posts, p)
		}
	}
	graph.WritePage(w, r, base, q.Page, ids, func(i int) map[string]any {
		obj, _ := s.mediaObject(posts[i], q.Fields, now)
		return obj
	})
}

// handleComment serves POST /{media_id}/comments?message=: a comment by
// the caller on one of its posts (not a story).
func (s *Sim) handleComment(w http.ResponseWriter, r *http.Request) {
	u, tok, ok := s.core.Auth(w, r)
	if !ok || !s.core.Need(w, tok, ScopeManageComments) {
		return
	}
	id := r.PathValue("id")
	msg := graph.CallFrom(r).Params.Get("message")
	s.core.Lock()
	defer s.core.Unlock()
	p := s.postsByID[id]
	switch {
	case p == nil || p.OwnerID != u.UserID:
		graph.WriteError(w, graph.NotFound(r.Method, id))
	case p.ProductType == productStory:
		graph.WriteError(w, graph.InvalidParam(graph.TypeIGAPI, "stories cannot be commented on"))
	case msg == "":
		graph.WriteError(w, graph.MissingParam(graph.TypeIGAPI, "message"))
	case utf8.RuneCountInString(msg) > maxCaption:
		graph.WriteError(w, graph.InvalidParam(graph.TypeIGAPI, "message must be at most 2200 characters"))
	default:
		c := Comment{ID: s.commentIDs.Next(), UserID: u.UserID, Text: msg, CreatedAt: s.core.NowLocked()}
		p.Comments = append(p.Comments, c)
		s.comments[c.ID] = p
		graph.WriteJSON(w, http.StatusOK, map[string]string{"id": c.ID})
	}
}

// handleComments serves GET /{media_id}/comments: the comments posted
// through the API, newest first.
func (s *Sim) handleComments(w http.ResponseWriter, r *http.Request) {
	u, _, ok := s.core.Auth(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	params := graph.CallFrom(r).Params
	fields := graph.ParseFields(params.Get("fields"))
	if len(fields) == 0 {
		fields = []string{"id", "text", "timestamp"}
	}
	pr, gerr := graph.ParsePage(params, 50, 50, graph.TypeIGAPI)
	if gerr == nil {
		gerr = graph.CheckFields(fields, commentFields, "IGComment")
	}
	if gerr != nil {
		graph.WriteError(w, *gerr)
		return
	}
	base := s.core.Base(r)
	s.core.Lock()
	defer s.core.Unlock()
	p := s.postsByID[id]
	if p == nil || p.OwnerID != u.UserID {
		graph.WriteError(w, graph.NotFound(r.Method, id))
		return
	}
	var ids []string
	for _, c := range slices.Backward(p.Comments) {
		ids = append(ids, c.ID)
	}
	graph.WritePage(w, r, base, pr, ids, func(i int) map[string]any {
		return graph.Pick(fields, s.commentValues(p.Comments[len(p.Comments)-1-i]))
	})
}
