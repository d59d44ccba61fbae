package x

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"image"
	_ "image/gif" // DecodeConfig for one-shot uploads
	_ "image/jpeg"
	_ "image/png"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Upload limits per media kind [DOC §2.4]. Subtitles have no documented
// limit; 1 MiB is an UNVERIFIED choice.
const (
	maxImageBytes    = 5 << 20
	maxGIFBytes      = 15 << 20
	maxVideoBytes    = 512 << 20
	maxSubtitleBytes = 1 << 20
	maxSegmentIndex  = 999
	initExpiresSecs  = 1295999 // as in the doc's initialize sample
	mediaExpiresSecs = 86400
)

// mediaKind is how a category counts in a post: 4 images, or 1 GIF, or 1
// video.
type mediaKind int

const (
	kindImage mediaKind = iota
	kindGIF
	kindVideo
	kindOther // subtitles and dm_* media cannot be attached to a post
)

type category struct {
	kind     mediaKind
	maxBytes int64
	types    []string // accepted media_type values
	keyPre   string   // media_key prefix
	process  bool     // needs asynchronous processing after finalize
}

var categories = map[string]category{
	"tweet_image":   {kindImage, maxImageBytes, []string{"image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp", "image/tiff"}, "3_", false},
	"dm_image":      {kindOther, maxImageBytes, []string{"image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp", "image/tiff"}, "3_", false},
	"tweet_gif":     {kindGIF, maxGIFBytes, []string{"image/gif"}, "16_", true},
	"dm_gif":        {kindOther, maxGIFBytes, []string{"image/gif"}, "16_", true},
	"tweet_video":   {kindVideo, maxVideoBytes, []string{"video/mp4", "video/quicktime", "video/webm"}, "13_", true},
	"amplify_video": {kindVideo, maxVideoBytes, []string{"video/mp4", "video/quicktime", "video/webm"}, "13_", true},
	"dm_video":      {kindOther, maxVideoBytes, []string{"video/mp4", "video/quicktime", "video/webm"}, "13_", true},
	"subtitles":     {kindOther, maxSubtitleBytes, []string{"text/srt", "application/x-subrip", "text/vtt", "text/plain"}, "3_", false},
}

type mediaRec struct {
	id        string
	owners    []string // owner first, then additional_owners
	catName   string
	cat       category
	mediaType string
	total     int64
	received  int64
	segments  int
	lastSeg   [32]byte // hash of the last segment, to make a resend idempotent
	sum       hash.Hash
	digest    string
	created   time.Time
	finalized time.Time // zero until finalize
	failMsg   string
	w, h      int
	altText   string // set by POST /2/media/metadata
}

func (m *mediaRec) key() string { return m.cat.keyPre + m.id }

// state is the processing state at now.
func (m *mediaRec) state(now time.Time, dur time.Duration) (state string, percent int) {
	switch {
	case m.finalized.IsZero():
		return "uploading", 0
	case m.failMsg != "":
		return "failed", 0
	case !m.cat.process:
		return "succeeded", 100
	}
	el := now.Sub(m.finalized)
	switch {
	case el >= dur:
		return "succeeded", 100
	case el < time.Second:
		return "pending", 0
	default:
		return "in_progress", min(99, max(1, int(el*100/dur)))
	}
}

func (m *mediaRec) snapshot(now time.Time, dur time.Duration) Media {
	st, _ := m.state(now, dur)
	return Media{
		ID: m.id, OwnerID: m.owners[0], Category: m.catName, MediaType: m.mediaType,
		TotalSize: m.total, Received: m.received, SHA256: m.digest, State: st, AltText: m.altText,
	}
}

// ownedBy reports whether userID may use the media.
func (m *mediaRec) ownedBy(userID string) bool { return slices.Contains(m.owners, userID) }

var numericID = regexp.MustCompile(`^[0-9]{1,19}$`)

// lookupMedia returns the caller's media by id. Callers hold s.mu.
func (s *Sim) lookupMedia(id, userID string) *mediaRec {
	m := s.media[id]
	if m == nil || !m.ownedBy(userID) {
		return nil
	}
	return m
}

// failMedia applies FaultMediaFailed to the media r names.
func (s *Sim) failMedia(r *http.Request, msg string) {
	if msg == "" {
		msg = "Unsupported video format"
	}
	id := r.URL.Query().Get("media_id")
	if parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/"); len(parts) == 5 {
		id = parts[3] // 2/media/upload/{id}/finalize|append
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.media[id]; m != nil {
		m.failMsg = msg
	}
}

