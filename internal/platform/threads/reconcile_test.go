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

// goneAfterSend is the progress of part n whose container Threads no longer
// knows although a publish call was sent for it: only a search can tell.
func goneAfterSend(n int) map[string]string {
	return map[string]string{ContainerKey(n, 1): "18000000000000404", PublishSentKey(n, 1): testNow.Add(-10 * time.Minute).Format(time.RFC3339)}
}

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
			tc.q.Progress = goneAfterSend(1)
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
	_, err := c.FindPost(context.Background(), testAuth(), platform.PostQuery{Text: "Never posted", Since: testNow.Add(-time.Hour), Part: 1,
		Progress: goneAfterSend(1)})
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
	progress := goneAfterSend(2)
	progress[platform.PartIDKey(1)] = "18050000000000007"
	got, err := c.FindPost(context.Background(), testAuth(), platform.PostQuery{Text: "Part two", Since: testNow.Add(-time.Hour),
		Part: 2, InReplyTo: "18050000000000007", Progress: progress})
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
	stamp := func(d time.Duration) string { return testNow.Add(d).Format(time.RFC3339) }
	sent := stamp(-10 * time.Minute)
	tests := []struct {
		name       string
		containers map[string]string // id → status fixture
		progress   map[string]string
		extra      []fakePost // posts besides "Hello" 5 minutes ago (18050000000000001)
		wantID     string
		proven     bool
		wantKind   platform.Kind // 0 with wantID "": ErrNotFound
		searches   int
	}{
		{name: "finished and expired generations are not live",
			containers: map[string]string{"17000000000000001": "status_expired.json", "17000000000000002": "status_finished.json"},
			progress: map[string]string{"part1.container": "17000000000000001", "part1.gen": "2", "part1.gen2.container": "17000000000000002",
				"part1.gen2.publish_sent": sent}},
		{name: "carousel items only", progress: map[string]string{"part1.item1.container": "17000000000000009"}},
		{name: "vanished before a publish call", progress: map[string]string{"part1.container": "17000000000000001"}},
		{name: "published container", containers: map[string]string{"17000000000000001": "status_published.json"},
			progress: map[string]string{"part1.container": "17000000000000001", "part1.publish_sent": sent},
			wantID:   "18050000000000001", proven: true, searches: 1},
		{name: "published: the earliest match since the container, not a later or an earlier one",
			containers: map[string]string{"17000000000000001": "status_published.json"},
			progress: map[string]string{"part1.container": "17000000000000001", "part1.created": stamp(-6 * time.Minute),
				"part1.publish_sent": stamp(-6*time.Minute + 10*time.Second)},
			extra: []fakePost{{id: "18050000000000000", text: "Hello", at: testNow.Add(-7 * time.Minute)},
				{id: "18050000000000002", text: "Hello", at: testNow.Add(-2 * time.Minute)}},
			wantID: "18050000000000001", proven: true, searches: 1},
		{name: "published but not listed", containers: map[string]string{"17000000000000001": "status_published.json"},
			progress: map[string]string{"part1.container": "17000000000000001", "part1.publish_sent": testNow.Format(time.RFC3339)},
			wantKind: platform.KindTransient, searches: 1},
		{name: "vanished after a publish call is searched",
			progress: map[string]string{"part1.container": "17000000000000001", "part1.publish_sent": sent},
			wantID:   "18050000000000001", searches: 1},
		{name: "processing 24 hours after it was made, publish call sent: searched",
			containers: map[string]string{"17000000000000001": "status_in_progress.json"},
			progress: map[string]string{"part1.container": "17000000000000001", "part1.created": stamp(-25 * time.Hour),
				"part1.publish_sent": stamp(-25 * time.Hour)},
			wantID: "18050000000000001", searches: 1},
		{name: "processing 24 hours after it was made, never sent: not live",
			containers: map[string]string{"17000000000000001": "status_in_progress.json"},
			progress:   map[string]string{"part1.container": "17000000000000001", "part1.created": stamp(-25 * time.Hour)}},
		{name: "recorded id is read back", progress: map[string]string{platform.PartIDKey(1): "18050000000000001"},
			wantID: "18050000000000001", proven: true},
		{name: "status unreadable", containers: map[string]string{"17000000000000001": "error_bad_gateway.html"},
			progress: map[string]string{"part1.container": "17000000000000001"}, wantKind: platform.KindTransient},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t)
			for id, st := range tc.containers {
				f.addContainer(id, st)
			}
			f.addPost(fakePost{id: "18050000000000001", text: "Hello", at: testNow.Add(-5 * time.Minute)})
			for _, p := range tc.extra {
				f.addPost(p)
			}
			c, _ := newClient(t, srv.URL)
			got, err := c.FindPost(context.Background(), testAuth(), platform.PostQuery{Text: "Hello", Since: testNow.Add(-time.Hour),
				Part: 1, Progress: tc.progress})
			switch {
			case tc.wantID != "":
				if err != nil || got.ID != tc.wantID || got.URL == "" || got.CreatedAt.IsZero() || got.Proven != tc.proven {
					t.Fatalf("got %+v, %v; want %s (proven %v)", got, err, tc.wantID, tc.proven)
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

// Without threads_read_replies (an account connected before sns-os asked
// for it) Threads refuses to list the account's replies: connecting the
// account again is what helps.
func TestFindPostReplyWithoutPermission(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	f.override["GET /"+testUserID+"/replies"] = func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 400, fixture(t, "error_permission.json"))
	}
	c, _ := newClient(t, srv.URL)
	progress := goneAfterSend(2)
	progress[platform.PartIDKey(1)] = "18050000000000007"
	_, err := c.FindPost(context.Background(), testAuth(), platform.PostQuery{Text: "Part two", Since: testNow.Add(-time.Hour),
		Part: 2, InReplyTo: "18050000000000007", Progress: progress})
	if !errors.Is(err, platform.ErrAuth) || !strings.Contains(err.Error(), ScopeReadReplies) ||
		!strings.Contains(err.Error(), "connect the account again") {
		t.Fatalf("err %v", err)
	}
}

