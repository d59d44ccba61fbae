package rules

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	snsos "github.com/sns-os/snsos"
)

// Target option names, under the platforms' own parameter names
// (meta-instagram-threads.md §1.4 and §2.4).
const (
	// OptMediaType is Instagram's and Threads' media_type.
	OptMediaType = "media_type"
	// OptParts is a thread's parts (X, Threads): a list of texts, each a
	// reply to the one before.
	OptParts = "parts"
	// OptTopicTag is Threads' topic_tag.
	OptTopicTag = "topic_tag"
	// OptLinkAttachment is Threads' link_attachment (TEXT posts only).
	OptLinkAttachment = "link_attachment"
	// OptFirstComment is a comment sns-os posts under an Instagram post
	// once it is published (POST /{media-id}/comments).
	OptFirstComment = "first_comment"
	// OptShareToFeed is Instagram's share_to_feed (reels).
	OptShareToFeed = "share_to_feed"
)

// TikTok's target options, under its post_info names (tiktok-x.md §1.3).
// The engine adds post_mode (from the account's publish mode) and
// video_duration_ms (from the media) itself; the operator does not set
// them.
const (
	OptPrivacyLevel   = "privacy_level"
	OptDisableComment = "disable_comment"
	OptDisableDuet    = "disable_duet"
	OptDisableStitch  = "disable_stitch"
	OptBrandContent   = "brand_content_toggle"
	OptBrandOrganic   = "brand_organic_toggle"
	OptCoverMS        = "video_cover_timestamp_ms"
	OptTitle          = "title"
)

// TikTokPrivacyLevels are the values of privacy_level: who can see a
// TikTok post. sns-os never chooses one for the operator.
var TikTokPrivacyLevels = []string{"PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"}

// tiktokFlags are TikTok's true-or-false options.
var tiktokFlags = []string{OptDisableComment, OptDisableDuet, OptDisableStitch, OptBrandContent, OptBrandOrganic}

// The media types of Instagram and Threads posts: the values of the
// media_type option, in the platforms' own words.
const (
	MediaImage    = "IMAGE"    // Instagram, Threads: one image
	MediaCarousel = "CAROUSEL" // Instagram (2–10 items), Threads (2–20)
	MediaReels    = "REELS"    // Instagram: one video (every single feed video since 2023)
	MediaStories  = "STORIES"  // Instagram: one image or video, only when asked for
	MediaText     = "TEXT"     // Threads: no media
	MediaVideo    = "VIDEO"    // Threads: one video
)

// Rule names of target options.
const (
	RuleOptionUnknown     = "option_unknown"
	RuleOptionType        = "option_type"
	RuleOptionValue       = "option_value"
	RuleMediaTypeMismatch = "media_type_mismatch"
	RuleOptionRequired    = "option_required"
)

// ThreadsMaxTopicTag is the longest Threads topic_tag, in characters; '.'
// and '&' are not allowed in it (meta-instagram-threads.md §2.4).
const ThreadsMaxTopicTag = 50

// mediaShape is what one media type takes: how many items, and of which
// kind ("image", "video", "any"; none when max is 0).
type mediaShape struct {
	min, max int // max 0: no media; -1: no bound here (CheckMedia has it)
	kind     string
	takes    string // in words
}

// mediaTypes are the media types of each platform that has them, in the
// order they are listed to the operator.
var mediaTypes = map[snsos.Platform][]string{
	snsos.PlatformInstagram: {MediaImage, MediaCarousel, MediaReels, MediaStories},
	snsos.PlatformThreads:   {MediaText, MediaImage, MediaVideo, MediaCarousel},
}

var shapes = map[string]mediaShape{
	MediaImage:    {1, 1, "image", "one image"},
	MediaCarousel: {2, -1, "any", "two or more images or videos"},
	MediaReels:    {1, 1, "video", "one video"},
	MediaStories:  {1, 1, "any", "one image or video"},
	MediaText:     {0, 0, "", "no media"},
	MediaVideo:    {1, 1, "video", "one video"},
}

