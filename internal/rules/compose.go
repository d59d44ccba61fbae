package rules

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	snsos "github.com/sns-os/snsos"
)

// Limits on text, by platform. The comments cite the platform documents.
const (
	// ThreadsMaxLength is the longest Threads text, counted by ThreadsLength
	// (meta-instagram-threads.md §2.3, parameter text).
	ThreadsMaxLength = 500
	// ThreadsMaxLinks is the most distinct URLs in a Threads post
	// (meta-instagram-threads.md §2.3 "Links").
	ThreadsMaxLinks = 5
	// ThreadsMaxTopicTags is how many topic tags a Threads post has
	// (meta-instagram-threads.md §2.3, parameter topic_tag).
	ThreadsMaxTopicTags = 1
	// ThreadsMaxTopicTagLength is the longest topic tag, in characters.
	ThreadsMaxTopicTagLength = 50

	// InstagramMaxLength is the longest Instagram caption, in code points
	// (meta-instagram-threads.md §1.4 "Caption").
	InstagramMaxLength = 2200
	// InstagramMaxHashtags and InstagramMaxMentions limit a caption's
	// hashtags and @mentions (meta-instagram-threads.md §1.4 "Caption").
	InstagramMaxHashtags = 30
	InstagramMaxMentions = 20

	// TikTokMaxVideoTitle is the longest video caption ("title"), in UTF-16
	// code units (tiktok-x.md §1.3(b) post_info.title).
	TikTokMaxVideoTitle = 2200
	// TikTokMaxPhotoTitle and TikTokMaxPhotoDescription limit a photo post,
	// in UTF-16 code units (tiktok-x.md §1.3(e) and §3 "Count captions").
	TikTokMaxPhotoTitle       = 90
	TikTokMaxPhotoDescription = 4000

	// XMaxCashtags is the most cashtags ($TICKER) in an X post
	// (tiktok-x.md §0.4).
	XMaxCashtags = 1
)

// Options carries what changes a platform's rules for one post.
type Options struct {
	// HasMedia reports that the post carries media, so an empty text is
	// allowed where the platform accepts a media-only post (X, Threads).
	HasMedia bool `json:"has_media,omitempty"`

	// XPremium allows X long posts of up to 25,000 weighted characters, for
	// an account with X Premium (tiktok-x.md §2.3).
	XPremium bool `json:"x_premium,omitempty"`

	// TikTokPhoto checks a TikTok photo post: the text is then its
	// description (4,000) and Title its title (90). Otherwise the text is a
	// video caption (2,200).
	TikTokPhoto bool   `json:"tiktok_photo,omitempty"`
	Title       string `json:"title,omitempty"`

	// TikTokMaxVideoSeconds is creator_info's max_video_post_duration_sec
	// for the account; 0 means the API's own limit of 10 minutes
	// (tiktok-x.md §1.3 "Media specs"). Used by CheckMedia.
	TikTokMaxVideoSeconds int `json:"tiktok_max_video_seconds,omitempty"`

	// LinkAttachment is a Threads post's link_attachment option, which
	// counts towards the 5 links with the links of the text.
	LinkAttachment string `json:"link_attachment,omitempty"`

	// InstagramMediaType is the Graph API media_type of an Instagram post
	// (see MediaType): "IMAGE" (one image), "REELS" (one video),
	// "CAROUSEL" (2–10 items) or "STORIES" (one item, with their own file
	// rules); "" checks the files of any feed post or carousel. Used by
	// CheckMedia.
	InstagramMediaType string `json:"instagram_media_type,omitempty"`

	// ThreadsMediaType is the media_type of a Threads post (see
	// MediaType): "TEXT" (no media), "IMAGE", "VIDEO" (one item) or
	// "CAROUSEL" (2–20 items); "" checks any post. Used by CheckMedia.
	ThreadsMediaType string `json:"threads_media_type,omitempty"`
}

// TikTokPhotoPost reports whether media refs make a TikTok photo post
// (its first file is an image; a video post carries one video): its text is
// then a description counted against the photo limit.
func TikTokPhotoPost(refs []snsos.MediaRef) bool {
	return len(refs) > 0 && !refs[0].IsVideo()
}

// WithMediaType returns opts with the media type of a post on p set where
// CheckMedia reads it (InstagramMediaType or ThreadsMediaType).
func (opts Options) WithMediaType(p snsos.Platform, mediaType string) Options {
	switch p {
	case snsos.PlatformInstagram:
		opts.InstagramMediaType = mediaType
	case snsos.PlatformThreads:
		opts.ThreadsMediaType = mediaType
	}
	return opts
}

