package rules

import (
	"encoding/json"
	"strings"
	"testing"

	snsos "github.com/sns-os/snsos"
)

func TestCheckMedia(t *testing.T) {
	t.Parallel()
	jpeg := snsos.MediaRef{Mime: "image/jpeg", Size: 1 << 20, Width: 1080, Height: 1350}
	png := snsos.MediaRef{Mime: "image/png", Size: 1 << 20, Width: 1080, Height: 1080}
	gif := snsos.MediaRef{Mime: "image/gif", Size: 1 << 20, Width: 480, Height: 480}
	mp4 := func(w, h int, ms int64, fps float64) snsos.MediaRef {
		return snsos.MediaRef{Mime: "video/mp4", Size: 50 << 20, Width: w, Height: h, DurationMS: ms, FrameRate: fps}
	}
	n := func(m snsos.MediaRef, k int) []snsos.MediaRef {
		out := make([]snsos.MediaRef, k)
		for i := range out {
			out[i] = m
		}
		return out
	}
	tests := []struct {
		name  string
		p     snsos.Platform
		media []snsos.MediaRef
		opts  Options
		want  []string // "rule: message" or just "rule"
	}{
		{"x text only", snsos.PlatformX, nil, Options{}, nil},
		{"x four images", snsos.PlatformX, n(png, 4), Options{}, nil},
		{"x five images", snsos.PlatformX, n(png, 5), Options{}, []string{"media_count"}},
		{"x gif with image", snsos.PlatformX, []snsos.MediaRef{gif, png}, Options{}, []string{"media_count"}},
		{"x image and video", snsos.PlatformX, []snsos.MediaRef{png, mp4(1280, 720, 10_000, 30)}, Options{}, []string{"media_mixed"}},
		{"x video too long", snsos.PlatformX, []snsos.MediaRef{mp4(1280, 720, 141_000, 30)}, Options{}, []string{"media_duration: X video is 141 s; the limit is 140 s."}},
		{"x video portrait ok", snsos.PlatformX, []snsos.MediaRef{mp4(720, 1280, 10_000, 30)}, Options{}, nil},
		{"x video too large", snsos.PlatformX, []snsos.MediaRef{mp4(1920, 1080, 10_000, 30)}, Options{}, []string{"media_dimensions"}},
		{"x video too short", snsos.PlatformX, []snsos.MediaRef{mp4(1280, 720, 400, 30)}, Options{}, []string{"media_duration: X video is 0.4 s; the minimum is 0.5 s."}},
		{"x video 120 fps", snsos.PlatformX, []snsos.MediaRef{mp4(1280, 720, 10_000, 120)}, Options{}, []string{"media_frame_rate"}},
		{"x image too big", snsos.PlatformX, []snsos.MediaRef{{Mime: "image/png", Size: 6 << 20}}, Options{}, []string{"media_size: X images can be at most 5 MB; this is 6 MB."}},
		{"x gif 10 MB ok", snsos.PlatformX, []snsos.MediaRef{{Mime: "image/gif", Size: 10 << 20}}, Options{}, nil},
		{"x pdf", snsos.PlatformX, []snsos.MediaRef{{Mime: "application/pdf"}}, Options{}, []string{"media_type"}},

		{"instagram needs media", snsos.PlatformInstagram, nil, Options{}, []string{"media_required"}},
		{"instagram jpeg 4:5", snsos.PlatformInstagram, []snsos.MediaRef{jpeg}, Options{}, nil},
		{"instagram png", snsos.PlatformInstagram, []snsos.MediaRef{png}, Options{}, []string{"media_type: Instagram images must be JPEG; this is PNG."}},
		{"instagram 9:16 image", snsos.PlatformInstagram, []snsos.MediaRef{{Mime: "image/jpeg", Size: 1, Width: 1080, Height: 1920}}, Options{},
			[]string{"media_aspect_ratio: Instagram images must be between 4:5 and 1.91:1 in shape; this is 1080×1920 (9:16)."}},
		{"instagram 9:16 story", snsos.PlatformInstagram, []snsos.MediaRef{{Mime: "image/jpeg", Size: 1, Width: 1080, Height: 1920}}, Options{InstagramMediaType: "STORIES"}, nil},
		{"instagram carousel of 11", snsos.PlatformInstagram, n(jpeg, 11), Options{}, []string{"media_count"}},
		{"instagram mixed carousel", snsos.PlatformInstagram, []snsos.MediaRef{jpeg, mp4(1080, 1920, 10_000, 30)}, Options{}, nil},
		{"instagram reel too long", snsos.PlatformInstagram, []snsos.MediaRef{mp4(1080, 1920, 15*60_000+1000, 30)}, Options{}, []string{"media_duration: Instagram video is 15 min 1 s; the limit is 15 min."}},
		{"instagram story video 61 s", snsos.PlatformInstagram, []snsos.MediaRef{mp4(1080, 1920, 61_000, 30)}, Options{InstagramMediaType: "STORIES"}, []string{"media_duration"}},
		{"instagram 20 fps", snsos.PlatformInstagram, []snsos.MediaRef{mp4(1080, 1920, 10_000, 20)}, Options{}, []string{"media_frame_rate"}},
		{"instagram 29.97 fps", snsos.PlatformInstagram, []snsos.MediaRef{mp4(1080, 1920, 10_000, 29.97)}, Options{}, nil},

		{"threads text only", snsos.PlatformThreads, nil, Options{}, nil},
		{"threads png", snsos.PlatformThreads, []snsos.MediaRef{png}, Options{}, nil},
		{"threads carousel of 20", snsos.PlatformThreads, n(png, 20), Options{}, nil},
		{"threads carousel of 21", snsos.PlatformThreads, n(png, 21), Options{}, []string{"media_count"}},
		{"threads video 301 s", snsos.PlatformThreads, []snsos.MediaRef{mp4(1080, 1920, 301_000, 30)}, Options{}, []string{"media_duration"}},

		// Per media type (the type MediaType resolved).
		{"instagram IMAGE of one", snsos.PlatformInstagram, []snsos.MediaRef{jpeg}, Options{InstagramMediaType: "IMAGE"}, nil},
		{"instagram IMAGE of two", snsos.PlatformInstagram, n(jpeg, 2), Options{InstagramMediaType: "IMAGE"},
			[]string{"media_count: Instagram IMAGE posts take one image; this has 2."}},
		{"instagram IMAGE of a video", snsos.PlatformInstagram, []snsos.MediaRef{mp4(1080, 1920, 10_000, 30)}, Options{InstagramMediaType: "IMAGE"},
			[]string{"media_type: Instagram can't use videos here."}},
		{"instagram REELS of 2 s", snsos.PlatformInstagram, []snsos.MediaRef{mp4(1080, 1920, 2_000, 30)}, Options{InstagramMediaType: "REELS"},
			[]string{"media_duration: Instagram video is 2 s; the minimum is 3 s."}},
		{"instagram REELS of an image", snsos.PlatformInstagram, []snsos.MediaRef{jpeg}, Options{InstagramMediaType: "REELS"}, []string{"media_type"}},
		{"instagram CAROUSEL of 10", snsos.PlatformInstagram, n(jpeg, 10), Options{InstagramMediaType: "CAROUSEL"}, nil},
		{"instagram CAROUSEL of 11", snsos.PlatformInstagram, n(jpeg, 11), Options{InstagramMediaType: "CAROUSEL"},
			[]string{"media_count: Instagram posts can have at most 10 media items; this has 11."}},
		{"instagram STORIES of two", snsos.PlatformInstagram, n(jpeg, 2), Options{InstagramMediaType: "stories"}, []string{"media_count"}},
		{"threads TEXT with media", snsos.PlatformThreads, []snsos.MediaRef{png}, Options{ThreadsMediaType: "TEXT"},
			[]string{"media_count: Threads TEXT posts take no media; this has 1."}},
		{"threads VIDEO", snsos.PlatformThreads, []snsos.MediaRef{mp4(1080, 1920, 10_000, 30)}, Options{ThreadsMediaType: "VIDEO"}, nil},
		{"threads CAROUSEL of 21", snsos.PlatformThreads, n(png, 21), Options{ThreadsMediaType: "CAROUSEL"}, []string{"media_count"}},

		{"tiktok needs media", snsos.PlatformTikTok, nil, Options{}, []string{"media_required"}},
		{"tiktok video", snsos.PlatformTikTok, []snsos.MediaRef{mp4(1080, 1920, 60_000, 30)}, Options{}, nil},
		{"tiktok over creator max", snsos.PlatformTikTok, []snsos.MediaRef{mp4(1080, 1920, 301_000, 30)}, Options{TikTokMaxVideoSeconds: 300},
			[]string{"media_duration: TikTok video is 5 min 1 s; the limit is 5 min."}},
		{"tiktok two videos", snsos.PlatformTikTok, n(mp4(1080, 1920, 60_000, 30), 2), Options{}, []string{"media_count"}},
		{"tiktok photos and video", snsos.PlatformTikTok, []snsos.MediaRef{jpeg, mp4(1080, 1920, 60_000, 30)}, Options{}, []string{"media_mixed"}},
		{"tiktok 35 photos", snsos.PlatformTikTok, n(jpeg, 35), Options{}, nil},
		{"tiktok 36 photos", snsos.PlatformTikTok, n(jpeg, 36), Options{}, []string{"media_count"}},
		{"tiktok png photo", snsos.PlatformTikTok, []snsos.MediaRef{png}, Options{}, []string{"media_type: TikTok images must be JPEG or WebP; this is PNG."}},
		{"tiktok small video", snsos.PlatformTikTok, []snsos.MediaRef{mp4(320, 240, 10_000, 30)}, Options{}, []string{"media_dimensions"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			errs := CheckMedia(tt.p, tt.media, tt.opts)
			if len(errs) != len(tt.want) {
				t.Fatalf("errors = %+v, want %v", errs, tt.want)
			}
			for i, want := range tt.want {
				rule, msg, hasMsg := strings.Cut(want, ": ")
				if errs[i].Rule != rule || hasMsg && errs[i].Message != msg {
					t.Errorf("error %d = %s: %s, want %s", i, errs[i].Rule, errs[i].Message, want)
				}
			}
		})
	}
}

func TestMediaRulesFor(t *testing.T) {
	t.Parallel()
	for _, p := range snsos.Platforms {
		r := MediaRulesFor(p)
		if r.Platform != p || r.MaxItems == 0 || len(r.Image.MIMETypes) == 0 || len(r.Video.MIMETypes) == 0 {
			t.Errorf("MediaRulesFor(%s) = %+v: incomplete", p, r)
		}
		if _, err := json.Marshal(r); err != nil {
			t.Errorf("MediaRulesFor(%s): %v", p, err)
		}
	}
	if r := MediaRulesFor("myspace"); r.MaxItems != 0 {
		t.Errorf("unknown platform has rules: %+v", r)
	}
	if errs := CheckMedia("myspace", nil, Options{}); len(errs) != 1 || errs[0].Rule != RulePlatform {
		t.Errorf("CheckMedia(unknown) = %+v", errs)
	}
}
