package threads

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/platform"
)

func textReq(parts ...string) *platform.PublishRequest {
	req := &platform.PublishRequest{Options: map[string]any{OptionMediaType: MediaText}}
	for _, p := range parts {
		req.Parts = append(req.Parts, platform.Part{Text: p})
	}
	return req
}

func image(n string) platform.Media {
	return platform.Media{MIME: "image/jpeg", Size: 1000, URL: "https://media.example.com/" + n + ".jpg?sig=abc", AltText: "alt " + n}
}

func video(n string) platform.Media {
	return platform.Media{MIME: "video/mp4", Size: 5000, URL: "https://media.example.com/" + n + ".mp4?sig=abc"}
}

func TestPublishText(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	c, _ := newClient(t, srv.URL)
	rec := &recorder{}
	req := textReq("Hello Threads")
	req.Options[OptionTopicTag] = "sns-os"
	req.Options[OptionLinkAttachment] = "https://sns.example.com/"
	pub, err := c.Publish(context.Background(), testAuth(), req, platform.NewProgress(nil, rec.save))
	if err != nil {
		t.Fatal(err)
	}
	if pub.RemoteID != "18000000000000002" || !slices.Equal(pub.PartIDs, []string{"18000000000000002"}) ||
		pub.URL != "https://www.threads.net/@operator/post/P0002" || !pub.PublishedAt.Equal(testNow) {
		t.Errorf("published %+v", pub)
	}
	want := []string{"part1.container", "part1.created", "part1.publish_sent", "part1.post_id"}
	if !slices.Equal(rec.keys(), want) {
		t.Errorf("saved %v, want %v", rec.saved, want)
	}
	forms := f.formsOf("POST /" + testUserID + "/threads")
	if len(forms) != 1 {
		t.Fatalf("containers %v", forms)
	}
	got := forms[0]
	for k, v := range map[string]string{"media_type": "TEXT", "text": "Hello Threads", "topic_tag": "sns-os",
		"link_attachment": "https://sns.example.com/", "reply_to_id": ""} {
		if got.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, got.Get(k), v)
		}
	}
	if p := f.formsOf("POST /" + testUserID + "/threads_publish"); len(p) != 1 || p[0].Get("creation_id") != "18000000000000001" {
		t.Errorf("publish calls %v", p)
	}
	// The docs advise waiting for FINISHED even for text: one status read.
	if n := f.count("GET /18000000000000001"); n != 1 {
		t.Errorf("status reads %d", n)
	}
}

func TestPublishImageAndVideo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mt    string
		media platform.Media
		field string
	}{{MediaImage, image("a"), "image_url"}, {MediaVideo, video("v"), "video_url"}} {
		t.Run(tc.mt, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t)
			// The video is processed for a while.
			f.onCreate = func(url.Values) []string {
				return []string{"status_in_progress.json", "status_in_progress.json", "status_finished.json"}
			}
			c, sl := newClient(t, srv.URL)
			req := &platform.PublishRequest{Parts: []platform.Part{{Text: "caption", Media: []platform.Media{tc.media}}},
				Options: map[string]any{OptionMediaType: tc.mt}}
			if _, err := c.Publish(context.Background(), testAuth(), req, platform.NewProgress(nil, nil)); err != nil {
				t.Fatal(err)
			}
			form := f.formsOf("POST /" + testUserID + "/threads")[0]
			if form.Get("media_type") != tc.mt || form.Get("text") != "caption" || form.Get(tc.field) != tc.media.URL ||
				form.Get("alt_text") != tc.media.AltText || form.Get("is_carousel_item") != "" {
				t.Errorf("container %v", form)
			}
			if !slices.Equal(sl.slept, []time.Duration{time.Second, 2 * time.Second}) {
				t.Errorf("slept %v", sl.slept)
			}
		})
	}
}

