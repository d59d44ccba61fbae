package rules

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	snsos "github.com/sns-os/snsos"
)

// MediaRules is what a platform accepts as the media of one post, as data
// the media layer (probing, transcoding) and the UI (badges such as
// "Instagram ✗ PNG — JPEG only") can use. A zero limit means the platform
// documents none.
type MediaRules struct {
	Platform snsos.Platform `json:"platform"`
	// MediaType is the media_type these rules are for (Instagram,
	// Threads); "" for any post of the platform.
	MediaType string `json:"media_type,omitempty"`
	// Required reports that a post must carry media (Instagram, TikTok).
	Required bool `json:"required"`
	// MaxItems is the most media items in one post; MinItems the fewest when
	// there are several (a carousel's minimum, e.g. 2).
	MaxItems int `json:"max_items"`
	MinItems int `json:"min_items,omitempty"`
	// MaxVideos is the most videos in one post.
	MaxVideos int `json:"max_videos"`
	// Mixed reports whether images and videos can be combined in one post.
	Mixed bool `json:"mixed"`
	// GIFAlone reports that an animated GIF must be a post's only media (X).
	GIFAlone bool `json:"gif_alone,omitempty"`

	// AltTextMax is the most characters (code points) of one item's alt
	// text; 0 means sns-os sends no alt text to the platform. Alt text
	// applies to images and GIFs, never to videos.
	AltTextMax int `json:"alt_text_max,omitempty"`

	Image FileRules `json:"image"`
	// GIF, when set, replaces Image for image/gif files (X).
	GIF   *FileRules `json:"gif,omitempty"`
	Video FileRules  `json:"video"`
}

// FileRules limits one kind of media file. Aspect ratios are width divided
// by height (9:16 is 0.5625).
type FileRules struct {
	MIMETypes []string `json:"mime_types"` // accepted types; none means the kind is not accepted
	MaxBytes  int64    `json:"max_bytes,omitempty"`

	MinWidth  int `json:"min_width,omitempty"`
	MaxWidth  int `json:"max_width,omitempty"`
	MinHeight int `json:"min_height,omitempty"`
	MaxHeight int `json:"max_height,omitempty"`
	// AnyOrientation applies the width and height limits to the longer and
	// shorter side, so that the rotated size is accepted too.
	AnyOrientation bool `json:"any_orientation,omitempty"`

	MinAspect float64 `json:"min_aspect,omitempty"`
	MaxAspect float64 `json:"max_aspect,omitempty"`

	MinDuration time.Duration `json:"min_duration,omitempty"`
	MaxDuration time.Duration `json:"max_duration,omitempty"`

	MinFrameRate float64 `json:"min_frame_rate,omitempty"`
	MaxFrameRate float64 `json:"max_frame_rate,omitempty"`
}

const (
	mib = 1 << 20
	gib = 1 << 30
)

// MediaRulesFor returns the media rules of platform p for a default post (a
// feed post or reel on Instagram, a video or photo post on TikTok with the
// API's own duration limit). An unknown platform has no rules and accepts
// nothing.
func MediaRulesFor(p snsos.Platform) MediaRules {
	return mediaRules(p, Options{})
}