// knownOptions lists the options each platform whose options are checked
// takes; other platforms' options are not checked here.
var knownOptions = map[snsos.Platform][]string{
	snsos.PlatformInstagram: {OptMediaType, OptFirstComment, OptShareToFeed},
	snsos.PlatformThreads:   {OptMediaType, OptParts, OptTopicTag, OptLinkAttachment},
	snsos.PlatformTikTok: {OptPrivacyLevel, OptDisableComment, OptDisableDuet, OptDisableStitch, OptBrandContent,
		OptBrandOrganic, OptCoverMS, OptTitle},
}

// KnownOptions returns the option names platform p takes (nil when sns-os
// does not check p's options).
func KnownOptions(p snsos.Platform) []string { return slices.Clone(knownOptions[p]) }

// MediaTypes returns the values of the media_type option on platform p
// (nil for a platform without one).
func MediaTypes(p snsos.Platform) []string { return slices.Clone(mediaTypes[p]) }

// MediaType returns the media_type a post on platform p with options opts
// and media (in posting order) is published as. An explicit media_type
// (any case) is checked against the media; without one it is inferred —
// Instagram: one image is IMAGE, one video REELS, two or more items
// CAROUSEL, and STORIES only when asked for; no media is an error, as
// Instagram requires media. Threads: no media is TEXT, one image IMAGE,
// one video VIDEO, two or more CAROUSEL. Platforms without media types give
// "" and no error.
//
// The error is an EINVALID snsos error wrapping snsos.ValidationErrors whose
// Field is "options.media_type" (or "media" when Instagram has nothing to
// post); callers prefix it with their own path. The number of items
// within a carousel's bounds and each file's facts are CheckMedia's, given
// the returned type.
func MediaType(p snsos.Platform, opts map[string]any, media []snsos.MediaRef) (string, error) {
	types, ok := mediaTypes[p]
	if !ok {
		return "", nil
	}
	var v snsos.ValidationErrors
	name := p.DisplayName()
	field := "options." + OptMediaType
	asked, given := "", false
	if raw, ok := opts[OptMediaType]; ok && raw != nil {
		s, isText := raw.(string)
		asked, given = strings.ToUpper(strings.TrimSpace(s)), !isText || strings.TrimSpace(s) != ""
		if given && (!isText || !slices.Contains(types, asked)) {
			v.Add(field, RuleOptionValue, "%s media_type is one of %s; %s is not.", name, orList(types), quoted(raw))
			return "", v.Err()
		}
	}
	images, videos := kinds(media)
	inferred := inferMediaType(p, images, videos)
	if p == snsos.PlatformInstagram && len(media) == 0 {
		v.Add("media", RuleMediaRequired, "%s posts need at least one image or video; this target has none.", name)
		return "", v.Err()
	}
	if !given {
		return inferred, nil
	}
	if !fits(shapes[asked], images, videos) {
		hint := ""
		if inferred != "" && inferred != asked {
			hint = fmt.Sprintf(" (%s fits it)", inferred)
		}
		v.Add(field, RuleMediaTypeMismatch, "%s media_type %s takes %s; this target has %s%s.", name, asked, shapes[asked].takes, mediaWords(images, videos), hint)
		return "", v.Err()
	}
	return asked, nil
}

// inferMediaType is the media type a platform's post is without an
// explicit one ("" for Instagram without media).
func inferMediaType(p snsos.Platform, images, videos int) string {
	switch n := images + videos; {
	case n == 0 && p == snsos.PlatformThreads:
		return MediaText
	case n == 0:
		return ""
	case n >= 2:
		return MediaCarousel
	case videos == 1 && p == snsos.PlatformInstagram:
		return MediaReels
	case videos == 1:
		return MediaVideo
	}
	return MediaImage
}