func TestPublishCarousel(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	f.onCreate = func(p url.Values) []string {
		if p.Get("media_type") == MediaVideo {
			return []string{"status_in_progress.json", "status_finished.json"}
		}
		return []string{"status_finished.json"}
	}
	c, _ := newClient(t, srv.URL)
	req := &platform.PublishRequest{Parts: []platform.Part{{Text: "three things",
		Media: []platform.Media{image("1"), video("2"), image("3")}}}, Options: map[string]any{OptionMediaType: MediaCarousel}}
	pr := platform.NewProgress(nil, nil)
	pub, err := c.Publish(context.Background(), testAuth(), req, pr)
	if err != nil {
		t.Fatal(err)
	}
	forms := f.formsOf("POST /" + testUserID + "/threads")
	if len(forms) != 4 {
		t.Fatalf("%d containers", len(forms))
	}
	for i, want := range []string{MediaImage, MediaVideo, MediaImage} {
		if forms[i].Get("media_type") != want || forms[i].Get("is_carousel_item") != "true" || forms[i].Get("text") != "" {
			t.Errorf("item %d: %v", i+1, forms[i])
		}
	}
	parent := forms[3]
	if parent.Get("media_type") != MediaCarousel || parent.Get("children") != "18000000000000001,18000000000000002,18000000000000003" ||
		parent.Get("text") != "three things" {
		t.Errorf("carousel %v", parent)
	}
	v := pr.Values()
	if v["part1.item2.container"] != "18000000000000002" || v["part1.container"] != "18000000000000004" || v["part1.post_id"] != pub.RemoteID {
		t.Errorf("progress %v", v)
	}
}

func TestPublishReplyChain(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	c, _ := newClient(t, srv.URL)
	pr := platform.NewProgress(nil, nil)
	pub, err := c.Publish(context.Background(), testAuth(), textReq("one", "two", "three"), pr)
	if err != nil {
		t.Fatal(err)
	}
	if len(pub.PartIDs) != 3 || pub.RemoteID != pub.PartIDs[0] {
		t.Fatalf("published %+v", pub)
	}
	forms := f.formsOf("POST /" + testUserID + "/threads")
	for i, form := range forms {
		want := ""
		if i > 0 {
			want = pub.PartIDs[i-1]
		}
		if form.Get("reply_to_id") != want || form.Get("text") != []string{"one", "two", "three"}[i] {
			t.Errorf("part %d container %v", i+1, form)
		}
	}
	for n, id := range pub.PartIDs {
		if got, _ := pr.Get(platform.PartIDKey(n + 1)); got != id {
			t.Errorf("part %d id %q, saved %q", n+1, id, got)
		}
	}
}

// A 3-part chain whose attempt crashed after part 2 went live resumes with
// part 3 only, replying to part 2.
func TestPublishResumeChain(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	c, _ := newClient(t, srv.URL)
	pr := platform.NewProgress(map[string]string{
		"part1.container": "17000000000000001", "part1.publish_sent": "2026-11-28T11:00:00Z", "part1.post_id": "18050000000000001",
		"part2.container": "17000000000000002", "part2.publish_sent": "2026-11-28T11:00:05Z", "part2.post_id": "18050000000000002",
	}, nil)
	pub, err := c.Publish(context.Background(), testAuth(), textReq("one", "two", "three"), pr)
	if err != nil {
		t.Fatal(err)
	}
	forms := f.formsOf("POST /" + testUserID + "/threads")
	if len(forms) != 1 || forms[0].Get("text") != "three" || forms[0].Get("reply_to_id") != "18050000000000002" {
		t.Fatalf("containers %v", forms)
	}
	if !slices.Equal(pub.PartIDs, []string{"18050000000000001", "18050000000000002", "18000000000000002"}) {
		t.Errorf("part ids %v", pub.PartIDs)
	}
	if f.count("GET /17000000000000001")+f.count("GET /17000000000000002") != 0 {
		t.Error("finished parts' containers were read")
	}
}

