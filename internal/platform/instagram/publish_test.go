package instagram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/platform"
)

// saver records every progress save in order.
type saver struct {
	mu   sync.Mutex
	keys []string
}

func (s *saver) save(_ context.Context, k, v string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, k+"="+v)
	return nil
}

func (s *saver) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.keys...)
}

func TestPublishImage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.f.handle("GET /17920000000000001", func(w http.ResponseWriter, r *http.Request) {
		if r.Form.Get("fields") != "permalink,timestamp" {
			t.Errorf("permalink fields %q", r.Form.Get("fields"))
		}
		writeJSON(w, 200, fixture(t, "media_permalink.json"))
	})
	e.f.handle("POST /"+testUser+"/media_publish", func(w http.ResponseWriter, r *http.Request) {
		if _, bad := e.f.commit(r.Form.Get("creation_id")); bad != "" {
			t.Errorf("publish refused: %s", bad)
		}
		writeJSON(w, 200, fixture(t, "published.json"))
	})
	s := &saver{}
	pr := platform.NewProgress(nil, s.save)
	pub, err := e.c.Publish(context.Background(), testAuth(),
		request("IMAGE", "Autumn light", jpeg("https://media.example/a.jpg?sig=1", "A bay at dusk")), pr)
	if err != nil {
		t.Fatal(err)
	}
	if pub.RemoteID != "17920000000000001" || pub.URL != "https://www.instagram.com/p/DAbC123xyz/" ||
		!pub.PublishedAt.Equal(time.Date(2026, 11, 28, 12, 0, 5, 0, time.UTC)) || len(pub.PartIDs) != 1 {
		t.Errorf("published %+v", pub)
	}
	wantCalls := []string{"POST /" + testUser + "/media", "GET /17889455560051501", "POST /" + testUser + "/media_publish", "GET /17920000000000001"}
	if got := e.f.callList(); strings.Join(got, "|") != strings.Join(wantCalls, "|") {
		t.Errorf("calls %v, want %v", got, wantCalls)
	}
	for _, p := range e.f.rawPaths() {
		if !strings.HasPrefix(p, "/v25.0/") || strings.Contains(p, "/me/") {
			t.Errorf("path %q: want the versioned numeric-id path", p)
		}
	}
	create := e.f.paramsOf("POST /" + testUser + "/media")[0]
	if create.Get("image_url") != "https://media.example/a.jpg?sig=1" || create.Get("caption") != "Autumn light" ||
		create.Get("alt_text") != "A bay at dusk" || create.Has("media_type") {
		t.Errorf("container params %v", create)
	}
	if p := e.f.paramsOf("POST /" + testUser + "/media_publish")[0]; p.Get("creation_id") != "17889455560051501" {
		t.Errorf("publish params %v", p)
	}
	wantSaves := []string{"media_type=IMAGE", "g1.container=17889455560051501", fmt.Sprintf("g1.created=%d", testNow.Unix()),
		"g1.publish_sent=2026-11-28T12:00:00Z", "part1.post_id=17920000000000001"}
	if got := s.list(); strings.Join(got, "|") != strings.Join(wantSaves, "|") {
		t.Errorf("saves %v, want %v", got, wantSaves)
	}
}

