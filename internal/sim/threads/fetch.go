package threads

import (
	"net/http"
	"strings"
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
func (s *Sim) single(r *http.Request, u *User, cr createReq) (*container, *graph.Error) {
	c := &container{createReq: cr}
	failure, processing := "", s.opts.ImageProcessing
	if cr.mediaType == typeVideo {
		processing = s.opts.VideoProcessing
		f := s.fetcher.Fetch(r.Context(), cr.videoURL, s.opts.MaxFetchBytes)
		c.files = append(c.files, file(typeVideo, f))
		switch {
		case !f.OK():
			failure = "FAILED_DOWNLOADING_VIDEO"
		case f.Format != graph.FormatMP4 && f.Format != graph.FormatMOV:
			failure = "FAILED_PROCESSING_VIDEO"
		}
	} else {
		f, gerr := s.fetchImage(r, cr.imageURL)
		if gerr != nil {
			return nil, gerr
		}
		c.files = append(c.files, file(typeImage, f))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.storeLocked(u, c, processing)
	if failure != "" {
		c.Fail(failure, c.ReadyAt)
	}
	return c, nil
}

func file(kind string, f graph.Fetched) MediaFile {
	return MediaFile{Kind: kind, URL: f.URL, Bytes: f.Bytes, Format: f.Format}
}

// fetchImage fetches an image URL and checks it is a JPEG or PNG of at
// most 8 MiB.
func (s *Sim) fetchImage(r *http.Request, url string) (graph.Fetched, *graph.Error) {
	f := s.fetcher.Fetch(r.Context(), url, maxImageBytes)
	switch {
	case !f.OK():
		return f, &graph.Error{Code: 9004, Subcode: 2207052, Type: graph.TypeThreads, Transient: graph.Bool(false),
			Message: "The media could not be fetched from this URI", UserTitle: "Media download has failed.",
			UserMsg: "The media could not be fetched from this URI: " + graph.RedactURL(url) + " (" + f.Err + "). Check that it is public and try again."}
	case f.TooLarge:
		return f, &graph.Error{Code: 36000, Subcode: 2207004, Type: graph.TypeThreads, Transient: graph.Bool(false),
			Message: "The image size is too large.", UserTitle: "Image size too large",
			UserMsg: "The image is larger than 8 MiB; send a smaller file."}
	case f.Format != graph.FormatJPEG && f.Format != graph.FormatPNG:
		got := f.Format
		if got == "" {
			got = "an unknown format"
		}
		return f, &graph.Error{Code: 36001, Subcode: 2207005, Type: graph.TypeThreads, Transient: graph.Bool(false),
			Message: "The image format is not supported.", UserTitle: "Image format not supported",
			UserMsg: "Only JPEG and PNG images are supported; " + graph.RedactURL(url) + " is " + strings.ToUpper(got) + "."}
	}
	return f, nil
}

// carousel builds a CAROUSEL container from finished items of u.
func (s *Sim) carousel(u *User, cr createReq) (*container, *graph.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
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

// storeLocked saves a new container of u. Callers hold s.mu.
func (s *Sim) storeLocked(u *User, c *container, processing time.Duration) {
	c.Container = graph.NewContainer(s.containerIDs.Next(), u.ID, s.now(), processing)
	s.containers[c.ID] = c
}

// notReady is the error observed when publishing an unready container:
// code 24 "The requested resource does not exist".
func notReady(msg string) *graph.Error {
	return &graph.Error{Code: 24, Type: graph.TypeThreads, Message: "The requested resource does not exist", UserMsg: msg}
}
