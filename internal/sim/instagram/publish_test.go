package instagram

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/sim/graph/graphtest"
)

func TestContainerLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("lifecycle")
	c := e.Create(u, tok, map[string]any{"image_url": e.MediaURL("photo.jpg"), "caption": "hello #sim"})
	if got := e.Status(c, tok); got != "IN_PROGRESS" {
		t.Fatalf("fresh container %s", got)
	}
	r := e.ExpectErr(e.Publish(u, tok, c), 400, "9007/2207027")
	if r.Str("error", "message") != "Media ID is not available" || r.Str("error", "is_transient") != "false" {
		t.Fatalf("too early %s", r.Raw)
	}
	e.Clock.Advance(DefaultImageProcessing)
	st := e.Expect(e.Do(http.MethodGet, "/v25.0/"+c+"?fields=status_code,status", tok, nil), 200)
	if st.Str("status_code") != "FINISHED" || st.Str("id") != c || !strings.HasPrefix(st.Str("status"), "Finished") {
		t.Fatalf("finished container %s", st.Raw)
	}
	media := e.Expect(e.Publish(u, tok, c), 200).Str("id")
	if len(media) != 17 || media == c {
		t.Fatalf("media id %q (container %s)", media, c)
	}
	if got := e.Status(c, tok); got != "PUBLISHED" {
		t.Fatalf("after publish %s", got)
	}
	r = e.ExpectErr(e.Publish(u, tok, c), 400, "9007/2207027")
	if !strings.Contains(r.Str("error", "error_user_msg"), media) {
		t.Fatalf("republish error should name the media: %s", r.Raw)
	}
	// A PUBLISHED container never expires; an unpublished one does.
	other := e.Create(u, tok, map[string]any{"image_url": e.MediaURL("photo.jpg"), "caption": "hello #sim"})
	e.Clock.Advance(24 * time.Hour)
	if e.Status(c, tok) != "PUBLISHED" || e.Status(other, tok) != "EXPIRED" {
		t.Fatalf("after 24h: %s %s", e.Status(c, tok), e.Status(other, tok))
	}
	e.ExpectErr(e.Publish(u, tok, other), 400, "-2/2207020")

	posts := e.sim.Posts()
	if len(posts) != 1 || posts[0].ID != media || posts[0].ContainerID != c || posts[0].Caption != "hello #sim" ||
		posts[0].MediaType != "IMAGE" || posts[0].ProductType != "FEED" || posts[0].Media[0].Format != "jpeg" ||
		posts[0].Media[0].Bytes == 0 || posts[0].Media[0].URL != e.MediaURL("photo.jpg") {
		t.Fatalf("posts %+v", posts)
	}
}

func TestUnknownIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("unknown")
	r := e.ExpectErr(e.Do(http.MethodGet, "/v25.0/17999999999999999?fields=status_code", tok, nil), 400, "100/33")
	if !strings.Contains(r.Str("error", "message"), "Object with ID '17999999999999999' does not exist") {
		t.Fatalf("unknown id %s", r.Raw)
	}
	e.ExpectErr(e.Publish(u, tok, "17999999999999999"), 400, "24/2207006")
	e.ExpectErr(e.Do(http.MethodPost, "/v25.0/"+u.UserID+"/media_publish", tok, nil), 400, "100/")
	// Another account's container is invisible.
	v, vtok := e.User("victim")
	c := e.Create(v, vtok, map[string]any{"image_url": e.MediaURL("photo.jpg")})
	e.ExpectErr(e.Do(http.MethodGet, "/"+c, tok, nil), 400, "100/33")
	e.ExpectErr(e.Do(http.MethodGet, "/v25.0/"+u.UserID+"/nonsense/path", tok, nil), 400, "2500/")
	e.ExpectErr(e.Do(http.MethodDelete, "/v25.0/"+c, vtok, nil), 400, "100/33")
}

