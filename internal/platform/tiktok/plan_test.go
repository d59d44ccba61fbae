package tiktok

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/platform"
)

func TestPlanChunks(t *testing.T) {
	t.Parallel()
	const MiB = 1 << 20
	tests := []struct {
		name        string
		size, chunk int64
		wantChunk   int64
		wantCount   int
		wantLast    int64
	}{
		{"4 MB: one chunk of its size", 4 * MiB, DefaultChunkSize, 4 * MiB, 1, 4 * MiB},
		{"one byte", 1, DefaultChunkSize, 1, 1, 1},
		{"just under 5 MB", 5*MiB - 1, DefaultChunkSize, 5*MiB - 1, 1, 5*MiB - 1},
		{"5 MB with 5 MB chunks", 5 * MiB, MinChunkSize, 5 * MiB, 1, 5 * MiB},
		{"5 MB + 1 with 5 MB chunks: the last absorbs the byte", 5*MiB + 1, MinChunkSize, 5 * MiB, 1, 5*MiB + 1},
		{"2 chunks exactly", 10 * MiB, MinChunkSize, 5 * MiB, 2, 5 * MiB},
		{"just under 2 chunks", 10*MiB - 1, MinChunkSize, 5 * MiB, 1, 10*MiB - 1},
		{"5 MB with 10 MB chunks", 5 * MiB, DefaultChunkSize, 5 * MiB, 1, 5 * MiB},
		{"64 MB with 10 MB chunks", 64 * MiB, DefaultChunkSize, 10 * MiB, 6, 14 * MiB},
		{"64 MB with 64 MB chunks", 64 * MiB, MaxChunkSize, 64 * MiB, 1, 64 * MiB},
		{"64 MB + 1 with 64 MB chunks", 64*MiB + 1, MaxChunkSize, 64 * MiB, 1, 64*MiB + 1},
		{"100 MB with 10 MB chunks", 100 * MiB, DefaultChunkSize, 10 * MiB, 10, 10 * MiB},
		{"100 MB with 64 MB chunks", 100 * MiB, MaxChunkSize, 64 * MiB, 1, 100 * MiB},
		{"128 MB - 1 with 64 MB chunks: the largest last chunk", 128*MiB - 1, MaxChunkSize, 64 * MiB, 1, 128*MiB - 1},
		{"1 GiB with 10 MB chunks", 1 << 30, DefaultChunkSize, 10 * MiB, 102, 14 * MiB},
		{"1 GiB with 64 MB chunks", 1 << 30, MaxChunkSize, 64 * MiB, 16, 64 * MiB},
		{"4 GB with 5 MB chunks", MaxVideoBytes, MinChunkSize, 5 * MiB, 819, 5*MiB + (MaxVideoBytes % (5 * MiB))},
		{"a chunk below the minimum is raised", 20 * MiB, 1 * MiB, 5 * MiB, 4, 5 * MiB},
		{"a chunk above the maximum is lowered", 200 * MiB, 100 * MiB, 64 * MiB, 3, 72 * MiB},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := planChunks(tt.size, tt.chunk)
			if err != nil {
				t.Fatal(err)
			}
			if p.chunk != tt.wantChunk || p.count != tt.wantCount {
				t.Fatalf("plan %+v, want chunk %d count %d", p, tt.wantChunk, tt.wantCount)
			}
			if p.count != int(tt.size/p.chunk) && !(p.count == 1 && p.chunk == tt.size) {
				t.Errorf("total_chunk_count %d is not floor(%d/%d)", p.count, tt.size, p.chunk)
			}
			var sum, end int64
			for i := range p.count {
				a, b := p.bounds(i)
				if a != end {
					t.Fatalf("chunk %d starts at %d, want %d", i, a, end)
				}
				n := b - a
				if i < p.count-1 && (n != p.chunk || n < MinChunkSize || n > MaxChunkSize) {
					t.Errorf("chunk %d has %d bytes", i, n)
				}
				if idx, ok := p.index(a); !ok || idx != i {
					t.Errorf("index(%d) = %d %v", a, idx, ok)
				}
				sum, end = sum+n, b
			}
			if _, last := p.bounds(p.count - 1); last != tt.size || sum != tt.size {
				t.Errorf("chunks cover %d of %d bytes", sum, tt.size)
			}
			if a, b := p.bounds(p.count - 1); b-a != tt.wantLast || b-a > 2*MaxChunkSize || p.count > MaxChunks {
				t.Errorf("last chunk %d bytes, want %d", b-a, tt.wantLast)
			}
			if idx, ok := p.index(tt.size); !ok || idx != p.count {
				t.Errorf("index(size) = %d %v", idx, ok)
			}
			if p.count > 1 {
				if _, ok := p.index(p.chunk + 1); ok {
					t.Error("a byte inside a chunk is a boundary")
				}
			}
		})
	}
	for _, size := range []int64{0, -1, MaxVideoBytes + 1} {
		if _, err := planChunks(size, DefaultChunkSize); err == nil {
			t.Errorf("size %d accepted", size)
		}
	}
}

