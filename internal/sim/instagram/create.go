package instagram

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sns-os/snsos/internal/sim/graph"
)

// Caption, alt text, carousel and image limits [DOC IG User Media].
const (
	maxCaption  = 2200
	maxHashtags = 30
	maxMentions = 20
	maxAltText  = 1000
	minChildren = 2
	maxChildren = 10
)

// Media types (as requested and as reported), product types and the kind
// of a reel's cover file.
const (
	mediaReels         = "REELS"
	mediaStories       = "STORIES"
	mediaCarousel      = "CAROUSEL"
	mediaVideo         = "VIDEO"
	mediaImage         = "IMAGE"
	productFeed        = "FEED"
	productReels       = "REELS"
	productStory       = "STORY"
	kindCover          = "COVER"
	mediaCarouselAlbum = "CAROUSEL_ALBUM"
)

// A container is a media container with what it will publish.
type container struct {
	*graph.Container
	mediaType   string // as requested: "", IMAGE, VIDEO, REELS, STORIES or CAROUSEL
	item        bool   // is_carousel_item
	video       bool
	caption     string
	altText     string
	shareToFeed bool
	children    []string
	files       []MediaFile
}

// createReq is the parameter set of POST /{ig_user_id}/media.
type createReq struct {
	mediaType, imageURL, videoURL, coverURL, caption, altText string
	item, shareToFeed                                         bool
	children                                                  []string
}

var (
	hashtagRe = regexp.MustCompile(`#[\p{L}\p{N}_]+`)
	mentionRe = regexp.MustCompile(`@[A-Za-z0-9._]+`)
)

// parseCreate reads and checks the parameters that need no state.
func parseCreate(p url.Values) (createReq, *graph.Error) {
	cr := createReq{
		mediaType: strings.ToUpper(p.Get("media_type")), imageURL: p.Get("image_url"), videoURL: p.Get("video_url"),
		coverURL: p.Get("cover_url"), caption: p.Get("caption"), altText: p.Get("alt_text"),
		item: p.Get("is_carousel_item") == "true" || p.Get("is_carousel_item") == "1",
	}
	cr.shareToFeed = p.Get("share_to_feed") != "false" && p.Get("share_to_feed") != "0"
	for _, c := range strings.Split(p.Get("children"), ",") {
		if c = strings.TrimSpace(c); c != "" {
			cr.children = append(cr.children, c)
		}
	}
	if v := p.Get("thumb_offset"); v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < 0 {
			return cr, errp(graph.Error{Code: 1, Subcode: 2207057, Type: graph.TypeIGAPI, Transient: graph.Bool(false),
				Message: "Invalid parameter", UserTitle: "Invalid thumbnail offset",
				UserMsg: "thumb_offset must be a non-negative number of milliseconds within the video."})
		}
	}
	if e := checkShape(cr); e != nil {
		return cr, e
	}
	if !cr.item && cr.mediaType != mediaStories {
		if e := checkCaption(cr.caption); e != nil {
			return cr, e
		}
	}
	if utf8.RuneCountInString(cr.altText) > maxAltText {
		return cr, errp(graph.InvalidParam(graph.TypeIGAPI, "alt_text must be at most 1000 characters"))
	}
	if cr.altText != "" && (cr.mediaType != "" && cr.mediaType != mediaImage) {
		return cr, errp(graph.InvalidParam(graph.TypeIGAPI, "alt_text is only supported for images"))
	}
	return cr, nil
}

func errp(e graph.Error) *graph.Error { return &e }

// unknownType is the error for a media type a request cannot use.
func unknownType(msg string) *graph.Error {
	return errp(graph.Error{Code: 100, Subcode: 2207023, Type: graph.TypeIGAPI, Transient: graph.Bool(false),
		Message: "(#100) " + msg, UserTitle: "Unknown media type", UserMsg: msg})
}

