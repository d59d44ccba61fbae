package tiktok

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/platform"
)

const (
	videoPublishID = "v_pub_file~v2-1.123456789"
	inboxPublishID = "v_inbox_file~v2-1.987654321"
	photoPublishID = "p_pub_url~v2.123456789"
	publicID       = "7446543212345678901"
	recordedURL    = "https://open-upload.tiktokapis.com/video/?upload_id=67890&upload_token=" + uploadToken
)

// saveLog records every progress save, with the PUT calls made before it.
type saveLog struct {
	mu   sync.Mutex
	f    *fake
	keys []string
}

func (l *saveLog) save(_ context.Context, k, v string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys = append(l.keys, fmt.Sprintf("%s=%s@%d", k, v, l.f.count("PUT ")))
	return nil
}

func TestPublishDirectVideo(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	f.setStatuses("status_processing_upload.json", "status_complete.json")
	c, sl := newClient(t, srv.URL)
	size := int64(3*MinChunkSize + 777)
	req, cm := videoReq(size, nil)
	log := &saveLog{f: f}
	pr := platform.NewProgress(nil, log.save)
	pub, err := c.Publish(context.Background(), testAuth(), req, pr)
	if err != nil {
		t.Fatal(err)
	}
	want := &platform.Published{RemoteID: publicID, URL: "https://www.tiktok.com/@snsos_test/video/" + publicID,
		PartIDs: []string{publicID}, PublishedAt: testNow}
	if !reflect.DeepEqual(pub, want) {
		t.Errorf("published %+v", pub)
	}
	calls := f.callList()
	wantCalls := []string{"POST /v2/post/publish/creator_info/query/", "POST /v2/post/publish/video/init/",
		"PUT /video/", "PUT /video/", "PUT /video/", "POST /v2/post/publish/status/fetch/", "POST /v2/post/publish/status/fetch/"}
	if !slices.Equal(calls, wantCalls) {
		t.Errorf("calls %v", calls)
	}
	info, source := f.inits[0]["post_info"].(map[string]any), f.inits[0]["source_info"].(map[string]any)
	wantInfo := map[string]any{"title": "funny #cat @tiktok", "privacy_level": "SELF_ONLY", "disable_comment": true,
		"disable_duet": true, "disable_stitch": true, "brand_content_toggle": false, "brand_organic_toggle": false}
	wantSource := map[string]any{"source": "FILE_UPLOAD", "video_size": float64(size), "chunk_size": float64(MinChunkSize),
		"total_chunk_count": float64(3)}
	if !reflect.DeepEqual(info, wantInfo) || !reflect.DeepEqual(source, wantSource) {
		t.Errorf("init body %v", f.inits[0])
	}
	held, received, ranges := f.upload()
	wantRanges := []string{
		fmt.Sprintf("bytes 0-%d/%d", MinChunkSize-1, size),
		fmt.Sprintf("bytes %d-%d/%d", MinChunkSize, 2*MinChunkSize-1, size),
		fmt.Sprintf("bytes %d-%d/%d", 2*MinChunkSize, size-1, size),
	}
	if held != size || received != size || !slices.Equal(ranges, wantRanges) || f.crc != patternCRC(size) {
		t.Errorf("upload held %d received %d ranges %v", held, received, ranges)
	}
	if cm.opens.Load() != 1 || cm.read.Load() != size {
		t.Errorf("media opened %d times, %d bytes read", cm.opens.Load(), cm.read.Load())
	}
	wantSaves := []string{
		"upload.chunk_size=5242880@0", "upload.size=" + strconv.FormatInt(size, 10) + "@0", "post_mode=DIRECT_POST@0", "init_sent=2026-11-28T12:00:00Z@0", "publish_id=" + videoPublishID + "@0",
		"upload_url=" + recordedURL + "@0", "upload.next_offset=5242880@1", "upload.next_offset=10485760@2",
		"upload.final_sent=1@2", fmt.Sprintf("upload.next_offset=%d@3", size), "part1.post_id=" + publicID + "@3",
	}
	if !slices.Equal(log.keys, wantSaves) {
		t.Errorf("saves\n%v\nwant\n%v", log.keys, wantSaves)
	}
	if !slices.Equal(sl.slept, []time.Duration{3 * time.Second}) {
		t.Errorf("slept %v", sl.slept)
	}
}

func TestPublishStatusOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     map[string]any
		statuses []string
		want     *platform.Published
		err      error
		say      string
	}{
		{"Only me: no public id, no link", nil, []string{"status_complete_self_only.json"},
			&platform.Published{RemoteID: videoPublishID, PartIDs: []string{videoPublishID}, PublishedAt: testNow}, nil, ""},
		{"public: the id comes after moderation", map[string]any{"privacy_level": "PUBLIC_TO_EVERYONE"},
			[]string{"status_complete_self_only.json", "status_complete_self_only.json", "status_complete.json"},
			&platform.Published{RemoteID: publicID, URL: "https://www.tiktok.com/@snsos_test/video/" + publicID, PartIDs: []string{publicID},
				PublishedAt: testNow}, nil, ""},
		{"public: no id within the budget", map[string]any{"privacy_level": "PUBLIC_TO_EVERYONE"}, []string{"status_complete_self_only.json"},
			&platform.Published{RemoteID: videoPublishID, PartIDs: []string{videoPublishID}, PublishedAt: testNow}, nil, ""},
		{"inbox", map[string]any{"post_mode": "MEDIA_UPLOAD"}, []string{"status_processing_upload.json", "status_inbox.json"},
			&platform.Published{RemoteID: inboxPublishID, PartIDs: []string{inboxPublishID}, PublishedAt: testNow, Inbox: true}, nil, ""},
		{"failed", nil, []string{"status_failed.json"}, nil, platform.ErrRejected, "picture size is outside TikTok's limits"},
		{"failed, retryable", nil, []string{"status_failed_internal.json"}, nil, platform.ErrTransient, "will upload it again"},
		{"still processing", nil, []string{"status_processing_upload.json"}, nil, nil, "continue after 30s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t)
			f.setStatuses(tt.statuses...)
			c, _ := newClient(t, srv.URL)
			req, _ := videoReq(1000, tt.opts)
			pr := platform.NewProgress(nil, nil)
			pub, err := c.Publish(context.Background(), testAuth(), req, pr)
			switch {
			case tt.want != nil:
				if err != nil || !reflect.DeepEqual(pub, tt.want) {
					t.Fatalf("published %+v, %v", pub, err)
				}
				if got := pr.Values()[PostIDKey]; got != tt.want.RemoteID {
					t.Errorf("part1.post_id %q", got)
				}
			case tt.err != nil:
				if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.say) {
					t.Fatalf("err %v, want %v %q", err, tt.err, tt.say)
				}
			default:
				if d, ok := platform.ContinueAfter(err); !ok || d != 30*time.Second || !strings.Contains(err.Error(), tt.say) {
					t.Fatalf("err %v, want a Continue", err)
				}
			}
			if f.count("POST /v2/post/publish/") < 2 || f.count("PUT ") != 1 {
				t.Errorf("calls %v", f.callList())
			}
		})
	}
}

func TestPublishInboxBody(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	f.setStatuses("status_inbox.json")
	c, _ := newClient(t, srv.URL)
	req, _ := videoReq(1000, map[string]any{"post_mode": "MEDIA_UPLOAD", "privacy_level": "PUBLIC_TO_EVERYONE"})
	pr := platform.NewProgress(nil, nil)
	if _, err := c.Publish(context.Background(), testAuth(), req, pr); err != nil {
		t.Fatal(err)
	}
	if f.count("POST /v2/post/publish/inbox/video/init/") != 1 || len(f.inits[0]) != 1 || f.inits[0]["source_info"] == nil {
		t.Errorf("inbox init %v (calls %v)", f.inits, f.callList())
	}
	if v := pr.Values(); v[KeyInbox] != "1" || v[PostIDKey] != inboxPublishID {
		t.Errorf("progress %v", v)
	}
}

