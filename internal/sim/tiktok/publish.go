package tiktok

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// The statuses of status/fetch.
const (
	StatusProcessingUpload   = "PROCESSING_UPLOAD"
	StatusProcessingDownload = "PROCESSING_DOWNLOAD"
	StatusSendToUserInbox    = "SEND_TO_USER_INBOX"
	StatusPublishComplete    = "PUBLISH_COMPLETE"
	StatusFailed             = "FAILED"
)

// Publish modes, sources and media types.
const (
	ModeDirect     = "direct" // Direct Post: video/init, or content/init with DIRECT_POST
	ModeInbox      = "inbox"  // Upload: inbox/video/init, or content/init with MEDIA_UPLOAD
	SourceFile     = "FILE_UPLOAD"
	SourcePull     = "PULL_FROM_URL"
	MediaTypeVideo = "VIDEO"
	MediaTypePhoto = "PHOTO"
)

// A Post is one publish: a direct post or an inbox upload, of a video or
// of photos, in whatever state it is.
type Post struct {
	PublishID string
	// PublicID is the video id (decimal, above 2^53) once the post is
	// PUBLISH_COMPLETE, PUBLIC_TO_EVERYONE and past ModerationDelay; ""
	// otherwise.
	PublicID  string
	OpenID    string
	Username  string
	Mode      string // ModeDirect or ModeInbox
	MediaType string // MediaTypeVideo or MediaTypePhoto
	Source    string // SourceFile or SourcePull
	Title     string
	// Description is a photo post's caption.
	Description string
	// PrivacyLevel is the post_info one; for an inbox upload it is ""
	// until FinishInbox picks PUBLIC_TO_EVERYONE or SELF_ONLY.
	PrivacyLevel                               string
	DisableComment, DisableDuet, DisableStitch bool
	BrandContent, BrandOrganic, AIGC           bool
	AutoAddMusic                               bool
	VideoCoverTimestampMs                      int64
	PhotoCoverIndex                            int
	Status                                     string
	FailReason                                 string // set when Status is FAILED
	// VideoSize is the declared video_size of a FILE_UPLOAD,
	// UploadedBytes what arrived, SHA256 the hex digest of the bytes once
	// the last chunk arrived; DownloadedBytes is what a pull read.
	VideoSize, UploadedBytes, DownloadedBytes int64
	SHA256                                    string
	Media                                     []MediaFile // pulled files, in order
	CreatedAt                                 time.Time   // the init
	CompletedAt                               time.Time   // PUBLISH_COMPLETE; zero before
}

// A MediaFile is one pulled media URL. The bytes are not kept.
type MediaFile struct {
	URL    string
	Bytes  int64
	Format string // "jpeg", "webp", "mp4", "mov", "webm", … or "" if unknown
}

// publish is a Post with its processing state.
type publish struct {
	Post
	up      *upload   // FILE_UPLOAD only
	readyAt time.Time // when processing ends; zero while uploading or pulling
	failure string    // fail_reason found while processing
	forced  string    // fail_reason of a processing_failed fault
}

// advanceLocked moves p along its states up to now. Callers hold s.mu.
func (s *Sim) advanceLocked(p *publish, now time.Time) {
	switch p.Status {
	case StatusPublishComplete:
		s.revealLocked(p, now)
		return
	case StatusFailed, StatusSendToUserInbox:
		return
	}
	if p.readyAt.IsZero() || now.Before(p.readyAt) {
		return
	}
	reason := p.forced
	if reason == "" {
		reason = p.failure
	}
	switch {
	case reason != "":
		p.Status, p.FailReason = StatusFailed, reason
	case p.Mode == ModeInbox:
		p.Status = StatusSendToUserInbox
	default:
		p.Status, p.CompletedAt = StatusPublishComplete, p.readyAt
		s.revealLocked(p, now)
	}
}

// revealLocked gives a complete public post its video id once
// ModerationDelay has passed. Callers hold s.mu.
func (s *Sim) revealLocked(p *publish, now time.Time) {
	if p.PublicID != "" || p.PrivacyLevel != PrivacyPublic || now.Before(p.CompletedAt.Add(s.opts.ModerationDelay)) {
		return
	}
	p.PublicID = s.publicIDs.Next()
	s.byPublic[p.PublicID] = p
}

// settleLocked advances every publish. Callers hold s.mu.
func (s *Sim) settleLocked() {
	now := s.now()
	for _, p := range s.pubs {
		s.advanceLocked(p, now)
	}
}