type initRequest struct {
	MediaType        string   `json:"media_type"`
	TotalBytes       int64    `json:"total_bytes"`
	MediaCategory    string   `json:"media_category"`
	AdditionalOwners []string `json:"additional_owners"`
	Shared           bool     `json:"shared"`
}

// handleUploadInit serves POST /2/media/upload/initialize.
func (s *Sim) handleUploadInit(w http.ResponseWriter, r *http.Request) {
	c := callerFrom(r.Context())
	var req initRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		invalidMessage(w, "Invalid JSON body: "+err.Error())
		return
	}
	if req.MediaType == "" {
		invalidParam(w, "media_type", "The `media_type` field is required.")
		return
	}
	if req.MediaCategory == "" {
		req.MediaCategory = inferCategory(req.MediaType)
	}
	cat, ok := categories[req.MediaCategory]
	if !ok {
		invalidParam(w, "media_category", "The `media_category` value ["+req.MediaCategory+"] is not valid.")
		return
	}
	if !slices.Contains(cat.types, strings.ToLower(req.MediaType)) {
		invalidParam(w, "media_type", "The `media_type` value ["+req.MediaType+"] is not valid for media_category "+req.MediaCategory+".")
		return
	}
	if req.TotalBytes <= 0 || req.TotalBytes > cat.maxBytes {
		invalidParam(w, "total_bytes", "The `total_bytes` value must be between 1 and "+strconv.FormatInt(cat.maxBytes, 10)+" for media_category "+req.MediaCategory+".")
		return
	}
	s.mu.Lock()
	now := s.now()
	s.sweepMediaLocked(now)
	m := &mediaRec{
		id: s.newID(), owners: append([]string{c.user.ID}, req.AdditionalOwners...),
		catName: req.MediaCategory, cat: cat, mediaType: strings.ToLower(req.MediaType),
		total: req.TotalBytes, sum: sha256.New(), created: now,
	}
	s.media[m.id] = m
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"id": m.id, "media_key": m.key(), "expires_after_secs": initExpiresSecs,
	}})
}

// sweepMediaLocked forgets uploads older than their expiry, keeping memory
// bounded over long demos. Callers hold s.mu.
func (s *Sim) sweepMediaLocked(now time.Time) {
	for id, m := range s.media {
		if now.Sub(m.created) > initExpiresSecs*time.Second {
			delete(s.media, id)
		}
	}
}

func inferCategory(mediaType string) string {
	mt := strings.ToLower(mediaType)
	switch {
	case mt == "image/gif":
		return "tweet_gif"
	case strings.HasPrefix(mt, "video/"):
		return "tweet_video"
	default:
		return "tweet_image"
	}
}

// readSegment reads the segment_index and media of an append request,
// multipart or JSON with base64 media.
func readSegment(r *http.Request, limit int64) (int, []byte, string) {
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	idx := ""
	var data []byte
	switch ct {
	case "multipart/form-data":
		mr, err := r.MultipartReader()
		if err != nil || params["boundary"] == "" {
			return 0, nil, "Invalid multipart body."
		}
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return 0, nil, "Invalid multipart body: " + err.Error()
			}
			switch p.FormName() {
			case "segment_index":
				b, _ := io.ReadAll(io.LimitReader(p, 16))
				idx = strings.TrimSpace(string(b))
			case "media":
				b, err := io.ReadAll(io.LimitReader(p, limit+1))
				if err != nil {
					return 0, nil, "Invalid multipart body: " + err.Error()
				}
				data = b
			case "media_data": // v1.1 base64 field, still accepted
				b, err := io.ReadAll(io.LimitReader(p, limit*4/3+8))
				if err != nil {
					return 0, nil, "Invalid multipart body: " + err.Error()
				}
				if data, err = base64.StdEncoding.DecodeString(strings.TrimSpace(string(b))); err != nil {
					return 0, nil, "The `media_data` field is not valid base64."
				}
			}
		}
	case "application/json":
		var body struct {
			Media        string          `json:"media"`
			SegmentIndex json.RawMessage `json:"segment_index"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			return 0, nil, "Invalid JSON body: " + err.Error()
		}
		idx = strings.Trim(string(body.SegmentIndex), `"`)
		var err error
		if data, err = base64.StdEncoding.DecodeString(body.Media); err != nil {
			return 0, nil, "The `media` field is not valid base64."
		}
	default:
		return 0, nil, "Content-Type must be multipart/form-data or application/json."
	}
	n, err := strconv.Atoi(idx)
	if err != nil || n < 0 || n > maxSegmentIndex {
		return 0, nil, "The `segment_index` field must be an integer between 0 and 999."
	}
	if len(data) == 0 {
		return 0, nil, "The `media` field is required."
	}
	if int64(len(data)) > limit {
		return 0, nil, "The segment is larger than " + strconv.FormatInt(limit, 10) + " bytes."
	}
	return n, data, ""
}