// Result is the verdict on one text for one platform. Its JSON form is the
// output of "sns-os lint --json":
//
//	{"platform":"x","length":31,"max_length":280,"valid":true,"errors":[]}
//
// Errors is never null in JSON.
type Result struct {
	Platform snsos.Platform `json:"platform"`
	// Length is the text's length as the platform counts it; MaxLength is the
	// platform's limit on it.
	Length    int  `json:"length"`
	MaxLength int  `json:"max_length"`
	Valid     bool `json:"valid"` // no errors
	// Hashtags, Mentions and Links are the distinct hashtags and @mentions
	// (Instagram) and links (Threads, a link_attachment included) counted
	// against the platform's limits; 0 and left out of JSON elsewhere.
	Hashtags int `json:"hashtags,omitempty"`
	Mentions int `json:"mentions,omitempty"`
	Links    int `json:"links,omitempty"`
	// Errors lists every broken rule. Field is "text" (or "title" for a
	// TikTok photo title); callers may rewrite it to their own field path.
	Errors []snsos.FieldError `json:"errors"`
}

// MarshalJSON encodes r with Errors as [] rather than null when empty.
func (r Result) MarshalJSON() ([]byte, error) {
	type result Result // without the method
	if r.Errors == nil {
		r.Errors = []snsos.FieldError{}
	}
	return json.Marshal(result(r))
}

// Rule names used in FieldError.Rule.
const (
	RuleMaxLength       = "max_length"
	RuleRequired        = "required"
	RuleInvalidChars    = "invalid_characters"
	RuleMaxHashtags     = "max_hashtags"
	RuleMaxMentions     = "max_mentions"
	RuleMaxLinks        = "max_links"
	RuleMaxTopicTags    = "max_topic_tags"
	RuleTopicTagLength  = "topic_tag_length"
	RuleMaxCashtags     = "max_cashtags"
	RulePlatform        = "platform"
	RuleMediaRequired   = "media_required"
	RuleMediaCount      = "media_count"
	RuleMediaMixed      = "media_mixed"
	RuleMediaType       = "media_type"
	RuleMediaSize       = "media_size"
	RuleMediaDuration   = "media_duration"
	RuleMediaDimensions = "media_dimensions"
	RuleMediaAspect     = "media_aspect_ratio"
	RuleMediaFrameRate  = "media_frame_rate"
	RuleAltTextLength   = "alt_text_length"
	RuleAltTextKind     = "alt_text_media_kind"
)

// Check checks text against platform p's text rules and returns the
// platform's own length count with every broken rule. It never fails: an
// unknown platform is reported as an error in the Result.
func Check(p snsos.Platform, text string, opts Options) Result {
	r := Result{Platform: p, Errors: []snsos.FieldError{}}
	switch p {
	case snsos.PlatformX:
		checkX(&r, text, opts)
	case snsos.PlatformThreads:
		checkThreads(&r, text, opts)
	case snsos.PlatformInstagram:
		checkInstagram(&r, text)
	case snsos.PlatformTikTok:
		checkTikTok(&r, text, opts)
	default:
		r.add("platform", RulePlatform, "%q is not a platform sns-os posts to; use x, instagram, threads or tiktok.", string(p))
	}
	r.Valid = len(r.Errors) == 0
	return r
}

