package instagram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/meta"
)

// addMedia records a post as published earlier.
func (f *fake) addMedia(m *fakeMedia) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.media = append(f.media, m)
}

// earlier is the progress an earlier attempt left for container id, made
// at created and, when sent, sent for publishing 5 seconds later.
func earlier(id string, created time.Time, sent bool) map[string]string {
	p := map[string]string{"media_type": "IMAGE", ContainerKey(1): id, "g1.created": fmt.Sprint(created.Unix())}
	if sent {
		p["g1.publish_sent"] = created.Add(5 * time.Second).UTC().Format(time.RFC3339)
	}
	return p
}

func imageParams(caption string) url.Values {
	return url.Values{"image_url": {"https://m/1.jpg"}, "caption": {caption}}
}

func TestResume(t *testing.T) {
	t.Parallel()
	created := testNow.Add(-10 * time.Minute)
	tests := []struct {
		name      string
		fixed     string // the recorded container's status ("" finished, "none": unknown to Instagram)
		published bool
		progress  map[string]string
		want      error
		creates   int
		publishes int
		check     func(t *testing.T, e *env, v map[string]string, pub *platform.Published)
	}{
		{name: "PUBLISHED is live: no second publish", published: true, progress: earlier(fixtureContainer, created, true),
			check: func(t *testing.T, e *env, v map[string]string, pub *platform.Published) {
				if pub.RemoteID != "17920000000000042" || v["part1.post_id"] != "17920000000000042" || pub.URL == "" {
					t.Errorf("published %+v, progress %v", pub, v)
				}
			}},
		{name: "FINISHED is published once", progress: earlier(fixtureContainer, created, true), publishes: 1,
			check: func(t *testing.T, e *env, v map[string]string, pub *platform.Published) {
				if p := e.f.paramsOf("POST /" + testUser + "/media_publish")[0]; p.Get("creation_id") != fixtureContainer {
					t.Errorf("published %v", p)
				}
			}},
		{name: "EXPIRED starts a new generation", fixed: "expired", progress: earlier(fixtureContainer, created, false),
			creates: 1, publishes: 1, check: newGeneration},
		{name: "IN_PROGRESS past 24 hours counts as expired", fixed: "in_progress",
			progress: earlier(fixtureContainer, testNow.Add(-25*time.Hour), false), creates: 1, publishes: 1, check: newGeneration},
		{name: "retryable ERROR starts a new generation", fixed: "error_2207052", progress: earlier(fixtureContainer, created, false),
			creates: 1, publishes: 1, check: newGeneration},
		{name: "gone and never sent is expired", fixed: "none", progress: earlier("17889455560059999", created, false),
			creates: 1, publishes: 1, check: newGeneration},
		{name: "gone after a publish call is unknown", fixed: "none", progress: earlier("17889455560059999", created, true),
			want: platform.ErrOutcomeUnknown},
		{name: "final ERROR is refused", fixed: "error_2207026", progress: earlier(fixtureContainer, created, false),
			want: platform.ErrRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			if tt.fixed != "none" {
				c := e.f.addContainer(fixtureContainer, imageParams("Resume me"), createdAt(tt.progress["g1.created"]), tt.fixed)
				c.published = tt.published
			}
			if tt.published {
				// Two earlier posts with the same caption, one of them
				// minutes before this attempt's container: neither is ours.
				e.f.addMedia(&fakeMedia{ID: "17920000000000041", Caption: "Resume me", Timestamp: testNow.Add(-time.Hour).Format(meta.TimeLayout)})
				e.f.addMedia(&fakeMedia{ID: "17920000000000040", Caption: "Resume me", Timestamp: created.Add(-2 * time.Minute).Format(meta.TimeLayout)})
				e.f.addMedia(&fakeMedia{ID: "17920000000000042", Caption: "Resume  me", Timestamp: testNow.Add(-9 * time.Minute).Format(meta.TimeLayout),
					Permalink: "https://www.instagram.com/p/RES42/"})
				e.f.addMedia(&fakeMedia{ID: "17920000000000043", Caption: "Other", Timestamp: testNow.Add(-8 * time.Minute).Format(meta.TimeLayout)})
			}
			pr := platform.NewProgress(tt.progress, nil)
			pub, err := e.c.Publish(context.Background(), testAuth(), request("IMAGE", "Resume me", jpeg("https://m/1.jpg", "")), pr)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if n := len(e.f.paramsOf("POST /" + testUser + "/media")); n != tt.creates {
				t.Errorf("%d containers created, want %d", n, tt.creates)
			}
			if n := e.f.count("POST /" + testUser + "/media_publish"); n != tt.publishes {
				t.Errorf("%d publish calls, want %d", n, tt.publishes)
			}
			if tt.check != nil {
				tt.check(t, e, pr.Values(), pub)
			}
		})
	}
}