// handleUploadAppend serves POST /2/media/upload/{id}/append. Segments must
// arrive in order (0, 1, 2, …); resending the last segment with the same
// bytes is accepted as a no-op, so a client may retry an append whose
// response it lost.
func (s *Sim) handleUploadAppend(w http.ResponseWriter, r *http.Request) {
	c := callerFrom(r.Context())
	id := r.PathValue("id")
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxChunkBytes*4/3+1<<20)
	idx, data, msg := readSegment(r, s.opts.MaxChunkBytes)
	if msg != "" {
		invalidMessage(w, msg)
		return
	}
	segHash := sha256.Sum256(data)
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.lookupMedia(id, c.user.ID)
	switch {
	case m == nil:
		invalidParam(w, "media_id", "The `media_id` ["+id+"] was not found.")
		return
	case !m.finalized.IsZero():
		invalidParam(w, "media_id", "The media ["+id+"] was already finalized.")
		return
	case idx == m.segments-1 && segHash == m.lastSeg:
		// idempotent resend of the last segment
	case idx != m.segments:
		invalidParam(w, "segment_index", "Expected segment_index "+strconv.Itoa(m.segments)+", got "+strconv.Itoa(idx)+".")
		return
	case m.received+int64(len(data)) > m.total:
		invalidParam(w, "media", "Received more bytes than total_bytes ("+strconv.FormatInt(m.total, 10)+").")
		return
	default:
		m.sum.Write(data)
		m.received += int64(len(data))
		m.segments++
		m.lastSeg = segHash
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"expires_at": s.now().Add(mediaExpiresSecs * time.Second).Unix(),
	}})
}

// handleUploadFinalize serves POST /2/media/upload/{id}/finalize. It is
// idempotent once the bytes are complete.
func (s *Sim) handleUploadFinalize(w http.ResponseWriter, r *http.Request) {
	c := callerFrom(r.Context())
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.lookupMedia(id, c.user.ID)
	if m == nil {
		invalidParam(w, "media_id", "The `media_id` ["+id+"] was not found.")
		return
	}
	if m.received != m.total {
		invalidParam(w, "media_id", "File size mismatch: received "+strconv.FormatInt(m.received, 10)+
			" bytes, total_bytes was "+strconv.FormatInt(m.total, 10)+".")
		return
	}
	now := s.now()
	if m.finalized.IsZero() {
		m.finalized = now
		m.digest = hex.EncodeToString(m.sum.Sum(nil))
		m.sum = nil
	}
	data := map[string]any{
		"id": m.id, "media_key": m.key(), "size": m.total, "expires_after_secs": mediaExpiresSecs,
	}
	if m.cat.process || m.failMsg != "" {
		data["processing_info"] = s.processingInfo(m, now)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}

func (s *Sim) processingInfo(m *mediaRec, now time.Time) map[string]any {
	st, pct := m.state(now, s.opts.ProcessingDuration)
	pi := map[string]any{"state": st}
	switch st {
	case "pending":
		pi["check_after_secs"] = 1
	case "in_progress":
		pi["check_after_secs"] = 1
		pi["progress_percent"] = pct
	case "succeeded":
		pi["progress_percent"] = 100
	case "failed":
		pi["error"] = map[string]any{"code": 1, "name": "InvalidMedia", "message": m.failMsg}
	}
	return pi
}

// handleUploadStatus serves GET /2/media/upload?command=STATUS&media_id=.
func (s *Sim) handleUploadStatus(w http.ResponseWriter, r *http.Request) {
	c := callerFrom(r.Context())
	q := r.URL.Query()
	if q.Get("command") != "STATUS" {
		invalidParam(w, "command", "The `command` query parameter must be STATUS.")
		return
	}
	id := q.Get("media_id")
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.lookupMedia(id, c.user.ID)
	if m == nil || m.finalized.IsZero() {
		invalidParam(w, "media_id", "The `media_id` ["+id+"] was not found or not finalized.")
		return
	}
	now := s.now()
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"id": m.id, "media_key": m.key(), "size": m.total,
		"expires_after_secs": max(0, int(m.finalized.Add(mediaExpiresSecs*time.Second).Sub(now)/time.Second)),
		"processing_info":    s.processingInfo(m, now),
	}})
}

