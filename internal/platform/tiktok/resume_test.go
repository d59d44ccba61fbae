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
	"time"

	"github.com/sns-os/snsos/internal/platform"
)

// statusBody is a status/fetch answer.
func statusBody(status string, uploaded int64, ids ...string) []byte {
	return fmt.Appendf(nil, `{"data":{"status":%q,"publicaly_available_post_id":[%s],"uploaded_bytes":%d},"error":{"code":"ok","message":"","log_id":"L"}}`,
		status, strings.Join(ids, ","), uploaded)
}

// answerStatuses makes status/fetch answer bodies in turn (the last
// repeats) and checks the publish_id asked about.
func answerStatuses(t *testing.T, f *fake, wantID string, bodies ...[]byte) {
	var mu sync.Mutex
	f.override["POST /v2/post/publish/status/fetch/"] = func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			PublishID string `json:"publish_id"`
		}
		if err := platform.Unmarshal(mustRead(r), &in); err != nil || wantID != "" && in.PublishID != wantID {
			writeJSON(w, 400, fixture(t, "error_invalid_publish_id.json"))
			return
		}
		mu.Lock()
		b := bodies[0]
		if len(bodies) > 1 {
			bodies = bodies[1:]
		}
		mu.Unlock()
		writeJSON(w, 200, b)
	}
}

func mustRead(r *http.Request) []byte {
	var b strings.Builder
	buf := make([]byte, 512)
	for {
		n, err := r.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return []byte(b.String())
		}
	}
}

func TestResumeFromStatus(t *testing.T) {
	t.Parallel()
	size := int64(3 * MinChunkSize)
	chunk := itoa(MinChunkSize)
	recent := testNow.Add(-10 * time.Minute).Format(time.RFC3339)
	old := testNow.Add(-2 * time.Hour).Format(time.RFC3339)
	started := func(sent, offset, final string) map[string]string {
		m := map[string]string{"init_sent": sent, "upload.chunk_size": chunk, "publish_id": videoPublishID, "upload_url": recordedURL}
		if offset != "" {
			m["upload.next_offset"] = offset
		}
		if final != "" {
			m["upload.final_sent"] = final
		}
		return m
	}
	processing := func(n int64) []byte { return statusBody(StatusProcessingUpload, n) }
	complete := statusBody(StatusComplete, size, publicID)
	tests := []struct {
		name     string
		progress map[string]string
		statuses [][]byte
		want     error  // nil: published
		say      string // in the error, or the published id
		inits    int
		puts     int
		check    func(t *testing.T, got map[string]string)
	}{
		{"complete", started(recent, itoa(size), "1"), [][]byte{complete}, nil, publicID, 0, 0, nil},
		{"in the inbox", started(recent, itoa(size), "1"), [][]byte{fixture(t, "status_inbox.json")}, nil, videoPublishID, 0, 0,
			func(t *testing.T, got map[string]string) {
				if got[KeyInbox] != "1" {
					t.Errorf("inbox not recorded: %v", got)
				}
			}},
		{"failed for good", started(recent, itoa(size), "1"), [][]byte{fixture(t, "status_failed.json")}, platform.ErrRejected, "picture size", 0, 0, nil},
		{"failed, retryable: a new generation", started(recent, itoa(size), "1"),
			[][]byte{fixture(t, "status_failed_internal.json"), complete}, nil, publicID, 1, 3, newGeneration},
		{"link expired, last chunk never sent: a new generation", started(old, chunk, ""),
			[][]byte{processing(MinChunkSize), complete}, nil, publicID, 1, 3, newGeneration},
		{"link refused, last chunk refused: a new generation", func() map[string]string {
			m := started(recent, chunk, "")
			m["upload_url"] = ""
			return m
		}(), [][]byte{processing(0), complete}, nil, publicID, 1, 3, newGeneration},
		{"link expired, last chunk maybe sent: wait", started(old, itoa(2*MinChunkSize), "1"),
			[][]byte{processing(2 * MinChunkSize)}, nil, "continue", 0, 0, nil},
		{"every byte confirmed: wait for TikTok", started(recent, itoa(size), "1"), [][]byte{processing(size), processing(size), complete},
			nil, publicID, 0, 0, nil},
		{"TikTok confirms more than was saved", started(recent, chunk, ""), [][]byte{processing(size), complete}, nil, publicID, 0, 0, nil},
		{"processing for hours", started(testNow.Add(-4*time.Hour).Format(time.RFC3339), itoa(size), "1"), [][]byte{processing(size)},
			platform.ErrOutcomeUnknown, "look for it in the TikTok app", 0, 0, nil},
		{"init answer lost", map[string]string{"init_sent": recent, "upload.chunk_size": chunk}, nil,
			platform.ErrOutcomeUnknown, "saw no answer", 0, 0, nil},
		{"already published", map[string]string{"publish_id": videoPublishID, "part1.post_id": publicID}, nil, nil, publicID, 0, 0, nil},
		{"the request changed under a started post", started(recent, itoa(size), "1"), nil, platform.ErrOutcomeUnknown,
			"settled", 0, 0, nil},
		{"unknown publish_id", started(recent, itoa(size), "1"), [][]byte{fixture(t, "error_invalid_publish_id.json")},
			platform.ErrRejected, "does not know", 0, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t)
			if tt.statuses != nil {
				answerStatuses(t, f, "", tt.statuses...)
			}
			c, _ := newClient(t, srv.URL)
			req, _ := videoReq(size, nil)
			if strings.HasPrefix(tt.name, "the request changed") {
				req.Options = map[string]any{} // privacy_level was removed
			}
			pr := platform.NewProgress(tt.progress, nil)
			pub, err := c.Publish(context.Background(), testAuth(), req, pr)
			switch {
			case tt.say == "continue":
				if _, ok := platform.ContinueAfter(err); !ok {
					t.Fatalf("err %v, want a Continue", err)
				}
			case tt.want == nil:
				if err != nil || pub.RemoteID != tt.say {
					t.Fatalf("published %+v, %v", pub, err)
				}
			default:
				if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.say) {
					t.Fatalf("err %v, want %v %q", err, tt.want, tt.say)
				}
			}
			if n, p := f.count("POST /v2/post/publish/video/init/"), f.count("PUT "); n != tt.inits || p != tt.puts {
				t.Errorf("%d inits and %d chunks; calls %v", n, p, f.callList())
			}
			got := pr.Values()
			for k, v := range tt.progress { // nothing recorded is ever overwritten, apart from a refused link
				if got[k] != v && k != "upload.next_offset" && k != "upload_url" {
					t.Errorf("%s changed from %q to %q", k, v, got[k])
				}
			}
			if tt.check != nil {
				tt.check(t, got)
			}
		})
	}
}