func TestPublishRefusedBeforeAnyCall(t *testing.T) {
	t.Parallel()
	png := platform.Media{MIME: "image/png", Size: 10, URL: "https://media.example/a.png"}
	many := make([]platform.Media, 11)
	for i := range many {
		many[i] = jpeg(fmt.Sprintf("https://media.example/%d.jpg", i), "")
	}
	tests := []struct {
		name string
		acct platform.Auth
		req  *platform.PublishRequest
		want error
		says string
	}{
		{"png image", testAuth(), request("IMAGE", "x", png), platform.ErrRejected, "Instagram takes JPEG images only; convert it"},
		{"png in a carousel", testAuth(), request("CAROUSEL", "x", jpeg("https://m/1.jpg", ""), png), platform.ErrRejected, "JPEG images only"},
		{"png story", testAuth(), request("STORIES", "", png), platform.ErrRejected, "JPEG images only"},
		{"carousel of one", testAuth(), request("CAROUSEL", "x", jpeg("https://m/1.jpg", "")), platform.ErrRejected, "2 to 10"},
		{"carousel of eleven", testAuth(), request("CAROUSEL", "x", many...), platform.ErrRejected, "has 11"},
		{"reel of an image", testAuth(), request("REELS", "x", jpeg("https://m/1.jpg", "")), platform.ErrRejected, "one video"},
		{"image of a video", testAuth(), request("IMAGE", "x", mp4("https://m/1.mp4")), platform.ErrRejected, "one image"},
		{"unknown type", testAuth(), request("LIVE", "x", mp4("https://m/1.mp4")), platform.ErrRejected, "IMAGE, CAROUSEL, REELS or STORIES"},
		{"no link", testAuth(), request("IMAGE", "x", jpeg("", "")), platform.ErrRejected, "no public link"},
		{"caption too long", testAuth(), request("IMAGE", strings.Repeat("é", 2201), jpeg("https://m/1.jpg", "")), platform.ErrRejected, "2201 characters"},
		{"alt text too long", testAuth(), request("IMAGE", "x", jpeg("https://m/1.jpg", strings.Repeat("a", 1001))), platform.ErrRejected, "alt text"},
		{"two parts", testAuth(), &platform.PublishRequest{Parts: []platform.Part{{Text: "a"}, {Text: "b"}}}, platform.ErrRejected, "one part"},
		{"nothing", testAuth(), &platform.PublishRequest{}, platform.ErrRejected, "nothing to post"},
		{"no numeric user id", platform.Auth{UserID: "me", AccessToken: testToken}, request("IMAGE", "x", jpeg("https://m/1.jpg", "")),
			platform.ErrAuth, "connect it again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			_, err := e.c.Publish(context.Background(), tt.acct, tt.req, platform.NewProgress(nil, nil))
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("err = %v, want %v saying %q", err, tt.want, tt.says)
			}
			if n := len(e.f.callList()); n != 0 {
				t.Errorf("%d calls made before the refusal", n)
			}
		})
	}
}

func TestPublishCarousel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	items := []platform.Media{jpeg("https://m/1.jpg", "first"), mp4("https://m/2.mp4"), jpeg("https://m/3.jpg", "")}
	pr := platform.NewProgress(nil, nil)
	pub, err := e.c.Publish(context.Background(), testAuth(), request("CAROUSEL", "Three things", items...), pr)
	if err != nil {
		t.Fatal(err)
	}
	creates := e.f.paramsOf("POST /" + testUser + "/media")
	if len(creates) != 4 {
		t.Fatalf("%d containers created", len(creates))
	}
	for i, c := range creates[:3] {
		if c.Get("is_carousel_item") != "true" || c.Has("caption") {
			t.Errorf("item %d params %v", i+1, c)
		}
	}
	if creates[0].Get("image_url") != "https://m/1.jpg" || creates[0].Get("alt_text") != "first" {
		t.Errorf("image item %v", creates[0])
	}
	if creates[1].Get("media_type") != "VIDEO" || creates[1].Get("video_url") != "https://m/2.mp4" || creates[1].Has("alt_text") {
		t.Errorf("video item %v", creates[1])
	}
	if creates[2].Has("alt_text") {
		t.Errorf("empty alt text sent: %v", creates[2])
	}
	parent := creates[3]
	if parent.Get("media_type") != "CAROUSEL" || parent.Get("caption") != "Three things" ||
		parent.Get("children") != "17889455560051501,17889455560051502,17889455560051503" {
		t.Errorf("carousel params %v", parent)
	}
	v := pr.Values()
	if v[ItemKey(1, 2)] != "17889455560051502" || v[ContainerKey(1)] != "17889455560051504" || v["part1.post_id"] != pub.RemoteID {
		t.Errorf("progress %v", v)
	}
	// The fake refuses a parent whose children are not FINISHED and a
	// publish of a container that is not: one publish, one post.
	if n := e.f.count("POST /" + testUser + "/media_publish"); n != 1 {
		t.Errorf("%d publish calls", n)
	}
	if posts := e.f.posts(); len(posts) != 1 || posts[0].MediaType != "CAROUSEL_ALBUM" || posts[0].ID != pub.RemoteID {
		t.Errorf("posts %+v", posts)
	}
	if pub.URL == "" {
		t.Error("no permalink")
	}
}