func TestPlanOptions(t *testing.T) {
	t.Parallel()
	vid := func(opts map[string]any) *platform.PublishRequest { r, _ := videoReq(1000, opts); return r }
	photo := func(mime, link string) *platform.PublishRequest {
		return &platform.PublishRequest{Parts: []platform.Part{{Text: "desc", Media: []platform.Media{{MIME: mime, Size: 10, URL: link}}}},
			Options: map[string]any{"privacy_level": "SELF_ONLY"}}
	}
	tests := []struct {
		name  string
		req   *platform.PublishRequest
		error string
		check func(t *testing.T, p *post)
	}{
		{"no privacy on a Direct Post", vid(map[string]any{}), "choose who can see the post", nil},
		{"no privacy in the inbox", vid(map[string]any{"post_mode": "MEDIA_UPLOAD"}), "", func(t *testing.T, p *post) {
			if !p.inbox() || p.privacy != "" {
				t.Errorf("%+v", p)
			}
		}},
		{"unknown privacy", vid(map[string]any{"privacy_level": "FRIENDS"}), "not one of TikTok's", nil},
		{"unknown mode", vid(map[string]any{"privacy_level": "SELF_ONLY", "post_mode": "LATER"}), "post_mode", nil},
		{"branded Only me", vid(map[string]any{"privacy_level": "SELF_ONLY", "brand_content_toggle": true}), "branded content", nil},
		{"defaults", vid(nil), "", func(t *testing.T, p *post) {
			if !p.disableComment || !p.disableDuet || !p.disableStitch || p.brandContent || p.brandOrganic || p.coverMS != nil || p.mode != ModeDirect {
				t.Errorf("defaults %+v", p)
			}
		}},
		{"options as the API sends them", vid(map[string]any{"privacy_level": "public_to_everyone", "disable_comment": false,
			"disable_duet": "false", "brand_organic_toggle": "true", "video_cover_timestamp_ms": float64(1000), "video_duration_ms": "61000"}),
			"", func(t *testing.T, p *post) {
				if p.privacy != PrivacyEveryone || p.disableComment || p.disableDuet || !p.disableStitch || !p.brandOrganic ||
					p.coverMS == nil || *p.coverMS != 1000 || p.duration != 61*time.Second {
					t.Errorf("options %+v", p)
				}
			}},
		{"bad bool", vid(map[string]any{"privacy_level": "SELF_ONLY", "disable_comment": "maybe"}), "true or false", nil},
		{"bad cover", vid(map[string]any{"privacy_level": "SELF_ONLY", "video_cover_timestamp_ms": 1.5}), "milliseconds", nil},
		{"no media", &platform.PublishRequest{Parts: []platform.Part{{Text: "hi"}}, Options: map[string]any{"privacy_level": "SELF_ONLY"}},
			"needs a video", nil},
		{"two parts", &platform.PublishRequest{Parts: []platform.Part{{}, {}}}, "one part", nil},
		{"gif video type", &platform.PublishRequest{Parts: []platform.Part{{Media: []platform.Media{{MIME: "video/x-msvideo", Size: 1,
			Open: func(context.Context) (io.ReadCloser, error) { return nil, nil }}}}}, Options: map[string]any{"privacy_level": "SELF_ONLY"}},
			"MP4, WebM and MOV", nil},
		{"video without stream", &platform.PublishRequest{Parts: []platform.Part{{Media: []platform.Media{{MIME: "video/mp4", Size: 1,
			URL: "https://x/v.mp4"}}}}, Options: map[string]any{"privacy_level": "SELF_ONLY"}}, "no stream", nil},
		{"png photo", photo("image/png", "https://media.example.com/m/1?sig=s"), "JPEG and WebP", nil},
		{"photo without link", photo("image/jpeg", ""), "SNSOS_PUBLIC_URL", nil},
		{"photo", photo("image/webp", "https://media.example.com/m/1?sig=s"), "", func(t *testing.T, p *post) {
			if len(p.photos) != 1 || p.video != nil || p.disableDuet || p.disableStitch || !p.disableComment {
				t.Errorf("photo %+v", p)
			}
		}},
		{"caption in UTF-16 units", &platform.PublishRequest{Parts: []platform.Part{{Text: strings.Repeat("😀", 1101),
			Media: []platform.Media{{MIME: "video/mp4", Size: 1, Open: func(context.Context) (io.ReadCloser, error) { return nil, nil }}}}},
			Options: map[string]any{"privacy_level": "SELF_ONLY"}}, "2202 characters", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := plan(tt.req)
			if tt.error != "" {
				if !errors.Is(err, platform.ErrRejected) || !strings.Contains(err.Error(), tt.error) {
					t.Fatalf("err %v, want %q", err, tt.error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, p)
		})
	}
}

func TestCheckCreator(t *testing.T) {
	t.Parallel()
	audited := &CreatorInfo{PrivacyLevelOptions: []string{PrivacyEveryone, PrivacyFriends, PrivacySelfOnly}, StitchDisabled: true,
		MaxVideoDuration: 300 * time.Second}
	unaudited := &CreatorInfo{PrivacyLevelOptions: []string{PrivacySelfOnly}, MaxVideoDuration: 600 * time.Second}
	base := func(mod func(p *post)) *post {
		p := &post{mode: ModeDirect, privacy: PrivacySelfOnly, disableComment: true, disableDuet: true, disableStitch: true,
			video: &platform.Media{MIME: "video/mp4", Size: 1}}
		if mod != nil {
			mod(p)
		}
		return p
	}
	tests := []struct {
		name string
		p    *post
		ci   *CreatorInfo
		want string
	}{
		{"allowed", base(nil), audited, ""},
		{"audience not offered", base(func(p *post) { p.privacy = PrivacyFollowers }), audited, "not FOLLOWER_OF_CREATOR"},
		{"unaudited app", base(func(p *post) { p.privacy = PrivacyEveryone }), unaudited, "\"Only me\" (SELF_ONLY)"},
		{"too long", base(func(p *post) { p.duration = 301 * time.Second }), audited, "at most 5m0s"},
		{"length unknown", base(func(p *post) { p.duration = 0 }), audited, ""},
		{"stitch turned off", base(func(p *post) { p.disableStitch = false }), audited, "Allow Stitch"},
		{"comments allowed", base(func(p *post) { p.disableComment = false }), audited, ""},
		{"comments turned off", base(func(p *post) { p.disableComment = false }), &CreatorInfo{PrivacyLevelOptions: []string{PrivacySelfOnly},
			CommentDisabled: true}, "Allow comments"},
		{"inbox: only the length", base(func(p *post) { p.mode, p.privacy, p.disableStitch = ModeInbox, "", false }), audited, ""},
		{"inbox too long", base(func(p *post) { p.mode, p.duration = ModeInbox, 20*time.Minute }), unaudited, "at most 10m0s"},
		{"photo: no stitch", &post{mode: ModeDirect, privacy: PrivacySelfOnly, disableComment: true, photos: []platform.Media{{}}}, audited, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := checkCreator(tt.p, tt.ci)
			if tt.want == "" && err != nil || tt.want != "" && (!errors.Is(err, platform.ErrRejected) || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
		})
	}
}
