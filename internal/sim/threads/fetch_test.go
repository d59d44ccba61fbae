package threads

import (
	"net/http"
	"testing"

	"github.com/sns-os/snsos/internal/sim/graph/graphtest"
)

func TestMediaFetching(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("fetch")
	for _, name := range []string{"photo.jpg", "photo.png"} {
		e.Create(u, tok, map[string]any{"media_type": "IMAGE", "image_url": e.MediaURL(name), "alt_text": "a " + name})
	}
	if e.Fetches("/photo.jpg") != 1 || e.Fetches("/photo.png") != 1 {
		t.Fatal("the simulator did not GET the images")
	}
	tests := []struct{ name, url, code, msg string }{
		{"gif", e.MediaURL("anim.gif"), "36001/2207005", "The image format is not supported."},
		{"404", e.MediaURL("missing.png"), "9004/2207052", "The media could not be fetched from this URI"},
		{"too large", e.MediaURL("big.jpg"), "36000/2207004", "The image size is too large."},
	}
	for _, tc := range tests {
		r := e.Do(http.MethodPost, "/v1.0/me/threads", tok, map[string]any{"media_type": "IMAGE", "image_url": tc.url})
		if r.Status != 400 || r.ErrCode() != tc.code || r.Str("error", "message") != tc.msg || r.Str("error", "type") != "THApiException" {
			t.Errorf("%s: %d %s", tc.name, r.Status, r.Raw)
		}
	}

	good := e.Create(u, tok, map[string]any{"media_type": "VIDEO", "video_url": e.MediaURL("clip.mp4")})
	gone := e.Create(u, tok, map[string]any{"media_type": "VIDEO", "video_url": e.MediaURL("gone.mp4")})
	text := e.Create(u, tok, map[string]any{"media_type": "VIDEO", "video_url": e.MediaURL("clip.txt")})
	e.Clock.Advance(DefaultVideoProcessing - 1)
	if e.Status(gone, tok) != "IN_PROGRESS" {
		t.Fatal("a failed download shows only once processing ends")
	}
	e.Clock.Advance(1)
	for c, want := range map[string]string{gone: "FAILED_DOWNLOADING_VIDEO", text: "FAILED_PROCESSING_VIDEO"} {
		r := e.Expect(e.Do(http.MethodGet, "/v1.0/"+c+"?fields=status,error_message", tok, nil), 200)
		if r.Str("status") != "ERROR" || r.Str("error_message") != want {
			t.Fatalf("video container %s", r.Raw)
		}
		e.ExpectErr(e.Publish(u, tok, c), 400, "24/")
	}
	e.Expect(e.Publish(u, tok, good), 200)
	p := e.sim.Posts()[0]
	if p.MediaType != "VIDEO" || p.Media[0].URL != e.MediaURL("clip.mp4") || p.Media[0].Bytes != int64(len(graphtest.MP4Head)) || p.Media[0].Format != "mp4" {
		t.Fatalf("video post %+v", p)
	}
}