func TestPublishPhotos(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	f.setStatuses("status_processing_download.json", "status_complete.json")
	c, _ := newClient(t, srv.URL)
	links := []string{"https://media.example.com/m/1?exp=1&sig=SIG-one-SeCrEt", "https://media.example.com/m/2?exp=1&sig=SIG-two-SeCrEt"}
	req := &platform.PublishRequest{Parts: []platform.Part{{Text: "#funny photo", Media: []platform.Media{
		{MIME: "image/jpeg", Size: 10, URL: links[0]}, {MIME: "image/webp", Size: 10, URL: links[1]}}}},
		Options: map[string]any{"privacy_level": "MUTUAL_FOLLOW_FRIENDS", "title": "funny cat", "disable_comment": false}}
	pub, err := c.Publish(context.Background(), testAuth(), req, platform.NewProgress(nil, nil))
	if err != nil || pub.RemoteID != publicID {
		t.Fatalf("published %+v %v", pub, err)
	}
	want := map[string]any{
		"post_info": map[string]any{"title": "funny cat", "description": "#funny photo", "privacy_level": "MUTUAL_FOLLOW_FRIENDS",
			"disable_comment": false, "brand_content_toggle": false, "brand_organic_toggle": false},
		"source_info": map[string]any{"source": "PULL_FROM_URL", "photo_cover_index": float64(0),
			"photo_images": []any{links[0], links[1]}},
		"post_mode": "DIRECT_POST", "media_type": "PHOTO",
	}
	if !reflect.DeepEqual(f.inits[0], want) || f.count("PUT ") != 0 || f.count("POST /v2/post/publish/content/init/") != 1 {
		t.Errorf("photo init %v", f.inits[0])
	}
	// A refusal that echoes the links shows neither them nor their signatures.
	f.override["POST /v2/post/publish/content/init/"] = func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 403, []byte(`{"error":{"code":"url_ownership_unverified","message":"`+links[0]+` and SIG-two-SeCrEt","log_id":"L"}}`))
	}
	_, err = c.Publish(context.Background(), testAuth(), req, platform.NewProgress(nil, nil))
	if !errors.Is(err, platform.ErrRejected) || !strings.Contains(err.Error(), "verified") {
		t.Fatalf("unverified domain: %v", err)
	}
	if strings.Contains(err.Error(), "SeCrEt") || strings.Contains(err.Error(), "media.example.com/m/1") {
		t.Errorf("link in error: %v", err)
	}
}

func TestPublishRefusedBeforeOrAtInit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     map[string]any
		creator  string
		init     http.HandlerFunc
		want     error
		say      string
		inits    int
		initSent string // "" cleared, "kept"
	}{
		{"unaudited app, public audience", map[string]any{"privacy_level": "PUBLIC_TO_EVERYONE"}, "creator_info_unaudited.json", nil,
			platform.ErrRejected, "\"Only me\" (SELF_ONLY)", 0, ""},
		{"daily cap at creator_info with HTTP 200", nil, "error_spam_too_many_posts.json", nil, platform.ErrQuotaExhausted, "daily posting limit", 0, ""},
		{"banned at creator_info", nil, "error_banned.json", nil, platform.ErrRejected, "banned", 0, ""},
		{"stitch turned off", map[string]any{"privacy_level": "SELF_ONLY", "disable_stitch": false}, "", nil, platform.ErrRejected, "Stitch", 0, ""},
		{"unaudited refusal at init", nil, "", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 403, fixture(t, "error_unaudited.json"))
		}, platform.ErrRejected, "set the TikTok account to private", 1, ""},
		{"rate limited init", nil, "", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 429, fixture(t, "error_rate_limit.json"))
		}, platform.ErrRateLimited, "rate limit", 1, ""},
		{"5xx at init", nil, "", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 500, fixture(t, "error_internal.json"))
		}, platform.ErrOutcomeUnknown, "internal error", 1, "kept"},
		{"internal_error with HTTP 200 at init", nil, "", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, fixture(t, "error_internal.json"))
		}, platform.ErrOutcomeUnknown, "may have taken effect", 1, "kept"},
		{"unreadable init answer", nil, "", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, []byte(`{"data":{"publish_id":`))
		}, platform.ErrOutcomeUnknown, "malformed", 1, "kept"},
		{"init answer without publish_id", nil, "", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, []byte(`{"data":{},"error":{"code":"ok","message":"","log_id":"L"}}`))
		}, platform.ErrOutcomeUnknown, "publish_id", 1, "kept"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t)
			if tt.creator != "" {
				f.override["POST /v2/post/publish/creator_info/query/"] = func(w http.ResponseWriter, r *http.Request) {
					writeJSON(w, 200, fixture(t, tt.creator))
				}
			}
			if tt.init != nil {
				f.override["POST /v2/post/publish/video/init/"] = tt.init
			}
			c, _ := newClient(t, srv.URL)
			req, _ := videoReq(1000, tt.opts)
			pr := platform.NewProgress(nil, nil)
			_, err := c.Publish(context.Background(), testAuth(), req, pr)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.say) {
				t.Fatalf("err %v, want %v %q", err, tt.want, tt.say)
			}
			if n := f.count("POST /v2/post/publish/video/init/"); n != tt.inits || f.count("PUT ") != 0 {
				t.Errorf("%d inits, calls %v", n, f.callList())
			}
			sent := pr.Values()[InitSentKey(1)]
			if (tt.initSent == "kept") != (sent != "") {
				t.Errorf("init_sent %q", sent)
			}
			if tt.initSent == "kept" {
				// The next attempt must not start another post.
				_, err := c.Publish(context.Background(), testAuth(), req, pr)
				if !errors.Is(err, platform.ErrOutcomeUnknown) || f.count("POST /v2/post/publish/video/init/") != tt.inits {
					t.Errorf("second attempt: %v, calls %v", err, f.callList())
				}
			}
		})
	}
}