func (r *Result) add(field, rule, format string, args ...any) {
	r.Errors = append(r.Errors, snsos.FieldError{Field: field, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

// checkLength reports a text over its limit, in the platform's own terms.
func (r *Result) checkLength(field, what string, n, limit int) {
	if n > limit {
		r.add(field, RuleMaxLength, "%s counts this as %s of %s characters; %s over.",
			what, count(n), count(limit), count(n-limit))
	}
}

// checkX applies X's rules (tiktok-x.md §2.3): the twitter-text v3 weighted
// length, no invalid characters, not empty without media, one cashtag.
func checkX(r *Result, text string, opts Options) {
	x := ParseX(text)
	r.Length, r.MaxLength = x.WeightedLength, XMaxLength
	if opts.XPremium {
		r.MaxLength = XPremiumMaxLength
	}
	r.checkLength("text", "X", x.WeightedLength, r.MaxLength)
	if strings.ContainsAny(text, "\uFFFE\uFEFF\uFFFF") {
		r.add("text", RuleInvalidChars, "X rejects text with the characters U+FEFF, U+FFFE or U+FFFF; remove them.")
	}
	if x.WeightedLength == 0 && !opts.HasMedia {
		r.add("text", RuleRequired, "X needs text or media; this post is empty.")
	}
	if tags := cashtags(text); len(tags) > XMaxCashtags {
		r.add("text", RuleMaxCashtags, "X allows %d cashtag per post; this has %d (%s).",
			XMaxCashtags, len(tags), strings.Join(tags, ", "))
	}
}

// checkThreads applies the Threads text rules (meta-instagram-threads.md
// §2.3): 500 characters with emoji counted by their UTF-8 bytes, at most 5
// distinct links, one topic tag of at most 50 characters.
func checkThreads(r *Result, text string, opts Options) {
	r.Length, r.MaxLength = ThreadsLength(text), ThreadsMaxLength
	if r.Length > r.MaxLength {
		r.add("text", RuleMaxLength, "Threads counts this as %s of %s characters (an emoji counts as its size in bytes, up to 4 or more); %s over.",
			count(r.Length), count(r.MaxLength), count(r.Length-r.MaxLength))
	}
	if strings.TrimSpace(text) == "" && !opts.HasMedia {
		r.add("text", RuleRequired, "Threads needs text or media; this post is empty.")
	}
	links := distinctURLs(text)
	if l := strings.TrimSpace(opts.LinkAttachment); l != "" && !slices.ContainsFunc(links, func(u string) bool { return sameLink(u, l) }) {
		links = append(links, l) // link_attachment counts with the text's links
	}
	r.Links = len(links)
	if len(links) > ThreadsMaxLinks {
		r.add("text", RuleMaxLinks, "Threads allows at most %d different links per post; this has %d.", ThreadsMaxLinks, len(links))
	}
	tags := hashtags(text)
	if len(tags) > ThreadsMaxTopicTags {
		r.add("text", RuleMaxTopicTags, "Threads uses one topic tag per post; this has %d (%s). Only %s would become the topic.",
			len(tags), strings.Join(tags, ", "), tags[0])
	}
	for _, tag := range tags {
		if n := utf8.RuneCountInString(tag) - 1; n > ThreadsMaxTopicTagLength {
			r.add("text", RuleTopicTagLength, "Threads topic tags can be at most %d characters; %s has %d.", ThreadsMaxTopicTagLength, tag, n)
		}
	}
}

// checkInstagram applies the caption rules (meta-instagram-threads.md §1.4
// "Caption"): 2,200 characters, 30 hashtags, 20 @mentions.
//
// The document does not say how Meta counts characters; code points are
// used. Hashtags and mentions are counted once each, ignoring case, which is
// the lenient reading.
func checkInstagram(r *Result, text string) {
	r.Length, r.MaxLength = utf8.RuneCountInString(text), InstagramMaxLength
	r.checkLength("text", "Instagram", r.Length, r.MaxLength)
	r.Hashtags, r.Mentions = len(distinctFold(hashtags(text))), len(distinctFold(mentions(text)))
	if r.Hashtags > InstagramMaxHashtags {
		r.add("text", RuleMaxHashtags, "Instagram captions can have at most %d hashtags; this has %d.", InstagramMaxHashtags, r.Hashtags)
	}
	if r.Mentions > InstagramMaxMentions {
		r.add("text", RuleMaxMentions, "Instagram captions can have at most %d @mentions; this has %d.", InstagramMaxMentions, r.Mentions)
	}
}

// checkTikTok applies the caption rules, counted in UTF-16 code units
// (tiktok-x.md §1.3(b) title, §1.3(e) photo post, §3 "Count captions").
func checkTikTok(r *Result, text string, opts Options) {
	r.Length = utf16Len(text)
	if !opts.TikTokPhoto {
		r.MaxLength = TikTokMaxVideoTitle
		r.checkLength("text", "TikTok", r.Length, r.MaxLength)
		return
	}
	r.MaxLength = TikTokMaxPhotoDescription
	if r.Length > r.MaxLength {
		r.add("text", RuleMaxLength, "TikTok photo descriptions can be %s characters; this is %s, %s over.",
			count(r.MaxLength), count(r.Length), count(r.Length-r.MaxLength))
	}
	if n := utf16Len(opts.Title); n > TikTokMaxPhotoTitle {
		r.add("title", RuleMaxLength, "TikTok photo titles can be %d characters; this is %s, %s over.",
			TikTokMaxPhotoTitle, count(n), count(n-TikTokMaxPhotoTitle))
	}
}

// ThreadsLength returns the length Threads counts for text: one per
// character (code point), except that an emoji counts as many as its UTF-8
// bytes ("😀" is 4, "❤️" is 6), as meta-instagram-threads.md §2.3 says.
// The document leaves open whether other characters count as code points or
// UTF-16 units; code points are used, the lenient reading.
func ThreadsLength(text string) int {
	n := 0
	for s := text; len(s) > 0; {
		if s[0] < utf8.RuneSelf && (len(s) == 1 || s[1] < utf8.RuneSelf) {
			n++
			s = s[1:]
			continue
		}
		cluster, rest := firstCluster(s)
		if e := emojiPrefix(cluster); e > 0 {
			n += e
			cluster = cluster[e:]
		}
		n += utf8.RuneCountInString(cluster)
		s = rest
	}
	return n
}

// distinctURLs returns the distinct URLs X's grammar finds in text.
func distinctURLs(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, u := range extractURLs(text) {
		if s := text[u.start:u.end]; !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// sameLink reports whether two links name the same page, leniently: the
// scheme, a trailing slash and the case of the host do not count (Threads
// does not say how it tells links apart).
func sameLink(a, b string) bool {
	norm := func(s string) string {
		s = strings.ToLower(strings.TrimSpace(s))
		s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
		return strings.TrimSuffix(s, "/")
	}
	return norm(a) == norm(b)
}

// distinctFold drops repeats, ignoring case.
func distinctFold(list []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range list {
		if k := strings.ToLower(s); !seen[k] {
			seen[k] = true
			out = append(out, s)
		}
	}
	return out
}

// count formats n with thousands separators, as people write it: 2,200.
func count(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + count(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
