package rules

import (
	"errors"
	"strings"
	"testing"

	snsos "github.com/sns-os/snsos"
)

// fieldErrors returns the field errors an error wraps.
func fieldErrors(err error) snsos.ValidationErrors {
	var v snsos.ValidationErrors
	errors.As(err, &v)
	return v
}

func TestMediaType(t *testing.T) {
	t.Parallel()
	img := snsos.MediaRef{ID: 1, Mime: "image/jpeg"}
	vid := snsos.MediaRef{ID: 2, Mime: "video/mp4"}
	ig, th, x := snsos.PlatformInstagram, snsos.PlatformThreads, snsos.PlatformX
	with := func(mt any) map[string]any { return map[string]any{OptMediaType: mt} }
	tests := []struct {
		name  string
		p     snsos.Platform
		opts  map[string]any
		media []snsos.MediaRef
		want  string // the media type, or "field rule: message part" of the error
	}{
		// Instagram: inferred.
		{"ig one image", ig, nil, []snsos.MediaRef{img}, "IMAGE"},
		{"ig two images", ig, nil, []snsos.MediaRef{img, img}, "CAROUSEL"},
		{"ig image and video", ig, nil, []snsos.MediaRef{vid, img}, "CAROUSEL"},
		{"ig one video is a reel", ig, nil, []snsos.MediaRef{vid}, "REELS"},
		{"ig no media", ig, nil, nil, "media media_required: Instagram posts need at least one image or video"},
		{"ig no media even when asked", ig, with("REELS"), nil, "media media_required"},
		// Instagram: asked for, any case.
		{"ig stories only when asked", ig, with("stories"), []snsos.MediaRef{vid}, "STORIES"},
		{"ig story image", ig, with(" Stories "), []snsos.MediaRef{img}, "STORIES"},
		{"ig explicit carousel", ig, with("Carousel"), []snsos.MediaRef{img, vid}, "CAROUSEL"},
		{"ig explicit reels", ig, with("REELS"), []snsos.MediaRef{vid}, "REELS"},
		{"ig empty text is not a choice", ig, with(""), []snsos.MediaRef{img}, "IMAGE"},
		{"ig reels with an image", ig, with("REELS"), []snsos.MediaRef{img},
			"options.media_type media_type_mismatch: Instagram media_type REELS takes one video; this target has 1 image (IMAGE fits it)."},
		{"ig carousel with one item", ig, with("CAROUSEL"), []snsos.MediaRef{img}, "options.media_type media_type_mismatch: Instagram media_type CAROUSEL takes two or more"},
		{"ig image with two", ig, with("IMAGE"), []snsos.MediaRef{img, img}, "options.media_type media_type_mismatch: Instagram media_type IMAGE takes one image; this target has 2 images (CAROUSEL fits it)."},
		{"ig image with a video", ig, with("image"), []snsos.MediaRef{vid}, "options.media_type media_type_mismatch"},
		{"ig stories with two", ig, with("STORIES"), []snsos.MediaRef{img, vid}, "options.media_type media_type_mismatch"},
		{"ig legacy VIDEO", ig, with("VIDEO"), []snsos.MediaRef{vid}, "options.media_type option_value: Instagram media_type is one of IMAGE, CAROUSEL, REELS or STORIES; \"VIDEO\" is not."},
		{"ig not a text", ig, with(3.0), []snsos.MediaRef{img}, "options.media_type option_value"},
		// Threads.
		{"th no media is text", th, nil, nil, "TEXT"},
		{"th one image", th, nil, []snsos.MediaRef{img}, "IMAGE"},
		{"th one video", th, nil, []snsos.MediaRef{vid}, "VIDEO"},
		{"th two", th, nil, []snsos.MediaRef{img, vid}, "CAROUSEL"},
		{"th explicit text", th, with("text"), nil, "TEXT"},
		{"th text with media", th, with("TEXT"), []snsos.MediaRef{img}, "options.media_type media_type_mismatch: Threads media_type TEXT takes no media; this target has 1 image (IMAGE fits it)."},
		{"th image without media", th, with("IMAGE"), nil, "options.media_type media_type_mismatch: Threads media_type IMAGE takes one image; this target has no media (TEXT fits it)."},
		{"th video with an image", th, with("VIDEO"), []snsos.MediaRef{img}, "options.media_type media_type_mismatch"},
		{"th carousel of one", th, with("CAROUSEL"), []snsos.MediaRef{vid}, "options.media_type media_type_mismatch"},
		{"th reels is instagram's", th, with("REELS"), []snsos.MediaRef{vid}, "options.media_type option_value: Threads media_type is one of TEXT, IMAGE, VIDEO or CAROUSEL"},
		// Platforms without media types.
		{"x", x, with("REELS"), []snsos.MediaRef{img}, ""},
		{"tiktok", snsos.PlatformTikTok, nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := MediaType(tt.p, tt.opts, tt.media)
			fieldRule, msg, wantErr := strings.Cut(tt.want, ": ")
			if !wantErr && strings.Contains(tt.want, " ") {
				wantErr = true
			}
			if !wantErr {
				if err != nil || got != tt.want {
					t.Fatalf("MediaType = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			v := fieldErrors(err)
			if snsos.ErrorCode(err) != snsos.EINVALID || len(v) != 1 || got != "" {
				t.Fatalf("MediaType = %q, %v; want one field error %q", got, err, tt.want)
			}
			if v[0].Field+" "+v[0].Rule != fieldRule || !strings.HasPrefix(v[0].Message, msg) {
				t.Fatalf("error = %s %s: %s\nwant %s", v[0].Field, v[0].Rule, v[0].Message, tt.want)
			}
		})
	}
}

func TestCheckOptions(t *testing.T) {
	t.Parallel()
	ig, th, tt := snsos.PlatformInstagram, snsos.PlatformThreads, snsos.PlatformTikTok
	tests := []struct {
		name      string
		p         snsos.Platform
		opts      map[string]any
		mediaType string
		want      []string // "field rule"
	}{
		{"ig all known", ig, map[string]any{"media_type": "reels", "first_comment": "#tags here", "share_to_feed": true}, "REELS", nil},
		{"ig unknown", ig, map[string]any{"parts": []any{"a"}, "privacy_level": "x"}, "IMAGE",
			[]string{"options.parts option_unknown", "options.privacy_level option_unknown"}},
		{"ig first comment too long", ig, map[string]any{"first_comment": strings.Repeat("猫", 2201)}, "IMAGE", []string{"options.first_comment max_length"}},
		{"ig first comment 2,200", ig, map[string]any{"first_comment": strings.Repeat("猫", 2200)}, "IMAGE", nil},
		{"ig first comment not text", ig, map[string]any{"first_comment": 3.0}, "IMAGE", []string{"options.first_comment option_type"}},
		{"ig share_to_feed not bool", ig, map[string]any{"share_to_feed": "yes"}, "REELS", []string{"options.share_to_feed option_type"}},
		{"ig share_to_feed on an image", ig, map[string]any{"share_to_feed": false}, "IMAGE", []string{"options.share_to_feed option_value"}},
		{"th all known", th, map[string]any{"media_type": "TEXT", "parts": []any{"a", "b"}, "topic_tag": "Go language", "link_attachment": "https://go.dev/"}, "TEXT", nil},
		{"th unknown", th, map[string]any{"first_comment": "hi"}, "TEXT", []string{"options.first_comment option_unknown"}},
		{"th topic tag with a dot", th, map[string]any{"topic_tag": "go.dev"}, "TEXT", []string{"options.topic_tag option_value"}},
		{"th topic tag with &", th, map[string]any{"topic_tag": "rock&roll"}, "TEXT", []string{"options.topic_tag option_value"}},
		{"th topic tag empty", th, map[string]any{"topic_tag": " "}, "TEXT", []string{"options.topic_tag option_value"}},
		{"th topic tag 50", th, map[string]any{"topic_tag": strings.Repeat("あ", 50)}, "TEXT", nil},
		{"th topic tag 51", th, map[string]any{"topic_tag": strings.Repeat("あ", 51)}, "TEXT", []string{"options.topic_tag option_value"}},
		{"th link not http", th, map[string]any{"link_attachment": "ftp://example.com/"}, "TEXT", []string{"options.link_attachment option_value"}},
		{"th link on an image post", th, map[string]any{"link_attachment": "https://example.com/"}, "IMAGE", []string{"options.link_attachment option_value"}},
		{"th link while the media type is refused", th, map[string]any{"link_attachment": "https://example.com/"}, "", nil},
		{"x not checked", snsos.PlatformX, map[string]any{"anything": 1}, "", nil},
		{"tt all known", tt, map[string]any{"privacy_level": "SELF_ONLY", "disable_comment": false, "disable_duet": true,
			"disable_stitch": true, "brand_content_toggle": false, "brand_organic_toggle": true, "video_cover_timestamp_ms": 1500.0,
			"title": "a title"}, "", nil},
		{"tt privacy any case", tt, map[string]any{"privacy_level": "public_to_everyone"}, "", nil},
		{"tt unknown", tt, map[string]any{"media_type": "VIDEO", "post_mode": "MEDIA_UPLOAD", "privacy_level": "SELF_ONLY"}, "",
			[]string{"options.media_type option_unknown", "options.post_mode option_unknown"}},
		{"tt privacy not TikTok's", tt, map[string]any{"privacy_level": "PRIVATE"}, "", []string{"options.privacy_level option_value"}},
		{"tt privacy not text", tt, map[string]any{"privacy_level": 1.0}, "", []string{"options.privacy_level option_value"}},
		{"tt flag not bool", tt, map[string]any{"disable_duet": "yes", "brand_organic_toggle": 1.0}, "",
			[]string{"options.brand_organic_toggle option_type", "options.disable_duet option_type"}},
		{"tt branded only me", tt, map[string]any{"privacy_level": "SELF_ONLY", "brand_content_toggle": true}, "",
			[]string{"options.privacy_level option_value"}},
		{"tt cover negative", tt, map[string]any{"video_cover_timestamp_ms": -1.0}, "", []string{"options.video_cover_timestamp_ms option_type"}},
		{"tt cover fraction", tt, map[string]any{"video_cover_timestamp_ms": 1.5}, "", []string{"options.video_cover_timestamp_ms option_type"}},
		{"tt title not text", tt, map[string]any{"title": true}, "", []string{"options.title option_type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			errs := CheckOptions(tt.p, tt.opts, tt.mediaType)
			if len(errs) != len(tt.want) {
				t.Fatalf("errors = %+v, want %v", errs, tt.want)
			}
			for i, w := range tt.want {
				if got := errs[i].Field + " " + errs[i].Rule; got != w || errs[i].Message == "" {
					t.Errorf("error %d = %s (%s), want %s", i, got, errs[i].Message, w)
				}
			}
		})
	}
	// The refusal of an unknown option names the known ones.
	errs := CheckOptions(ig, map[string]any{"privacy_level": "x"}, "IMAGE")
	if len(errs) != 1 || !strings.Contains(errs[0].Message, "media_type, first_comment and share_to_feed") {
		t.Fatalf("unknown option message = %+v", errs)
	}
}

func TestCheckTikTokPrivacy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		opts  map[string]any
		inbox bool
		want  bool // refused
	}{
		{"direct without", nil, false, true},
		{"direct empty", map[string]any{"privacy_level": " "}, false, true},
		{"direct null", map[string]any{"privacy_level": nil}, false, true},
		{"direct chosen", map[string]any{"privacy_level": "SELF_ONLY"}, false, false},
		{"direct not text (CheckOptions says so)", map[string]any{"privacy_level": 3.0}, false, false},
		{"inbox without", nil, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			errs := CheckTikTokPrivacy(tc.opts, tc.inbox)
			if (len(errs) > 0) != tc.want {
				t.Fatalf("errors = %+v, want refused %v", errs, tc.want)
			}
			if !tc.want {
				return
			}
			e := errs[0]
			if e.Field != "options.privacy_level" || e.Rule != RuleOptionRequired ||
				!strings.Contains(strings.ToLower(e.Message), "choose who can see this tiktok post; sns-os never picks for you") {
				t.Fatalf("error = %+v", e)
			}
		})
	}
	if got := KnownOptions(snsos.PlatformTikTok); len(got) != 8 || got[0] != OptPrivacyLevel {
		t.Fatalf("KnownOptions(tiktok) = %v", got)
	}
}
