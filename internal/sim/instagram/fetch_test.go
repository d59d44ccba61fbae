package instagram

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

func TestImageFetching(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.user("fetcher")
	tests := []struct {
		name, url, code, msg string
	}{
		{"png", e.mediaURL("photo.png"), "36001/2207005", "The image format is not supported."},
		{"404", e.mediaURL("missing.jpg"), "9004/2207052", "Media could not be fetched from this URI"},
		{"too large", e.mediaURL("big.jpg"), "36000/2207004", "The image size is too large."},
		{"not http", "ftp://example.com/a.jpg", "9004/2207052", "Media could not be fetched from this URI"},
		{"unreachable", "http://127.0.0.1:1/a.jpg", "9004/2207052", "Media could not be fetched from this URI"},
	}
	for _, tc := range tests {
		r := e.do(http.MethodPost, "/v25.0/"+u.UserID+"/media", tok, map[string]any{"image_url": tc.url})
		if r.status != 400 || r.errCode() != tc.code || r.str("error", "message") != tc.msg {
			t.Errorf("%s: %d %s", tc.name, r.status, r.raw)
		}
	}
	if e.fetches("/photo.png") != 1 || e.fetches("/missing.jpg") != 1 {
		t.Fatalf("the simulator did not GET the URLs: %d %d", e.fetches("/photo.png"), e.fetches("/missing.jpg"))
	}
	// A JPEG story works; a PNG cover of a reel does not.
	e.create(u, tok, map[string]any{"media_type": "STORIES", "image_url": e.mediaURL("photo.jpg")})
	e.expectErr(e.do(http.MethodPost, "/v25.0/"+u.UserID+"/media", tok, map[string]any{
		"media_type": "REELS", "video_url": e.mediaURL("clip.mp4"), "cover_url": e.mediaURL("photo.png")}), 400, "36001/2207005")
}

func TestVideoFetching(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.user("videos")
	good := e.create(u, tok, map[string]any{"media_type": "REELS", "video_url": e.mediaURL("clip.mp4"),
		"cover_url": e.mediaURL("photo.jpg"), "share_to_feed": false, "thumb_offset": 1500})
	missing := e.create(u, tok, map[string]any{"media_type": "REELS", "video_url": e.mediaURL("gone.mp4")})
	text := e.create(u, tok, map[string]any{"media_type": "STORIES", "video_url": e.mediaURL("clip.txt")})
	e.clock.Advance(DefaultVideoProcessing - 1)
	for _, c := range []string{good, missing, text} {
		if got := e.status(c, tok); got != "IN_PROGRESS" {
			t.Fatalf("video %s before processing ended: %s", c, got)
		}
	}
	e.clock.Advance(1)
	if e.status(good, tok) != "FINISHED" {
		t.Fatal("good video not finished")
	}
	for c, code := range map[string]string{missing: "2207052", text: "2207026"} {
		r := e.expect(e.do(http.MethodGet, "/v25.0/"+c+"?fields=status_code,status", tok, nil), 200)
		if r.str("status_code") != "ERROR" || r.str("status") != "Error: Media upload has failed with error code "+code {
			t.Fatalf("failed video %s", r.raw)
		}
		e.expectErr(e.publish(u, tok, c), 400, "9007/2207027")
	}
	media := e.expect(e.publish(u, tok, good), 200).str("id")
	p := e.sim.Posts()[0]
	if p.MediaType != "VIDEO" || p.ProductType != "REELS" || p.ShareToFeed || len(p.Media) != 2 ||
		p.Media[0].Kind != "VIDEO" || p.Media[0].Bytes != int64(len(mp4Head)) || p.Media[1].Kind != "COVER" ||
		!strings.HasPrefix(p.Permalink, "https://www.instagram.com/reel/") {
		t.Fatalf("reel %+v", p)
	}
	m := e.expect(e.do(http.MethodGet, "/"+media+"?fields=media_url,thumbnail_url,media_product_type", tok, nil), 200)
	if m.str("media_url") != e.mediaURL("clip.mp4") || m.str("thumbnail_url") != e.mediaURL("photo.jpg") || m.str("media_product_type") != "REELS" {
		t.Fatalf("reel media %s", m.raw)
	}
}

// countingTransport counts the requests of Options.HTTPClient.
type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

func TestFetchUsesHTTPClient(t *testing.T) {
	t.Parallel()
	tr := &countingTransport{}
	e := newEnv(t, Options{HTTPClient: &http.Client{Transport: tr}})
	u, tok := e.user("client")
	e.create(u, tok, map[string]any{"image_url": e.mediaURL("photo.jpg")})
	if tr.n.Load() != 1 {
		t.Fatalf("HTTPClient made %d requests", tr.n.Load())
	}
}
