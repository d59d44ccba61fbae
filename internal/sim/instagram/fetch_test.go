package instagram

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sns-os/snsos/internal/sim/graph/graphtest"
)

func TestImageFetching(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("fetcher")
	tests := []struct {
		name, url, code, msg string
	}{
		{"png", e.MediaURL("photo.png"), "36001/2207005", "The image format is not supported."},
		{"404", e.MediaURL("missing.jpg"), "9004/2207052", "Media could not be fetched from this URI"},
		{"too large", e.MediaURL("big.jpg"), "36000/2207004", "The image size is too large."},
		{"not http", "ftp://example.com/a.jpg", "9004/2207052", "Media could not be fetched from this URI"},
		{"unreachable", "http://127.0.0.1:1/a.jpg", "9004/2207052", "Media could not be fetched from this URI"},
	}
	for _, tc := range tests {
		r := e.Do(http.MethodPost, "/v25.0/"+u.UserID+"/media", tok, map[string]any{"image_url": tc.url})
		if r.Status != 400 || r.ErrCode() != tc.code || r.Str("error", "message") != tc.msg {
			t.Errorf("%s: %d %s", tc.name, r.Status, r.Raw)
		}
	}
	if e.Fetches("/photo.png") != 1 || e.Fetches("/missing.jpg") != 1 {
		t.Fatalf("the simulator did not GET the URLs: %d %d", e.Fetches("/photo.png"), e.Fetches("/missing.jpg"))
	}
	// A JPEG story works; a PNG cover of a reel does not.
	e.Create(u, tok, map[string]any{"media_type": "STORIES", "image_url": e.MediaURL("photo.jpg")})
	e.ExpectErr(e.Do(http.MethodPost, "/v25.0/"+u.UserID+"/media", tok, map[string]any{
		"media_type": "REELS", "video_url": e.MediaURL("clip.mp4"), "cover_url": e.MediaURL("photo.png")}), 400, "36001/2207005")
}

func TestVideoFetching(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("videos")
	good := e.Create(u, tok, map[string]any{"media_type": "REELS", "video_url": e.MediaURL("clip.mp4"),
		"cover_url": e.MediaURL("photo.jpg"), "share_to_feed": false, "thumb_offset": 1500})
	missing := e.Create(u, tok, map[string]any{"media_type": "REELS", "video_url": e.MediaURL("gone.mp4")})
	text := e.Create(u, tok, map[string]any{"media_type": "STORIES", "video_url": e.MediaURL("clip.txt")})
	e.Clock.Advance(DefaultVideoProcessing - 1)
	for _, c := range []string{good, missing, text} {
		if got := e.Status(c, tok); got != "IN_PROGRESS" {
			t.Fatalf("video %s before processing ended: %s", c, got)
		}
	}
	e.Clock.Advance(1)
	if e.Status(good, tok) != "FINISHED" {
		t.Fatal("good video not finished")
	}
	for c, code := range map[string]string{missing: "2207052", text: "2207026"} {
		r := e.Expect(e.Do(http.MethodGet, "/v25.0/"+c+"?fields=status_code,status", tok, nil), 200)
		if r.Str("status_code") != "ERROR" || r.Str("status") != "Error: Media upload has failed with error code "+code {
			t.Fatalf("failed video %s", r.Raw)
		}
		e.ExpectErr(e.Publish(u, tok, c), 400, "9007/2207027")
	}
	media := e.Expect(e.Publish(u, tok, good), 200).Str("id")
	p := e.sim.Posts()[0]
	if p.MediaType != "VIDEO" || p.ProductType != "REELS" || p.ShareToFeed || len(p.Media) != 2 ||
		p.Media[0].Kind != "VIDEO" || p.Media[0].Bytes != int64(len(graphtest.MP4Head)) || p.Media[1].Kind != "COVER" ||
		!strings.HasPrefix(p.Permalink, "https://www.instagram.com/reel/") {
		t.Fatalf("reel %+v", p)
	}
	m := e.Expect(e.Do(http.MethodGet, "/"+media+"?fields=media_url,thumbnail_url,media_product_type", tok, nil), 200)
	if m.Str("media_url") != e.MediaURL("clip.mp4") || m.Str("thumbnail_url") != e.MediaURL("photo.jpg") || m.Str("media_product_type") != "REELS" {
		t.Fatalf("reel media %s", m.Raw)
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
	u, tok := e.User("client")
	e.Create(u, tok, map[string]any{"image_url": e.MediaURL("photo.jpg")})
	if tr.n.Load() != 1 {
		t.Fatalf("HTTPClient made %d requests", tr.n.Load())
	}
}
