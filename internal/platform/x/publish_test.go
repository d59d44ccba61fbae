package x

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/platform"
)

// patternReader yields n deterministic bytes without holding them.
type patternReader struct{ n, off int64 }

func (r *patternReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n-r.off)]
	for i := range p {
		p[i] = byte((r.off + int64(i)) % 251)
	}
	r.off += int64(len(p))
	return len(p), nil
}

func streamMedia(mime string, n int64) platform.Media {
	return platform.Media{MIME: mime, Size: n, Open: func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(&patternReader{n: n}), nil
	}}
}

func TestPublishText(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	c, _ := newClient(t, srv.URL)
	var saved []string
	pr := platform.NewProgress(nil, func(_ context.Context, k, v string) error { saved = append(saved, k+"="+v); return nil })
	pub, err := c.Publish(context.Background(), testAuth(), &platform.PublishRequest{Parts: []platform.Part{{Text: "Hello"}}}, pr)
	if err != nil {
		t.Fatal(err)
	}
	if pub.RemoteID != "1900000000000000001" || pub.URL != "https://x.com/XDevelopers/status/1900000000000000001" ||
		!pub.PublishedAt.Equal(testNow) || len(pub.PartIDs) != 1 {
		t.Errorf("published %+v", pub)
	}
	if len(saved) != 1 || saved[0] != "part1.post_id=1900000000000000001" {
		t.Errorf("saved %v", saved)
	}
	if len(f.tweets) != 1 || f.tweets[0]["text"] != "Hello" || f.tweets[0]["reply"] != nil || f.tweets[0]["media"] != nil {
		t.Errorf("tweets %v", f.tweets)
	}
}

func TestPublishVideoChunked(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	c, sl := newClient(t, srv.URL)
	size := int64(64<<10)*3 + 123 // 4 segments
	pr := platform.NewProgress(nil, nil)
	pub, err := c.Publish(context.Background(), testAuth(), &platform.PublishRequest{Parts: []platform.Part{
		{Text: "video", Media: []platform.Media{streamMedia("video/mp4", size)}},
	}}, pr)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.segments) != 4 || f.segments[3] != 123 || f.segments[0] != 64<<10 {
		t.Errorf("segments %v", f.segments)
	}
	// finalize said check_after_secs 1, the first STATUS said 5.
	if len(sl.slept) != 2 || sl.slept[0] != time.Second || sl.slept[1] != 5*time.Second {
		t.Errorf("slept %v", sl.slept)
	}
	got := pr.Values()
	if got[UploadKey(1, 1)] != "1880028106020515840" || got[MediaKey(1, 1)] != "1880028106020515840" || got[TweetKey(1)] != pub.RemoteID {
		t.Errorf("progress %v", got)
	}
	ids := f.tweets[0]["media"].(map[string]any)["media_ids"].([]any)
	if len(ids) != 1 || ids[0] != "1880028106020515840" {
		t.Errorf("media ids %v", ids)
	}
}

func TestPublishMediaFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		override map[string]http.HandlerFunc
		media    platform.Media
		want     platform.Kind
		contains string
	}{
		{"processing failed", map[string]http.HandlerFunc{
			"GET /2/media/upload": func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, fixture(t, "media_status_failed.json"))
			},
		}, streamMedia("video/mp4", 1000), platform.KindRejected, "Unsupported video codec"},
		{"token expires mid-upload", map[string]http.HandlerFunc{
			"POST /2/media/upload/1880028106020515840/append": func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 401, fixture(t, "error_unauthorized.json"))
			},
		}, streamMedia("video/mp4", 1000), platform.KindAuth, "append segment 1 of 1"},
		{"stream too short", nil, platform.Media{MIME: "video/mp4", Size: 5000, Open: func(context.Context) (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(make([]byte, 10))), nil
		}}, platform.KindRejected, "ended after 10 bytes"},
		{"stream too long", nil, platform.Media{MIME: "image/png", Size: 10, Open: func(context.Context) (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(make([]byte, 11))), nil
		}}, platform.KindRejected, "longer than"},
		{"no stream", nil, platform.Media{MIME: "image/png", Size: 10, URL: "https://example.com/a.png"}, platform.KindRejected, "no stream"},
		{"image too big", nil, streamMedia("image/png", MaxImageBytes+1), platform.KindRejected, "outside X's limit"},
		{"initialize html", map[string]http.HandlerFunc{
			"POST /2/media/upload/initialize": func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.Write(fixture(t, "error_bad_gateway.html"))
			},
		}, streamMedia("image/png", 100), platform.KindTransient, "HTML"},
		{"processing never ends", map[string]http.HandlerFunc{
			"GET /2/media/upload": func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, fixture(t, "media_status_in_progress.json"))
			},
		}, streamMedia("video/mp4", 1000), platform.KindTransient, "still processing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t)
			for k, h := range tt.override {
				f.override[k] = h
			}
			c, _ := newClient(t, srv.URL)
			_, err := c.Publish(context.Background(), testAuth(), &platform.PublishRequest{Parts: []platform.Part{
				{Text: "x", Media: []platform.Media{tt.media}},
			}}, platform.NewProgress(nil, nil))
			if platform.KindOf(err) != tt.want || !strings.Contains(err.Error(), tt.contains) {
				t.Fatalf("err = %v (kind %v), want kind %v containing %q", err, platform.KindOf(err), tt.want, tt.contains)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("token leaked: %v", err)
			}
			if f.count("POST /2/tweets") != 0 {
				t.Error("posted despite the media failure")
			}
		})
	}
}