// publicCountLocked counts the public videos of a user. Callers hold s.mu.
func (s *Sim) publicCountLocked(openID string) int {
	s.settleLocked()
	n := 0
	for _, p := range s.pubs {
		if p.OpenID == openID && p.PublicID != "" {
			n++
		}
	}
	return n
}

// snapshot returns a copy of p's Post.
func (p *publish) snapshot() Post {
	out := p.Post
	out.Media = slices.Clone(p.Media)
	return out
}

// Posts returns every publish, oldest first: direct posts and inbox
// uploads, finished or not, with their state on the simulator's clock.
func (s *Sim) Posts() []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked()
	out := make([]Post, len(s.pubs))
	for i, p := range s.pubs {
		out[i] = p.snapshot()
	}
	return out
}

// FinishInbox acts as the user who opens an inbox upload in the TikTok
// app and posts it: publicly (PUBLIC_TO_EVERYONE, which gets a video id)
// or privately (SELF_ONLY). The upload must be in SEND_TO_USER_INBOX.
func (s *Sim) FinishInbox(publishID string, public bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pubByID[publishID]
	if p == nil {
		return fmt.Errorf("tiktok sim: FinishInbox: no publish %q", publishID)
	}
	now := s.now()
	s.advanceLocked(p, now)
	if p.Status != StatusSendToUserInbox {
		return fmt.Errorf("tiktok sim: FinishInbox: publish %q is %s, not %s; advance the clock past the processing or check the upload",
			publishID, p.Status, StatusSendToUserInbox)
	}
	p.PrivacyLevel = PrivacySelfOnly
	if public {
		p.PrivacyLevel = PrivacyPublic
	}
	p.Status, p.CompletedAt = StatusPublishComplete, now
	s.revealLocked(p, now)
	return nil
}

// publishRequest is the body of status/fetch and cancel.
type publishRequest struct {
	PublishID string `json:"publish_id"`
}

// ownPublish decodes the body and returns the caller's publish it names.
func (s *Sim) ownPublish(r *http.Request, c caller) (*publish, *apiError) {
	var req publishRequest
	if e := decodeJSON(r, &req); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pubByID[req.PublishID]
	switch {
	case req.PublishID == "":
		e := errParams("publish_id is required")
		return nil, &e
	case p == nil:
		return nil, &apiError{Status: http.StatusBadRequest, Code: codeInvalidPublishID, Message: msgInvalidPublishID}
	case p.OpenID != c.user.OpenID:
		return nil, &apiError{Status: http.StatusBadRequest, Code: codeNotYourPublish, Message: msgNotYourPublish}
	}
	s.advanceLocked(p, s.now())
	return p, nil
}

// handleStatus serves POST /v2/post/publish/status/fetch/.
func (s *Sim) handleStatus(w http.ResponseWriter, r *http.Request, c caller) {
	p, e := s.ownPublish(r, c)
	if e != nil {
		s.writeErr(w, *e)
		return
	}
	s.mu.Lock()
	ids := []int64{}
	if p.PublicID != "" {
		n, _ := strconv.ParseInt(p.PublicID, 10, 64)
		ids = append(ids, n)
	}
	data := map[string]any{"status": p.Status, "publicaly_available_post_id": ids}
	if p.Status == StatusFailed {
		data["fail_reason"] = p.FailReason
	}
	if p.Source == SourceFile {
		data["uploaded_bytes"] = p.UploadedBytes
	} else {
		data["downloaded_bytes"] = p.DownloadedBytes
	}
	s.mu.Unlock()
	s.writeData(w, data)
}

// handleCancel serves POST /v2/post/publish/cancel/: a pull still
// downloading ends FAILED with publish_cancelled; anything else is
// publish_not_cancellable.
func (s *Sim) handleCancel(w http.ResponseWriter, r *http.Request, c caller) {
	p, e := s.ownPublish(r, c)
	if e != nil {
		s.writeErr(w, *e)
		return
	}
	s.mu.Lock()
	ok := p.Source == SourcePull && p.Status == StatusProcessingDownload
	if ok {
		p.Status, p.FailReason = StatusFailed, "publish_cancelled"
	}
	s.mu.Unlock()
	if !ok {
		s.writeErr(w, apiError{Status: http.StatusBadRequest, Code: codeNotCancellable,
			Message: "Only a PULL_FROM_URL publish that is still downloading can be cancelled."})
		return
	}
	s.writeData(w, struct{}{})
}