func TestPublishInitTimeout(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	f.override["POST /v2/post/publish/video/init/"] = func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // TikTok took the call and never answered
		<-r.Context().Done()
	}
	c, _ := newClient(t, srv.URL, func(cfg *Config) {
		cfg.HTTP = platform.NewHTTPClient(platform.HTTPOptions{Now: func() time.Time { return testNow }, Timeout: 200 * time.Millisecond})
	})
	req, _ := videoReq(1000, nil)
	pr := platform.NewProgress(nil, nil)
	_, err := c.Publish(context.Background(), testAuth(), req, pr)
	if !errors.Is(err, platform.ErrOutcomeUnknown) || pr.Values()[InitSentKey(1)] == "" {
		t.Fatalf("init timeout: %v, progress %v", err, pr.Values())
	}
}

func TestPublishChunkRetried(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	var mu sync.Mutex
	failed := false
	f.putHook = func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		if !failed && strings.HasPrefix(r.Header.Get("Content-Range"), fmt.Sprintf("bytes %d-", MinChunkSize)) {
			failed = true
			io.Copy(io.Discard, r.Body) // the whole chunk was sent
			w.WriteHeader(503)
			return true
		}
		return false
	}
	c, sl := newClient(t, srv.URL)
	size := int64(2*MinChunkSize + 5)
	req, cm := videoReq(size, nil)
	if _, err := c.Publish(context.Background(), testAuth(), req, platform.NewProgress(nil, nil)); err != nil {
		t.Fatal(err)
	}
	held, received, ranges := f.upload()
	if held != size || received != size || len(ranges) != 2 || f.count("PUT ") != 3 || f.crc != patternCRC(size) {
		t.Errorf("held %d received %d ranges %v puts %d", held, received, ranges, f.count("PUT "))
	}
	// The refused chunk is streamed again from the media, which cannot
	// seek: it is opened again and read through once more (resend_test.go
	// covers files and streams that seek).
	if cm.opens.Load() != 2 || cm.read.Load() != 2*size || len(sl.slept) < 1 || sl.slept[0] != 2*time.Second {
		t.Errorf("opens %d slept %v", cm.opens.Load(), sl.slept)
	}
}

func TestPublishUploadBudget(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	clk := newClock()
	f.putHook = func(w http.ResponseWriter, r *http.Request) bool { clk.advance(2 * time.Minute); return false }
	c, _ := newClient(t, srv.URL, func(cfg *Config) { cfg.Now = clk.now })
	size := int64(4 * MinChunkSize)
	req, _ := videoReq(size, nil)
	pr := platform.NewProgress(nil, nil)
	_, err := c.Publish(context.Background(), testAuth(), req, pr)
	if d, ok := platform.ContinueAfter(err); !ok || d != time.Second || !strings.Contains(err.Error(), "10 of 20 MB") {
		t.Fatalf("err %v", err)
	}
	if got := pr.Values()[NextOffsetKey(1)]; got != itoa(2*MinChunkSize) {
		t.Errorf("next offset %s", got)
	}
	f.setStatuses("status_processing_upload.json", "status_complete.json")
	pub, err := c.Publish(context.Background(), testAuth(), req, pr)
	if err != nil || pub.RemoteID != publicID || f.count("POST /v2/post/publish/video/init/") != 1 {
		t.Fatalf("resumed: %+v %v", pub, err)
	}
	if held, received, _ := f.upload(); held != size || received != size {
		t.Errorf("held %d received %d", held, received)
	}
}
