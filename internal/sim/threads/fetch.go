package threads

import (
	"net/http"
	"time"

	"github.com/sns-os/snsos/internal/sim/graph"
)

// Media fetching. The simulator GETs image_url or video_url when the
// container is created:
//
//   - an image that cannot be fetched (no answer or a non-2xx status) is
//     refused at once with 9004/2207052 "The media could not be fetched
//     from this URI"; one over 8 MiB with 36000/2207004; one that is
//     neither JPEG nor PNG with 36001/2207005;
//   - a video is accepted whatever happens, as Meta downloads it
//     asynchronously: a failed fetch makes the container go from
//     IN_PROGRESS to ERROR with error_message FAILED_DOWNLOADING_VIDEO
//     when VideoProcessing has passed, a file that is not MP4 or MOV to
//     ERROR with FAILED_PROCESSING_VIDEO.

// single builds the container of an IMAGE or VIDEO post or carousel item.
func (s *Sim) single(r *http.Request, u *graph.Account, cr createReq) (*container, *graph.Error) {
	c := &container{createReq: cr}
	failure, processing := "", s.opts.ImageProcessing
	if cr.mediaType == typeVideo {
		processing = s.opts.VideoProcessing
		f := s.core.Fetcher().Fetch(r.Context(), cr.videoURL, s.opts.MaxFetchBytes)
		c.files = append(c.files, MediaFile(f.File(typeVideo)))
		switch {
		case !f.OK():
			failure = "FAILED_DOWNLOADING_VIDEO"
		case !f.IsVideo():
			failure = "FAILED_PROCESSING_VIDEO"
		}
	} else {
		f, gerr := s.core.Fetcher().Image(r.Context(), cr.imageURL, imageRule)
		if gerr != nil {
			return nil, gerr
		}
		c.files = append(c.files, MediaFile(f.File(typeImage)))
	}
	s.core.Lock()
	defer s.core.Unlock()
	s.storeLocked(u, c, processing)
	if failure != "" {
		c.Fail(failure, c.ReadyAt)
	}
	return c, nil
}

// imageRule is what Threads accepts as an image: a JPEG or a PNG.
var imageRule = graph.ImageRule{Type: graph.TypeThreads, Formats: []string{graph.FormatJPEG, graph.FormatPNG},
	FetchFailed: "The media could not be fetched from this URI"}

// carousel builds a CAROUSEL container from finished items of u.
func (s *Sim) carousel(u *graph.Account, cr createReq) (*container, *graph.Error) {
	s.core.Lock()
	defer s.core.Unlock()
	now := s.core.NowLocked()
	c := &container{createReq: cr}
	for _, id := range cr.children {
		ch := s.containers[id]
		switch {
		case ch == nil || ch.OwnerID != u.ID:
			return nil, bad("Param children: " + id + " is not a container of this account")
		case !ch.item:
			return nil, bad("Param children: " + id + " is not a carousel item; create items with is_carousel_item=true")
		case ch.Status(now) != graph.StatusFinished:
			return nil, notReady("Carousel item " + id + " is " + string(ch.Status(now)) + "; wait until every item is FINISHED.")
		}
		c.files = append(c.files, ch.files...)
	}
	s.storeLocked(u, c, s.opts.ImageProcessing)
	return c, nil
}

// storeLocked saves a new container of u. Callers hold the core's lock.
func (s *Sim) storeLocked(u *graph.Account, c *container, processing time.Duration) {
	c.Container = s.core.NewContainerLocked(u.ID, processing)
	s.containers[c.ID] = c
}

// notReady is the error observed when publishing an unready container:
// code 24 "The requested resource does not exist".
func notReady(msg string) *graph.Error {
	return &graph.Error{Code: 24, Type: graph.TypeThreads, Message: "The requested resource does not exist", UserMsg: msg}
}