// newGeneration checks the keys of a second generation.
func newGeneration(t *testing.T, got map[string]string) {
	t.Helper()
	if got[KeyGeneration] != "2" || got["g2.publish_id"] != videoPublishID || got["g2.init_sent"] == "" ||
		got["g2.upload.final_sent"] != "1" || got[PublishIDKey(1)] != videoPublishID || got[PostIDKey] != publicID {
		t.Errorf("second generation %v", got)
	}
}

// A crash after two of four chunks: the next Publish asks TikTok, sends
// the last two chunks from the saved offset, and never starts another post.
func TestResumeAfterCrashMidUpload(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	c, _ := newClient(t, srv.URL)
	size := int64(4*MinChunkSize + 99)
	req, cm := videoReq(size, nil)
	var mu sync.Mutex
	db := map[string]string{}
	ctx, crash := context.WithCancel(context.Background())
	save := func(_ context.Context, k, v string) error {
		mu.Lock()
		defer mu.Unlock()
		db[k] = v
		if k == NextOffsetKey(1) && v == itoa(2*MinChunkSize) {
			crash()
		}
		return nil
	}
	if _, err := c.Publish(ctx, testAuth(), req, platform.NewProgress(nil, save)); err == nil {
		t.Fatal("the crashed attempt succeeded")
	}
	if held, _, _ := f.upload(); held != 2*MinChunkSize {
		t.Fatalf("TikTok holds %d bytes after the crash", held)
	}
	firstRead := cm.read.Load()
	answerStatuses(t, f, videoPublishID, statusBody(StatusProcessingUpload, 2*MinChunkSize), statusBody(StatusComplete, size, publicID))
	mu.Lock()
	saved := maps.Clone(db)
	mu.Unlock()
	pub, err := c.Publish(context.Background(), testAuth(), req, platform.NewProgress(saved, save))
	if err != nil || pub.RemoteID != publicID {
		t.Fatalf("resumed: %+v %v", pub, err)
	}
	held, received, ranges := f.upload()
	if f.count("POST /v2/post/publish/video/init/") != 1 || held != size || received != size || f.crc != patternCRC(size) {
		t.Errorf("inits %d held %d received %d", f.count("POST /v2/post/publish/video/init/"), held, received)
	}
	if len(ranges) != 4 || ranges[2] != fmt.Sprintf("bytes %d-%d/%d", 2*MinChunkSize, 3*MinChunkSize-1, size) {
		t.Errorf("ranges %v", ranges)
	}
	// The resumed upload read through the first two chunks once to skip them.
	if n := cm.read.Load() - firstRead; n != size {
		t.Errorf("the resumed upload read %d bytes of the media, want %d", n, size)
	}
}

