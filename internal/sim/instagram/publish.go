package instagram

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/sns-os/snsos/internal/sim/graph"
)

// handlePublish serves POST /{ig_user_id}/media_publish?creation_id=: it
// publishes a FINISHED container once. Refusals: IN_PROGRESS or ERROR →
// 9007/2207027; EXPIRED → -2/2207020; already PUBLISHED → 9007/2207027
// again (Meta publishes a container once; the error_user_msg names the
// media); quota reached → 9/2207042; unknown container → 24/2207006.
// Identical captions are not refused: two containers publish twice.
func (s *Sim) handlePublish(w http.ResponseWriter, r *http.Request) {
	u, ok := s.core.AuthEdge(w, r, ScopeContentPublish)
	if !ok {
		return
	}
	cid := graph.CallFrom(r).Params.Get("creation_id")
	if cid == "" {
		graph.WriteError(w, graph.MissingParam(graph.TypeIGAPI, "creation_id"))
		return
	}
	s.core.Lock()
	defer s.core.Unlock()
	now := s.core.NowLocked()
	c := s.containers[cid]
	if gerr := s.publishable(u, c, cid, now); gerr != nil {
		graph.WriteError(w, *gerr)
		return
	}
	p := s.publishLocked(u, c, now)
	graph.WriteJSON(w, http.StatusOK, map[string]string{"id": p.ID})
}

// publishable returns why c cannot be published now, or nil. Callers
// hold the core's lock.
func (s *Sim) publishable(u *graph.Account, c *container, cid string, now time.Time) *graph.Error {
	if c == nil || c.OwnerID != u.UserID {
		return errp(graph.Error{Code: 24, Subcode: 2207006, Type: graph.TypeIGAPI, Transient: graph.Bool(false),
			Message: "The requested resource does not exist", UserTitle: "Media not found",
			UserMsg: "No container " + cid + " belongs to this account."})
	}
	if c.item {
		return errp(graph.InvalidParam(graph.TypeIGAPI, "a carousel item cannot be published on its own; publish its CAROUSEL container"))
	}
	switch c.Status(now) {
	case graph.StatusInProgress:
		return errNotReady("The media is not ready for publishing, please wait for a moment.")
	case graph.StatusError:
		return errNotReady("The container failed processing (" + c.Failure + "); create a new one.")
	case graph.StatusExpired:
		return errExpired()
	case graph.StatusPublished:
		return errNotReady("The container was already published as media " + c.MediaID + "; create a new container to post again.")
	}
	if s.published.Used(u.UserID, now) >= s.opts.QuotaTotal {
		return errp(graph.Error{Code: 9, Subcode: 2207042, Type: graph.TypeIGAPI, Transient: graph.Bool(false),
			Message: "Application request limit reached", UserTitle: "Max requests limit reached",
			UserMsg: "You reached maximum number of posts that is allowed to be published by Content Publishing API."})
	}
	return nil
}

// publishLocked turns c into a Post. Callers hold the core's lock.
func (s *Sim) publishLocked(u *graph.Account, c *container, now time.Time) *Post {
	p := &Post{ID: s.mediaIDs.Next(), ContainerID: c.ID, OwnerID: u.UserID, Username: u.Username,
		Caption: c.caption, AltText: c.altText, ShareToFeed: c.shareToFeed, CreatedAt: now,
		Media: slices.Clone(c.files)}
	p.Shortcode = graph.Shortcode(p.ID)
	p.MediaType, p.ProductType = mediaImage, productFeed
	switch {
	case c.mediaType == mediaCarousel:
		p.MediaType = mediaCarouselAlbum
		for i := range p.Media {
			p.Media[i].ID = s.mediaIDs.Next()
			s.children[p.Media[i].ID] = p
		}
		for _, id := range c.children {
			s.containers[id].Publish(p.ID, now)
		}
	case c.mediaType == mediaStories:
		p.ProductType = productStory
	case c.mediaType == mediaReels:
		p.ProductType = productReels
	}
	if c.video {
		p.MediaType = mediaVideo
	}
	switch p.ProductType {
	case productStory:
		p.Permalink = "https://www.instagram.com/stories/" + u.Username + "/" + p.ID + "/"
	case productReels:
		p.Permalink = "https://www.instagram.com/reel/" + p.Shortcode + "/"
	default:
		p.Permalink = "https://www.instagram.com/p/" + p.Shortcode + "/"
	}
	c.Publish(p.ID, now)
	s.posts = append(s.posts, p)
	s.postsByID[p.ID] = p
	s.published.Add(u.UserID, now)
	return p
}

// handleLimit serves GET /{ig_user_id}/content_publishing_limit with
// fields quota_usage (the default) and config, and an optional since
// (Unix seconds) that narrows the count.
func (s *Sim) handleLimit(w http.ResponseWriter, r *http.Request) {
	u, ok := s.core.AuthEdge(w, r, "")
	if !ok {
		return
	}
	p := graph.CallFrom(r).Params
	fields := graph.ParseFields(p.Get("fields"))
	if len(fields) == 0 {
		fields = []string{"quota_usage"}
	}
	if e := graph.CheckFields(fields, []string{"quota_usage", "config"}, "ContentPublishingLimit"); e != nil {
		graph.WriteError(w, *e)
		return
	}
	s.core.Lock()
	defer s.core.Unlock()
	now := s.core.NowLocked()
	used := s.published.Used(u.UserID, now)
	if v := p.Get("since"); v != "" {
		sec, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			graph.WriteError(w, graph.InvalidParam(graph.TypeIGAPI, "since must be a Unix timestamp"))
			return
		}
		used = s.published.UsedSince(u.UserID, time.Unix(sec, 0), now)
	}
	row := graph.Pick(fields, map[string]any{"quota_usage": used, "config": map[string]int{
		"quota_total": s.opts.QuotaTotal, "quota_duration": int(graph.QuotaWindow.Seconds())}})
	graph.WriteJSON(w, http.StatusOK, map[string]any{"data": []any{row}})
}
