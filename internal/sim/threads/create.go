package threads

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sns-os/snsos/internal/sim/graph"
)

// Limits and names of POST /{user_id}/threads [DOC §2.4].
const (
	maxAltText   = 1000
	maxTopicTag  = 50
	minChildren  = 2
	maxChildren  = 20
	typeText     = "TEXT"
	typeImage    = "IMAGE"
	typeVideo    = "VIDEO"
	typeCarousel = "CAROUSEL"
)

var replyControls = []string{"everyone", "accounts_you_follow", "mentioned_only", "parent_post_author_only", "followers_only"}

// A container is a media container with what it will publish.
type container struct {
	*graph.Container
	createReq
	files []MediaFile
}

// createReq is the parameter set of POST /{user_id}/threads.
type createReq struct {
	mediaType, text, imageURL, videoURL, altText, link, topicTag string
	replyTo, quoteID, replyControl                               string
	item, autoPublish                                            bool
	children                                                     []string
}

// bad is a code 100 THApiException about a parameter.
func bad(msg string) *graph.Error {
	e := graph.InvalidParam(graph.TypeThreads, msg)
	return &e
}

// parseCreate reads and checks the parameters that need no state.
func parseCreate(p url.Values) (createReq, *graph.Error) {
	cr := createReq{
		mediaType: strings.ToUpper(p.Get("media_type")), text: p.Get("text"), imageURL: p.Get("image_url"),
		videoURL: p.Get("video_url"), altText: p.Get("alt_text"), link: p.Get("link_attachment"),
		topicTag: p.Get("topic_tag"), replyTo: p.Get("reply_to_id"), quoteID: p.Get("quote_post_id"),
		replyControl: p.Get("reply_control"),
		item:         p.Get("is_carousel_item") == "true" || p.Get("is_carousel_item") == "1",
		autoPublish:  p.Get("auto_publish_text") == "true" || p.Get("auto_publish_text") == "1",
	}
	for _, c := range strings.Split(p.Get("children"), ",") {
		if c = strings.TrimSpace(c); c != "" {
			cr.children = append(cr.children, c)
		}
	}
	if e := checkShape(cr); e != nil {
		return cr, e
	}
	return cr, checkContent(cr)
}

// checkShape checks the media type and the URLs or children it needs.
func checkShape(cr createReq) *graph.Error {
	need := func(name, v string) *graph.Error {
		if v == "" {
			e := graph.MissingParam(graph.TypeThreads, name)
			return &e
		}
		return nil
	}
	switch cr.mediaType {
	case "":
		return need("media_type", "")
	case typeText:
		if cr.item {
			return bad("Param is_carousel_item is only valid for IMAGE and VIDEO containers")
		}
		return need("text", cr.text)
	case typeImage:
		return need("image_url", cr.imageURL)
	case typeVideo:
		return need("video_url", cr.videoURL)
	case typeCarousel:
		if cr.item || len(cr.children) < minChildren || len(cr.children) > maxChildren {
			return bad("Param children must list 2 to 20 carousel item containers; got " + strconv.Itoa(len(cr.children)))
		}
		return nil
	}
	return bad("Param media_type must be one of TEXT, IMAGE, VIDEO, CAROUSEL")
}

// checkContent checks text length, links, topic tag, alt text and the
// options that only some media types take.
func checkContent(cr createReq) *graph.Error {
	if n := TextLength(cr.text); n > MaxTextLength {
		return bad("Param text must be at most 500 characters long (emoji count as their UTF-8 bytes); got " + strconv.Itoa(n))
	}
	if cr.link != "" && cr.mediaType != typeText {
		return bad("Param link_attachment is only supported on TEXT posts")
	}
	if links := UniqueLinks(cr.text, cr.link); len(links) > MaxLinks {
		return &graph.Error{Code: 100, Type: graph.TypeThreads, Message: "(#100) THREADS_API__LINK_LIMIT_EXCEEDED: " +
			"a post may contain at most 5 unique links across text and link_attachment",
			UserTitle: "Too many links", UserMsg: "The post has " + strconv.Itoa(len(links)) + " unique links; the limit is 5."}
	}
	if cr.topicTag != "" {
		if n := utf8.RuneCountInString(cr.topicTag); n > maxTopicTag || strings.ContainsAny(cr.topicTag, ".&") {
			return bad("Param topic_tag must be 1 to 50 characters without '.' or '&'")
		}
	}
	if cr.altText != "" && cr.mediaType != typeImage && cr.mediaType != typeVideo {
		return bad("Param alt_text is only supported on IMAGE and VIDEO containers")
	}
	if utf8.RuneCountInString(cr.altText) > maxAltText {
		return bad("Param alt_text must be at most 1000 characters long")
	}
	if cr.replyControl != "" && !slices.Contains(replyControls, cr.replyControl) {
		return bad("Param reply_control must be one of " + strings.Join(replyControls, ", "))
	}
	if cr.autoPublish && cr.mediaType != typeText {
		return bad("Param auto_publish_text is only supported on TEXT posts")
	}
	return nil
}

// handleCreate serves POST /{user_id|me}/threads: it checks the
// parameters, fetches the media URL (outside the lock) and stores a
// container. With auto_publish_text=true a TEXT post is published at once
// and the answer's id is the media id.
func (s *Sim) handleCreate(w http.ResponseWriter, r *http.Request) {
	u, ok := s.core.AuthEdge(w, r, ScopeContentPublish)
	if !ok {
		return
	}
	cr, gerr := parseCreate(graph.CallFrom(r).Params)
	if gerr == nil {
		gerr = s.checkRefs(cr)
	}
	if gerr != nil {
		graph.WriteError(w, *gerr)
		return
	}
	var c *container
	switch cr.mediaType {
	case typeCarousel:
		c, gerr = s.carousel(u, cr)
	case typeText:
		c, gerr = s.text(u, cr)
	default:
		c, gerr = s.single(r, u, cr)
	}
	if gerr != nil {
		graph.WriteError(w, *gerr)
		return
	}
	id := c.ID
	if c.autoPublish {
		id = c.MediaID
	}
	graph.WriteJSON(w, http.StatusOK, map[string]string{"id": id})
}

// checkRefs checks that reply_to_id and quote_post_id name published
// media.
func (s *Sim) checkRefs(cr createReq) *graph.Error {
	s.core.Lock()
	defer s.core.Unlock()
	if cr.replyTo != "" && s.postsByID[cr.replyTo] == nil {
		return bad("Param reply_to_id must be the id of a published post or reply; " + cr.replyTo + " is not")
	}
	if cr.quoteID != "" && s.postsByID[cr.quoteID] == nil {
		return bad("Param quote_post_id must be the id of a published post; " + cr.quoteID + " is not")
	}
	return nil
}

// text stores a TEXT container, publishing it at once with
// auto_publish_text.
func (s *Sim) text(u *graph.Account, cr createReq) (*container, *graph.Error) {
	s.core.Lock()
	defer s.core.Unlock()
	c := &container{createReq: cr}
	if cr.autoPublish {
		if gerr := s.quotaLocked(u, cr.replyTo != "", s.core.NowLocked()); gerr != nil {
			return nil, gerr
		}
	}
	s.storeLocked(u, c, s.opts.ImageProcessing)
	if cr.autoPublish {
		s.publishLocked(u, c, s.core.NowLocked())
	}
	return c, nil
}
