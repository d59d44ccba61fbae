package instagram

import (
	"net/http"

	"github.com/sns-os/snsos/internal/sim/graph"
)

// Media fetching. The simulator GETs every URL it is given when the
// container is created:
//
//   - an image (image_url, cover_url) that cannot be fetched (no answer,
//     or a non-2xx status) is refused at once with 9004/2207052 "Media
//     could not be fetched from this URI"; one over 8 MiB with
//     36000/2207004; one that is not a JPEG with 36001/2207005;
//   - a video (video_url) is accepted whatever happens, as Meta downloads
//     it asynchronously: a failed fetch makes the container go from
//     IN_PROGRESS to ERROR with status "Error: Media upload has failed
//     with error code 2207052" when VideoProcessing has passed, a file
//     that is not MP4 or MOV to ERROR with error code 2207026.

// single builds the container of an image, reel, story or carousel item.
func (s *Sim) single(r *http.Request, u *graph.Account, cr createReq) (*container, *graph.Error) {
	video := cr.mediaType == mediaReels || (cr.item && cr.mediaType == mediaVideo) ||
		(cr.mediaType == mediaStories && cr.imageURL == "")
	if cr.mediaType == mediaStories && cr.imageURL != "" && cr.videoURL != "" {
		return nil, errp(graph.InvalidParam(graph.TypeIGAPI, "a story takes image_url or video_url, not both"))
	}
	c := &container{mediaType: cr.mediaType, item: cr.item, video: video, caption: cr.caption,
		altText: cr.altText, shareToFeed: cr.shareToFeed}
	failure := ""
	if video {
		f := s.core.Fetcher().Fetch(r.Context(), cr.videoURL, s.opts.MaxFetchBytes)
		c.files = append(c.files, MediaFile(f.File(mediaVideo)))
		switch {
		case !f.OK():
			failure = uploadFailed(2207052)
		case !f.IsVideo():
			failure = uploadFailed(2207026)
		}
		if cr.coverURL != "" {
			cf, gerr := s.core.Fetcher().Image(r.Context(), cr.coverURL, imageRule)
			if gerr != nil {
				return nil, gerr
			}
			c.files = append(c.files, MediaFile(cf.File(kindCover)))
		}
	} else {
		f, gerr := s.core.Fetcher().Image(r.Context(), cr.imageURL, imageRule)
		if gerr != nil {
			return nil, gerr
		}
		c.files = append(c.files, MediaFile(f.File(mediaImage)))
	}
	s.core.Lock()
	defer s.core.Unlock()
	processing := s.opts.ImageProcessing
	if video {
		processing = s.opts.VideoProcessing
	}
	s.storeLocked(u, c, processing)
	if failure != "" {
		c.Fail(failure, c.ReadyAt)
	}
	return c, nil
}

// imageRule is what Instagram accepts as an image: a JPEG.
var imageRule = graph.ImageRule{Type: graph.TypeIGAPI, Formats: []string{graph.FormatJPEG},
	FetchFailed: "Media could not be fetched from this URI"}

// carousel builds a CAROUSEL container from finished items of u.
func (s *Sim) carousel(u *graph.Account, cr createReq) (*container, *graph.Error) {
	s.core.Lock()
	defer s.core.Unlock()
	now := s.core.NowLocked()
	c := &container{mediaType: mediaCarousel, caption: cr.caption, shareToFeed: cr.shareToFeed, children: cr.children}
	for _, id := range cr.children {
		ch := s.containers[id]
		switch {
		case ch == nil || ch.OwnerID != u.UserID:
			return nil, errp(graph.InvalidParam(graph.TypeIGAPI, "children: "+id+" is not a container of this account"))
		case !ch.item:
			return nil, errp(graph.InvalidParam(graph.TypeIGAPI, "children: "+id+" is not a carousel item; create items with is_carousel_item=true"))
		}
		switch ch.Status(now) {
		case graph.StatusFinished:
		case graph.StatusExpired:
			return nil, errExpired()
		default:
			return nil, errNotReady("Carousel item " + id + " is " + string(ch.Status(now)) + "; wait until every item is FINISHED.")
		}
		c.files = append(c.files, ch.files...)
	}
	s.storeLocked(u, c, s.opts.ImageProcessing)
	return c, nil
}

// errNotReady is Meta's "not ready for publishing" error.
func errNotReady(msg string) *graph.Error {
	return errp(graph.Error{Code: 9007, Subcode: 2207027, Type: graph.TypeOAuth, Transient: graph.Bool(false),
		Message: "Media ID is not available", UserTitle: "Media is not ready for publishing", UserMsg: msg})
}

// errExpired is the error for an expired container.
func errExpired() *graph.Error {
	return errp(graph.Error{Code: -2, Subcode: 2207020, Type: graph.TypeIGAPI, Transient: graph.Bool(false),
		Message: "The media has expired", UserTitle: "Media expired",
		UserMsg: "The container is more than 24 hours old; create a new one."})
}
