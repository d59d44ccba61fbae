package instagram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/meta"
)

func TestFindPostFromProgress(t *testing.T) {
	t.Parallel()
	created := testNow.Add(-10 * time.Minute)
	story := earlier(fixtureContainer, created, true)
	story["media_type"] = "STORIES"
	legacy := earlier(fixtureContainer, created, true)
	legacy["g1.publish_sent"] = "1" // as an earlier version saved it
	twoGens := earlier(fixtureContainer, created, true)
	twoGens[KeyGeneration], twoGens[ContainerKey(2)], twoGens["g2.created"] = "2", "17889455560051777", fmt.Sprint(testNow.Unix())
	untimed := map[string]string{"media_type": "IMAGE", ContainerKey(1): fixtureContainer, "g1.publish_sent": "1"}
	staleStory := earlier(fixtureContainer, testNow.Add(-25*time.Hour), true)
	staleStory["media_type"] = "STORIES"
	at := func(d time.Duration) string { return created.Add(d).Format(meta.TimeLayout) }
	tests := []struct {
		name     string
		fixed    string // the recorded container's status ("published", "none": unknown)
		progress map[string]string
		text     string
		extra    []*fakeMedia // more media on the account
		noStory  bool         // no story but the extra ones
		wantID   string
		proven   bool
		want     error
		lists    string // the list calls expected, joined
	}{
		{name: "media id recorded", progress: map[string]string{"part1.post_id": "17920000000000042"}, wantID: "17920000000000042", proven: true},
		{name: "PUBLISHED container", fixed: "published", progress: earlier(fixtureContainer, created, true), text: "Find me",
			wantID: "17920000000000042", proven: true, lists: "GET /" + testUser + "/media"},
		{name: "PUBLISHED: an earlier post with the same caption is not ours", fixed: "published",
			progress: earlier(fixtureContainer, created, true), text: "Find me",
			extra: []*fakeMedia{{ID: "17920000000000039", Caption: "Find me", Timestamp: at(-30 * time.Second)},
				{ID: "17920000000000040", Caption: "Find  me", Timestamp: at(-3 * time.Minute)}},
			wantID: "17920000000000042", proven: true, lists: "GET /" + testUser + "/media"},
		{name: "PUBLISHED: a post timed seconds before its container (the clocks differ)", fixed: "published",
			progress: earlier(fixtureContainer, created, true), text: "Clocks",
			extra:  []*fakeMedia{{ID: "17920000000000045", Caption: "Clocks", Timestamp: at(-3 * time.Second), Permalink: "https://www.instagram.com/p/F45/"}},
			wantID: "17920000000000045", proven: true, lists: "GET /" + testUser + "/media"},
		{name: "PUBLISHED: the earliest match after the publish call", fixed: "published",
			progress: earlier(fixtureContainer, created, true), text: "Find me",
			extra:  []*fakeMedia{{ID: "17920000000000044", Caption: "Find me", Timestamp: at(5 * time.Minute), Permalink: "https://www.instagram.com/p/F44/"}},
			wantID: "17920000000000042", proven: true, lists: "GET /" + testUser + "/media"},
		{name: "PUBLISHED, publish time of an earlier version: from the container's creation", fixed: "published", progress: legacy,
			text: "Find me", extra: []*fakeMedia{{ID: "17920000000000039", Caption: "Find me", Timestamp: at(-30 * time.Second)}},
			wantID: "17920000000000042", proven: true, lists: "GET /" + testUser + "/media"},
		{name: "PUBLISHED without any recorded time cannot be looked up", fixed: "published", progress: untimed, text: "Find me",
			want: platform.ErrTransient},
		{name: "PUBLISHED story", fixed: "published", progress: story, wantID: "17920000000000051", proven: true,
			lists: "GET /" + testUser + "/stories"},
		{name: "PUBLISHED story among several cannot be told", fixed: "published", progress: story,
			extra: []*fakeMedia{{ID: "17920000000000052", ProductType: "STORY", Timestamp: at(3 * time.Minute)}},
			want:  platform.ErrTransient, lists: "GET /" + testUser + "/stories"},
		{name: "FINISHED after a publish call: not live", fixed: "", progress: earlier(fixtureContainer, created, true), text: "Find me",
			want: platform.ErrNotFound},
		{name: "ERROR: not live", fixed: "error_2207026", progress: earlier(fixtureContainer, created, false), text: "Find me",
			want: platform.ErrNotFound},
		{name: "every generation not live", fixed: "expired", progress: twoGens, text: "Find me", want: platform.ErrNotFound},
		{name: "PUBLISHED but not listed yet", fixed: "published", progress: earlier(fixtureContainer, created, true), text: "Not there",
			want: platform.ErrTransient, lists: "GET /" + testUser + "/media"},
		{name: "gone after a publish call: search by caption", fixed: "none", progress: earlier(fixtureContainer, created, true),
			text: "Find me", wantID: "17920000000000042", lists: "GET /" + testUser + "/media"},
		{name: "gone, never sent: not live", fixed: "none", progress: earlier(fixtureContainer, created, false), text: "Find me",
			want: platform.ErrNotFound},
		{name: "nothing recorded: not live", progress: map[string]string{"media_type": "IMAGE"}, want: platform.ErrNotFound},
		{name: "carousel items only: not live", progress: map[string]string{"media_type": "CAROUSEL", ItemKey(1, 1): "17889455560051601"},
			text: "Find me", want: platform.ErrNotFound},
		{name: "story gone after a publish call: found among the stories", fixed: "none", progress: story,
			wantID: "17920000000000051", lists: "GET /" + testUser + "/stories"},
		{name: "story gone after a publish call, none since: not live", fixed: "none", progress: story, noStory: true,
			extra: []*fakeMedia{{ID: "17920000000000050", ProductType: "STORY", Timestamp: at(-2 * time.Minute)}},
			want:  platform.ErrNotFound, lists: "GET /" + testUser + "/stories"},
		{name: "story gone a day after its publish call cannot be checked", fixed: "none", progress: staleStory,
			want: platform.ErrTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			switch tt.fixed {
			case "none":
			case "published":
				e.f.addContainer(fixtureContainer, nil, created, "").published = true
			default:
				e.f.addContainer(fixtureContainer, nil, created, tt.fixed)
			}
			e.f.addContainer("17889455560051777", nil, testNow, "expired")
			e.f.addMedia(&fakeMedia{ID: "17920000000000042", Caption: "Find me", Timestamp: testNow.Add(-9 * time.Minute).Format(meta.TimeLayout),
				Permalink: "https://www.instagram.com/p/F42/"})
			e.f.addMedia(&fakeMedia{ID: "17920000000000051", ProductType: "STORY", Timestamp: testNow.Add(-9 * time.Minute).Format(meta.TimeLayout),
				Permalink: "https://www.instagram.com/stories/operator/17920000000000051/"})
			if tt.noStory {
				e.f.mu.Lock()
				e.f.media = e.f.media[:1]
				e.f.mu.Unlock()
			}
			for _, m := range tt.extra {
				e.f.addMedia(m)
			}
			found, err := e.c.FindPost(context.Background(), testAuth(), platform.PostQuery{Text: tt.text, Part: 1,
				Since: testNow.Add(-time.Hour), Progress: tt.progress})
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
			} else if err != nil || found.ID != tt.wantID || found.URL == "" || found.CreatedAt.IsZero() || found.Proven != tt.proven {
				t.Fatalf("found %+v, %v; want %s (proven %v)", found, err, tt.wantID, tt.proven)
			}
			var lists []string
			for _, c := range e.f.callList() {
				if strings.HasSuffix(c, "/media") || strings.HasSuffix(c, "/stories") {
					lists = append(lists, c)
				}
			}
			if strings.Join(lists, ",") != tt.lists {
				t.Errorf("list calls %v, want %q", lists, tt.lists)
			}
		})
	}
}

