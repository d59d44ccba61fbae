package tiktok

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/sns-os/snsos/internal/sim/graph"
)

// Post modes of content/init.
const (
	PostModeDirect = "DIRECT_POST"
	PostModeUpload = "MEDIA_UPLOAD"
)

// handleContentInit serves POST /v2/post/publish/content/init/: a photo
// post, direct (DIRECT_POST, scope video.publish) or to the inbox
// (MEDIA_UPLOAD, scope video.upload). The photos are pulled at once; a
// failed pull shows as FAILED photo_pull_failed once ProcessingDuration
// has passed.
func (s *Sim) handleContentInit(w http.ResponseWriter, r *http.Request, c caller) {
	var req initRequest
	if e := decodeJSON(r, &req); e != nil {
		s.writeErr(w, *e)
		return
	}
	if e := s.checkPhotoRequest(c, &req); e != nil {
		s.writeErr(w, *e)
		return
	}
	pi, si := req.PostInfo, req.SourceInfo
	p := &publish{Post: Post{Mode: ModeDirect, MediaType: MediaTypePhoto, Source: SourcePull, Title: pi.Title,
		Description: pi.Description, DisableComment: pi.DisableComment, AutoAddMusic: pi.AutoAddMusic,
		Status: StatusProcessingDownload}}
	if si.PhotoCoverIndex != nil {
		p.PhotoCoverIndex = *si.PhotoCoverIndex
	}
	if req.PostMode == PostModeUpload {
		p.Mode = ModeInbox
	} else {
		p.PrivacyLevel, p.BrandContent, p.BrandOrganic = pi.PrivacyLevel, *pi.BrandContentToggle, *pi.BrandOrganicToggle
	}
	s.mu.Lock()
	e := s.createLocked(c.user, p)
	s.mu.Unlock()
	if e != nil {
		s.writeErr(w, *e)
		return
	}
	s.pull(r, p, si.PhotoImages, true)
	s.writeData(w, map[string]any{"publish_id": p.PublishID})
}

// checkPhotoRequest validates a content/init body for the caller.
func (s *Sim) checkPhotoRequest(c caller, req *initRequest) *apiError {
	fail := func(format string, args ...any) *apiError {
		e := errParams(fmt.Sprintf(format, args...))
		return &e
	}
	if req.MediaType != MediaTypePhoto {
		return fail("media_type must be PHOTO")
	}
	switch req.PostMode {
	case PostModeDirect:
		if !c.has(ScopeVideoPublish) {
			return &errScope
		}
		s.mu.Lock()
		e := s.checkPostInfoLocked(c.user, req.PostInfo, true)
		s.mu.Unlock()
		if e != nil {
			return e
		}
	case PostModeUpload:
		if !c.has(ScopeVideoUpload) {
			return &errScope
		}
		if req.PostInfo == nil {
			return fail("post_info is required")
		}
		if e := checkTexts(req.PostInfo, true); e != nil {
			return e
		}
	default:
		return fail("post_mode must be DIRECT_POST or MEDIA_UPLOAD")
	}
	si := req.SourceInfo
	switch {
	case si == nil:
		return fail("source_info is required")
	case si.Source != SourcePull:
		return fail("photo posts take source_info.source PULL_FROM_URL only")
	case len(si.PhotoImages) < 1 || len(si.PhotoImages) > maxPhotos:
		return fail("source_info.photo_images must hold 1 to %d URLs", maxPhotos)
	case si.PhotoCoverIndex != nil && (*si.PhotoCoverIndex < 0 || *si.PhotoCoverIndex >= len(si.PhotoImages)):
		return fail("source_info.photo_cover_index must index photo_images (0 to %d)", len(si.PhotoImages)-1)
	}
	for i, u := range si.PhotoImages {
		if e := s.checkPullURL(fmt.Sprintf("source_info.photo_images[%d]", i), u); e != nil {
			return e
		}
	}
	return nil
}

// pull fetches the media of a PULL_FROM_URL publish, records what was
// read and starts its processing clock (from the init). The first bad
// file decides the fail_reason.
func (s *Sim) pull(r *http.Request, p *publish, urls []string, photo bool) {
	var files []MediaFile
	var total int64
	failure := ""
	for _, u := range urls {
		limit := s.opts.MaxFetchBytes
		if photo {
			limit = maxPhotoBytes
		}
		f := s.fetcher.Fetch(r.Context(), u, limit)
		files = append(files, MediaFile{URL: u, Bytes: f.Bytes, Format: f.Format})
		total += f.Bytes
		if failure == "" {
			failure = pullFailure(f, photo)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p.Media, p.DownloadedBytes, p.failure = files, total, failure
	p.readyAt = p.CreatedAt.Add(s.opts.ProcessingDuration)
}

// pullFailure is the fail_reason of one pulled file, "" when it is fine.
// graph.Sniff knows MP4 and MOV but not WebM, so a pulled WebM video
// fails the format check (uploads are sniffed by sniffVideo, which knows
// WebM).
func pullFailure(f graph.Fetched, photo bool) string {
	format := f.Format
	switch {
	case !f.OK() && photo:
		return "photo_pull_failed"
	case !f.OK():
		return "video_pull_failed"
	case photo && f.TooLarge:
		return "picture_size_check_failed"
	case photo && format != graph.FormatJPEG && format != graph.FormatWebP:
		return "file_format_check_failed"
	case !photo && !isVideoFormat(format):
		return "file_format_check_failed"
	}
	return ""
}

// formatWebM is the format name of WebM files, which graph.Sniff does not
// know.
const formatWebM = "webm"

// webmMagic starts every WebM (EBML) file.
var webmMagic = []byte{0x1A, 0x45, 0xDF, 0xA3}

// sniffVideo names the format of a video from its first bytes.
func sniffVideo(head []byte) string {
	if bytes.HasPrefix(head, webmMagic) {
		return formatWebM
	}
	return graph.Sniff(head)
}

func isVideoFormat(f string) bool {
	return f == graph.FormatMP4 || f == graph.FormatMOV || f == formatWebM
}