func TestPublishReelsAndStories(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		req   *platform.PublishRequest
		want  map[string]string
		unset []string
	}{
		{"reel shared to feed by default", request("REELS", "Watch", mp4("https://m/r.mp4")),
			map[string]string{"media_type": "REELS", "video_url": "https://m/r.mp4", "caption": "Watch", "share_to_feed": "true"}, []string{"image_url"}},
		{"reel kept off the feed", withOption(request("REELS", "Watch", mp4("https://m/r.mp4")), "share_to_feed", false),
			map[string]string{"media_type": "REELS", "share_to_feed": "false"}, nil},
		{"share_to_feed as text", withOption(request("REELS", "Watch", mp4("https://m/r.mp4")), "share_to_feed", "false"),
			map[string]string{"share_to_feed": "false"}, nil},
		{"image story takes no caption", request("STORIES", "ignored", jpeg("https://m/s.jpg", "")),
			map[string]string{"media_type": "STORIES", "image_url": "https://m/s.jpg"}, []string{"caption", "video_url", "alt_text"}},
		{"video story", request("stories", "", mp4("https://m/s.mp4")),
			map[string]string{"media_type": "STORIES", "video_url": "https://m/s.mp4"}, []string{"caption", "image_url"}},
		{"type inferred from one video", &platform.PublishRequest{Parts: []platform.Part{{Text: "v", Media: []platform.Media{mp4("https://m/v.mp4")}}}},
			map[string]string{"media_type": "REELS"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			pub, err := e.c.Publish(context.Background(), testAuth(), tt.req, platform.NewProgress(nil, nil))
			if err != nil {
				t.Fatal(err)
			}
			p := e.f.paramsOf("POST /" + testUser + "/media")[0]
			for k, w := range tt.want {
				if p.Get(k) != w {
					t.Errorf("%s = %q, want %q", k, p.Get(k), w)
				}
			}
			for _, k := range tt.unset {
				if p.Has(k) {
					t.Errorf("%s sent: %v", k, p)
				}
			}
			// A video takes polls: 2 s then 4 s on the injected clock.
			if tt.req.Parts[0].Media[0].IsVideo() && fmt.Sprint(e.clk.sleeps()) != "[2s 4s]" {
				t.Errorf("slept %v", e.clk.sleeps())
			}
			if pub.RemoteID == "" || pub.URL == "" {
				t.Errorf("published %+v", pub)
			}
		})
	}
}

func withOption(r *platform.PublishRequest, k string, v any) *platform.PublishRequest {
	r.Options[k] = v
	return r
}

func TestPublishFirstComment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		enabled  bool
		refuse   string
		comments int
		want     map[string]string
	}{
		{name: "posted", enabled: true, comments: 1,
			want: map[string]string{KeyCommentSent: "1", KeyCommentID: "17870913679156914"}},
		{name: "refused without the permission", enabled: true, refuse: "error_permission.json", comments: 1,
			want: map[string]string{KeyCommentSent: "1", KeyCommentError: "instagram_business_manage_comments"}},
		{name: "refused otherwise", enabled: true, refuse: "error_caption.json", comments: 1,
			want: map[string]string{KeyCommentError: "Instagram refused the first comment: The caption is too long"}},
		{name: "answer lost", enabled: true, refuse: "error_transient.json", comments: 1,
			want: map[string]string{KeyCommentError: "it may or may not be under the post"}},
		{name: "not enabled", enabled: false, comments: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(c *Config) { c.FirstComment = tt.enabled })
			if tt.refuse != "" {
				e.f.handle("POST /17920000000000101/comments", func(w http.ResponseWriter, r *http.Request) {
					writeJSON(w, 400, fixture(t, tt.refuse))
				})
			}
			req := withOption(request("IMAGE", "Caption", jpeg("https://m/1.jpg", "")), "first_comment", "#tags #in #comment")
			pr := platform.NewProgress(nil, nil)
			pub, err := e.c.Publish(context.Background(), testAuth(), req, pr)
			if err != nil {
				t.Fatalf("a comment never fails the post: %v", err)
			}
			if pub.RemoteID != "17920000000000101" {
				t.Errorf("published %+v", pub)
			}
			calls := e.f.paramsOf("POST /17920000000000101/comments")
			if len(calls) != tt.comments || tt.comments == 1 && calls[0].Get("message") != "#tags #in #comment" {
				t.Errorf("comment calls %v", calls)
			}
			v := pr.Values()
			for k, w := range tt.want {
				if !strings.Contains(v[k], w) {
					t.Errorf("progress %s = %q, want %q in it", k, v[k], w)
				}
			}
			// A resumed Publish never comments twice.
			if _, err := e.c.Publish(context.Background(), testAuth(), req, pr); err != nil {
				t.Fatal(err)
			}
			if n := len(e.f.paramsOf("POST /17920000000000101/comments")); n != tt.comments {
				t.Errorf("%d comment calls after a resume", n)
			}
		})
	}
}

