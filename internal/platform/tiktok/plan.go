package tiktok

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/sns-os/snsos/internal/platform"
)

// The post modes (the post_mode option, set by the engine).
const (
	ModeDirect = "DIRECT_POST"  // published at once (Direct Post)
	ModeInbox  = "MEDIA_UPLOAD" // sent to the account's TikTok inbox, finished in the app
)

// The audiences of a post (privacy_level).
const (
	PrivacyEveryone  = "PUBLIC_TO_EVERYONE"
	PrivacyFriends   = "MUTUAL_FOLLOW_FRIENDS"
	PrivacyFollowers = "FOLLOWER_OF_CREATOR"
	PrivacySelfOnly  = "SELF_ONLY"
)

// The options Publish reads (req.Options, TikTok's own names).
const (
	OptPostMode       = "post_mode"
	OptPrivacyLevel   = "privacy_level"
	OptDisableComment = "disable_comment"
	OptDisableDuet    = "disable_duet"
	OptDisableStitch  = "disable_stitch"
	OptBrandContent   = "brand_content_toggle"
	OptBrandOrganic   = "brand_organic_toggle"
	OptCoverMS        = "video_cover_timestamp_ms"
	OptTitle          = "title"
	// OptVideoDurationMS is the video's duration in milliseconds, when the
	// engine knows it (the media record's duration_ms); a video longer
	// than the account's max_video_post_duration_sec is then refused
	// before anything is sent.
	OptVideoDurationMS = "video_duration_ms"
)

// videoTypes are the video types TikTok takes.
var videoTypes = map[string]bool{"video/mp4": true, "video/quicktime": true, "video/webm": true}

// post is a publish request checked and resolved into what TikTok takes.
type post struct {
	mode    string
	privacy string // "" in inbox mode
	// The interactions are off unless the request turns them on: TikTok's
	// rules for Direct Post want them unticked by default.
	disableComment, disableDuet, disableStitch bool
	brandContent, brandOrganic                 bool
	coverMS                                    *int64
	caption                                    string // video title, or photo description
	title                                      string // photo title
	video                                      *platform.Media
	photos                                     []platform.Media
	duration                                   time.Duration // 0 when unknown
	handle                                     string        // the account's username, for the link
}

func (p *post) inbox() bool { return p.mode == ModeInbox }

// plan checks req before anything is sent.
func plan(req *platform.PublishRequest) (*post, error) {
	const op = "prepare post"
	if req == nil || len(req.Parts) == 0 {
		return nil, rejected(op, "nothing to post")
	}
	if len(req.Parts) > 1 {
		return nil, rejected(op, fmt.Sprintf("TikTok posts have one part; this one has %d", len(req.Parts)))
	}
	p := &post{mode: ModeDirect, caption: req.Parts[0].Text, disableComment: true, disableDuet: true, disableStitch: true}
	if err := p.readOptions(req.Options); err != nil {
		return nil, rejected(op, err.Error())
	}
	if err := p.readMedia(req.Parts[0].Media); err != nil {
		return nil, rejected(op, err.Error())
	}
	if err := p.checkText(); err != nil {
		return nil, rejected(op, err.Error())
	}
	return p, nil
}

// readOptions reads the options under TikTok's names.
func (p *post) readOptions(opts map[string]any) error {
	if s, ok := optString(opts, OptPostMode); ok && s != "" {
		p.mode = strings.ToUpper(s)
	}
	if p.mode != ModeDirect && p.mode != ModeInbox {
		return fmt.Errorf("post_mode is %s or %s, not %.30q", ModeDirect, ModeInbox, p.mode)
	}
	for name, dst := range map[string]*bool{OptDisableComment: &p.disableComment, OptDisableDuet: &p.disableDuet,
		OptDisableStitch: &p.disableStitch, OptBrandContent: &p.brandContent, OptBrandOrganic: &p.brandOrganic} {
		if _, present := opts[name]; !present {
			continue
		}
		v, ok := optBool(opts, name)
		if !ok {
			return fmt.Errorf("%s must be true or false", name)
		}
		*dst = v
	}
	if _, present := opts[OptCoverMS]; present {
		v, ok := optInt(opts, OptCoverMS)
		if !ok || v < 0 || v > math.MaxInt32 {
			return fmt.Errorf("%s must be a number of milliseconds", OptCoverMS)
		}
		p.coverMS = &v
	}
	if v, ok := optInt(opts, OptVideoDurationMS); ok && v > 0 {
		p.duration = time.Duration(v) * time.Millisecond
	}
	p.title, _ = optString(opts, OptTitle)
	if p.inbox() {
		return nil
	}
	p.privacy, _ = optString(opts, OptPrivacyLevel)
	p.privacy = strings.ToUpper(p.privacy)
	switch p.privacy {
	case "":
		return fmt.Errorf("choose who can see the post (privacy_level): TikTok wants the choice made for every post, " +
			"from the account's options, with no default")
	case PrivacyEveryone, PrivacyFriends, PrivacyFollowers, PrivacySelfOnly:
	default:
		return fmt.Errorf("privacy_level %.40q is not one of TikTok's (%s, %s, %s, %s)", p.privacy,
			PrivacyEveryone, PrivacyFriends, PrivacyFollowers, PrivacySelfOnly)
	}
	if p.brandContent && p.privacy == PrivacySelfOnly {
		return fmt.Errorf("branded content (brand_content_toggle) cannot be \"Only me\" (SELF_ONLY): choose a wider audience or turn branded content off")
	}
	return nil
}

