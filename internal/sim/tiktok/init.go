package tiktok

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf16"
)

// Limits of the Content Posting API (docs/platforms/tiktok-x.md §1.3).
const (
	mib              = 1 << 20
	minChunk         = 5 * mib
	maxChunk         = 64 * mib
	maxLastChunk     = 128 * mib
	maxChunks        = 1000
	maxVideoBytes    = 4 << 30
	maxVideoTitle    = 2200 // UTF-16 code units
	maxPhotoTitle    = 90
	maxPhotoDescr    = 4000
	maxPhotos        = 35
	maxPhotoBytes    = 20 * mib
	videoIDPrefixVer = "~v2-1."
	photoIDPrefixVer = "~v2."
)

// postInfo is the post_info object of the init requests.
type postInfo struct {
	Title                 string `json:"title"`
	Description           string `json:"description"`
	PrivacyLevel          string `json:"privacy_level"`
	DisableDuet           bool   `json:"disable_duet"`
	DisableComment        bool   `json:"disable_comment"`
	DisableStitch         bool   `json:"disable_stitch"`
	VideoCoverTimestampMs int64  `json:"video_cover_timestamp_ms"`
	BrandContentToggle    *bool  `json:"brand_content_toggle"`
	BrandOrganicToggle    *bool  `json:"brand_organic_toggle"`
	IsAIGC                bool   `json:"is_aigc"`
	AutoAddMusic          bool   `json:"auto_add_music"`
}

// sourceInfo is the source_info object of the init requests.
type sourceInfo struct {
	Source          string   `json:"source"`
	VideoSize       int64    `json:"video_size"`
	ChunkSize       int64    `json:"chunk_size"`
	TotalChunkCount int64    `json:"total_chunk_count"`
	VideoURL        string   `json:"video_url"`
	PhotoCoverIndex *int     `json:"photo_cover_index"`
	PhotoImages     []string `json:"photo_images"`
}

// initRequest is the body of video/init, inbox/video/init and
// content/init.
type initRequest struct {
	PostInfo   *postInfo   `json:"post_info"`
	SourceInfo *sourceInfo `json:"source_info"`
	PostMode   string      `json:"post_mode"`
	MediaType  string      `json:"media_type"`
}

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// checkPostInfoLocked validates a Direct Post's post_info for u. Callers
// hold s.mu.
func (s *Sim) checkPostInfoLocked(u *User, pi *postInfo, photo bool) *apiError {
	fail := func(format string, args ...any) *apiError {
		e := errParams(fmt.Sprintf(format, args...))
		return &e
	}
	if pi == nil {
		return fail("post_info is required")
	}
	if e := checkTexts(pi, photo); e != nil {
		return e
	}
	switch pi.PrivacyLevel {
	case "":
		return fail("post_info.privacy_level is required: one of creator_info's privacy_level_options %v", s.privacyOptions(u))
	case PrivacyPublic, PrivacyMutual, PrivacyFollowers, PrivacySelfOnly:
	default:
		return fail("post_info.privacy_level %q is not a privacy level", pi.PrivacyLevel)
	}
	if pi.BrandContentToggle == nil || pi.BrandOrganicToggle == nil {
		return fail("post_info.brand_content_toggle and post_info.brand_organic_toggle are required booleans")
	}
	if s.opts.Unaudited && pi.PrivacyLevel != PrivacySelfOnly {
		e := errForbidden(codeUnaudited, msgUnaudited)
		return &e
	}
	if !slices.Contains(s.privacyOptions(u), pi.PrivacyLevel) {
		e := errForbidden(codePrivacyMismatch, msgPrivacyMismatch)
		return &e
	}
	if *pi.BrandContentToggle && pi.PrivacyLevel == PrivacySelfOnly {
		return fail("branded content (brand_content_toggle) cannot be SELF_ONLY")
	}
	return nil
}

// checkTexts checks the title (and a photo's description) lengths.
func checkTexts(pi *postInfo, photo bool) *apiError {
	maxTitle := maxVideoTitle
	if photo {
		maxTitle = maxPhotoTitle
	}
	var msg string
	if n := utf16Len(pi.Title); n > maxTitle {
		msg = fmt.Sprintf("post_info.title is %d UTF-16 code units long; the limit is %d", n, maxTitle)
	} else if n := utf16Len(pi.Description); photo && n > maxPhotoDescr {
		msg = fmt.Sprintf("post_info.description is %d UTF-16 code units long; the limit is %d", n, maxPhotoDescr)
	}
	if msg == "" {
		return nil
	}
	e := errParams(msg)
	return &e
}

// checkChunkPlan enforces the Media Transfer Guide's chunk rules.
func checkChunkPlan(si *sourceInfo) string {
	size, chunk, n := si.VideoSize, si.ChunkSize, si.TotalChunkCount
	switch {
	case size <= 0:
		return "source_info.video_size must be the file size in bytes"
	case size > maxVideoBytes:
		return "source_info.video_size is over the 4 GB limit"
	case size < minChunk && (chunk != size || n != 1):
		return fmt.Sprintf("a video under 5 MB (5242880 bytes) is uploaded whole: chunk_size must be %d and total_chunk_count 1", size)
	case size < minChunk:
		return ""
	case chunk < minChunk || chunk > maxChunk:
		return "source_info.chunk_size must be between 5 MB and 64 MB (5242880 to 67108864 bytes)"
	case chunk > size:
		return "source_info.chunk_size is larger than video_size; send the video whole with chunk_size = video_size"
	case n != size/chunk:
		return fmt.Sprintf("source_info.total_chunk_count must be floor(video_size / chunk_size) = %d", size/chunk)
	case n > maxChunks:
		return "a video is uploaded in 1 to 1000 chunks; use a bigger chunk_size"
	case size-(n-1)*chunk > maxLastChunk:
		return "the last chunk would be over 128 MB; use a bigger chunk_size"
	}
	return ""
}