// mediaRules returns p's media rules as opts adjusts them.
func mediaRules(p snsos.Platform, opts Options) MediaRules {
	switch p {
	case snsos.PlatformX:
		// tiktok-x.md §2.4 "Limits": 4 images, or 1 GIF, or 1 video; image
		// 5 MB, GIF 15 MB, video 512 MB; video 0.5–140 s, ≤ 60 fps,
		// 32×32 to 1280×1024, aspect 1:3 to 3:1. Video containers are not
		// listed there; MP4 is the documented one, MOV is accepted by the
		// upload endpoints [UNVERIFIED].
		gif := FileRules{MIMETypes: []string{"image/gif"}, MaxBytes: 15 * mib}
		return MediaRules{
			Platform: p, MaxItems: 4, MaxVideos: 1, GIFAlone: true,
			// docs.x.com "Create Media metadata": alt_text.text, at most
			// 1,000 characters, images and GIFs only.
			AltTextMax: XMaxAltText,
			Image:      FileRules{MIMETypes: []string{"image/jpeg", "image/png", "image/gif", "image/webp"}, MaxBytes: 5 * mib},
			GIF:        &gif,
			Video: FileRules{
				MIMETypes: []string{"video/mp4", "video/quicktime"}, MaxBytes: 512 * mib,
				MinWidth: 32, MinHeight: 32, MaxWidth: 1280, MaxHeight: 1024, AnyOrientation: true,
				MinAspect: 1.0 / 3, MaxAspect: 3,
				MinDuration: 500 * time.Millisecond, MaxDuration: 140 * time.Second,
				MaxFrameRate: 60,
			},
		}
	case snsos.PlatformInstagram:
		// meta-instagram-threads.md §1.4 "Media specs": images JPEG only,
		// ≤ 8 MB, aspect 4:5 to 1.91:1 (widths outside 320–1440 are scaled,
		// so not refused); reels MOV/MP4, 23–60 fps, ≤ 1920 px wide, aspect
		// 0.01:1–10:1, 3 s–15 min, ≤ 300 MB; carousel 2–10 items.
		r := MediaRules{
			Platform: p, Required: true, MaxItems: 10, MinItems: 2, MaxVideos: 10, Mixed: true,
			Image: FileRules{MIMETypes: []string{"image/jpeg"}, MaxBytes: 8 * mib, MinAspect: 4.0 / 5, MaxAspect: 1.91},
			Video: FileRules{
				MIMETypes: []string{"video/mp4", "video/quicktime"}, MaxBytes: 300 * mib,
				MaxWidth: 1920, MinAspect: 0.01, MaxAspect: 10,
				MinDuration: 3 * time.Second, MaxDuration: 15 * time.Minute,
				MinFrameRate: 23, MaxFrameRate: 60,
			},
		}
		if r.narrow(opts.InstagramMediaType) == MediaStories {
			// Stories: one image or video; image JPEG ≤ 8 MB (9:16
			// recommended, not required); video 3–60 s, ≤ 100 MB, aspect
			// 0.1:1–10:1.
			r.MaxItems, r.MinItems, r.MaxVideos = 1, 0, 1
			r.Image.MinAspect, r.Image.MaxAspect = 0, 0
			r.Video.MaxBytes, r.Video.MaxDuration, r.Video.MinAspect = 100*mib, 60*time.Second, 0.1
		}
		return r
	case snsos.PlatformThreads:
		// meta-instagram-threads.md §2.3 "Specs": images JPEG/PNG ≤ 8 MB,
		// aspect ≤ 10:1, width 320–1440 (taken as scaled, like
		// Instagram's, so not refused); video MOV/MP4, 23–60 fps, ≤ 1920 px
		// wide, aspect 0.01:1–10:1, ≤ 300 s, ≤ 1 GB; carousel 2–20 items.
		r := MediaRules{
			Platform: p, MaxItems: 20, MinItems: 2, MaxVideos: 20, Mixed: true,
			Image: FileRules{MIMETypes: []string{"image/jpeg", "image/png"}, MaxBytes: 8 * mib, MinAspect: 0.1, MaxAspect: 10},
			Video: FileRules{
				MIMETypes: []string{"video/mp4", "video/quicktime"}, MaxBytes: 1 * gib,
				MaxWidth: 1920, MinAspect: 0.01, MaxAspect: 10,
				MaxDuration:  300 * time.Second,
				MinFrameRate: 23, MaxFrameRate: 60,
			},
		}
		r.narrow(opts.ThreadsMediaType)
		return r
	case snsos.PlatformTikTok:
		// tiktok-x.md §1.3 "Media specs" and §1.3(e): video MP4/WebM/MOV,
		// 23–60 fps, 360–4096 px on each side, ≤ 4 GB, ≤ 10 min or the
		// creator's max_video_post_duration_sec; or 1–35 photos, JPEG or
		// WebP, ≤ 20 MB each ("≤ 1080p" is not refused: TikTok's meaning is
		// unclear). A post is one video or photos, never both.
		maxDur := 10 * time.Minute
		if opts.TikTokMaxVideoSeconds > 0 {
			maxDur = time.Duration(opts.TikTokMaxVideoSeconds) * time.Second
		}
		return MediaRules{
			Platform: p, Required: true, MaxItems: 35, MaxVideos: 1,
			Image: FileRules{MIMETypes: []string{"image/jpeg", "image/webp"}, MaxBytes: 20 * mib},
			Video: FileRules{
				MIMETypes: []string{"video/mp4", "video/webm", "video/quicktime"}, MaxBytes: 4 * gib,
				MinWidth: 360, MinHeight: 360, MaxWidth: 4096, MaxHeight: 4096,
				MaxDuration:  maxDur,
				MinFrameRate: 23, MaxFrameRate: 60,
			},
		}
	}
	return MediaRules{Platform: p}
}