// A container found PUBLISHED on resume is live: its id is looked up, and
// no second publish is sent.
func TestPublishResumePublishedContainer(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	f.addContainer("17000000000000001", "status_published.json")
	f.addPost(fakePost{id: "18050000000000077", text: "Hello  Threads", at: testNow.Add(-time.Minute)})
	f.addPost(fakePost{id: "18050000000000078", text: "Another post", at: testNow})
	f.addPost(fakePost{id: "18050000000000079", text: "Hello Threads", at: testNow}) // a later post with the same text
	c, _ := newClient(t, srv.URL)
	rec := &recorder{}
	pr := platform.NewProgress(map[string]string{"part1.container": "17000000000000001",
		"part1.publish_sent": testNow.Add(-time.Minute).Format(time.RFC3339)}, rec.save)
	pub, err := c.Publish(context.Background(), testAuth(), textReq("Hello Threads"), pr)
	if err != nil {
		t.Fatal(err)
	}
	if n := f.count("POST /" + testUserID + "/threads_publish"); n != 0 {
		t.Fatalf("%d publish calls on a published container", n)
	}
	if n := f.count("POST /" + testUserID + "/threads"); n != 0 {
		t.Fatalf("%d containers made", n)
	}
	if pub.RemoteID != "18050000000000077" || !slices.Equal(rec.saved, []string{"part1.post_id=18050000000000077"}) {
		t.Errorf("published %+v, saved %v", pub, rec.saved)
	}
	// The search was bounded by the publish call's time.
	q := f.formsOf("GET /" + testUserID + "/threads")[0]
	if q.Get("since") != strconv.FormatInt(testNow.Add(-3*time.Minute).Unix(), 10) { // 11:59 minus the clock skew allowance
		t.Errorf("search since %q", q.Get("since"))
	}
}

// A published container whose post Threads does not list is live but
// unknown: the engine reconciles instead of publishing again.
func TestPublishResumePublishedNotListed(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	f.addContainer("17000000000000001", "status_published.json")
	c, _ := newClient(t, srv.URL)
	pr := platform.NewProgress(map[string]string{"part1.container": "17000000000000001",
		"part1.publish_sent": testNow.Format(time.RFC3339)}, nil)
	_, err := c.Publish(context.Background(), testAuth(), textReq("Hello"), pr)
	if platform.KindOf(err) != platform.KindOutcomeUnknown || f.count("POST /"+testUserID+"/threads_publish") != 0 {
		t.Fatalf("err %v", err)
	}
}

func TestPublishResumeStates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		script    []string // of the recorded container; "" = Threads does not know it
		sent      bool
		wantKind  platform.Kind
		contains  string
		published int // publish calls
		created   int // new containers
		newGen    bool
	}{
		{"finished is published", []string{"status_finished.json"}, false, 0, "", 1, 0, false},
		{"finished after a lost publish is published", []string{"status_finished.json"}, true, 0, "", 1, 0, false},
		{"in progress is waited on", []string{"status_in_progress.json", "status_finished.json"}, false, 0, "", 1, 0, false},
		{"expired gets a new container", []string{"status_expired.json"}, false, 0, "", 1, 1, true},
		{"download failure gets a new container", []string{"status_error_download.json"}, false, 0, "", 1, 1, true},
		{"format failure is final", []string{"status_error_aspect.json"}, false, platform.KindRejected, "aspect ratio", 0, 0, false},
		{"vanished before publishing", nil, false, 0, "", 1, 1, true},
		{"vanished after a publish call", nil, true, platform.KindOutcomeUnknown, "may be live", 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t)
			if tc.script != nil {
				f.addContainer("17000000000000001", tc.script...)
			}
			c, _ := newClient(t, srv.URL)
			saved := map[string]string{"part1.container": "17000000000000001"}
			if tc.sent {
				saved["part1.publish_sent"] = testNow.Add(-time.Hour).Format(time.RFC3339)
			}
			pr := platform.NewProgress(saved, nil)
			pub, err := c.Publish(context.Background(), testAuth(), textReq("Hello"), pr)
			if tc.wantKind == 0 && err != nil || tc.wantKind != 0 && platform.KindOf(err) != tc.wantKind {
				t.Fatalf("err %v (kind %v), want %v", err, platform.KindOf(err), tc.wantKind)
			}
			if err != nil && !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not say %q", err, tc.contains)
			}
			if n := f.count("POST /" + testUserID + "/threads_publish"); n != tc.published {
				t.Errorf("%d publish calls, want %d", n, tc.published)
			}
			if n := f.count("POST /" + testUserID + "/threads"); n != tc.created {
				t.Errorf("%d containers made, want %d", n, tc.created)
			}
			v := pr.Values()
			if v["part1.container"] != "17000000000000001" {
				t.Errorf("the recorded container was overwritten: %v", v)
			}
			if tc.newGen && (v[GenKey(1)] != "2" || v[ContainerKey(1, 2)] == "" || pub == nil) {
				t.Errorf("progress %v", v)
			}
			if tc.published == 1 {
				pubs := f.formsOf("POST /" + testUserID + "/threads_publish")
				want := "17000000000000001"
				if tc.newGen {
					want = v[ContainerKey(1, 2)]
				}
				if pubs[0].Get("creation_id") != want {
					t.Errorf("published %v, want %s", pubs[0], want)
				}
			}
		})
	}
}

