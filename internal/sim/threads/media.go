package threads

import (
	"net/http"
	"slices"
	"strings"

	"github.com/sns-os/snsos/internal/sim/graph"
)

// mediaFields are the fields of a published thread or reply.
var mediaFields = []string{"id", "media_product_type", "media_type", "media_url", "permalink", "owner", "username",
	"text", "timestamp", "shortcode", "thumbnail_url", "children", "is_quote_post", "quoted_post", "has_replies",
	"is_reply", "root_post", "replied_to", "hide_status", "reply_audience", "alt_text", "link_attachment_url", "topic_tag"}

func idObj(id string) map[string]string { return map[string]string{"id": id} }

// mediaObject renders a published post. Callers hold the core's lock.
func (s *Sim) mediaObject(p *Post, fields []string) (map[string]any, *graph.Error) {
	if e := s.core.CheckFields(fields, mediaFields, "ThreadsMedia"); e != nil {
		return nil, e
	}
	all := map[string]any{
		"id": p.ID, "media_product_type": "THREADS", "media_type": p.MediaType, "permalink": p.Permalink,
		"owner": idObj(p.OwnerID), "username": p.Username, "text": p.Text, "timestamp": graph.Stamp(p.CreatedAt),
		"shortcode": p.Shortcode, "is_quote_post": p.QuotedID != "", "has_replies": s.hasReplies(p.ID),
		"is_reply": p.ReplyTo != "", "hide_status": "NOT_HUSHED",
		"reply_audience": strings.ToUpper(cmpOr(p.ReplyControl, "everyone")),
	}
	if p.QuotedID != "" {
		all["quoted_post"] = idObj(p.QuotedID)
	}
	if p.ReplyTo != "" {
		all["replied_to"], all["root_post"] = idObj(p.ReplyTo), idObj(p.RootID)
	}
	for k, v := range map[string]string{"alt_text": p.AltText, "link_attachment_url": p.LinkURL, "topic_tag": p.TopicTag} {
		if v != "" {
			all[k] = v
		}
	}
	if len(p.Media) > 0 {
		all["media_url"] = p.Media[0].URL
	}
	if p.MediaType == mediaCarousel {
		kids := make([]map[string]string, 0, len(p.Media))
		for _, f := range p.Media {
			kids = append(kids, idObj(f.ID))
		}
		all["children"] = map[string]any{"data": kids}
	}
	return graph.Pick(fields, all), nil
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// childObject renders a carousel child. Callers hold the core's lock.
func (s *Sim) childObject(p *Post, id string, fields []string) (map[string]any, *graph.Error) {
	if e := s.core.CheckFields(fields, mediaFields, "ThreadsMedia"); e != nil {
		return nil, e
	}
	for _, f := range p.Media {
		if f.ID == id {
			return graph.Pick(fields, map[string]any{"id": id, "media_product_type": "THREADS", "media_type": f.Kind,
				"media_url": f.URL, "owner": idObj(p.OwnerID), "username": p.Username, "timestamp": graph.Stamp(p.CreatedAt)}), nil
		}
	}
	e := graph.NotFound(http.MethodGet, id)
	return nil, &e
}

// hasReplies reports whether any post replies to id. Callers hold the core's lock.
func (s *Sim) hasReplies(id string) bool {
	return slices.ContainsFunc(s.posts, func(p *Post) bool { return p.ReplyTo == id })
}

// descends reports whether p is in the reply tree below id. Callers hold
// the core's lock.
func (s *Sim) descends(p *Post, id string) bool {
	for seen := 0; p != nil && p.ReplyTo != "" && seen < len(s.posts); seen++ {
		if p.ReplyTo == id {
			return true
		}
		p = s.postsByID[p.ReplyTo]
	}
	return false
}

// handleThreads serves GET /{user_id|me}/threads: the account's top-level
// posts (not its replies, which /{user_id}/replies lists), newest first,
// with fields (default id), limit (default 25, at most 100), after/before
// cursors and since/until (Unix seconds).
func (s *Sim) handleThreads(w http.ResponseWriter, r *http.Request) {
	u, ok := s.core.AuthEdge(w, r, "")
	if !ok {
		return
	}
	s.list(w, r, true, func(p *Post) bool { return p.OwnerID == u.ID && p.ReplyTo == "" })
}

// handleReplies serves GET /{id}/replies, which needs threads_read_replies
// as every reply endpoint does. For the caller's account ("me" or its id)
// it lists the replies the account published, newest first. For a post it
// lists the direct replies to it, in reverse chronological order unless
// reverse=false.
func (s *Sim) handleReplies(w http.ResponseWriter, r *http.Request) {
	u, tok, ok := s.core.Auth(w, r)
	if !ok {
		return
	}
	if id := r.PathValue("id"); id == "me" || id == u.ID {
		if s.core.Need(w, tok, ScopeReadReplies) {
			s.list(w, r, true, func(p *Post) bool { return p.OwnerID == u.ID && p.ReplyTo != "" })
		}
		return
	}
	if s.mediaEdge(w, r, tok) {
		id := r.PathValue("id")
		s.list(w, r, graph.CallFrom(r).Params.Get("reverse") != "false", func(p *Post) bool { return p.ReplyTo == id })
	}
}

// handleConversation serves GET /{media_id}/conversation: every reply in
// the tree below the post, flattened, like /replies.
func (s *Sim) handleConversation(w http.ResponseWriter, r *http.Request) {
	_, tok, ok := s.core.Auth(w, r)
	if !ok || !s.mediaEdge(w, r, tok) {
		return
	}
	id := r.PathValue("id")
	s.list(w, r, graph.CallFrom(r).Params.Get("reverse") != "false", func(p *Post) bool { return s.descends(p, id) })
}

// mediaEdge checks the reply-reading scope and that the path's id is a
// published post, writing the error itself.
func (s *Sim) mediaEdge(w http.ResponseWriter, r *http.Request, tok *graph.Token) bool {
	if !s.core.Need(w, tok, ScopeReadReplies) {
		return false
	}
	s.core.Lock()
	defer s.core.Unlock()
	if s.postsByID[r.PathValue("id")] == nil {
		graph.WriteError(w, graph.NotFound(r.Method, r.PathValue("id")))
		return false
	}
	return true
}

// mediaList is how the list edges check their parameters.
var mediaList = graph.ListSpec{Node: "ThreadsMedia", Fields: mediaFields, PageType: graph.TypeThreads,
	FieldType: graph.TypeThreads, TimeError: graph.InvalidParam(graph.TypeThreads, "Params since and until must be Unix timestamps")}

// list writes one page of the posts keep selects, newest first when
// newest is set (oldest first otherwise). keep runs under the core's lock.
func (s *Sim) list(w http.ResponseWriter, r *http.Request, newest bool, keep func(*Post) bool) {
	q, gerr := mediaList.Parse(graph.CallFrom(r).Params)
	if gerr != nil {
		graph.WriteError(w, *gerr)
		return
	}
	base := s.core.Base(r)
	s.core.Lock()
	defer s.core.Unlock()
	var ids []string
	var posts []*Post
	for _, p := range s.posts {
		if keep(p) && q.Within(p.CreatedAt) {
			ids, posts = append(ids, p.ID), append(posts, p)
		}
	}
	if newest {
		slices.Reverse(ids)
		slices.Reverse(posts)
	}
	graph.WritePage(w, r, base, q.Page, ids, func(i int) map[string]any {
		obj, _ := s.mediaObject(posts[i], q.Fields)
		return obj
	})
}
