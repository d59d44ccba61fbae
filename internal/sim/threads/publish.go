package threads

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/sns-os/snsos/internal/sim/graph"
)

// Media types of published posts.
const (
	mediaTextPost = "TEXT_POST"
	mediaCarousel = "CAROUSEL_ALBUM"
)

// handlePublish serves POST /{user_id|me}/threads_publish?creation_id=:
// it publishes a FINISHED container once. Every refusal of the container
// itself (unknown, IN_PROGRESS, ERROR, EXPIRED, already PUBLISHED) is code
// 24 "The requested resource does not exist", as observed for a too-early
// publish; error_user_msg says which case it is. Quota reached is code 4.
func (s *Sim) handlePublish(w http.ResponseWriter, r *http.Request) {
	u, ok := s.core.AuthEdge(w, r, ScopeContentPublish)
	if !ok {
		return
	}
	cid := graph.CallFrom(r).Params.Get("creation_id")
	if cid == "" {
		graph.WriteError(w, graph.MissingParam(graph.TypeThreads, "creation_id"))
		return
	}
	s.core.Lock()
	defer s.core.Unlock()
	now := s.core.NowLocked()
	c := s.containers[cid]
	gerr := publishable(u, c, cid, now)
	if gerr == nil {
		gerr = s.quotaLocked(u, c.replyTo != "", now)
	}
	if gerr != nil {
		graph.WriteError(w, *gerr)
		return
	}
	p := s.publishLocked(u, c, now)
	graph.WriteJSON(w, http.StatusOK, map[string]string{"id": p.ID})
}

// publishable returns why c cannot be published now, or nil.
func publishable(u *graph.Account, c *container, cid string, now time.Time) *graph.Error {
	if c == nil || c.OwnerID != u.ID {
		return notReady("No container " + cid + " belongs to this account.")
	}
	if c.item {
		return bad("a carousel item cannot be published on its own; publish its CAROUSEL container")
	}
	switch c.Status(now) {
	case graph.StatusInProgress:
		return notReady("The container is still IN_PROGRESS; poll its status until FINISHED.")
	case graph.StatusError:
		return notReady("The container failed processing (" + c.Failure + "); create a new one.")
	case graph.StatusExpired:
		return notReady("The container is more than 24 hours old and EXPIRED; create a new one.")
	case graph.StatusPublished:
		return notReady("The container was already published as " + c.MediaID + "; create a new container to post again.")
	}
	return nil
}

// quotaLocked refuses a publish past the account's 24-hour post or reply
// quota. Callers hold the core's lock.
func (s *Sim) quotaLocked(u *graph.Account, reply bool, now time.Time) *graph.Error {
	q, total, what := s.published, s.opts.QuotaTotal, "posts"
	if reply {
		q, total, what = s.replied, s.opts.ReplyQuotaTotal, "replies"
	}
	if q.Used(u.ID, now) < total {
		return nil
	}
	return &graph.Error{Code: 4, Type: graph.TypeThreads, Transient: graph.Bool(false),
		Message: "(#4) Application request limit reached", UserTitle: "Publishing limit reached",
		UserMsg: "This account published " + strconv.Itoa(total) + " " + what + " in the last 24 hours; wait before publishing more."}
}

// publishLocked turns c into a Post. Callers hold the core's lock.
func (s *Sim) publishLocked(u *graph.Account, c *container, now time.Time) *Post {
	p := &Post{ID: s.mediaIDs.Next(), ContainerID: c.ID, OwnerID: u.ID, Username: u.Username,
		MediaType: c.mediaType, Text: c.text, AltText: c.altText, ReplyTo: c.replyTo, QuotedID: c.quoteID,
		TopicTag: c.topicTag, LinkURL: c.link, ReplyControl: c.replyControl, CreatedAt: now,
		Media: slices.Clone(c.files)}
	p.Shortcode = graph.Shortcode(p.ID)
	p.Permalink = "https://www.threads.net/@" + u.Username + "/post/" + p.Shortcode
	switch c.mediaType {
	case typeText:
		p.MediaType = mediaTextPost
	case typeCarousel:
		p.MediaType = mediaCarousel
		for i := range p.Media {
			p.Media[i].ID = s.mediaIDs.Next()
			s.children[p.Media[i].ID] = p
		}
		for _, id := range c.children {
			s.containers[id].Publish(p.ID, now)
		}
	}
	if parent := s.postsByID[c.replyTo]; parent != nil {
		p.RootID = parent.RootID
		if p.RootID == "" {
			p.RootID = parent.ID
		}
	}
	c.Publish(p.ID, now)
	s.posts = append(s.posts, p)
	s.postsByID[p.ID] = p
	if p.ReplyTo != "" {
		s.replied.Add(u.ID, now)
	} else {
		s.published.Add(u.ID, now)
	}
	return p
}

// limitFields are the fields of threads_publishing_limit.
var limitFields = []string{"quota_usage", "config", "reply_quota_usage", "reply_config",
	"delete_quota_usage", "delete_config", "location_search_quota_usage", "location_search_config"}

// handleLimit serves GET /{user_id|me}/threads_publishing_limit: the
// account's posts and replies in the last 24 hours and their quotas
// (fields default to quota_usage). Deletes and location searches are not
// simulated and always read 0.
func (s *Sim) handleLimit(w http.ResponseWriter, r *http.Request) {
	u, ok := s.core.AuthEdge(w, r, "")
	if !ok {
		return
	}
	fields := graph.ParseFields(graph.CallFrom(r).Params.Get("fields"))
	if len(fields) == 0 {
		fields = []string{"quota_usage"}
	}
	if e := s.core.CheckFields(fields, limitFields, "ThreadsPublishingLimit"); e != nil {
		graph.WriteError(w, *e)
		return
	}
	s.core.Lock()
	defer s.core.Unlock()
	now := s.core.NowLocked()
	cfg := func(total int) map[string]int {
		return map[string]int{"quota_total": total, "quota_duration": int(graph.QuotaWindow.Seconds())}
	}
	row := graph.Pick(fields, map[string]any{
		"quota_usage": s.published.Used(u.ID, now), "config": cfg(s.opts.QuotaTotal),
		"reply_quota_usage": s.replied.Used(u.ID, now), "reply_config": cfg(s.opts.ReplyQuotaTotal),
		"delete_quota_usage": 0, "delete_config": cfg(100),
		"location_search_quota_usage": 0, "location_search_config": cfg(500),
	})
	graph.WriteJSON(w, http.StatusOK, map[string]any{"data": []any{row}})
}