func TestPublishContainerFailures(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	f.onCreate = func(url.Values) []string { return []string{"status_error_download.json"} }
	c, _ := newClient(t, srv.URL)
	pr := platform.NewProgress(nil, nil)
	req := &platform.PublishRequest{Parts: []platform.Part{{Media: []platform.Media{video("v")}}}, Options: map[string]any{OptionMediaType: MediaVideo}}
	_, err := c.Publish(context.Background(), testAuth(), req, pr)
	if platform.KindOf(err) != platform.KindTransient || !strings.Contains(err.Error(), "could not download the video") {
		t.Fatalf("err %v", err)
	}
	// One new generation per call for a media failure; the engine retries later.
	if n := f.count("POST /" + testUserID + "/threads"); n != 2 {
		t.Errorf("%d containers", n)
	}
	if v := pr.Values(); v[GenKey(1)] != "2" || v[ContainerKey(1, 1)] == v[ContainerKey(1, 2)] {
		t.Errorf("progress %v", v)
	}
	// Later calls keep making new generations up to the bound, then give up.
	for range 3 {
		_, err = c.Publish(context.Background(), testAuth(), req, pr)
	}
	if platform.KindOf(err) != platform.KindRejected || !strings.Contains(err.Error(), "gave up after 5 sets of containers") {
		t.Fatalf("err %v", err)
	}
	if n := f.count("POST /" + testUserID + "/threads_publish"); n != 0 {
		t.Errorf("%d publish calls", n)
	}

	f2, srv2 := newFake(t)
	f2.onCreate = func(url.Values) []string { return []string{"status_error_duration.json"} }
	c2, _ := newClient(t, srv2.URL)
	_, err = c2.Publish(context.Background(), testAuth(), req, platform.NewProgress(nil, nil))
	if platform.KindOf(err) != platform.KindRejected || !strings.Contains(err.Error(), "too long for Threads (at most 5 minutes)") ||
		f2.count("POST /"+testUserID+"/threads") != 1 {
		t.Fatalf("err %v", err)
	}
}

func TestPublishContinue(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	f.onCreate = func(url.Values) []string { return []string{"status_in_progress.json"} }
	c, sl := newClient(t, srv.URL)
	pr := platform.NewProgress(nil, nil)
	req := &platform.PublishRequest{Parts: []platform.Part{{Media: []platform.Media{video("v")}}}}
	_, err := c.Publish(context.Background(), testAuth(), req, pr)
	d, ok := platform.ContinueAfter(err)
	if !ok || d != 30*time.Second {
		t.Fatalf("err %v", err)
	}
	if _, ok := pr.Get("part1.container"); !ok || f.count("POST /"+testUserID+"/threads_publish") != 0 {
		t.Errorf("progress %v", pr.Values())
	}
	var spent time.Duration
	for _, s := range sl.slept {
		spent += s
	}
	if spent > 90*time.Second || sl.count() < 4 {
		t.Errorf("slept %v", sl.slept)
	}
	// The next call resumes the same container.
	f.mu.Lock()
	f.containers[pr.Values()["part1.container"]].script = []string{"status_finished.json"}
	f.mu.Unlock()
	if _, err := c.Publish(context.Background(), testAuth(), req, pr); err != nil {
		t.Fatal(err)
	}
	if n := f.count("POST /" + testUserID + "/threads"); n != 1 {
		t.Errorf("%d containers", n)
	}
}