func TestFindPostByCaption(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		text   string
		prefix bool
		since  time.Time
		pages  int // pages served before the list ends (0: the fixtures)
		wantID string
		want   error
	}{
		{name: "second page, white space differs", text: "Autumn light over the bay #sunset", since: testNow.Add(-time.Hour),
			wantID: "17920000000000009"},
		{name: "prefix", text: "Autumn light", prefix: true, since: testNow.Add(-time.Hour), wantID: "17920000000000009"},
		{name: "older than since is not ours", text: "Old post", since: testNow.Add(-time.Hour), want: platform.ErrNotFound},
		{name: "list ends", text: "Never posted", want: platform.ErrNotFound},
		{name: "page bound", text: "Never posted", pages: 100, want: platform.ErrTransient},
		{name: "no caption", text: "  ", want: platform.ErrTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			served := 0
			e.f.handle("GET /"+testUser+"/media", func(w http.ResponseWriter, r *http.Request) {
				if r.Form.Get("limit") != "25" || r.Form.Get("fields") != listFields {
					t.Errorf("list query %v", r.Form)
				}
				e.f.mu.Lock()
				served++
				n := served
				e.f.mu.Unlock()
				switch {
				case tt.pages > 0:
					writeJSON(w, 200, fmt.Appendf(nil, `{"data":[{"id":"1792000000000%04d","caption":"filler","timestamp":%q}],"paging":{"cursors":{"after":"c%d"},"next":"https://graph.instagram.com/next"}}`,
						n, testNow.Format(meta.TimeLayout), n))
				case r.Form.Get("after") == "":
					writeJSON(w, 200, fixture(t, "media_page1.json"))
				case r.Form.Get("after") == "QVFIUnBAGE2":
					writeJSON(w, 200, fixture(t, "media_page2.json"))
				default:
					t.Errorf("unexpected cursor %q", r.Form.Get("after"))
				}
			})
			// The container is gone after a publish call: only a search can tell.
			gone := earlier("17889455560059999", testNow.Add(-5*time.Minute), true)
			found, err := e.c.FindPost(context.Background(), testAuth(), platform.PostQuery{Text: tt.text, Prefix: tt.prefix, Part: 1,
				Since: tt.since, Progress: gone})
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
				e.f.mu.Lock()
				n := served
				e.f.mu.Unlock()
				if tt.pages > 0 && n != maxListPages {
					t.Errorf("%d pages read, want %d", n, maxListPages)
				}
				return
			}
			if err != nil || found.ID != tt.wantID || found.URL != "https://www.instagram.com/p/AUTUMN9/" ||
				!found.CreatedAt.Equal(time.Date(2026, 11, 28, 11, 30, 0, 0, time.UTC)) {
				t.Fatalf("found %+v, %v", found, err)
			}
		})
	}
}