// TestThreadResume crashes a 3-part thread after part 2 was saved, then
// resumes from the saved progress: only part 3 is posted, as a reply to 2.
func TestThreadResume(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	c, _ := newClient(t, srv.URL)
	req := &platform.PublishRequest{Parts: []platform.Part{
		{Text: "Part 1", Media: []platform.Media{platform.BytesMedia("image/png", []byte("png-bytes"))}},
		{Text: "Part 2"},
		{Text: "Part 3"},
	}}
	var mu sync.Mutex
	db := map[string]string{}
	ctx, crash := context.WithCancel(context.Background())
	save := func(_ context.Context, k, v string) error {
		mu.Lock()
		defer mu.Unlock()
		db[k] = v
		if k == TweetKey(2) {
			crash() // the process dies right after persisting part 2
		}
		return nil
	}
	f.override["POST /2/media/upload/1880028106020515840/finalize"] = func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, fixture(t, "media_finalize_image.json"))
	}
	_, err := c.Publish(ctx, testAuth(), req, platform.NewProgress(nil, save))
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("first attempt: %v", err)
	}
	if n := f.count("POST /2/tweets"); n != 2 {
		t.Fatalf("first attempt posted %d parts", n)
	}
	uploads := f.count("POST /2/media/upload/initialize")

	pub, err := c.Publish(context.Background(), testAuth(), req, platform.NewProgress(db, save))
	if err != nil {
		t.Fatal(err)
	}
	if n := f.count("POST /2/tweets"); n != 3 {
		t.Fatalf("after resume %d posts, want 3", n)
	}
	if f.count("POST /2/media/upload/initialize") != uploads {
		t.Error("media uploaded again on resume")
	}
	third := f.tweets[2]
	if third["text"] != "Part 3" || third["reply"].(map[string]any)["in_reply_to_tweet_id"] != db[TweetKey(2)] {
		t.Errorf("third part %v", third)
	}
	if f.tweets[1]["reply"].(map[string]any)["in_reply_to_tweet_id"] != db[TweetKey(1)] {
		t.Errorf("second part %v", f.tweets[1])
	}
	if pub.RemoteID != db[TweetKey(1)] || len(pub.PartIDs) != 3 || pub.PartIDs[2] != db[TweetKey(3)] {
		t.Errorf("published %+v, progress %v", pub, db)
	}
	// A third call finds everything done and posts nothing.
	if _, err := c.Publish(context.Background(), testAuth(), req, platform.NewProgress(db, save)); err != nil || f.count("POST /2/tweets") != 3 {
		t.Errorf("idempotent resume: %v, %d posts", err, f.count("POST /2/tweets"))
	}
}

// TestResumeUnfinishedUpload resumes with an upload id but no ready media
// id: X reports it succeeded, so it is reused without a new upload.
func TestResumeUnfinishedUpload(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	c, _ := newClient(t, srv.URL)
	f.override["GET /2/media/upload"] = func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("media_id") != "1880028106020515840" || r.URL.Query().Get("command") != "STATUS" {
			t.Errorf("status query %v", r.URL.Query())
		}
		writeJSON(w, 200, fixture(t, "media_status_succeeded.json"))
	}
	pr := platform.NewProgress(map[string]string{UploadKey(1, 1): "1880028106020515840"}, nil)
	_, err := c.Publish(context.Background(), testAuth(), &platform.PublishRequest{Parts: []platform.Part{
		{Text: "v", Media: []platform.Media{streamMedia("video/mp4", 100)}}}}, pr)
	if err != nil {
		t.Fatal(err)
	}
	if f.count("POST /2/media/upload/initialize") != 0 {
		t.Error("uploaded again")
	}
	if v, _ := pr.Get(MediaKey(1, 1)); v != "1880028106020515840" {
		t.Errorf("media key %q", v)
	}
}

func TestPublishSaveFailure(t *testing.T) {
	t.Parallel()
	_, srv := newFake(t)
	c, _ := newClient(t, srv.URL)
	pr := platform.NewProgress(nil, func(context.Context, string, string) error { return errors.New("database is locked") })
	_, err := c.Publish(context.Background(), testAuth(), &platform.PublishRequest{Parts: []platform.Part{{Text: "a"}}}, pr)
	if !errors.Is(err, platform.ErrOutcomeUnknown) || !errors.Is(err, platform.ErrProgressNotSaved) {
		t.Fatalf("err = %v", err)
	}
}

func TestPublishErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler http.HandlerFunc
		check   func(t *testing.T, err error)
	}{
		{"duplicate", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 403, fixture(t, "error_duplicate.json")) },
			func(t *testing.T, err error) {
				if !errors.Is(err, platform.ErrDuplicate) || !errors.Is(err, platform.ErrRejected) {
					t.Errorf("duplicate: %v", err)
				}
			}},
		{"credits", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 402, fixture(t, "error_credits.json")) },
			func(t *testing.T, err error) {
				if !errors.Is(err, platform.ErrQuotaExhausted) || !errors.Is(err, platform.ErrRejected) {
					t.Errorf("credits: %v", err)
				}
			}},
		{"usage capped", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("x-rate-limit-reset", "1999999999")
			writeJSON(w, 429, fixture(t, "error_usage_capped.json"))
		}, func(t *testing.T, err error) {
			if !errors.Is(err, platform.ErrQuotaExhausted) || errors.Is(err, platform.ErrRateLimited) {
				t.Errorf("usage capped: %v", err)
			}
			if _, ok := platform.RetryAt(err); ok {
				t.Error("usage cap must not carry RetryAt")
			}
		}},
		{"rate limited", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("x-rate-limit-remaining", "0")
			w.Header().Set("x-rate-limit-reset", "1764331200") // 2025-11-28T12:00:00Z < now → now
			w.Header().Set("x-user-limit-24hour-remaining", "0")
			w.Header().Set("x-user-limit-24hour-reset", "1796392800") // 2026-12-04 ...
			writeJSON(w, 429, fixture(t, "error_rate_limit.json"))
		}, func(t *testing.T, err error) {
			at, ok := platform.RetryAt(err)
			if !errors.Is(err, platform.ErrRateLimited) || !ok || at.Unix() != 1796392800 {
				t.Errorf("rate limited: %v %v", err, at)
			}
		}},
		{"5xx", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 503, fixture(t, "error_internal.json")) },
			func(t *testing.T, err error) {
				if !errors.Is(err, platform.ErrOutcomeUnknown) {
					t.Errorf("5xx on post: %v", err)
				}
			}},
		{"reset", func(w http.ResponseWriter, r *http.Request) {
			io.ReadAll(r.Body)
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}, func(t *testing.T, err error) {
			if !errors.Is(err, platform.ErrOutcomeUnknown) {
				t.Errorf("reset on post: %v", err)
			}
		}},
		{"201 html", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(201)
			w.Write([]byte("<html>created</html>"))
		}, func(t *testing.T, err error) {
			if !errors.Is(err, platform.ErrOutcomeUnknown) || !errors.Is(err, platform.ErrBadResponse) {
				t.Errorf("html 201: %v", err)
			}
		}},
		{"201 no id", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 201, []byte(`{"data":{}}`)) },
			func(t *testing.T, err error) {
				if !errors.Is(err, platform.ErrOutcomeUnknown) {
					t.Errorf("201 without id: %v", err)
				}
			}},
		{"huge body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(201)
			w.Write(bytes.Repeat([]byte(" "), platform.DefaultMaxResponseBytes+10))
		}, func(t *testing.T, err error) {
			if !errors.Is(err, platform.ErrOutcomeUnknown) || !errors.Is(err, platform.ErrResponseTooLarge) {
				t.Errorf("huge: %v", err)
			}
		}},
		{"too long", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 400, []byte(`{"detail":"Your Tweet text is too long.","title":"Invalid Request","type":"https://api.x.com/2/problems/invalid-request"}`))
		}, func(t *testing.T, err error) {
			if !errors.Is(err, platform.ErrRejected) || !strings.Contains(err.Error(), "too long") {
				t.Errorf("too long: %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t)
			f.override["POST /2/tweets"] = tt.handler
			c, _ := newClient(t, srv.URL)
			_, err := c.Publish(context.Background(), testAuth(), &platform.PublishRequest{Parts: []platform.Part{{Text: "a"}}}, nil)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), testSecret) {
				t.Errorf("secret leaked: %v", err)
			}
			tt.check(t, err)
		})
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	img := platform.BytesMedia("image/png", []byte("x"))
	vid := streamMedia("video/mp4", 10)
	tests := []struct {
		name string
		req  *platform.PublishRequest
	}{
		{"nil", nil},
		{"no parts", &platform.PublishRequest{}},
		{"empty part", &platform.PublishRequest{Parts: []platform.Part{{Text: " "}}}},
		{"five images", &platform.PublishRequest{Parts: []platform.Part{{Media: []platform.Media{img, img, img, img, img}}}}},
		{"video and image", &platform.PublishRequest{Parts: []platform.Part{{Media: []platform.Media{img, vid}}}}},
		{"bad type", &platform.PublishRequest{Parts: []platform.Part{{Media: []platform.Media{platform.BytesMedia("application/pdf", nil)}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := validate(tt.req); !errors.Is(err, platform.ErrRejected) {
				t.Errorf("validate = %v", err)
			}
		})
	}
	if err := validate(&platform.PublishRequest{Parts: []platform.Part{{Media: []platform.Media{img, img, img, img}}}}); err != nil {
		t.Errorf("four images: %v", err)
	}
}
