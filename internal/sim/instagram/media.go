package instagram

import (
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/sns-os/snsos/internal/sim/graph"
)

// mediaFields are the fields of a published media.
var mediaFields = []string{"id", "caption", "comments_count", "like_count", "media_type", "media_product_type",
	"media_url", "permalink", "shortcode", "thumbnail_url", "timestamp", "username", "owner",
	"is_comment_enabled", "alt_text", "children"}

// stampLayout is how Graph writes timestamps.
const stampLayout = "2006-01-02T15:04:05-0700"

func stamp(t time.Time) string { return t.UTC().Format(stampLayout) }

// mediaObject renders a published media. like_count and comments_count
// follow the same curves as the insights. Callers hold s.mu.
func (s *Sim) mediaObject(p *Post, fields []string, now time.Time) (map[string]any, *graph.Error) {
	if e := graph.CheckFields(fields, mediaFields, "IGMedia"); e != nil {
		return nil, e
	}
	m := s.metricsLocked(p, now)
	all := map[string]any{
		"id": p.ID, "caption": p.Caption, "media_type": p.MediaType, "media_product_type": p.ProductType,
		"permalink": p.Permalink, "shortcode": p.Shortcode, "timestamp": stamp(p.CreatedAt),
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
	return pick(fields, all), nil
}

// childObject renders a carousel child; it has no permalink, caption or
// counts. Callers hold s.mu.
func (s *Sim) childObject(p *Post, id string, fields []string) (map[string]any, *graph.Error) {
	if e := graph.CheckFields(fields, mediaFields, "IGMedia"); e != nil {
		return nil, e
	}
	for _, f := range p.Media {
		if f.ID == id {
			return pick(fields, map[string]any{"id": id, "media_type": f.Kind, "media_url": f.URL,
				"timestamp": stamp(p.CreatedAt), "username": p.Username, "owner": map[string]string{"id": p.OwnerID}}), nil
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

func (s *Sim) list(w http.ResponseWriter, r *http.Request, keep func(*Post, time.Time) bool) {
	u, _, ok := s.auth(w, r)
	if !ok || !userPath(w, r, u) {
		return
	}
	params := graph.CallFrom(r).Params
	fields := graph.ParseFields(params.Get("fields"))
	if len(fields) == 0 {
		fields = []string{"id"}
	}
	pr, gerr := graph.ParsePage(params, 25, 100, graph.TypeIGAPI)
	since, until, terr := timeRange(params.Get("since"), params.Get("until"))
	if gerr == nil {
		gerr = terr
	}
	if gerr == nil {
		gerr = graph.CheckFields(fields, mediaFields, "IGMedia")
	}
	if gerr != nil {
		graph.WriteError(w, *gerr)
		return
	}
	base := s.base(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var ids []string
	var posts []*Post
	for _, p := range slices.Backward(s.posts) {
		if p.OwnerID == u.UserID && keep(p, now) && !p.CreatedAt.Before(since) && (until.IsZero() || p.CreatedAt.Before(until)) {
			ids, posts = append(ids, p.ID), append(posts, p)
		}
	}
	from, to := pr.Slice(ids)
	data := make([]map[string]any, 0, to-from)
	for _, p := range posts[from:to] {
		obj, _ := s.mediaObject(p, fields, now)
		data = append(data, obj)
	}
	graph.WriteJSON(w, http.StatusOK, map[string]any{"data": data, "paging": graph.Paging(r, base, ids, from, to)})
}

// timeRange parses since and until (Unix seconds, either may be empty).
func timeRange(since, until string) (time.Time, time.Time, *graph.Error) {
	var out [2]time.Time
	for i, v := range []string{since, until} {
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return out[0], out[1], errp(graph.InvalidParam(graph.TypeIGAPI, "since and until must be Unix timestamps"))
		}
		out[i] = time.Unix(n, 0)
	}
	return out[0], out[1], nil
}

// handleComment serves POST /{media_id}/comments?message=: a comment by
// the caller on one of its posts (not a story).
func (s *Sim) handleComment(w http.ResponseWriter, r *http.Request) {
	u, tok, ok := s.auth(w, r)
	if !ok || !need(w, tok, ScopeManageComments) {
		return
	}
	id := r.PathValue("id")
	msg := graph.CallFrom(r).Params.Get("message")
	s.mu.Lock()
	defer s.mu.Unlock()
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
		c := Comment{ID: s.commentIDs.Next(), UserID: u.UserID, Text: msg, CreatedAt: s.now()}
		p.Comments = append(p.Comments, c)
		s.comments[c.ID] = p
		graph.WriteJSON(w, http.StatusOK, map[string]string{"id": c.ID})
	}
}

// handleComments serves GET /{media_id}/comments: the comments posted
// through the API, newest first.
func (s *Sim) handleComments(w http.ResponseWriter, r *http.Request) {
	u, _, ok := s.auth(w, r)
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
	base := s.base(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.postsByID[id]
	if p == nil || p.OwnerID != u.UserID {
		graph.WriteError(w, graph.NotFound(r.Method, id))
		return
	}
	var ids []string
	for _, c := range slices.Backward(p.Comments) {
		ids = append(ids, c.ID)
	}
	from, to := pr.Slice(ids)
	data := make([]map[string]any, 0, to-from)
	for i := from; i < to; i++ {
		data = append(data, pick(fields, s.commentValues(p.Comments[len(p.Comments)-1-i])))
	}
	graph.WriteJSON(w, http.StatusOK, map[string]any{"data": data, "paging": graph.Paging(r, base, ids, from, to)})
}