// kinds counts videos and, as images, every other item (a file of a type
// no platform takes is CheckMedia's to report).
func kinds(media []snsos.MediaRef) (images, videos int) {
	for i := range media {
		if media[i].IsVideo() {
			videos++
		} else {
			images++
		}
	}
	return images, videos
}

// fits reports whether images and videos make a post of shape s.
func fits(s mediaShape, images, videos int) bool {
	n := images + videos
	if n < s.min || s.max >= 0 && n > s.max {
		return false
	}
	switch s.kind {
	case "image":
		return videos == 0
	case "video":
		return images == 0
	}
	return true
}

// mediaWords says what media a target has: "no media", "1 image",
// "2 images and 1 video".
func mediaWords(images, videos int) string {
	switch {
	case images == 0 && videos == 0:
		return "no media"
	case videos == 0:
		return plural(images, "image")
	case images == 0:
		return plural(videos, "video")
	}
	return plural(images, "image") + " and " + plural(videos, "video")
}

// CheckOptions checks the options of a post on platform p whose media type
// (from MediaType) is mediaType: unknown names (Instagram and Threads take
// only their own, see KnownOptions) and each known option's value —
// Threads topic_tag (1–50 characters, no '.' or '&'), link_attachment (an
// http(s) URL, TEXT posts only); Instagram first_comment (text of at most
// 2,200 characters), share_to_feed (true or false, REELS only); TikTok
// privacy_level (one of TikTokPrivacyLevels), the interaction and brand
// toggles (true or false; branded content is never SELF_ONLY),
// video_cover_timestamp_ms (milliseconds, 0 or more) and title (a text).
// Whether a TikTok post needs privacy_level is CheckTikTokPrivacy's.
// media_type is MediaType's and parts publish.Parts'. The checks that depend on the
// media type are skipped when mediaType is "" (MediaType refused it and
// says why). Field is "options.<name>".
func CheckOptions(p snsos.Platform, opts map[string]any, mediaType string) []snsos.FieldError {
	known, ok := knownOptions[p]
	if !ok {
		return nil
	}
	var v snsos.ValidationErrors
	name := p.DisplayName()
	for _, key := range slices.Sorted(maps.Keys(opts)) {
		field := "options." + key
		val := opts[key]
		switch {
		case !slices.Contains(known, key):
			v.Add(field, RuleOptionUnknown, "%s takes the options %s; remove %q.", name, andList(known), key)
		case key == OptTopicTag:
			checkTopicTag(&v, field, val)
		case key == OptLinkAttachment:
			checkLinkAttachment(&v, field, val, mediaType)
		case key == OptFirstComment:
			checkFirstComment(&v, field, val)
		case key == OptShareToFeed:
			if _, isBool := val.(bool); !isBool {
				v.Add(field, RuleOptionType, "share_to_feed is true or false; %s is not.", quoted(val))
			} else if mediaType != "" && mediaType != MediaReels {
				v.Add(field, RuleOptionValue, "share_to_feed applies to Instagram REELS only; this post is %s.", mediaType)
			}
		case p == snsos.PlatformTikTok:
			checkTikTokOption(&v, field, key, val, opts)
		}
	}
	return v
}

// checkTikTokOption checks the value of TikTok option key.
func checkTikTokOption(v *snsos.ValidationErrors, field, key string, val any, opts map[string]any) {
	switch key {
	case OptPrivacyLevel:
		s, ok := val.(string)
		if !ok || !slices.Contains(TikTokPrivacyLevels, strings.ToUpper(strings.TrimSpace(s))) {
			v.Add(field, RuleOptionValue, "TikTok privacy_level is one of %s; %s is not.", orList(TikTokPrivacyLevels), quoted(val))
			return
		}
		if on, _ := opts[OptBrandContent].(bool); on && strings.EqualFold(strings.TrimSpace(s), "SELF_ONLY") {
			v.Add(field, RuleOptionValue, "Branded content (brand_content_toggle) cannot be SELF_ONLY on TikTok; choose a wider audience or turn branded content off.")
		}
	case OptCoverMS:
		if f, ok := val.(float64); !ok || f < 0 || f != float64(int64(f)) || f > 1<<31-1 {
			v.Add(field, RuleOptionType, "video_cover_timestamp_ms is a whole number of milliseconds, 0 or more; %s is not.", quoted(val))
		}
	case OptTitle:
		if _, ok := val.(string); !ok {
			v.Add(field, RuleOptionType, "title is a text; %s is not.", quoted(val))
		}
	default: // the flags
		if _, ok := val.(bool); !ok && slices.Contains(tiktokFlags, key) {
			v.Add(field, RuleOptionType, "%s is true or false; %s is not.", key, quoted(val))
		}
	}
}