// newGeneration checks that a resume made generation 2 and left 1 alone.
func newGeneration(t *testing.T, e *env, v map[string]string, pub *platform.Published) {
	t.Helper()
	if v[KeyGeneration] != "2" || v[ContainerKey(2)] == "" || v[ContainerKey(1)] == v[ContainerKey(2)] ||
		v["g2.created"] != fmt.Sprint(testNow.Unix()) || v["part1.post_id"] != pub.RemoteID {
		t.Errorf("progress %v", v)
	}
	if p := e.f.paramsOf("POST /" + testUser + "/media_publish")[0]; p.Get("creation_id") != v[ContainerKey(2)] {
		t.Errorf("published %v", p)
	}
}

// TestResumeContinue: a video still processing when the budget runs out
// gives a Continue; the next call publishes it once.
func TestResumeContinue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.f.readyAfter = func(p url.Values) int {
		if p.Get("video_url") != "" {
			return 1000
		}
		return 0
	}
	req := request("CAROUSEL", "Two clips", mp4("https://m/1.mp4"), jpeg("https://m/2.jpg", ""))
	pr := platform.NewProgress(nil, nil)
	_, err := e.c.Publish(context.Background(), testAuth(), req, pr)
	var cont *platform.Continue
	if !errors.As(err, &cont) || cont.After != 30*time.Second || !strings.Contains(cont.Step, "carousel items") {
		t.Fatalf("err = %v, want a Continue", err)
	}
	var slept time.Duration
	for _, d := range e.clk.sleeps() {
		slept += d
	}
	if slept > 90*time.Second || slept < 60*time.Second {
		t.Errorf("slept %v in one call (budget 90 s)", e.clk.sleeps())
	}
	v := pr.Values()
	if v[ItemKey(1, 1)] == "" || v[ItemKey(1, 2)] == "" || v[ContainerKey(1)] != "" {
		t.Errorf("progress %v: both items and no parent", v)
	}
	e.f.mu.Lock()
	e.f.containers[v[ItemKey(1, 1)]].readyAfter = 0
	e.f.mu.Unlock()
	pub, err := e.c.Publish(context.Background(), testAuth(), req, platform.NewProgress(v, nil))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(e.f.paramsOf("POST /" + testUser + "/media")); n != 3 {
		t.Errorf("%d containers created (2 items once, then the parent)", n)
	}
	if n := e.f.count("POST /" + testUser + "/media_publish"); n != 1 || pub.RemoteID == "" {
		t.Errorf("%d publish calls, published %+v", n, pub)
	}
}

// TestResumeLostPublish: the answer to media_publish is lost after the post
// went live; FindPost finds it through the container's PUBLISHED state, and
// a resumed Publish returns it without publishing again.
func TestResumeLostPublish(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) {
		c.HTTP = platform.NewHTTPClient(platform.HTTPOptions{Now: c.Now, Timeout: 300 * time.Millisecond})
	})
	e.f.handle("POST /"+testUser+"/media_publish", func(w http.ResponseWriter, r *http.Request) {
		e.f.commit(r.Form.Get("creation_id"))
		<-r.Context().Done()
	})
	req := request("IMAGE", "Lost answer", jpeg("https://m/1.jpg", ""))
	pr := platform.NewProgress(nil, nil)
	_, err := e.c.Publish(context.Background(), testAuth(), req, pr)
	if !errors.Is(err, platform.ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want outcome unknown", err)
	}
	v := pr.Values()
	if v["g1.publish_sent"] != testNow.Format(time.RFC3339) || v["part1.post_id"] != "" {
		t.Errorf("progress %v", v)
	}
	posts := e.f.posts()
	if len(posts) != 1 {
		t.Fatalf("posts %+v", posts)
	}
	found, err := e.c.FindPost(context.Background(), testAuth(), platform.PostQuery{Text: "Lost answer", Part: 1,
		Since: testNow.Add(-time.Minute), Progress: v})
	if err != nil || found.ID != posts[0].ID || found.URL != posts[0].Permalink || !found.CreatedAt.Equal(testNow) {
		t.Fatalf("FindPost %+v %v", found, err)
	}
	e.f.handle("POST /"+testUser+"/media_publish", nil)
	pub, err := e.c.Publish(context.Background(), testAuth(), req, platform.NewProgress(v, nil))
	if err != nil || pub.RemoteID != posts[0].ID {
		t.Fatalf("resumed %+v %v", pub, err)
	}
	if n := e.f.count("POST /" + testUser + "/media_publish"); n != 1 {
		t.Errorf("%d publish calls", n)
	}
	if n := len(e.f.posts()); n != 1 {
		t.Errorf("%d posts", n)
	}
}