// checkShape checks which URLs and children each media type needs.
func checkShape(cr createReq) *graph.Error {
	need := func(name, v string) *graph.Error {
		if v == "" {
			return errp(graph.MissingParam(graph.TypeIGAPI, name))
		}
		return nil
	}
	switch {
	case cr.item && (cr.mediaType == "" || cr.mediaType == mediaImage):
		return need("image_url", cr.imageURL)
	case cr.item && cr.mediaType == mediaVideo:
		return need("video_url", cr.videoURL)
	case cr.item:
		return unknownType("Carousel items must be images, or videos with media_type=VIDEO.")
	case cr.mediaType == "" || cr.mediaType == mediaImage:
		return need("image_url", cr.imageURL)
	case cr.mediaType == mediaReels:
		return need("video_url", cr.videoURL)
	case cr.mediaType == mediaStories:
		if cr.imageURL == "" && cr.videoURL == "" {
			return errp(graph.MissingParam(graph.TypeIGAPI, "image_url or video_url"))
		}
		return nil
	case cr.mediaType == mediaCarousel:
		if len(cr.children) < minChildren || len(cr.children) > maxChildren {
			return errp(graph.Error{Code: 100, Subcode: 2207028, Type: graph.TypeIGAPI, Transient: graph.Bool(false),
				Message: "(#100) The carousel must have between 2 and 10 children.", UserTitle: "Invalid number of carousel items",
				UserMsg: "A carousel needs 2 to 10 items; got " + strconv.Itoa(len(cr.children)) + "."})
		}
		return nil
	case cr.mediaType == mediaVideo:
		return unknownType("media_type VIDEO is only for carousel items; publish a single video as REELS.")
	}
	return unknownType("media_type " + cr.mediaType + " is not one of IMAGE, REELS, STORIES, CAROUSEL or VIDEO (carousel items).")
}

// checkCaption enforces the caption limits: too long or too many hashtags
// is 36004/2207010, too many @mentions 100/2207040.
func checkCaption(caption string) *graph.Error {
	tooLong := func(msg string) *graph.Error {
		return errp(graph.Error{Code: 36004, Subcode: 2207010, Type: graph.TypeIGAPI, Transient: graph.Bool(false),
			Message: "The caption is too long.", UserTitle: "Caption too long", UserMsg: msg})
	}
	switch {
	case utf8.RuneCountInString(caption) > maxCaption:
		return tooLong("The caption has " + strconv.Itoa(utf8.RuneCountInString(caption)) + " characters; the limit is 2200.")
	case len(hashtagRe.FindAllString(caption, -1)) > maxHashtags:
		return tooLong("The caption has more than 30 hashtags.")
	case len(mentionRe.FindAllString(caption, -1)) > maxMentions:
		return errp(graph.Error{Code: 100, Subcode: 2207040, Type: graph.TypeIGAPI, Transient: graph.Bool(false),
			Message: "(#100) Too many tags.", UserTitle: "Too many tags",
			UserMsg: "A caption can @mention at most 20 accounts."})
	}
	return nil
}

// handleCreate serves POST /{ig_user_id}/media: it checks the parameters,
// fetches the media URLs (outside the lock) and stores a container.
func (s *Sim) handleCreate(w http.ResponseWriter, r *http.Request) {
	u, ok := s.core.AuthEdge(w, r, ScopeContentPublish)
	if !ok {
		return
	}
	cr, gerr := parseCreate(graph.CallFrom(r).Params)
	if gerr == nil {
		gerr = s.checkContainerLimit(u)
	}
	if gerr != nil {
		graph.WriteError(w, *gerr)
		return
	}
	var c *container
	if cr.mediaType == mediaCarousel {
		c, gerr = s.carousel(u, cr)
	} else {
		c, gerr = s.single(r, u, cr)
	}
	if gerr != nil {
		graph.WriteError(w, *gerr)
		return
	}
	graph.WriteJSON(w, http.StatusOK, map[string]string{"id": c.ID})
}

// checkContainerLimit refuses a container past ContainerLimit per 24 h.
func (s *Sim) checkContainerLimit(u *graph.Account) *graph.Error {
	s.core.Lock()
	defer s.core.Unlock()
	if s.created.Used(u.UserID, s.core.NowLocked()) < s.opts.ContainerLimit {
		return nil
	}
	return errp(graph.Error{Code: 4, Type: graph.TypeIGAPI, Transient: graph.Bool(false),
		Message: "(#4) Application request limit reached", UserTitle: "Too many containers",
		UserMsg: "This account created " + strconv.Itoa(s.opts.ContainerLimit) + " containers in the last 24 hours; wait before creating more."})
}

// storeLocked saves a new container of u. Callers hold the core's lock.
func (s *Sim) storeLocked(u *graph.Account, c *container, processing time.Duration) {
	c.Container = s.core.NewContainerLocked(u.UserID, processing)
	s.containers[c.ID] = c
	s.created.Add(u.UserID, c.Created)
}