func TestPostEdgesNeedNumericID(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("numeric")
	r := e.ExpectErr(e.Do(http.MethodPost, "/v25.0/me/media", tok, map[string]any{"image_url": e.MediaURL("photo.jpg")}), 400, "100/")
	if r.Str("error", "message") != "Unsupported request - method type: post" || r.Str("error", "type") != "IGApiException" {
		t.Fatalf("POST /me/media %s", r.Raw)
	}
	e.ExpectErr(e.Do(http.MethodPost, "/v25.0/"+u.ID+"/media", tok, map[string]any{"image_url": e.MediaURL("photo.jpg")}), 400, "100/33")
	// GET edges take me, the app-scoped id and the professional id.
	for _, id := range []string{"me", u.ID, u.UserID} {
		e.Expect(e.Do(http.MethodGet, "/v25.0/"+id+"/media", tok, nil), 200)
	}
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("validation")
	img, vid := e.MediaURL("photo.jpg"), e.MediaURL("clip.mp4")
	tests := []struct {
		name   string
		params map[string]any
		code   string
		msg    string
	}{
		{"no url", map[string]any{"caption": "x"}, "100/", "The parameter image_url is required."},
		{"video item without VIDEO", map[string]any{"is_carousel_item": true, "video_url": vid}, "100/", "The parameter image_url is required."},
		{"reel without video", map[string]any{"media_type": "REELS", "image_url": img}, "100/", "The parameter video_url is required."},
		{"legacy VIDEO", map[string]any{"media_type": "VIDEO", "video_url": vid}, "100/2207023", ""},
		{"unknown type", map[string]any{"media_type": "GIF", "image_url": img}, "100/2207023", ""},
		{"caption too long", map[string]any{"image_url": img, "caption": strings.Repeat("é", 2201)}, "36004/2207010", "The caption is too long."},
		{"too many hashtags", map[string]any{"image_url": img, "caption": strings.Repeat("#tag ", 31)}, "36004/2207010", ""},
		{"too many mentions", map[string]any{"image_url": img, "caption": strings.Repeat("@someone ", 21)}, "100/2207040", ""},
		{"alt text on reel", map[string]any{"media_type": "REELS", "video_url": vid, "alt_text": "x"}, "100/", ""},
		{"bad thumb offset", map[string]any{"media_type": "REELS", "video_url": vid, "thumb_offset": "-3"}, "1/2207057", ""},
		{"one child", map[string]any{"media_type": "CAROUSEL", "children": "1"}, "100/2207028", ""},
		{"eleven children", map[string]any{"media_type": "CAROUSEL", "children": strings.Repeat("1,", 10) + "1"}, "100/2207028", ""},
	}
	for _, tc := range tests {
		r := e.Do(http.MethodPost, "/v25.0/"+u.UserID+"/media", tok, tc.params)
		if r.Status != 400 || r.ErrCode() != tc.code || (tc.msg != "" && r.Str("error", "message") != tc.msg) {
			t.Errorf("%s: %d %s, want %s %q", tc.name, r.Status, r.Raw, tc.code, tc.msg)
		}
	}
	// The limits themselves are fine.
	ok := map[string]any{"image_url": img, "alt_text": strings.Repeat("a", 1000),
		"caption": strings.Repeat("#t ", 30) + strings.Repeat("@u ", 20) + strings.Repeat("x", 2200-150)}
	e.Create(u, tok, ok)
}

func TestCarousel(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("carousel")
	a := e.Create(u, tok, map[string]any{"is_carousel_item": true, "image_url": e.MediaURL("photo.jpg")})
	b := e.Create(u, tok, map[string]any{"is_carousel_item": "true", "media_type": "VIDEO", "video_url": e.MediaURL("clip.mp4")})
	single := e.Create(u, tok, map[string]any{"image_url": e.MediaURL("photo.jpg")})
	children := a + "," + b
	// The video item is still processing.
	e.Clock.Advance(DefaultImageProcessing)
	e.ExpectErr(e.Do(http.MethodPost, "/v25.0/"+u.UserID+"/media", tok, map[string]any{"media_type": "CAROUSEL", "children": children}), 400, "9007/2207027")
	e.Clock.Advance(DefaultVideoProcessing)
	e.ExpectErr(e.Do(http.MethodPost, "/v25.0/"+u.UserID+"/media", tok, map[string]any{"media_type": "CAROUSEL", "children": a + "," + single}), 400, "100/")
	o, otok := e.User("other")
	foreign := e.Create(o, otok, map[string]any{"is_carousel_item": true, "image_url": e.MediaURL("photo.jpg")})
	e.ExpectErr(e.Do(http.MethodPost, "/v25.0/"+u.UserID+"/media", tok, map[string]any{"media_type": "CAROUSEL", "children": a + "," + foreign}), 400, "100/")
	e.ExpectErr(e.Publish(u, tok, a), 400, "100/")

	// children as a JSON array works as well as a comma list.
	parent := e.Create(u, tok, map[string]any{"media_type": "CAROUSEL", "children": []string{a, b}, "caption": "album"})
	e.ExpectErr(e.Publish(u, tok, parent), 400, "9007/2207027")
	e.Clock.Advance(DefaultImageProcessing)
	media := e.Expect(e.Publish(u, tok, parent), 200).Str("id")
	if e.Status(a, tok) != "PUBLISHED" || e.Status(b, tok) != "PUBLISHED" {
		t.Fatal("children not marked published")
	}
	p := e.sim.Posts()[0]
	if p.ID != media || p.MediaType != "CAROUSEL_ALBUM" || len(p.Media) != 2 || p.Media[0].Kind != "IMAGE" ||
		p.Media[1].Kind != "VIDEO" || p.Media[1].Format != "mp4" || p.Media[0].ID == "" {
		t.Fatalf("carousel post %+v", p)
	}
	m := e.Expect(e.Do(http.MethodGet, "/v25.0/"+media+"?fields=media_type,children,permalink", tok, nil), 200)
	if m.Str("media_type") != "CAROUSEL_ALBUM" || m.Str("children", "data", "1", "id") != p.Media[1].ID {
		t.Fatalf("carousel media %s", m.Raw)
	}
	child := e.Expect(e.Do(http.MethodGet, "/"+p.Media[0].ID+"?fields=id,media_type,permalink", tok, nil), 200)
	if child.Str("media_type") != "IMAGE" || child.Str("permalink") != "" {
		t.Fatalf("carousel child %s", child.Raw)
	}
	// Used children cannot go into another carousel.
	e.ExpectErr(e.Do(http.MethodPost, "/v25.0/"+u.UserID+"/media", tok, map[string]any{"media_type": "CAROUSEL", "children": children}), 400, "9007/2207027")
}