// CheckTikTokPrivacy refuses a TikTok Direct Post (inbox false: the
// account publishes at once rather than uploading to its TikTok inbox)
// whose options have no privacy_level: TikTok wants the audience chosen
// for every post, and sns-os never picks it. An inbox upload needs none
// (the operator chooses in the TikTok app). Field is
// "options.privacy_level".
func CheckTikTokPrivacy(opts map[string]any, inbox bool) []snsos.FieldError {
	if inbox {
		return nil
	}
	if s, ok := opts[OptPrivacyLevel].(string); ok && strings.TrimSpace(s) != "" {
		return nil // its value is CheckOptions'
	}
	if raw, ok := opts[OptPrivacyLevel]; ok && raw != nil {
		if _, isText := raw.(string); !isText {
			return nil // not a text: CheckOptions says so
		}
	}
	var v snsos.ValidationErrors
	v.Add("options."+OptPrivacyLevel, RuleOptionRequired, "Choose who can see this TikTok post; sns-os never picks for you (privacy_level: %s).",
		orList(TikTokPrivacyLevels))
	return v
}

func checkTopicTag(v *snsos.ValidationErrors, field string, val any) {
	s, ok := val.(string)
	n := utf8.RuneCountInString(strings.TrimSpace(s))
	switch {
	case !ok:
		v.Add(field, RuleOptionType, "topic_tag is a text; %s is not.", quoted(val))
	case n == 0 || n > ThreadsMaxTopicTag:
		v.Add(field, RuleOptionValue, "Threads topic tags have 1 to %d characters; this one has %d.", ThreadsMaxTopicTag, n)
	case strings.ContainsAny(s, ".&"):
		v.Add(field, RuleOptionValue, "Threads topic tags cannot contain '.' or '&'; %q does.", s)
	}
}

func checkLinkAttachment(v *snsos.ValidationErrors, field string, val any, mediaType string) {
	s, ok := val.(string)
	if !ok {
		v.Add(field, RuleOptionType, "link_attachment is a link (text); %s is not.", quoted(val))
		return
	}
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		v.Add(field, RuleOptionValue, "link_attachment must be an http or https link, e.g. https://example.com/page; %q is not.", s)
		return
	}
	if mediaType != "" && mediaType != MediaText {
		v.Add(field, RuleOptionValue, "Threads attaches links to TEXT posts only; this post is %s. Remove the link_attachment or the media.", mediaType)
	}
}

func checkFirstComment(v *snsos.ValidationErrors, field string, val any) {
	s, ok := val.(string)
	if !ok {
		v.Add(field, RuleOptionType, "first_comment is a text; %s is not.", quoted(val))
		return
	}
	if n := utf8.RuneCountInString(s); n > InstagramMaxLength {
		v.Add(field, RuleMaxLength, "Instagram comments can be at most %s characters; this one has %s.", count(InstagramMaxLength), count(n))
	}
}

// quoted writes an option's value for a message: a text in quotes, other
// JSON values as they are.
func quoted(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%v", v)
}

// orList joins names as "A, B, C or D"; andList as "A, B and C".
func orList(names []string) string  { return joinWords(names, " or ") }
func andList(names []string) string { return joinWords(names, " and ") }

func joinWords(names []string, last string) string {
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + last + names[len(names)-1]
}