// narrow restricts r to the post of one media type (MediaType's values, in
// any case) and returns the type as the platform spells it: no media for
// TEXT, one image for IMAGE, one video for REELS and VIDEO. Other types
// (CAROUSEL, STORIES, "") keep r's counts.
func (r *MediaRules) narrow(mediaType string) string {
	r.MediaType = strings.ToUpper(mediaType)
	switch r.MediaType {
	case MediaText:
		r.MaxItems, r.MinItems, r.MaxVideos = 0, 0, 0
	case MediaImage:
		r.MaxItems, r.MinItems, r.MaxVideos = 1, 0, 0
		r.Video.MIMETypes = nil
	case MediaReels, MediaVideo:
		r.MaxItems, r.MinItems, r.MaxVideos = 1, 0, 1
		r.Image.MIMETypes = nil
	}
	return r.MediaType
}

// XMaxAltText is the most characters of one image's alt text on X.
const XMaxAltText = 1000

// CheckAltText checks the alt texts of a post's media (by media id) against
// platform p's rules: at most AltTextMax code points, and only on images and
// GIFs. Field is "media_alt[<media id>]". A platform that takes no alt text
// from sns-os (AltTextMax 0) has no rules here.
func CheckAltText(p snsos.Platform, media []snsos.MediaRef, alt map[int64]string) []snsos.FieldError {
	var v snsos.ValidationErrors
	rules := mediaRules(p, Options{})
	if rules.AltTextMax == 0 {
		return v
	}
	name := p.DisplayName()
	for i := range media {
		m := &media[i]
		text := alt[m.ID]
		if text == "" {
			continue
		}
		field := fmt.Sprintf("media_alt[%d]", m.ID)
		if !m.IsImage() {
			v.Add(field, RuleAltTextKind, "%s takes alt text for images and GIFs only; remove it from %s.", name, mediaLabel(m))
			continue
		}
		if n := utf8.RuneCountInString(text); n > rules.AltTextMax {
			v.Add(field, RuleAltTextLength, "%s alt text can be at most %d characters; the one of %s has %d.", name, rules.AltTextMax, mediaLabel(m), n)
		}
	}
	return v
}

// mediaLabel names a media item in a message: its file name, else its id.
func mediaLabel(m *snsos.MediaRef) string {
	if m.Filename != "" {
		return m.Filename
	}
	return fmt.Sprintf("media %d", m.ID)
}