// TestResumeRecordedMedia: a recorded media id means the post is live:
// only the permalink is read.
func TestResumeRecordedMedia(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.f.addMedia(&fakeMedia{ID: "17920000000000042", Caption: "x", Timestamp: testNow.Format(meta.TimeLayout), Permalink: "https://www.instagram.com/p/X/"})
	pr := platform.NewProgress(map[string]string{"part1.post_id": "17920000000000042", ContainerKey(1): fixtureContainer}, nil)
	pub, err := e.c.Publish(context.Background(), testAuth(), request("IMAGE", "x", jpeg("https://m/1.jpg", "")), pr)
	if err != nil || pub.RemoteID != "17920000000000042" || pub.URL != "https://www.instagram.com/p/X/" {
		t.Fatalf("published %+v %v", pub, err)
	}
	if calls := e.f.callList(); len(calls) != 1 || calls[0] != "GET /17920000000000042" {
		t.Errorf("calls %v", calls)
	}
	// Live is live, even if the request would now be refused.
	png := platform.Media{MIME: "image/png", URL: "https://m/1.png"}
	if pub, err := e.c.Publish(context.Background(), testAuth(), request("IMAGE", "x", png), pr); err != nil || pub.RemoteID != "17920000000000042" {
		t.Errorf("published %+v %v", pub, err)
	}
}

// TestProgressNotSaved: when an id cannot be saved, nothing further is sent.
func TestProgressNotSaved(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pr := platform.NewProgress(nil, func(_ context.Context, k, _ string) error {
		if k == ContainerKey(1) {
			return errors.New("disk full")
		}
		return nil
	})
	_, err := e.c.Publish(context.Background(), testAuth(), request("IMAGE", "x", jpeg("https://m/1.jpg", "")), pr)
	if !errors.Is(err, platform.ErrProgressNotSaved) {
		t.Fatalf("err = %v", err)
	}
	if calls := e.f.callList(); len(calls) != 1 {
		t.Errorf("calls after a failed save: %v", calls)
	}
}

// TestResumePublishedFirstComment: a post whose publish answer was lost
// and that a resumed Publish finds through its PUBLISHED container gets
// its first comment, as on the normal path, and only once.
func TestResumePublishedFirstComment(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.FirstComment = true })
	created := testNow.Add(-10 * time.Minute)
	e.f.addContainer(fixtureContainer, imageParams("Resume me"), created, "").published = true
	e.f.addMedia(&fakeMedia{ID: "17920000000000042", Caption: "Resume me", Timestamp: testNow.Add(-9 * time.Minute).Format(meta.TimeLayout),
		Permalink: "https://www.instagram.com/p/RES42/"})
	req := withOption(request("IMAGE", "Resume me", jpeg("https://m/1.jpg", "")), "first_comment", "#late #but #there")
	pr := platform.NewProgress(earlier(fixtureContainer, created, true), nil)
	for range 2 {
		pub, err := e.c.Publish(context.Background(), testAuth(), req, pr)
		if err != nil || pub.RemoteID != "17920000000000042" {
			t.Fatalf("published %+v, %v", pub, err)
		}
	}
	calls := e.f.paramsOf("POST /17920000000000042/comments")
	if len(calls) != 1 || calls[0].Get("message") != "#late #but #there" {
		t.Errorf("comment calls %v", calls)
	}
	if v := pr.Values(); v[KeyCommentSent] != "1" || v[KeyCommentID] != "17870913679156914" || e.f.count("POST /"+testUser+"/media_publish") != 0 {
		t.Errorf("progress %v", v)
	}
}