// handleUploadOneShot serves POST /2/media/upload: a whole image (or
// subtitle file) in one request, multipart or JSON with base64 media. The
// command-style API (?command=INIT…) was retired and answers 400.
func (s *Sim) handleUploadOneShot(w http.ResponseWriter, r *http.Request) {
	c := callerFrom(r.Context())
	if cmd := r.URL.Query().Get("command"); cmd != "" {
		invalidParam(w, "command", "The command-style upload ("+cmd+") is no longer supported; use /2/media/upload/initialize, /append and /finalize.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxImageBytes*4/3+1<<20)
	var u oneShot
	var ok bool
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		if err := r.ParseMultipartForm(maxImageBytes + 1<<20); err != nil {
			invalidMessage(w, "Invalid multipart body: "+err.Error())
			return
		}
		defer r.MultipartForm.RemoveAll()
		u, ok = readOneShotForm(w, r)
	case "application/json":
		u, ok = readOneShotJSON(w, r)
	default:
		invalidMessage(w, "Content-Type must be multipart/form-data or application/json.")
		return
	}
	if !ok {
		return
	}
	cat, cfg, ok := u.check(w)
	if !ok {
		return
	}
	sum := sha256.Sum256(u.data)
	s.mu.Lock()
	now := s.now()
	m := &mediaRec{
		id: s.newID(), owners: append([]string{c.user.ID}, u.owners...), catName: u.catName, cat: cat,
		mediaType: u.mediaType, total: int64(len(u.data)), received: int64(len(u.data)), segments: 1,
		digest: hex.EncodeToString(sum[:]), created: now, finalized: now, w: cfg.Width, h: cfg.Height,
	}
	s.media[m.id] = m
	s.mu.Unlock()
	out := map[string]any{"id": m.id, "media_key": m.key(), "size": m.total, "expires_after_secs": mediaExpiresSecs}
	if u.catName != "subtitles" {
		out["image"] = map[string]any{"image_type": u.mediaType, "w": m.w, "h": m.h}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

// oneShot is what a one-shot upload sends: the media, its category and
// type (either may be empty), and the other users who may use it.
type oneShot struct {
	data               []byte
	catName, mediaType string
	owners             []string
}

// readOneShotForm reads a one-shot upload from its parsed multipart form,
// answering 400 when the media is missing or cannot be read.
func readOneShotForm(w http.ResponseWriter, r *http.Request) (oneShot, bool) {
	var u oneShot
	u.catName, u.mediaType = r.FormValue("media_category"), r.FormValue("media_type")
	if o := r.FormValue("additional_owners"); o != "" {
		u.owners = strings.Split(o, ",")
	}
	f, _, err := r.FormFile("media")
	if err != nil {
		invalidParam(w, "media", "The `media` field is required.")
		return u, false
	}
	u.data, err = io.ReadAll(io.LimitReader(f, maxImageBytes+1))
	f.Close()
	if err != nil {
		invalidMessage(w, "Invalid multipart body: "+err.Error())
		return u, false
	}
	return u, true
}

// readOneShotJSON reads a one-shot upload sent as JSON with base64 media,
// answering 400 for a body that is not one.
func readOneShotJSON(w http.ResponseWriter, r *http.Request) (oneShot, bool) {
	var body struct {
		Media            string   `json:"media"`
		MediaCategory    string   `json:"media_category"`
		MediaType        string   `json:"media_type"`
		AdditionalOwners []string `json:"additional_owners"`
		Shared           bool     `json:"shared"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		invalidMessage(w, "Invalid JSON body: "+err.Error())
		return oneShot{}, false
	}
	data, err := base64.StdEncoding.DecodeString(body.Media)
	if err != nil {
		invalidParam(w, "media", "The `media` field is not valid base64.")
		return oneShot{}, false
	}
	return oneShot{data: data, catName: body.MediaCategory, mediaType: body.MediaType, owners: body.AdditionalOwners}, true
}

// check answers 400 for an upload the one-shot endpoint refuses: a
// category it does not take, no media, media too large, or (but for
// subtitles) media that is not an image. It fills in the default category
// and the detected media type, and returns the category and the image's
// size (0x0 when it cannot be read).
func (u *oneShot) check(w http.ResponseWriter) (category, image.Config, bool) {
	if u.catName == "" {
		u.catName = "tweet_image"
	}
	if u.catName != "tweet_image" && u.catName != "dm_image" && u.catName != "subtitles" {
		invalidParam(w, "media_category", "One-shot upload accepts media_category tweet_image, dm_image or subtitles; use the chunked endpoints for "+u.catName+".")
		return category{}, image.Config{}, false
	}
	cat := categories[u.catName]
	if len(u.data) == 0 {
		invalidParam(w, "media", "The `media` field is required.")
		return category{}, image.Config{}, false
	}
	if int64(len(u.data)) > cat.maxBytes {
		invalidParam(w, "media", "The media is larger than "+strconv.FormatInt(cat.maxBytes, 10)+" bytes.")
		return category{}, image.Config{}, false
	}
	detected := http.DetectContentType(u.data)
	if u.mediaType == "" {
		u.mediaType = detected
	}
	var cfg image.Config
	if u.catName != "subtitles" {
		if !strings.HasPrefix(detected, "image/") {
			invalidParam(w, "media", "The media is not a recognized image ("+detected+").")
			return category{}, image.Config{}, false
		}
		cfg, _, _ = image.DecodeConfig(bytes.NewReader(u.data)) // webp etc. stay 0x0
	}
	return cat, cfg, true
}

// maxAltText is the most characters of an alt text [docs.x.com "Create
// Media metadata": alt_text.text, max 1000].
const maxAltText = 1000

// handleMediaMetadata serves POST /2/media/metadata: {"id": media id,
// "metadata": {"alt_text": {"text": …}, …}}. The simulator models alt text
// only; other metadata keys are accepted and ignored. Alt text applies to
// images and GIFs; a video (or a media not finished uploading) is refused
// with 400 [UNVERIFIED: X documents alt text for images and GIFs only].
func (s *Sim) handleMediaMetadata(w http.ResponseWriter, r *http.Request) {
	c := callerFrom(r.Context())
	var req struct {
		ID       string                     `json:"id"`
		Metadata map[string]json.RawMessage `json:"metadata"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		invalidMessage(w, "Invalid JSON body: "+err.Error())
		return
	}
	if req.ID == "" {
		invalidParam(w, "id", "The `id` field is required.")
		return
	}
	if req.Metadata == nil {
		invalidParam(w, "metadata", "The `metadata` field is required.")
		return
	}
	var alt *struct {
		Text *string `json:"text"`
	}
	if raw, ok := req.Metadata["alt_text"]; ok {
		if err := json.Unmarshal(raw, &alt); err != nil || alt == nil || alt.Text == nil {
			invalidParam(w, "metadata.alt_text.text", "The `metadata.alt_text.text` field is required.")
			return
		}
		if n := utf8.RuneCountInString(*alt.Text); n > maxAltText {
			invalidParam(w, "metadata.alt_text.text", "The `metadata.alt_text.text` field must be at most "+strconv.Itoa(maxAltText)+
				" characters; it has "+strconv.Itoa(n)+".")
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.lookupMedia(req.ID, c.user.ID)
	if m == nil || m.finalized.IsZero() {
		invalidParam(w, "id", "The `id` ["+req.ID+"] was not found or not finalized.")
		return
	}
	meta := map[string]any{}
	if alt != nil {
		if m.cat.kind != kindImage && m.cat.kind != kindGIF {
			invalidParam(w, "metadata.alt_text", "Alt text applies to images and GIFs only; media ["+req.ID+"] is "+m.catName+".")
			return
		}
		m.altText = *alt.Text
		meta["alt_text"] = map[string]any{"text": m.altText}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"id": m.id, "media_key": m.key(), "associated_metadata": meta,
	}})
}