// Publishing too early answers code 24: the container's status decides.
func TestPublishTooEarly(t *testing.T) {
	t.Parallel()
	t.Run("in progress waits and publishes", func(t *testing.T) {
		t.Parallel()
		f, srv := newFake(t)
		f.tooEarly = 1
		f.onCreate = func(url.Values) []string {
			return []string{"status_finished.json", "status_in_progress.json", "status_in_progress.json", "status_finished.json"}
		}
		c, sl := newClient(t, srv.URL)
		pub, err := c.Publish(context.Background(), testAuth(), textReq("early"), platform.NewProgress(nil, nil))
		if err != nil {
			t.Fatal(err)
		}
		if n := f.count("POST /" + testUserID + "/threads_publish"); n != 2 || pub.RemoteID == "" || sl.count() != 1 {
			t.Errorf("%d publish calls, %v slept, %+v", n, sl.slept, pub)
		}
	})
	t.Run("finished tries again shortly", func(t *testing.T) {
		t.Parallel()
		f, srv := newFake(t)
		f.tooEarly = 1
		c, _ := newClient(t, srv.URL)
		pr := platform.NewProgress(nil, nil)
		_, err := c.Publish(context.Background(), testAuth(), textReq("early"), pr)
		at, ok := platform.RetryAt(err)
		if platform.KindOf(err) != platform.KindRateLimited || !ok || !at.Equal(testNow.Add(30*time.Second)) {
			t.Fatalf("err %v", err)
		}
		if _, err := c.Publish(context.Background(), testAuth(), textReq("early"), pr); err != nil {
			t.Fatal(err)
		}
		if n := f.count("POST /" + testUserID + "/threads"); n != 1 {
			t.Errorf("%d containers", n)
		}
	})
	t.Run("published is live", func(t *testing.T) {
		t.Parallel()
		f, srv := newFake(t)
		f.override["POST /"+testUserID+"/threads_publish"] = func(w http.ResponseWriter, r *http.Request) {
			f.publish(httptestDiscard{}, r) // the post goes live, the answer says code 24
			writeJSON(w, 400, fixture(t, "error_too_early.json"))
		}
		c, _ := newClient(t, srv.URL)
		pub, err := c.Publish(context.Background(), testAuth(), textReq("early"), platform.NewProgress(nil, nil))
		if err != nil || pub.RemoteID != "18000000000000002" {
			t.Fatalf("%+v, %v", pub, err)
		}
	})
}

// httptestDiscard is a ResponseWriter that drops everything.
type httptestDiscard struct{}

func (httptestDiscard) Header() http.Header         { return http.Header{} }
func (httptestDiscard) Write(b []byte) (int, error) { return len(b), nil }
func (httptestDiscard) WriteHeader(int)             {}

// A publish whose answer is lost is outcome-unknown; FindPost then finds
// the post from the recorded container.
func TestPublishTimeoutThenFindPost(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	f.hangPublish = true
	c, _ := newClient(t, srv.URL, func(cfg *Config) {
		cfg.HTTP = platform.NewHTTPClient(platform.HTTPOptions{Now: func() time.Time { return testNow }, Timeout: 300 * time.Millisecond})
	})
	pr := platform.NewProgress(nil, nil)
	_, err := c.Publish(context.Background(), testAuth(), textReq("lost answer"), pr)
	if platform.KindOf(err) != platform.KindOutcomeUnknown {
		t.Fatalf("err %v", err)
	}
	if _, ok := pr.Get(platform.PartIDKey(1)); ok {
		t.Fatal("a post id was recorded without an answer")
	}
	found, err := c.FindPost(context.Background(), testAuth(), platform.PostQuery{Text: "lost answer", Since: testNow.Add(-time.Minute),
		Part: 1, Progress: pr.Values()})
	if err != nil {
		t.Fatal(err)
	}
	if found.ID != "18000000000000002" || found.URL != "https://www.threads.net/@operator/post/P0002" {
		t.Errorf("found %+v", found)
	}
}