// CheckMedia checks a post's media, in posting order, against platform p's
// rules and returns every broken rule. Field is "media" for rules on the
// whole set and "media[i]" for one file. Facts the probe did not find (a
// zero width, duration or frame rate) are not checked.
func CheckMedia(p snsos.Platform, media []snsos.MediaRef, opts Options) []snsos.FieldError {
	var v snsos.ValidationErrors
	name := p.DisplayName()
	rules := mediaRules(p, opts)
	if !p.Valid() {
		v.Add("media", RulePlatform, "%q is not a platform sns-os posts to.", string(p))
		return v
	}
	if len(media) == 0 {
		if rules.Required {
			v.Add("media", RuleMediaRequired, "%s posts need at least one image or video.", name)
		}
		return v
	}

	var images, videos, gifs int
	for i := range media {
		switch m := &media[i]; {
		case m.Mime == "image/gif" && rules.GIF != nil:
			gifs++
		case m.IsImage():
			images++
		case m.IsVideo():
			videos++
		}
	}
	switch {
	case len(media) > rules.MaxItems && rules.MediaType != "" && rules.MaxItems <= 1:
		v.Add("media", RuleMediaCount, "%s %s posts take %s; this has %d.", name, rules.MediaType, shapes[rules.MediaType].takes, len(media))
	case len(media) > rules.MaxItems:
		v.Add("media", RuleMediaCount, "%s posts can have at most %d media items; this has %d.", name, rules.MaxItems, len(media))
	case len(media) > 1 && len(media) < rules.MinItems:
		v.Add("media", RuleMediaCount, "%s carousels need at least %d items; this has %d.", name, rules.MinItems, len(media))
	}
	if !rules.Mixed && images+gifs > 0 && videos > 0 {
		v.Add("media", RuleMediaMixed, "%s posts can't mix images and videos; this has %s and %s.", name, plural(images+gifs, "image"), plural(videos, "video"))
	} else if videos > rules.MaxVideos && len(rules.Video.MIMETypes) > 0 { // else each video is refused below
		v.Add("media", RuleMediaCount, "%s posts can have %s; this has %d.", name, plural(rules.MaxVideos, "video"), videos)
	}
	if rules.GIFAlone && gifs > 0 && len(media) > 1 {
		v.Add("media", RuleMediaCount, "%s posts can have one GIF, on its own; this has %s with %s.", name, plural(gifs, "GIF"), plural(len(media)-1, "other item"))
	}

	for i := range media {
		checkFile(&v, fmt.Sprintf("media[%d]", i), name, rules, &media[i])
	}
	return v
}

// checkFile checks one media file against the rules for its kind.
func checkFile(v *snsos.ValidationErrors, field, name string, rules MediaRules, m *snsos.MediaRef) {
	var (
		fr   FileRules
		kind string // "images", "GIFs" or "videos" in messages
	)
	switch {
	case m.Mime == "image/gif" && rules.GIF != nil:
		fr, kind = *rules.GIF, "GIFs"
	case m.IsImage():
		fr, kind = rules.Image, "images"
	case m.IsVideo():
		fr, kind = rules.Video, "videos"
	default:
		v.Add(field, RuleMediaType, "%s can't use this file (%s); use an image or a video.", name, mimeName(m.Mime))
		return
	}
	if len(fr.MIMETypes) == 0 {
		v.Add(field, RuleMediaType, "%s can't use %s here.", name, kind)
		return
	}
	if !slices.Contains(fr.MIMETypes, m.Mime) {
		v.Add(field, RuleMediaType, "%s %s must be %s; this is %s.", name, kind, mimeList(fr.MIMETypes), mimeName(m.Mime))
		return // the other facts of a file of the wrong type do not matter
	}
	if fr.MaxBytes > 0 && m.Size > fr.MaxBytes {
		v.Add(field, RuleMediaSize, "%s %s can be at most %s; this is %s.", name, kind, bytesText(fr.MaxBytes), bytesText(m.Size))
	}
	if m.Width > 0 && m.Height > 0 {
		checkDimensions(v, field, name, kind, fr, m.Width, m.Height)
	}
	if d := time.Duration(m.DurationMS) * time.Millisecond; m.DurationMS > 0 {
		singular := strings.TrimSuffix(kind, "s")
		switch {
		case fr.MaxDuration > 0 && d > fr.MaxDuration:
			v.Add(field, RuleMediaDuration, "%s %s is %s; the limit is %s.", name, singular, durationText(d), durationText(fr.MaxDuration))
		case fr.MinDuration > 0 && d < fr.MinDuration:
			v.Add(field, RuleMediaDuration, "%s %s is %s; the minimum is %s.", name, singular, durationText(d), durationText(fr.MinDuration))
		}
	}
	if f := m.FrameRate; f > 0 {
		switch {
		case fr.MaxFrameRate > 0 && f > fr.MaxFrameRate+0.01:
			v.Add(field, RuleMediaFrameRate, "%s %s can have at most %g frames per second; this has %s.", name, kind, fr.MaxFrameRate, fpsText(f))
		case fr.MinFrameRate > 0 && f < fr.MinFrameRate-0.01:
			v.Add(field, RuleMediaFrameRate, "%s %s need at least %g frames per second; this has %s.", name, kind, fr.MinFrameRate, fpsText(f))
		}
	}
}

