package threads

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/platform"
)

// pagedThreads serves the recorded two pages of the account's posts.
func pagedThreads(t *testing.T, f *fake) {
	f.override["GET /"+testUserID+"/threads"] = func(w http.ResponseWriter, r *http.Request) {
		if r.Form.Get("after") == "QVFIUmAfter1" {
			writeJSON(w, 200, fixture(t, "threads_page2.json"))
			return
		}
		writeJSON(w, 200, fixture(t, "threads_page1.json"))
	}
}

func TestFindPostBySearch(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		q      platform.PostQuery
		wantID string // "" = not found
	}{
		{"second page, white space differs", platform.PostQuery{Text: "Hello Threads from sns-os", Since: since, Part: 1}, "18050000000000007"},
		{"prefix", platform.PostQuery{Text: "Hello Threads", Prefix: true, Since: since, Part: 1}, "18050000000000007"},
		{"absent, window covered", platform.PostQuery{Text: "Never posted", Since: since, Part: 1}, ""},
		{"older than the window", platform.PostQuery{Text: "Old post", Since: since, Part: 1}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t)
			pagedThreads(t, f)
			c, _ := newClient(t, srv.URL)
			got, err := c.FindPost(context.Background(), testAuth(), tc.q)
			if tc.wantID == "" {
				if !errors.Is(err, platform.ErrNotFound) {
					t.Fatalf("got %+v, %v; want not found", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != tc.wantID || got.URL != "https://www.threads.net/@operator/post/DHello7" ||
				!got.CreatedAt.Equal(time.Date(2026, 11, 28, 11, 30, 0, 0, time.UTC)) {
				t.Errorf("found %+v", got)
			}
			q := f.formsOf("GET /" + testUserID + "/threads")[0]
			if q.Get("fields") != rootFields || q.Get("limit") != "25" || q.Get("since") != "1795860000" {
				t.Errorf("query %v", q)
			}
		})
	}
}

func TestFindPostPageBound(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	f.override["GET /"+testUserID+"/threads"] = func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, fixture(t, "threads_page1.json")) // always another page
	}
	c, _ := newClient(t, srv.URL)
	_, err := c.FindPost(context.Background(), testAuth(), platform.PostQuery{Text: "Never posted", Since: testNow.Add(-time.Hour), Part: 1})
	if platform.KindOf(err) != platform.KindTransient || errors.Is(err, platform.ErrNotFound) || !strings.Contains(err.Error(), "10 pages") {
		t.Fatalf("err %v", err)
	}
	if n := f.count("GET /" + testUserID + "/threads"); n != searchPages {
		t.Errorf("%d pages", n)
	}
}

func TestFindPostReply(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	f.override["GET /"+testUserID+"/replies"] = func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, fixture(t, "replies_page.json"))
	}
	c, _ := newClient(t, srv.URL)
	// Two replies say "Part two"; only one answers part 1.
	got, err := c.FindPost(context.Background(), testAuth(), platform.PostQuery{Text: "Part two", Since: testNow.Add(-time.Hour),
		Part: 2, InReplyTo: "18050000000000007", Progress: map[string]string{platform.PartIDKey(1): "18050000000000007"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "18060000000000002" || got.InReplyTo != "18050000000000007" {
		t.Errorf("found %+v", got)
	}
	if q := f.formsOf("GET /" + testUserID + "/replies")[0]; q.Get("fields") != replyFields {
		t.Errorf("query %v", q)
	}
	if f.count("GET /"+testUserID+"/threads") != 0 {
		t.Error("a reply was searched among root posts")
	}
}

// The recorded containers decide without any search when they can.
func TestFindPostFromProgress(t *testing.T) {
	t.Parallel()
	sent := testNow.Add(-10 * time.Minute).Format(time.RFC3339)
	tests := []struct {
		name       string
		containers map[string]string // id → status fixture
		progress   map[string]string
		wantID     string
		wantKind   platform.Kind // 0 with wantID "": ErrNotFound
		searches   int
	}{
		{"finished and expired generations are not live",
			map[string]string{"17000000000000001": "status_expired.json", "17000000000000002": "status_finished.json"},
			map[string]string{"part1.container": "17000000000000001", "part1.gen": "2", "part1.gen2.container": "17000000000000002",
				"part1.gen2.publish_sent": sent}, "", 0, 0},
		{"carousel items only", nil, map[string]string{"part1.item1.container": "17000000000000009"}, "", 0, 0},
		{"vanished before a publish call", nil, map[string]string{"part1.container": "17000000000000001"}, "", 0, 0},
		{"published container", map[string]string{"17000000000000001": "status_published.json"},
			map[string]string{"part1.container": "17000000000000001", "part1.publish_sent": sent}, "18050000000000001", 0, 1},
		{"published but not listed", map[string]string{"17000000000000001": "status_published.json"},
			map[string]string{"part1.container": "17000000000000001", "part1.publish_sent": testNow.Format(time.RFC3339)}, "", platform.KindTransient, 1},
		{"vanished after a publish call is searched", nil,
			map[string]string{"part1.container": "17000000000000001", "part1.publish_sent": sent}, "18050000000000001", 0, 1},
		{"recorded id is read back", nil, map[string]string{platform.PartIDKey(1): "18050000000000001"}, "18050000000000001", 0, 0},
		{"status unreadable", map[string]string{"17000000000000001": "error_bad_gateway.html"},
			map[string]string{"part1.container": "17000000000000001"}, "", platform.KindTransient, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t)
			for id, st := range tc.containers {
				f.addContainer(id, st)
			}
			f.addPost(fakePost{id: "18050000000000001", text: "Hello", at: testNow.Add(-5 * time.Minute)})
			c, _ := newClient(t, srv.URL)
			got, err := c.FindPost(context.Background(), testAuth(), platform.PostQuery{Text: "Hello", Since: testNow.Add(-time.Hour),
				Part: 1, Progress: tc.progress})
			switch {
			case tc.wantID != "":
				if err != nil || got.ID != tc.wantID || got.URL == "" || got.CreatedAt.IsZero() {
					t.Fatalf("got %+v, %v", got, err)
				}
			case tc.wantKind != 0:
				if platform.KindOf(err) != tc.wantKind || errors.Is(err, platform.ErrNotFound) {
					t.Fatalf("got %+v, %v; want %v", got, err, tc.wantKind)
				}
			default:
				if !errors.Is(err, platform.ErrNotFound) {
					t.Fatalf("got %+v, %v; want not found", got, err)
				}
			}
			if n := f.count("GET /" + testUserID + "/threads"); n != tc.searches {
				t.Errorf("%d searches, want %d", n, tc.searches)
			}
		})
	}
}

func TestFindPostNothingToLookFor(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	c, _ := newClient(t, srv.URL)
	_, err := c.FindPost(context.Background(), testAuth(), platform.PostQuery{Text: "  ", Since: testNow.Add(-time.Hour), Part: 1})
	if platform.KindOf(err) != platform.KindTransient || errors.Is(err, platform.ErrNotFound) {
		t.Fatalf("err %v", err)
	}
	if len(f.calls) != 0 {
		t.Errorf("calls %v", f.calls)
	}
	if _, err := c.FindPost(context.Background(), platform.Auth{UserID: "../me", AccessToken: testToken}, platform.PostQuery{Text: "x"}); platform.KindOf(err) != platform.KindRejected {
		t.Errorf("bad user id: %v", err)
	}
}
