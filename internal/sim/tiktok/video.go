package tiktok

import (
	"fmt"
	"html"
	"net/http"
	"slices"
	"time"

	"github.com/sns-os/snsos/internal/sim/graph"
)

// Limits of the Display API's video endpoints.
const (
	maxQueryIDs     = 20
	maxListCount    = 20
	defaultListSize = 10
)

// videoFields are the fields of the Display API's video object.
var videoFields = []string{"id", "create_time", "cover_image_url", "share_url", "video_description",
	"duration", "height", "width", "title", "embed_html", "embed_link",
	"like_count", "comment_count", "share_count", "view_count"}

// Metrics are a public video's counters.
type Metrics struct {
	Views                   int64
	Likes, Comments, Shares int32
}

// metricsAt returns p's counters at now: SetMetrics's values, or curves
// that grow from PUBLISH_COMPLETE, deterministic per video id.
func (s *Sim) metricsAt(p *publish, now time.Time) Metrics {
	if m, ok := s.fixed[p.PublicID]; ok {
		return m
	}
	seed := graph.Seed(p.PublicID)
	views := graph.Grow(int64(500+seed%5000), 6*time.Hour, now.Sub(p.CompletedAt))
	return Metrics{Views: views, Likes: int32(graph.Part(views, seed, 8, 30, 60)),
		Comments: int32(graph.Part(views, seed, 20, 2, 8)), Shares: int32(graph.Part(views, seed, 32, 1, 5))}
}

// SetMetrics fixes the counters of the public video with this id from now
// on, replacing the simulated growth.
func (s *Sim) SetMetrics(videoID string, m Metrics) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked()
	if s.byPublic[videoID] == nil {
		return fmt.Errorf("tiktok sim: SetMetrics: no public video %q", videoID)
	}
	s.fixed[videoID] = m
	return nil
}

// parseVideoFields reads the fields query parameter.
func parseVideoFields(r *http.Request) ([]string, *apiError) {
	fields := splitList(r.URL.Query().Get("fields"))
	if len(fields) == 0 {
		e := errParams("fields is required, e.g. fields=id,title,view_count,like_count,comment_count,share_count")
		return nil, &e
	}
	for _, f := range fields {
		if !slices.Contains(videoFields, f) {
			e := errParams("unknown video field " + f)
			return nil, &e
		}
	}
	return fields, nil
}

// videoObject renders the requested fields of p. Callers hold s.mu.
func (s *Sim) videoObject(p *publish, fields []string, base string, now time.Time) map[string]any {
	id, seed := p.PublicID, graph.Seed(p.PublicID)
	kind, descr, duration := "video", p.Title, int32(15+seed%45)
	if p.MediaType == MediaTypePhoto {
		kind, duration = "photo", 0
		if p.Description != "" {
			descr = p.Description
		}
	}
	share := fmt.Sprintf("https://www.tiktok.com/@%s/%s/%s?utm_campaign=tt4d_open_api&utm_source=%s",
		p.Username, kind, id, s.opts.ClientKey)
	m := s.metricsAt(p, now)
	all := map[string]any{
		"id": id, "create_time": p.CompletedAt.Unix(), "cover_image_url": base + "/__sim/covers/" + id + ".jpg",
		"share_url": share, "video_description": descr, "duration": duration, "height": int32(1920), "width": int32(1080),
		"title": p.Title, "embed_link": "https://www.tiktok.com/player/v1/" + id,
		"embed_html": `<blockquote class="tiktok-embed" cite="` + html.EscapeString(share) + `" data-video-id="` + id +
			`"><section></section></blockquote>`,
		"like_count": m.Likes, "comment_count": m.Comments, "share_count": m.Shares, "view_count": m.Views,
	}
	out := make(map[string]any, len(fields))
	for _, f := range fields {
		out[f] = all[f]
	}
	return out
}

// handleVideoQuery serves POST /v2/video/query/?fields=… with
// {"filters":{"video_ids":[…]}}: the caller's public videos among the
// ids, in the order asked; other ids are left out.
func (s *Sim) handleVideoQuery(w http.ResponseWriter, r *http.Request, c caller) {
	fields, e := parseVideoFields(r)
	var req struct {
		Filters struct {
			VideoIDs []string `json:"video_ids"`
		} `json:"filters"`
	}
	if e == nil {
		e = decodeJSON(r, &req)
	}
	if ids := req.Filters.VideoIDs; e == nil && (len(ids) == 0 || len(ids) > maxQueryIDs) {
		pe := errParams(fmt.Sprintf("filters.video_ids must hold 1 to %d ids", maxQueryIDs))
		e = &pe
	}
	if e != nil {
		s.writeErr(w, *e)
		return
	}
	base := s.base(r)
	s.mu.Lock()
	s.settleLocked()
	now := s.now()
	videos := []map[string]any{}
	for _, id := range req.Filters.VideoIDs {
		if p := s.byPublic[id]; p != nil && p.OpenID == c.user.OpenID {
			videos = append(videos, s.videoObject(p, fields, base, now))
		}
	}
	s.mu.Unlock()
	s.writeData(w, map[string]any{"videos": videos})
}

// handleVideoList serves POST /v2/video/list/?fields=… with
// {"cursor":ms,"max_count":n}: the caller's public videos published before
// cursor (any when 0), newest first.
func (s *Sim) handleVideoList(w http.ResponseWriter, r *http.Request, c caller) {
	fields, e := parseVideoFields(r)
	var req struct {
		Cursor   int64 `json:"cursor"`
		MaxCount int   `json:"max_count"`
	}
	if e == nil {
		e = decodeJSON(r, &req)
	}
	if e == nil && (req.MaxCount < 0 || req.MaxCount > maxListCount) {
		pe := errParams(fmt.Sprintf("max_count must be 1 to %d", maxListCount))
		e = &pe
	}
	if e != nil {
		s.writeErr(w, *e)
		return
	}
	if req.MaxCount == 0 {
		req.MaxCount = defaultListSize
	}
	base := s.base(r)
	s.mu.Lock()
	s.settleLocked()
	now := s.now()
	var mine []*publish
	for _, p := range s.pubs {
		if p.OpenID == c.user.OpenID && p.PublicID != "" && (req.Cursor <= 0 || p.CompletedAt.UnixMilli() < req.Cursor) {
			mine = append(mine, p)
		}
	}
	slices.SortStableFunc(mine, func(a, b *publish) int { return b.CompletedAt.Compare(a.CompletedAt) })
	more := len(mine) > req.MaxCount
	mine = mine[:min(len(mine), req.MaxCount)]
	videos := make([]map[string]any, 0, len(mine))
	cursor := req.Cursor
	for _, p := range mine {
		videos = append(videos, s.videoObject(p, fields, base, now))
		cursor = p.CompletedAt.UnixMilli()
	}
	s.mu.Unlock()
	s.writeData(w, map[string]any{"videos": videos, "cursor": cursor, "has_more": more})
}