// A saved offset behind TikTok's (the answer to a chunk was lost): TikTok
// answers 416 with what it holds, and the upload goes on from there.
func TestResumeBehindTikTok(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	size := int64(3 * MinChunkSize)
	f.mu.Lock()
	f.held = 2 * MinChunkSize
	f.mu.Unlock()
	answerStatuses(t, f, videoPublishID, statusBody(StatusProcessingUpload, 0), statusBody(StatusComplete, size, publicID))
	c, _ := newClient(t, srv.URL)
	req, _ := videoReq(size, nil)
	pr := platform.NewProgress(map[string]string{"init_sent": testNow.Format(time.RFC3339), "upload.chunk_size": itoa(MinChunkSize),
		"publish_id": videoPublishID, "upload_url": recordedURL, "upload.next_offset": itoa(MinChunkSize)}, nil)
	pub, err := c.Publish(context.Background(), testAuth(), req, pr)
	if err != nil || pub.RemoteID != publicID {
		t.Fatalf("%+v %v", pub, err)
	}
	_, received, ranges := f.upload()
	want := []string{fmt.Sprintf("bytes %d-%d/%d", MinChunkSize, 2*MinChunkSize-1, size), fmt.Sprintf("bytes %d-%d/%d", 2*MinChunkSize, size-1, size)}
	if received != MinChunkSize || fmt.Sprint(ranges) != fmt.Sprint(want) || f.count("POST /v2/post/publish/video/init/") != 0 {
		t.Errorf("received %d ranges %v", received, ranges)
	}
}

// TikTok refuses the upload link halfway (403): its status proves nothing
// was published, so the post starts again under new keys, once.
func TestUploadLinkRefusedMidway(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	var mu sync.Mutex
	refused := false
	f.putHook = func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		if !refused && strings.HasPrefix(r.Header.Get("Content-Range"), fmt.Sprintf("bytes %d-", MinChunkSize)) {
			refused = true
			writeJSON(w, 403, []byte(`{"error":{"code":"upload_url_expired","message":"expired `+uploadToken+`","log_id":"L"}}`))
			return true
		}
		return false
	}
	answerStatuses(t, f, "", statusBody(StatusProcessingUpload, MinChunkSize), statusBody(StatusComplete, 1, publicID))
	c, _ := newClient(t, srv.URL)
	size := int64(3 * MinChunkSize)
	req, _ := videoReq(size, nil)
	pr := platform.NewProgress(nil, nil)
	pub, err := c.Publish(context.Background(), testAuth(), req, pr)
	if err != nil || pub.RemoteID != publicID {
		t.Fatalf("%+v %v", pub, err)
	}
	got := pr.Values()
	if f.count("POST /v2/post/publish/video/init/") != 2 || got["upload_url"] != "" || got["g2.upload_url"] != recordedURL ||
		got[KeyGeneration] != "2" || got["upload.final_sent"] != "" {
		t.Errorf("calls %v progress %v", f.callList(), got)
	}
}

func TestPublishNeverTwiceOnMaxGenerations(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	answerStatuses(t, f, "", fixture(t, "status_failed_internal.json"))
	c, _ := newClient(t, srv.URL)
	req, _ := videoReq(1000, nil)
	pr := platform.NewProgress(map[string]string{"gen": "5", "g5.publish_id": "v_pub_file~5", "g5.init_sent": testNow.Format(time.RFC3339)}, nil)
	_, err := c.Publish(context.Background(), testAuth(), req, pr)
	if !errors.Is(err, platform.ErrRejected) || f.count("POST /v2/post/publish/video/init/") != 0 {
		t.Fatalf("err %v calls %v", err, f.callList())
	}
}