func checkDimensions(v *snsos.ValidationErrors, field, name, kind string, fr FileRules, w, h int) {
	cw, ch := w, h
	if fr.AnyOrientation && cw < ch {
		cw, ch = ch, cw // compare the longer side with the width limits
	}
	if fr.MinWidth > 0 && cw < fr.MinWidth || fr.MinHeight > 0 && ch < fr.MinHeight {
		v.Add(field, RuleMediaDimensions, "%s %s must be at least %d×%d pixels; this is %d×%d.", name, kind, fr.MinWidth, fr.MinHeight, w, h)
	}
	if fr.MaxWidth > 0 && cw > fr.MaxWidth || fr.MaxHeight > 0 && ch > fr.MaxHeight {
		switch {
		case fr.MaxHeight == 0:
			v.Add(field, RuleMediaDimensions, "%s %s can be at most %d pixels wide; this is %d×%d.", name, kind, fr.MaxWidth, w, h)
		default:
			v.Add(field, RuleMediaDimensions, "%s %s can be at most %d×%d pixels; this is %d×%d.", name, kind, fr.MaxWidth, fr.MaxHeight, w, h)
		}
	}
	aspect := float64(w) / float64(h)
	const slack = 0.005 // 1080×1350 is 4:5 even after rounding
	if fr.MinAspect > 0 && aspect < fr.MinAspect-slack || fr.MaxAspect > 0 && aspect > fr.MaxAspect+slack {
		v.Add(field, RuleMediaAspect, "%s %s must be between %s and %s in shape; this is %d×%d (%s).",
			name, kind, ratioText(fr.MinAspect), ratioText(fr.MaxAspect), w, h, ratioText(aspect))
	}
}

// mimeName returns the name people use for a media type: "image/png" is
// "PNG".
func mimeName(mime string) string {
	switch mime {
	case "image/jpeg":
		return "JPEG"
	case "image/png":
		return "PNG"
	case "image/gif":
		return "GIF"
	case "image/webp":
		return "WebP"
	case "image/heic":
		return "HEIC"
	case "image/avif":
		return "AVIF"
	case "video/mp4":
		return "MP4"
	case "video/quicktime":
		return "MOV"
	case "video/webm":
		return "WebM"
	case "":
		return "of unknown type"
	}
	return mime
}

// mimeList joins type names as a sentence: "JPEG, PNG or WebP".
func mimeList(types []string) string {
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = mimeName(t)
	}
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

func bytesText(n int64) string {
	switch {
	case n >= gib && n%gib == 0:
		return fmt.Sprintf("%d GB", n/gib)
	case n >= gib:
		return fmt.Sprintf("%.1f GB", float64(n)/gib)
	case n >= mib && n%mib == 0:
		return fmt.Sprintf("%d MB", n/mib)
	case n >= mib/10:
		return fmt.Sprintf("%.1f MB", float64(n)/mib)
	}
	return fmt.Sprintf("%d KB", (n+1023)/1024)
}

// durationText writes a duration as "141 s", "0.5 s" or "15 min 1 s".
func durationText(d time.Duration) string {
	if d < time.Minute || d%time.Minute != 0 && d < 5*time.Minute {
		return fmt.Sprintf("%s s", trimFloat(d.Seconds()))
	}
	m, s := int(d/time.Minute), (d % time.Minute).Seconds()
	if s == 0 {
		return fmt.Sprintf("%d min", m)
	}
	return fmt.Sprintf("%d min %s s", m, trimFloat(s))
}

func fpsText(f float64) string { return trimFloat(math.Round(f*100) / 100) }

func trimFloat(f float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".")
}

// ratioText writes an aspect ratio as people do: "4:5", "1.91:1", "9:16".
func ratioText(a float64) string {
	for _, r := range [...]struct {
		w, h int
	}{{1, 1}, {4, 5}, {5, 4}, {9, 16}, {16, 9}, {3, 4}, {4, 3}, {2, 3}, {3, 2}, {1, 3}, {3, 1}} {
		if math.Abs(a-float64(r.w)/float64(r.h)) < 0.005 {
			return fmt.Sprintf("%d:%d", r.w, r.h)
		}
	}
	if a < 1 {
		return "1:" + trimFloat(1/a)
	}
	return trimFloat(a) + ":1"
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