func TestPublishQuotaRolls(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{QuotaTotal: 3})
	u, tok := e.User("quota")
	limit := func() graphtest.Resp {
		return e.Expect(e.Do(http.MethodGet, "/v25.0/"+u.UserID+"/content_publishing_limit?fields=quota_usage,config", tok, nil), 200)
	}
	for i := range 3 {
		e.post(u, tok, "same caption")
		e.Clock.Advance(time.Hour)
		if got := limit().Str("data", "0", "quota_usage"); got != strconv.Itoa(i+1) {
			t.Fatalf("usage after %d posts = %s", i+1, got)
		}
	}
	if l := limit(); l.Str("data", "0", "config", "quota_total") != "3" || l.Str("data", "0", "config", "quota_duration") != "86400" {
		t.Fatalf("limit %s", l.Raw)
	}
	c := e.Create(u, tok, map[string]any{"image_url": e.MediaURL("photo.jpg"), "caption": "same caption"})
	e.Clock.Advance(DefaultImageProcessing)
	e.ExpectErr(e.Publish(u, tok, c), 400, "9/2207042")
	// Identical captions were all published: no duplicate refusal.
	if n := len(e.sim.Posts()); n != 3 {
		t.Fatalf("%d posts", n)
	}
	// The first post leaves the window 24 h after it was made.
	e.Clock.Advance(21*time.Hour - DefaultImageProcessing)
	if got := limit().Str("data", "0", "quota_usage"); got != "2" {
		t.Fatalf("usage after the first left the window = %s", got)
	}
	e.Expect(e.Publish(u, tok, c), 200)
	since := e.Clock.Now().Add(-22*time.Hour - time.Second).Unix() // the third post and the last
	if got := e.Expect(e.Do(http.MethodGet, "/"+u.UserID+"/content_publishing_limit?since="+strconv.FormatInt(since, 10), tok, nil), 200); got.Str("data", "0", "quota_usage") != "2" || got.Str("data", "0", "config") != "" {
		t.Fatalf("since usage %s", got.Raw)
	}
}

func TestContainerLimitAndScopes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{ContainerLimit: 2})
	u, tok := e.User("limits")
	e.Create(u, tok, map[string]any{"image_url": e.MediaURL("photo.jpg")})
	e.Create(u, tok, map[string]any{"image_url": e.MediaURL("photo.jpg")})
	e.ExpectErr(e.Do(http.MethodPost, "/v25.0/"+u.UserID+"/media", tok, map[string]any{"image_url": e.MediaURL("photo.jpg")}), 400, "4/")
	e.Clock.Advance(24 * time.Hour)
	e.Create(u, tok, map[string]any{"image_url": e.MediaURL("photo.jpg")})

	// A token without the publish scope cannot create or publish.
	f := exchangeForm(e.code("instagram_business_basic", "basic_only"))
	basic := e.Expect(e.Do(http.MethodPost, "/oauth/access_token", "", graphtest.MultipartOf(f)), 200).Str("access_token")
	b := e.sim.Users()[1]
	e.ExpectErr(e.Do(http.MethodPost, "/v25.0/"+b.UserID+"/media", basic, map[string]any{"image_url": e.MediaURL("photo.jpg")}), 400, "10/")
	e.Expect(e.Do(http.MethodGet, "/v25.0/me?fields=username", basic, nil), 200)
}