func TestPublishPermalinkUnreadable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.f.handle("GET /17920000000000101", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 500, fixture(t, "error_transient.json"))
	})
	pr := platform.NewProgress(nil, nil)
	pub, err := e.c.Publish(context.Background(), testAuth(), request("IMAGE", "x", jpeg("https://m/1.jpg", "")), pr)
	if err != nil {
		t.Fatalf("an unreadable permalink must not fail the post: %v", err)
	}
	if pub.RemoteID != "17920000000000101" || pub.URL != "" || !pub.PublishedAt.Equal(e.clk.Now()) {
		t.Errorf("published %+v", pub)
	}
	if n := e.f.count("GET /17920000000000101"); n != permalinkTries {
		t.Errorf("%d permalink reads, want %d", n, permalinkTries)
	}
	if n := e.f.count("POST /" + testUser + "/media_publish"); n != 1 {
		t.Errorf("%d publish calls", n)
	}
	if fmt.Sprint(e.clk.sleeps()) != "[2s 4s]" {
		t.Errorf("slept %v", e.clk.sleeps())
	}
}

func TestPublishContainerErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fixed   []string // status of the 1st, 2nd … container created
		want    error
		says    string
		creates int
	}{
		{name: "unsupported video is final", fixed: []string{"error_2207026"}, want: platform.ErrRejected,
			says: "the video format is not supported (Error: Media upload has failed with error code 2207026)", creates: 1},
		{name: "fetch failure gets new containers", fixed: []string{"error_2207052", ""}, creates: 2},
		{name: "fetch failure twice waits", fixed: []string{"error_2207052", "error_2207052"}, want: platform.ErrTransient,
			says: "could not be fetched from its link", creates: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			n := 0
			e.f.handle("POST /"+testUser+"/media", func(w http.ResponseWriter, r *http.Request) {
				e.f.create(w, r, testUser)
				e.f.mu.Lock()
				defer e.f.mu.Unlock()
				e.f.containers[fmt.Sprint(e.f.nextC)].fixed = tt.fixed[n]
				n++
			})
			pr := platform.NewProgress(nil, nil)
			pub, err := e.c.Publish(context.Background(), testAuth(), request("REELS", "x", mp4("https://m/1.mp4")), pr)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				v := pr.Values()
				if v[KeyGeneration] != "2" || v[ContainerKey(1)] == v[ContainerKey(2)] || v["part1.post_id"] != pub.RemoteID {
					t.Errorf("progress %v", v)
				}
			} else if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("err = %v, want %v saying %q", err, tt.want, tt.says)
			}
			e.f.mu.Lock()
			made := n
			e.f.mu.Unlock()
			if got := len(e.f.paramsOf("POST /" + testUser + "/media")); got != tt.creates || made != tt.creates {
				t.Errorf("%d containers created, want %d", got, tt.creates)
			}
			if got, want := e.f.count("POST /"+testUser+"/media_publish"), map[bool]int{true: 1, false: 0}[tt.want == nil]; got != want {
				t.Errorf("%d publish calls, want %d", got, want)
			}
		})
	}
}

func TestPublishCallErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		key    string
		status int
		answer string
		header map[string]string
		want   error
		says   string
		check  func(t *testing.T, err error)
	}{
		{name: "caption refused", key: "POST /" + testUser + "/media", status: 400, answer: "error_caption.json",
			want: platform.ErrRejected, says: "The caption is too long"},
		{name: "server error on create changes nothing", key: "POST /" + testUser + "/media", status: 500, answer: "error_transient.json",
			want: platform.ErrTransient},
		{name: "not a tester", key: "POST /" + testUser + "/media", status: 400, answer: "error_not_tester.json",
			want: platform.ErrAuth, says: "not an accepted tester"},
		{name: "token expired", key: "POST /" + testUser + "/media", status: 400, answer: "error_token_expired.json",
			want: platform.ErrAuth},
		{name: "server error on publish", key: "POST /" + testUser + "/media_publish", status: 500, answer: "error_transient.json",
			want: platform.ErrOutcomeUnknown},
		{name: "quota reached", key: "POST /" + testUser + "/media_publish", status: 400, answer: "error_quota.json",
			want: platform.ErrRateLimited, check: func(t *testing.T, err error) {
				if at, ok := platform.RetryAt(err); !ok || !at.Equal(testNow.Add(time.Hour)) {
					t.Errorf("RetryAt %v", at)
				}
			}},
		{name: "throttled with a usage header", key: "POST /" + testUser + "/media", status: 400, answer: "error_throttled.json",
			header: map[string]string{"X-Business-Use-Case-Usage": `{"17841400000000001":[{"type":"instagram","call_count":100,"estimated_time_to_regain_access":12}]}`},
			want:   platform.ErrRateLimited, check: func(t *testing.T, err error) {
				if at, _ := platform.RetryAt(err); !at.Equal(testNow.Add(12 * time.Minute)) {
					t.Errorf("RetryAt %v", at)
				}
			}},
		{name: "unreadable publish answer", key: "POST /" + testUser + "/media_publish", status: 200, answer: "insights_empty.json",
			want: platform.ErrOutcomeUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.f.handle(tt.key, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				writeJSON(w, tt.status, fixture(t, tt.answer))
			})
			pr := platform.NewProgress(nil, nil)
			_, err := e.c.Publish(context.Background(), testAuth(), request("IMAGE", "x", jpeg("https://m/1.jpg", "")), pr)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("err = %v (kind %v), want %v saying %q", err, platform.KindOf(err), tt.want, tt.says)
			}
			if _, ok := pr.Get("part1.post_id"); ok {
				t.Error("a media id was recorded for a failed publish")
			}
			e.assertNoSecrets(t, err)
			if tt.check != nil {
				tt.check(t, err)
			}
		})
	}
}

// Meta may echo a media link in its refusal, and the reason is shown on
// the operator's screens and in alerts: neither the link nor its
// signature may appear in the error or the logs.
func TestPublishRefusalEchoesMediaLink(t *testing.T) {
	t.Parallel()
	const link = "https://snsos.example/m/7?exp=1900000000&sig=SiGnAtUrE-0042"
	tests := []struct {
		name string
		key  string // the call whose answer echoes the link
		echo http.HandlerFunc
		want error
		says string
	}{
		{name: "container refused", key: "POST /" + testUser + "/media", want: platform.ErrTransient, says: "could not be fetched",
			echo: func(w http.ResponseWriter, r *http.Request) {
				u := r.Form.Get("image_url")
				writeJSON(w, 400, fmt.Appendf(nil, `{"error":{"message":"Media could not be fetched from this URI: %s","type":"IGApiException",`+
					`"code":9004,"error_subcode":2207052,"error_user_title":"Media download has failed.","error_user_msg":"The media could not be fetched from %s"}}`, u, u))
			}},
		{name: "container status", key: "GET /17889455560051501", want: platform.ErrRejected, says: "video format is not supported",
			echo: func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, 200, []byte(`{"status_code":"ERROR","status":"Error: Media upload has failed with error code 2207026: `+
					link+`","id":"17889455560051501"}`))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.f.handle(tt.key, tt.echo)
			_, err := e.c.Publish(context.Background(), testAuth(), request("IMAGE", "x", jpeg(link, "")), platform.NewProgress(nil, nil))
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("err = %v (kind %v), want %v saying %q", err, platform.KindOf(err), tt.want, tt.says)
			}
			e.assertNoSecrets(t, err, "SiGnAtUrE-0042", link)
		})
	}
}