// readMedia takes one video, or 1 to 35 photos.
func (p *post) readMedia(media []platform.Media) error {
	if len(media) == 0 {
		return fmt.Errorf("a TikTok post needs a video or 1 to %d photos", MaxPhotos)
	}
	if media[0].IsVideo() {
		if len(media) > 1 {
			return fmt.Errorf("a TikTok video post takes one video and nothing else; this one has %d media", len(media))
		}
		m := media[0]
		switch {
		case !videoTypes[m.MIME]:
			return fmt.Errorf("TikTok takes MP4, WebM and MOV videos, not %.40q", m.MIME)
		case m.Size <= 0 || m.Size > MaxVideoBytes:
			return fmt.Errorf("the video has %d bytes; TikTok takes 1 byte to 4 GB", m.Size)
		case m.Open == nil:
			return fmt.Errorf("the video has no stream to upload (%w)", platform.ErrNoStream)
		}
		p.video = &m
		return nil
	}
	if len(media) > MaxPhotos {
		return fmt.Errorf("a TikTok photo post takes 1 to %d photos; this one has %d", MaxPhotos, len(media))
	}
	for i, m := range media {
		switch {
		case m.IsVideo():
			return fmt.Errorf("a TikTok post takes either one video or photos, not both")
		case m.MIME != "image/jpeg" && m.MIME != "image/webp":
			return fmt.Errorf("photo %d: TikTok takes JPEG and WebP photos, not %.40q", i+1, m.MIME)
		case m.URL == "":
			return fmt.Errorf("photo %d has no public link: TikTok fetches photos by link from a domain verified in "+
				"its developer portal; set SNSOS_PUBLIC_URL", i+1)
		}
	}
	p.photos = media
	p.disableDuet, p.disableStitch = false, false // photos have neither
	return nil
}

// checkText applies TikTok's lengths, in UTF-16 code units.
func (p *post) checkText() error {
	if p.video != nil {
		if n := utf16Len(p.caption); n > MaxTitle {
			return fmt.Errorf("the caption is %d characters (UTF-16 units) long; TikTok takes at most %d", n, MaxTitle)
		}
		return nil
	}
	if n := utf16Len(p.caption); n > MaxPhotoDescription {
		return fmt.Errorf("the description is %d characters (UTF-16 units) long; TikTok takes at most %d", n, MaxPhotoDescription)
	}
	if n := utf16Len(p.title); n > MaxPhotoTitle {
		return fmt.Errorf("the photo title is %d characters (UTF-16 units) long; TikTok takes at most %d", n, MaxPhotoTitle)
	}
	return nil
}

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// optString reads a string option.
func optString(opts map[string]any, name string) (string, bool) {
	s, ok := opts[name].(string)
	return strings.TrimSpace(s), ok
}

// optBool reads a boolean option given as a bool or as "true"/"false".
func optBool(opts map[string]any, name string) (bool, bool) {
	switch v := opts[name].(type) {
	case bool:
		return v, true
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "1":
			return true, true
		case "false", "0":
			return false, true
		}
	}
	return false, false
}

// optInt reads a whole-number option given as a JSON number, a Go integer
// or a decimal string.
func optInt(opts map[string]any, name string) (int64, bool) {
	switch v := opts[name].(type) {
	case int:
		return int64(v), true
	case int64:
		return v, true
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v), true
		}
	case json.Number:
		n, err := v.Int64()
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		return n, err == nil
	}
	return 0, false
}

// chunkPlan is how a video is cut for upload: count chunks of chunk bytes,
// the last one absorbing the remainder.
type chunkPlan struct {
	size, chunk int64
	count       int
}

// planChunks cuts size bytes into chunks of about chunk bytes by TikTok's
// rules: chunks of 5 MiB to 64 MiB, total_chunk_count = floor(size/chunk),
// the last chunk absorbing the remainder (so up to twice the chunk size),
// at most 1000 chunks; a video no bigger than one chunk (every video under
// 5 MiB) goes as one chunk whose size is the video's.
func planChunks(size, chunk int64) (chunkPlan, error) {
	if size <= 0 || size > MaxVideoBytes {
		return chunkPlan{}, fmt.Errorf("the video has %d bytes; TikTok takes 1 byte to 4 GB", size)
	}
	chunk = min(max(chunk, MinChunkSize), MaxChunkSize)
	if size <= chunk {
		return chunkPlan{size: size, chunk: size, count: 1}, nil
	}
	if size/chunk > MaxChunks {
		chunk = (size + MaxChunks - 1) / MaxChunks
	}
	return chunkPlan{size: size, chunk: chunk, count: int(size / chunk)}, nil
}

// bounds returns the byte range [start, end) of chunk i.
func (p chunkPlan) bounds(i int) (start, end int64) {
	start = int64(i) * p.chunk
	if i == p.count-1 {
		return start, p.size
	}
	return start, start + p.chunk
}

// index returns the chunk that starts at off (count when off is the end),
// and whether off is a chunk boundary.
func (p chunkPlan) index(off int64) (int, bool) {
	if off == p.size {
		return p.count, true
	}
	if off < 0 || off%p.chunk != 0 || off/p.chunk >= int64(p.count) {
		return 0, false
	}
	return int(off / p.chunk), true
}