// A failure of part 2 leaves part 1 recorded: the engine ends the chain as
// a partial publication, as with X threads.
func TestPublishChainPartFails(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	n := 0
	f.override["POST /"+testUserID+"/threads"] = func(w http.ResponseWriter, r *http.Request) {
		if n++; n == 2 {
			writeJSON(w, 400, fixture(t, "error_text_too_long.json"))
			return
		}
		f.create(w, r)
	}
	c, _ := newClient(t, srv.URL)
	pr := platform.NewProgress(nil, nil)
	_, err := c.Publish(context.Background(), testAuth(), textReq("one", strings.Repeat("😀", 130), "three"), pr)
	if platform.KindOf(err) != platform.KindRejected || !strings.Contains(err.Error(), "create container (part 2 of 3)") ||
		!strings.Contains(err.Error(), "longer than the 500 characters") {
		t.Fatalf("err %v", err)
	}
	v := pr.Values()
	if v[platform.PartIDKey(1)] == "" || v[platform.PartIDKey(2)] != "" || v["part2.container"] != "" {
		t.Errorf("progress %v", v)
	}
}

func TestPublishRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		key      string
		status   int
		body     string
		header   http.Header
		want     platform.Kind
		contains string
	}{
		{"link limit", "POST /" + testUserID + "/threads", 400, "error_link_limit.json", nil, platform.KindRejected, "at most 5 different links"},
		{"text too long", "POST /" + testUserID + "/threads", 400, "error_text_too_long.json", nil, platform.KindRejected, "500 characters"},
		{"throttled", "POST /" + testUserID + "/threads", 400, "error_throttled.json",
			http.Header{"X-Business-Use-Case-Usage": {`{"25000000000000001":[{"type":"threads","call_count":100,"estimated_time_to_regain_access":12}]}`}},
			platform.KindRateLimited, "request limit"},
		{"token expired", "POST /" + testUserID + "/threads", 400, "error_token_invalid.json", nil, platform.KindAuth, "Error validating access token"},
		{"html outage on create", "POST /" + testUserID + "/threads", 502, "error_bad_gateway.html", nil, platform.KindTransient, "502"},
		{"unknown error on publish", "POST /" + testUserID + "/threads_publish", 500, "error_unknown.json", nil, platform.KindOutcomeUnknown, "unknown error"},
		{"html outage on publish", "POST /" + testUserID + "/threads_publish", 502, "error_bad_gateway.html", nil, platform.KindOutcomeUnknown, "502"},
		{"unreadable publish answer", "POST /" + testUserID + "/threads_publish", 200, "error_bad_gateway.html", nil, platform.KindOutcomeUnknown, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t)
			f.override[tc.key] = func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header()[k] = v
				}
				if strings.HasSuffix(tc.body, ".html") {
					w.Header().Set("Content-Type", "text/html")
					w.WriteHeader(tc.status)
					w.Write(fixture(t, tc.body))
					return
				}
				writeJSON(w, tc.status, fixture(t, tc.body))
			}
			c, _ := newClient(t, srv.URL)
			_, err := c.Publish(context.Background(), testAuth(), textReq("Hello https://a.example"), platform.NewProgress(nil, nil))
			if platform.KindOf(err) != tc.want || !strings.Contains(err.Error(), tc.contains) {
				t.Fatalf("err %v (kind %v), want %v with %q", err, platform.KindOf(err), tc.want, tc.contains)
			}
			if tc.want == platform.KindRateLimited {
				if at, _ := platform.RetryAt(err); !at.Equal(testNow.Add(12 * time.Minute)) {
					t.Errorf("retry at %v", at)
				}
			}
			if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), testSecret) {
				t.Errorf("secret in %v", err)
			}
		})
	}
}