// A part for which no container was ever recorded cannot be live: the
// container id is saved before any publish call.
func TestFindPostNothingRecorded(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	c, _ := newClient(t, srv.URL)
	for _, q := range []platform.PostQuery{
		{Text: "", Since: testNow.Add(-time.Minute), Part: 1},
		{Text: "Hello", Since: testNow.Add(-time.Minute), Part: 1, Progress: map[string]string{}},
		{Text: "Part two", Since: testNow.Add(-time.Minute), Part: 2, InReplyTo: "18050000000000007",
			Progress: map[string]string{platform.PartIDKey(1): "18050000000000007", ContainerKey(1, 1): "17000000000000001"}},
	} {
		if _, err := c.FindPost(context.Background(), testAuth(), q); !errors.Is(err, platform.ErrNotFound) {
			t.Errorf("part %d, progress %v: %v (kind %v), want not found", q.Part, q.Progress, err, platform.KindOf(err))
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) != 0 {
		t.Errorf("calls %v", f.calls)
	}
}

func TestFindPostNothingToLookFor(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	c, _ := newClient(t, srv.URL)
	_, err := c.FindPost(context.Background(), testAuth(), platform.PostQuery{Text: "  ", Since: testNow.Add(-time.Hour), Part: 1,
		Progress: goneAfterSend(1)})
	if platform.KindOf(err) != platform.KindTransient || errors.Is(err, platform.ErrNotFound) {
		t.Fatalf("err %v", err)
	}
	if n := f.count("GET /" + testUserID + "/threads"); n != 0 {
		t.Errorf("%d searches", n)
	}
	if _, err := c.FindPost(context.Background(), platform.Auth{UserID: "../me", AccessToken: testToken}, platform.PostQuery{Text: "x"}); platform.KindOf(err) != platform.KindRejected {
		t.Errorf("bad user id: %v", err)
	}
}
