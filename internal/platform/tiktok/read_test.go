package tiktok

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/sns-os/snsos/internal/platform"
)

func TestFindPost(t *testing.T) {
	t.Parallel()
	video := func(extra map[string]string) map[string]string {
		m := map[string]string{"init_sent": "2026-11-28T11:50:00Z", "upload.chunk_size": "5242880", "publish_id": videoPublishID,
			"upload_url": recordedURL, "upload.final_sent": "1"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	cut := map[string]string{"upload.size": "12000000", "upload.next_offset": "5242880"}
	processing := func(held int64) []byte {
		return fmt.Appendf(nil, `{"data":{"status":"PROCESSING_UPLOAD","publicaly_available_post_id":[],"uploaded_bytes":%d},"error":{"code":"ok","message":"","log_id":"L5"}}`, held)
	}
	tests := []struct {
		name     string
		progress map[string]string
		statuses map[string][]byte // by publish_id
		want     string            // id found; "" not found; "transient:…"; "auth"
	}{
		{"complete with a public id", video(nil), map[string][]byte{videoPublishID: fixture(t, "status_complete.json")}, publicID},
		{"complete, Only me", video(nil), map[string][]byte{videoPublishID: fixture(t, "status_complete_self_only.json")}, videoPublishID},
		{"in the inbox", video(nil), map[string][]byte{videoPublishID: fixture(t, "status_inbox.json")}, videoPublishID},
		{"photo complete", map[string]string{"init_sent": "x", "publish_id": photoPublishID},
			map[string][]byte{photoPublishID: fixture(t, "status_complete.json")}, publicID},
		{"failed", video(nil), map[string][]byte{videoPublishID: fixture(t, "status_failed.json")}, ""},
		{"processing after the last chunk", video(nil), map[string][]byte{videoPublishID: fixture(t, "status_processing_upload.json")},
			"transient:still processing"},
		{"photo downloading", map[string]string{"publish_id": photoPublishID},
			map[string][]byte{photoPublishID: fixture(t, "status_processing_download.json")}, "transient:PROCESSING_DOWNLOAD"},
		{"last chunk never sent", video(map[string]string{"upload.final_sent": ""}),
			map[string][]byte{videoPublishID: fixture(t, "status_processing_upload.json")}, ""},
		// A crash cut the last chunk: TikTok holds fewer bytes than the
		// video's; while the upload_url works, the next attempt sends
		// them to the same upload, so nothing was published by this one.
		{"last chunk cut, upload resumable", video(cut), map[string][]byte{videoPublishID: processing(5242880)}, ""},
		{"last chunk cut, TikTok's count unknown", video(cut), map[string][]byte{videoPublishID: []byte(`{"data":{"status":"PROCESSING_UPLOAD"},"error":{"code":"ok","message":"","log_id":"L5"}}`)},
			"transient:still processing"},
		{"last chunk cut, upload_url too old", video(withKeys(cut, "init_sent", "2026-11-28T11:00:00Z")),
			map[string][]byte{videoPublishID: processing(5242880)}, "transient:still processing"},
		{"a video sent whole, cut", video(map[string]string{"upload.size": "3670016", "upload.chunk_size": "3670016"}),
			map[string][]byte{videoPublishID: processing(0)}, ""},
		{"TikTok counts every byte", video(cut), map[string][]byte{videoPublishID: processing(12000000)}, "transient:still processing"},
		{"every byte confirmed", video(withKeys(cut, "upload.next_offset", "12000000")), map[string][]byte{videoPublishID: processing(12000000)},
			"transient:still processing"},
		{"no init sent", map[string]string{}, nil, ""},
		{"stopped before its init", map[string]string{"upload.chunk_size": "5242880", "upload.size": "12000000", "post_mode": "DIRECT_POST"}, nil, ""},
		{"init answer lost", map[string]string{"init_sent": "2026-11-28T11:50:00Z", "upload.chunk_size": "5242880"}, nil,
			"transient:" + cannotSearch},
		{"second generation lost, first failed", video(map[string]string{"gen": "2", "g2.init_sent": "2026-11-28T11:55:00Z"}),
			map[string][]byte{videoPublishID: fixture(t, "status_failed_internal.json")}, "transient:" + cannotSearch},
		{"second generation live", video(map[string]string{"gen": "2", "g2.publish_id": "v_pub_file~g2", "g2.upload.final_sent": "1"}),
			map[string][]byte{videoPublishID: fixture(t, "status_failed_internal.json"), "v_pub_file~g2": fixture(t, "status_complete.json")}, publicID},
		{"both generations failed", video(map[string]string{"gen": "2", "g2.publish_id": "v_pub_file~g2"}),
			map[string][]byte{videoPublishID: fixture(t, "status_failed_internal.json"), "v_pub_file~g2": fixture(t, "status_failed.json")}, ""},
		{"token refused", video(nil), map[string][]byte{videoPublishID: fixture(t, "error_access_token_invalid.json")}, "auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t)
			var mu sync.Mutex
			var asked []string
			f.override["POST /v2/post/publish/status/fetch/"] = func(w http.ResponseWriter, r *http.Request) {
				var in struct {
					PublishID string `json:"publish_id"`
				}
				platform.Unmarshal(mustRead(r), &in)
				mu.Lock()
				asked = append(asked, in.PublishID)
				mu.Unlock()
				b, ok := tt.statuses[in.PublishID]
				if !ok {
					writeJSON(w, 400, fixture(t, "error_invalid_publish_id.json"))
					return
				}
				status := 200
				if strings.Contains(string(b), "access_token_invalid") {
					status = 401
				}
				writeJSON(w, status, b)
			}
			c, _ := newClient(t, srv.URL)
			got, err := c.FindPost(context.Background(), testAuth(), platform.PostQuery{Text: "funny", Part: 1, Progress: tt.progress})
			switch {
			case tt.want == "":
				if !errors.Is(err, platform.ErrNotFound) {
					t.Fatalf("want not found, got %+v %v", got, err)
				}
			case tt.want == "auth":
				if !errors.Is(err, platform.ErrAuth) {
					t.Fatalf("want auth, got %v", err)
				}
			case strings.HasPrefix(tt.want, "transient:"):
				if !errors.Is(err, platform.ErrTransient) || errors.Is(err, platform.ErrNotFound) || !strings.Contains(err.Error(), tt.want[10:]) {
					t.Fatalf("want %s, got %+v %v", tt.want, got, err)
				}
			default:
				if err != nil || got.ID != tt.want || !got.Proven || got.URL != PostURL("snsos_test", tt.want) {
					t.Fatalf("FindPost = %+v, %v; want %s", got, err, tt.want)
				}
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	var mu sync.Mutex
	var bodies []string
	var fields []string
	f.override["POST /v2/video/query/"] = func(w http.ResponseWriter, r *http.Request) {
		b := mustRead(r)
		mu.Lock()
		bodies, fields = append(bodies, string(b)), append(fields, r.URL.Query().Get("fields"))
		mu.Unlock()
		writeJSON(w, 200, fixture(t, "video_query.json"))
	}
	c, _ := newClient(t, srv.URL)
	got, err := c.Metrics(context.Background(), testAuth(), []platform.PostRef{
		{ID: "7446543212345678901"}, {ID: "7446543212345678902"}, {ID: videoPublishID}, {ID: "7446543212345678903"}, {ID: "7446543212345678901"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"views": 9007199254740993, "likes": 30, "comments": 4, "shares": 2}
	if got[0].Err != nil || fmt.Sprint(got[0].Values) != fmt.Sprint(want) || fmt.Sprint(got[4].Values) != fmt.Sprint(want) {
		t.Errorf("public post %+v", got[0])
	}
	if got[3].Err != nil || got[3].Values["likes"] != 31 {
		t.Errorf("numeric id %+v", got[3])
	}
	for _, i := range []int{1, 2} {
		if !errors.Is(got[i].Err, platform.ErrNoMetrics) || got[i].Values != nil || !strings.Contains(got[i].Err.Error(), "only you can see") {
			t.Errorf("post %d: %+v", i, got[i])
		}
	}
	if !strings.Contains(got[1].Err.Error(), privatePost) {
		t.Errorf("private post reason: %v", got[1].Err)
	}
	if len(bodies) != 1 || bodies[0] != `{"filters":{"video_ids":["7446543212345678901","7446543212345678902","7446543212345678903"]}}` ||
		fields[0] != "id,like_count,comment_count,share_count,view_count" {
		t.Errorf("requests %v %v", bodies, fields)
	}
}

func TestMetricsBatching(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	var mu sync.Mutex
	var sizes []int
	f.override["POST /v2/video/query/"] = func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Filters struct {
				VideoIDs []string `json:"video_ids"`
			} `json:"filters"`
		}
		platform.Unmarshal(mustRead(r), &in)
		mu.Lock()
		sizes = append(sizes, len(in.Filters.VideoIDs))
		mu.Unlock()
		var b strings.Builder
		b.WriteString(`{"data":{"videos":[`)
		for i, id := range in.Filters.VideoIDs {
			if i > 0 {
				b.WriteString(",")
			}
			var n int
			fmt.Sscan(id[len(id)-2:], &n)
			fmt.Fprintf(&b, `{"id":%s,"like_count":%d}`, id, n)
		}
		b.WriteString(`]},"error":{"code":"ok","message":"","log_id":"L"}}`)
		writeJSON(w, 200, []byte(b.String()))
	}
	c, _ := newClient(t, srv.URL)
	var posts []platform.PostRef
	for i := range 45 {
		posts = append(posts, platform.PostRef{ID: fmt.Sprint(7446543212345678900 + i)})
	}
	got, err := c.Metrics(context.Background(), testAuth(), posts)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sizes) != "[20 20 5]" || got[44].Values["likes"] != 44 || got[7].Values["likes"] != 7 {
		t.Errorf("batches %v, values %+v", sizes, got[44])
	}
	f.override["POST /v2/video/query/"] = func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 401, fixture(t, "error_scope_not_authorized.json"))
	}
	if _, err := c.Metrics(context.Background(), testAuth(), posts[:1]); !errors.Is(err, platform.ErrAuth) {
		t.Errorf("video.list not granted: %v", err)
	}
}

func TestPermalinks(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, "")
	if got := c.Permalink("snsos_test", publicID); got != "https://www.tiktok.com/@snsos_test/video/"+publicID {
		t.Errorf("permalink %s", got)
	}
	if got := c.Permalink("snsos_test", videoPublishID); got != "" {
		t.Errorf("a publish_id has a link: %s", got)
	}
	tests := []struct{ in, want, err string }{
		{"https://www.tiktok.com/@snsos_test/video/7446543212345678901", publicID, ""},
		{"www.tiktok.com/@snsos_test/video/7446543212345678901?is_from_webapp=1&sender_device=pc#x", publicID, ""},
		{"https://www.tiktok.com/@snsos_test/photo/7446543212345678901/", publicID, ""},
		{"http://m.tiktok.com/v/7446543212345678901.html", publicID, ""},
		{"https://vm.tiktok.com/ZMabc123/", "", "short share link"},
		{"https://www.tiktok.com/t/ZTabc/", "", "short share link"},
		{"https://x.com/a/status/1", "", "not a TikTok link"},
		{"https://www.tiktok.com/@snsos_test", "", "not the link of a TikTok post"},
		{"https://www.tiktok.com/@snsos_test/video/abc", "", "no valid video id"},
		{"", "", "no link given"},
		{"ftp://www.tiktok.com/@a/video/1", "", "not a web address"},
	}
	for _, tt := range tests {
		got, err := c.PostIDFromURL(tt.in)
		if got != tt.want || tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("PostIDFromURL(%q) = %q, %v; want %q %q", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// withKeys returns m with key set to value, m unchanged.
func withKeys(m map[string]string, key, value string) map[string]string {
	out := maps.Clone(m)
	out[key] = value
	return out
}