func TestPublishPlanRefusals(t *testing.T) {
	t.Parallel()
	_, srv := newFake(t)
	c, _ := newClient(t, srv.URL)
	tests := []struct {
		name     string
		req      *platform.PublishRequest
		contains string
	}{
		{"empty", &platform.PublishRequest{}, "nothing to post"},
		{"text with media", &platform.PublishRequest{Parts: []platform.Part{{Text: "x", Media: []platform.Media{image("a")}}},
			Options: map[string]any{OptionMediaType: MediaText}}, "cannot carry media"},
		{"one-item carousel", &platform.PublishRequest{Parts: []platform.Part{{Media: []platform.Media{image("a")}}},
			Options: map[string]any{OptionMediaType: MediaCarousel}}, "2 to 20"},
		{"video as image", &platform.PublishRequest{Parts: []platform.Part{{Media: []platform.Media{video("a")}}},
			Options: map[string]any{OptionMediaType: MediaImage}}, "video/mp4"},
		{"no public link", &platform.PublishRequest{Parts: []platform.Part{{Media: []platform.Media{{MIME: "image/png"}}}}}, "no public link"},
		{"pdf", &platform.PublishRequest{Parts: []platform.Part{{Media: []platform.Media{{MIME: "application/pdf", URL: "https://a/b"}}}}}, "images and videos"},
		{"link on an image", &platform.PublishRequest{Parts: []platform.Part{{Media: []platform.Media{image("a")}}},
			Options: map[string]any{OptionLinkAttachment: "https://a.example"}}, "text-only"},
		{"reels", &platform.PublishRequest{Parts: []platform.Part{{Media: []platform.Media{video("a")}}},
			Options: map[string]any{OptionMediaType: "REELS"}}, `no media type "REELS"`},
		{"empty reply", textReq("one", " "), "part 2 of 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Publish(context.Background(), testAuth(), tc.req, nil)
			if platform.KindOf(err) != platform.KindRejected || !strings.Contains(err.Error(), tc.contains) {
				t.Fatalf("err %v, want %q", err, tc.contains)
			}
		})
	}
}

func TestPublishProgressNotSaved(t *testing.T) {
	t.Parallel()
	_, srv := newFake(t)
	c, _ := newClient(t, srv.URL)
	fail := errors.New("database down")
	pr := platform.NewProgress(nil, func(_ context.Context, k, _ string) error {
		if k == platform.PartIDKey(1) {
			return fail
		}
		return nil
	})
	_, err := c.Publish(context.Background(), testAuth(), textReq("x"), pr)
	if platform.KindOf(err) != platform.KindOutcomeUnknown || !errors.Is(err, platform.ErrProgressNotSaved) {
		t.Fatalf("err %v", err)
	}
	// A container that cannot be recorded is never published.
	f2, srv2 := newFake(t)
	c2, _ := newClient(t, srv2.URL)
	pr2 := platform.NewProgress(nil, func(context.Context, string, string) error { return fail })
	if _, err := c2.Publish(context.Background(), testAuth(), textReq("x"), pr2); !errors.Is(err, platform.ErrProgressNotSaved) ||
		f2.count("POST /"+testUserID+"/threads_publish") != 0 {
		t.Fatalf("err %v", err)
	}
}

// The permalink is a courtesy: failing to read it neither fails nor
// repeats the publication.
func TestPublishPermalinkFailure(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	f.override["GET /18000000000000002"] = func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 500, fixture(t, "error_unknown.json"))
	}
	c, _ := newClient(t, srv.URL)
	pub, err := c.Publish(context.Background(), testAuth(), textReq("x"), platform.NewProgress(nil, nil))
	if err != nil || pub.RemoteID != "18000000000000002" || pub.URL != "" || !pub.PublishedAt.Equal(testNow) {
		t.Fatalf("%+v %v", pub, err)
	}
	if n := f.count("POST /" + testUserID + "/threads_publish"); n != 1 {
		t.Errorf("%d publish calls", n)
	}
}