// checkPullURL checks a PULL_FROM_URL media URL.
func (s *Sim) checkPullURL(field, raw string) *apiError {
	u, err := url.Parse(raw)
	if raw == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		e := errParams(field + " must be an absolute https URL")
		return &e
	}
	if len(s.opts.VerifiedURLPrefixes) > 0 && !slices.ContainsFunc(s.opts.VerifiedURLPrefixes, func(p string) bool {
		return strings.HasPrefix(raw, p)
	}) {
		e := errForbidden(codeURLUnverified, msgURLOwnershipRequired)
		return &e
	}
	return nil
}

// checkVideoSource validates source_info of a video init.
func (s *Sim) checkVideoSource(si *sourceInfo) *apiError {
	if si == nil {
		e := errParams("source_info is required")
		return &e
	}
	switch si.Source {
	case SourceFile:
		if msg := checkChunkPlan(si); msg != "" {
			e := errParams(msg)
			return &e
		}
		return nil
	case SourcePull:
		return s.checkPullURL("source_info.video_url", si.VideoURL)
	}
	e := errParams("source_info.source must be FILE_UPLOAD or PULL_FROM_URL")
	return &e
}

// handleVideoInit serves POST /v2/post/publish/video/init/ (Direct Post).
func (s *Sim) handleVideoInit(w http.ResponseWriter, r *http.Request, c caller) {
	var req initRequest
	if e := decodeJSON(r, &req); e != nil {
		s.writeErr(w, *e)
		return
	}
	s.mu.Lock()
	e := s.checkPostInfoLocked(c.user, req.PostInfo, false)
	s.mu.Unlock()
	if e == nil {
		e = s.checkVideoSource(req.SourceInfo)
	}
	if e != nil {
		s.writeErr(w, *e)
		return
	}
	pi := req.PostInfo
	p := &publish{Post: Post{Mode: ModeDirect, MediaType: MediaTypeVideo, Source: req.SourceInfo.Source,
		Title: pi.Title, PrivacyLevel: pi.PrivacyLevel, DisableComment: pi.DisableComment,
		DisableDuet: pi.DisableDuet, DisableStitch: pi.DisableStitch, BrandContent: *pi.BrandContentToggle,
		BrandOrganic: *pi.BrandOrganicToggle, AIGC: pi.IsAIGC, VideoCoverTimestampMs: pi.VideoCoverTimestampMs}}
	s.startVideo(w, r, c, p, req.SourceInfo)
}

// handleInboxInit serves POST /v2/post/publish/inbox/video/init/ (Upload):
// only source_info counts.
func (s *Sim) handleInboxInit(w http.ResponseWriter, r *http.Request, c caller) {
	var req initRequest
	if e := decodeJSON(r, &req); e != nil {
		s.writeErr(w, *e)
		return
	}
	if e := s.checkVideoSource(req.SourceInfo); e != nil {
		s.writeErr(w, *e)
		return
	}
	p := &publish{Post: Post{Mode: ModeInbox, MediaType: MediaTypeVideo, Source: req.SourceInfo.Source}}
	s.startVideo(w, r, c, p, req.SourceInfo)
}

// startVideo stores a video publish and answers its publish_id and, for a
// FILE_UPLOAD, its upload_url; a pull is fetched first.
func (s *Sim) startVideo(w http.ResponseWriter, r *http.Request, c caller, p *publish, si *sourceInfo) {
	base := s.base(r)
	s.mu.Lock()
	if p.Source == SourceFile {
		p.VideoSize, p.Status = si.VideoSize, StatusProcessingUpload
		p.up = &upload{id: s.uploadIDs.Next(), token: randToken(18), expires: s.now().Add(UploadURLTTL),
			chunkSize: si.ChunkSize, chunks: int(max(1, si.TotalChunkCount)), hash: sha256.New()}
	} else {
		p.Status = StatusProcessingDownload
	}
	if e := s.createLocked(c.user, p); e != nil {
		s.mu.Unlock()
		s.writeErr(w, *e)
		return
	}
	s.mu.Unlock()
	if p.Source == SourcePull {
		s.pull(r, p, []string{si.VideoURL}, false)
		s.writeData(w, map[string]any{"publish_id": p.PublishID})
		return
	}
	s.writeData(w, map[string]any{"publish_id": p.PublishID,
		"upload_url": base + "/upload/video/?upload_id=" + p.up.id + "&upload_token=" + p.up.token})
}

// createLocked checks the account and its caps, counts the post and
// stores p under a new publish_id. Callers hold s.mu.
func (s *Sim) createLocked(u *User, p *publish) *apiError {
	if u.BannedFromPosting {
		e := errForbidden(codeBanned, msgBanned)
		return &e
	}
	inbox := p.Mode == ModeInbox
	if e := s.capLocked(u, inbox); e != nil {
		return e
	}
	s.countLocked(u, inbox)
	kind, src, ver := "v_", "file", videoIDPrefixVer
	if p.MediaType == MediaTypePhoto {
		kind, ver = "p_", photoIDPrefixVer
	}
	if p.Source == SourcePull {
		src = "url"
	}
	mode := "pub_"
	if inbox {
		mode = "inbox_"
	}
	p.PublishID = kind + mode + src + ver + s.publishIDs.Next()
	p.OpenID, p.Username, p.CreatedAt = u.OpenID, u.Username, s.now()
	s.pubs = append(s.pubs, p)
	s.pubByID[p.PublishID] = p
	if p.up != nil {
		s.byUpload[p.up.id] = p
	}
	return nil
}
