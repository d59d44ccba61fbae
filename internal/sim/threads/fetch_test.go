package threads

import (
	"net/http"
	"testing"
)

func TestMediaFetching(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.user("fetch")
	for _, name := range []string{"photo.jpg", "photo.png"} {
		e.create(u, tok, map[string]any{"media_type": "IMAGE", "image_url": e.mediaURL(name), "alt_text": "a " + name})
	}
	if e.fetches("/photo.jpg") != 1 || e.fetches("/photo.png") != 1 {
		t.Fatal("the simulator did not GET the images")
	}
	tests := []struct{ name, url, code, msg string }{
		{"gif", e.mediaURL("anim.gif"), "36001/2207005", "The image format is not supported."},
		{"404", e.mediaURL("missing.png"), "9004/2207052", "The media could not be fetched from this URI"},
		{"too large", e.mediaURL("big.jpg"), "36000/2207004", "The image size is too large."},
	}
	for _, tc := range tests {
		r := e.do(http.MethodPost, "/v1.0/me/threads", tok, map[string]any{"media_type": "IMAGE", "image_url": tc.url})
		if r.status != 400 || r.errCode() != tc.code || r.str("error", "message") != tc.msg || r.str("error", "type") != "THApiException" {
			t.Errorf("%s: %d %s", tc.name, r.status, r.raw)
		}
	}

	good := e.create(u, tok, map[string]any{"media_type": "VIDEO", "video_url": e.mediaURL("clip.mp4")})
	gone := e.create(u, tok, map[string]any{"media_type": "VIDEO", "video_url": e.mediaURL("gone.mp4")})
	text := e.create(u, tok, map[string]any{"media_type": "VIDEO", "video_url": e.mediaURL("clip.txt")})
	e.clock.Advance(DefaultVideoProcessing - 1)
	if e.status(gone, tok) != "IN_PROGRESS" {
		t.Fatal("a failed download shows only once processing ends")
	}
	e.clock.Advance(1)
	for c, want := range map[string]string{gone: "FAILED_DOWNLOADING_VIDEO", text: "FAILED_PROCESSING_VIDEO"} {
		r := e.expect(e.do(http.MethodGet, "/v1.0/"+c+"?fields=status,error_message", tok, nil), 200)
		if r.str("status") != "ERROR" || r.str("error_message") != want {
			t.Fatalf("video container %s", r.raw)
		}
		e.expectErr(e.publish(u, tok, c), 400, "24/")
	}
	e.expect(e.publish(u, tok, good), 200)
	p := e.sim.Posts()[0]
	if p.MediaType != "VIDEO" || p.Media[0].URL != e.mediaURL("clip.mp4") || p.Media[0].Bytes != int64(len(mp4Head)) || p.Media[0].Format != "mp4" {
		t.Fatalf("video post %+v", p)
	}
}