// A container still IN_PROGRESS 24 hours after it was made will never be
// published: new containers when no publish call was sent for it, else
// the outcome is unknown.
func TestPublishResumeStaleContainer(t *testing.T) {
	t.Parallel()
	dayAgo := testNow.Add(-25 * time.Hour).Format(time.RFC3339)
	carousel := &platform.PublishRequest{Parts: []platform.Part{{Text: "two", Media: []platform.Media{image("1"), image("2")}}},
		Options: map[string]any{OptionMediaType: MediaCarousel}}
	tests := []struct {
		name      string
		req       *platform.PublishRequest
		saved     map[string]string
		scripts   map[string]string // container id → status fixture
		wantKind  platform.Kind
		created   int // new containers
		published int
	}{
		{name: "never sent: a new generation", req: textReq("Hello"),
			saved:   map[string]string{"part1.container": "17000000000000001", "part1.created": dayAgo},
			scripts: map[string]string{"17000000000000001": "status_in_progress.json"}, created: 1, published: 1},
		{name: "a publish call was sent: unknown", req: textReq("Hello"),
			saved:    map[string]string{"part1.container": "17000000000000001", "part1.created": dayAgo, "part1.publish_sent": dayAgo},
			scripts:  map[string]string{"17000000000000001": "status_in_progress.json"},
			wantKind: platform.KindOutcomeUnknown},
		{name: "a carousel item: a new generation", req: carousel,
			saved: map[string]string{"part1.item1.container": "17000000000000001", "part1.item1.created": dayAgo,
				"part1.item2.container": "17000000000000002", "part1.item2.created": dayAgo},
			scripts: map[string]string{"17000000000000001": "status_finished.json", "17000000000000002": "status_in_progress.json"},
			created: 3, published: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t)
			for id, st := range tc.scripts {
				f.addContainer(id, st)
			}
			c, _ := newClient(t, srv.URL)
			pr := platform.NewProgress(tc.saved, nil)
			_, err := c.Publish(context.Background(), testAuth(), tc.req, pr)
			if tc.wantKind == 0 && err != nil || tc.wantKind != 0 && platform.KindOf(err) != tc.wantKind {
				t.Fatalf("err %v (kind %v), want %v", err, platform.KindOf(err), tc.wantKind)
			}
			if n := f.count("POST /" + testUserID + "/threads"); n != tc.created {
				t.Errorf("%d containers made, want %d", n, tc.created)
			}
			if n := f.count("POST /" + testUserID + "/threads_publish"); n != tc.published {
				t.Errorf("%d publish calls, want %d", n, tc.published)
			}
			v := pr.Values()
			if tc.created > 0 && (v[GenKey(1)] != "2" || v[ContainerKey(1, 2)] == "" || v["part1.gen2.created"] != testNow.Format(time.RFC3339)) {
				t.Errorf("progress %v", v)
			}
			for k, old := range tc.saved {
				if v[k] != old {
					t.Errorf("%s overwritten: %v", k, v)
				}
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
		key  string
		echo http.HandlerFunc
		want platform.Kind
	}{
		{"container refused", "POST /" + testUserID + "/threads", func(w http.ResponseWriter, r *http.Request) {
			u := r.PostForm.Get("image_url")
			writeJSON(w, 400, fmt.Appendf(nil, `{"error":{"message":"The media could not be fetched from %s","type":"THApiException","code":100,`+
				`"error_user_title":"Media download failed","error_user_msg":"Could not fetch %s"}}`, u, u))
		}, platform.KindRejected},
		{"container status", "GET /18000000000000001", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, []byte(`{"id":"18000000000000001","status":"ERROR","error_message":"could not read `+link+`"}`))
		}, platform.KindRejected},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t)
			f.override[tc.key] = tc.echo
			logs := &logBuffer{}
			c, _ := newClient(t, srv.URL, func(cfg *Config) {
				cfg.HTTP = platform.NewHTTPClient(platform.HTTPOptions{Now: func() time.Time { return testNow },
					Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			})
			req := &platform.PublishRequest{Parts: []platform.Part{{Text: "x", Media: []platform.Media{{MIME: "image/jpeg", URL: link}}}},
				Options: map[string]any{OptionMediaType: MediaImage}}
			_, err := c.Publish(context.Background(), testAuth(), req, platform.NewProgress(nil, nil))
			if platform.KindOf(err) != tc.want {
				t.Fatalf("err %v (kind %v), want %v", err, platform.KindOf(err), tc.want)
			}
			for _, secret := range []string{"SiGnAtUrE-0042", link, testToken, testSecret} {
				if strings.Contains(err.Error(), secret) || strings.Contains(logs.String(), secret) {
					t.Errorf("%q leaked: %v\n%s", secret, err, logs)
				}
			}
		})
	}
}
