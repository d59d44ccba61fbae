package x

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

func TestMetricsFixture(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	var mu sync.Mutex
	var queries []string
	inner := f.ServeHTTP
	f.override["GET /2/tweets"] = func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.Query().Get("tweet.fields")+"|"+r.URL.Query().Get("ids"))
		mu.Unlock()
		writeJSON(w, 200, fixture(t, "tweets_metrics.json"))
	}
	_ = inner
	c, _ := newClient(t, srv.URL)
	got, err := c.Metrics(context.Background(), testAuth(), []platform.PostRef{
		{ID: "1234567890", PublishedAt: testNow.Add(-8 * 24 * time.Hour)},
		{ID: "9223372036854775807", PublishedAt: testNow.Add(-300 * 24 * time.Hour)},
		{ID: "456", PublishedAt: testNow.Add(-time.Hour)},
		{ID: "not-an-id"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"views": 5432, "likes": 234, "comments": 12, "shares": 50, "impressions": 5432,
		"replies": 12, "reposts": 50, "quotes": 5, "bookmarks": 8, "url_link_clicks": 89, "user_profile_clicks": 156, "engagements": 345}
	if got[0].Err != nil || fmt.Sprint(got[0].Values) != fmt.Sprint(want) {
		t.Errorf("young post %+v", got[0])
	}
	if got[1].Err != nil || got[1].Values["views"] != 6 || got[1].Values["quotes"] != 4 || len(got[1].Notes) != 1 {
		t.Errorf("old post %+v", got[1])
	}
	if !errors.Is(got[2].Err, platform.ErrRejected) || !strings.Contains(got[2].Err.Error(), "Could not find tweet") {
		t.Errorf("missing post %+v", got[2])
	}
	if got[3].Err == nil {
		t.Errorf("invalid id %+v", got[3])
	}
	if len(queries) != 2 || queries[0] != fieldsAll+"|1234567890,456" || queries[1] != fieldsPublic+"|9223372036854775807" {
		t.Errorf("queries %v", queries)
	}
}

func TestMetricsBatching(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	var mu sync.Mutex
	var sizes []int
	f.override["GET /2/tweets"] = func(w http.ResponseWriter, r *http.Request) {
		ids := strings.Split(r.URL.Query().Get("ids"), ",")
		mu.Lock()
		sizes = append(sizes, len(ids))
		mu.Unlock()
		var b strings.Builder
		b.WriteString(`{"data":[`)
		for i, id := range ids {
			if i > 0 {
				b.WriteString(",")
			}
			var n int64
			fmt.Sscan(id[len(id)-3:], &n)
			fmt.Fprintf(&b, `{"id":%q,"text":"t","public_metrics":{"like_count":%d}}`, id, n)
		}
		b.WriteString(`]}`)
		writeJSON(w, 200, []byte(b.String()))
	}
	c, _ := newClient(t, srv.URL)
	var posts []platform.PostRef
	for i := range 250 {
		posts = append(posts, platform.PostRef{ID: fmt.Sprint(1900000000000000000 + i), PublishedAt: testNow})
	}
	posts = append(posts, posts[7]) // duplicates are fetched once
	got, err := c.Metrics(context.Background(), testAuth(), posts)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sizes) != "[100 100 50]" {
		t.Errorf("batch sizes %v", sizes)
	}
	if len(got) != 251 || got[249].Values["likes"] != 249 || got[250].Values["likes"] != 7 {
		t.Errorf("values %+v %+v", got[249], got[250])
	}
	f.override["GET /2/tweets"] = func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 503, fixture(t, "error_internal.json")) }
	if _, err := c.Metrics(context.Background(), testAuth(), posts[:1]); !errors.Is(err, platform.ErrTransient) {
		t.Errorf("5xx on a read: %v", err)
	}
}

func TestFindPost(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	var mu sync.Mutex
	var pages []string
	f.override["GET /2/users/2244994945/tweets"] = func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		pages = append(pages, r.URL.Query().Get("pagination_token")+"|"+r.URL.Query().Get("start_time"))
		mu.Unlock()
		if r.URL.Query().Get("pagination_token") == "" {
			writeJSON(w, 200, []byte(`{"data":[{"id":"1900000000000000009","text":"other","created_at":"2026-11-28T11:00:00.000Z"}],"meta":{"result_count":1,"next_token":"p2"}}`))
			return
		}
		writeJSON(w, 200, fixture(t, "user_tweets.json"))
	}
	c, _ := newClient(t, srv.URL)
	since := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	if _, err := c.FindPost(context.Background(), testAuth(), platform.PostQuery{Text: "Part 2 <b>", Since: since, InReplyTo: "1900000000000000001"}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(pages) != 2 || pages[0] != "|2026-11-28T09:59:59Z" || !strings.HasPrefix(pages[1], "p2|") {
		t.Errorf("pages %v", pages)
	}
	mu.Unlock()
	tests := []struct {
		name string
		q    platform.PostQuery
		want string
	}{
		{"exact with entities and link", platform.PostQuery{Text: "Part 3 & more https://example.com/x", Since: since, InReplyTo: "1900000000000000002"}, "1900000000000000003"},
		{"the same words with another link", platform.PostQuery{Text: "Part 3 & more https://example.com/y", Since: since, InReplyTo: "1900000000000000002"}, ""},
		{"html-ish text", platform.PostQuery{Text: "Part 2 <b>", Since: since, InReplyTo: "1900000000000000001"}, "1900000000000000002"},
		{"a reply is never part 1", platform.PostQuery{Text: "Part 2 <b>", Since: since}, ""},
		{"prefix", platform.PostQuery{Text: "Part 1 of", Prefix: true, Since: since}, "1900000000000000001"},
		{"reply filter", platform.PostQuery{Text: "Part 3 & more https://example.com/x/", InReplyTo: "1900000000000000002"}, "1900000000000000003"},
		{"reply filter mismatch", platform.PostQuery{Text: "Part 3 & more https://example.com/x", InReplyTo: "1"}, ""},
		{"absent", platform.PostQuery{Text: "never posted", Since: since}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.FindPost(context.Background(), testAuth(), tt.q)
			if tt.want == "" {
				if !errors.Is(err, platform.ErrNotFound) {
					t.Fatalf("want not found, got %v %v", got, err)
				}
				return
			}
			if err != nil || got.ID != tt.want {
				t.Fatalf("FindPost = %+v, %v; want %s", got, err, tt.want)
			}
		})
	}
	if _, err := c.FindPost(context.Background(), platform.Auth{AccessToken: testToken}, platform.PostQuery{Text: "a"}); !errors.Is(err, platform.ErrRejected) {
		t.Errorf("no user id: %v", err)
	}
}

func TestClassifyFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file      string
		status    int
		ct        string
		mutating  bool
		kind      platform.Kind
		duplicate bool
		quota     bool
	}{
		{"error_duplicate.json", 403, "application/json", true, platform.KindRejected, true, false},
		{"error_unauthorized.json", 401, "application/problem+json", false, platform.KindAuth, false, false},
		{"error_rate_limit.json", 429, "application/json", true, platform.KindRateLimited, false, false},
		{"error_usage_capped.json", 429, "application/json", true, platform.KindRejected, false, true},
		{"error_credits.json", 402, "application/json", true, platform.KindRejected, false, true},
		{"error_invalid_request.json", 400, "application/json", false, platform.KindRejected, false, false},
		{"error_unsupported_auth.json", 403, "application/json", false, platform.KindAuth, false, false},
		{"error_internal.json", 500, "application/json", false, platform.KindTransient, false, false},
		{"error_internal.json", 500, "application/json", true, platform.KindOutcomeUnknown, false, false},
		{"error_bad_gateway.html", 502, "text/html", true, platform.KindOutcomeUnknown, false, false},
		{"error_bad_gateway.html", 402, "text/html", false, platform.KindRejected, false, true},
		{"error_token_invalid.json", 400, "application/json", true, platform.KindRejected, false, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.file, tt.status, tt.mutating), func(t *testing.T) {
			t.Parallel()
			h := http.Header{"Content-Type": {tt.ct}}
			e := ClassifyResponse(platform.NewResponse(tt.status, h, fixture(t, tt.file), &platform.Request{Op: "op", Mutating: tt.mutating}))
			if e.Kind != tt.kind || e.Duplicate != tt.duplicate || e.Quota != tt.quota || e.Status != tt.status {
				t.Errorf("got %+v", e)
			}
			if e.Reason == "" || strings.Contains(e.Error(), "<html") {
				t.Errorf("reason %q", e.Reason)
			}
		})
	}
}

// TestIDsBeyondFloat64 checks that ids above 2^53 keep every digit, whether
// X sends them as strings (documented) or as bare numbers.
func TestIDsBeyondFloat64(t *testing.T) {
	t.Parallel()
	for file, want := range map[string]string{
		"tweet_created.json":            "1445880548472328192",
		"tweet_created_numeric_id.json": "1445880548472328193",
	} {
		resp := platform.NewResponse(201, http.Header{"Content-Type": {"application/json"}}, fixture(t, file), &platform.Request{Mutating: true})
		id, err := decodeCreated(resp)
		if err != nil || id != want {
			t.Errorf("%s: %q, %v; want %s", file, id, err, want)
		}
	}
	resp := platform.NewResponse(201, http.Header{"Content-Type": {"application/json"}}, []byte(`{"data":{"id":1.4458805484723282e18}}`), &platform.Request{Mutating: true})
	if _, err := decodeCreated(resp); !errors.Is(err, platform.ErrOutcomeUnknown) {
		t.Errorf("float id accepted: %v", err)
	}
}

// A post without words is told from another by the media its attempt
// uploaded (the ids recorded in the progress); with nothing to tell it by,
// the search proves nothing either way.
func TestFindPostByMediaID(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	f.override["GET /2/users/2244994945/tweets"] = func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, []byte(`{"data":[
			{"id":"1900000000000000012","text":"https://t.co/p2","created_at":"2026-11-28T10:00:02.000Z","attachments":{"media_keys":["3_222"]},
			 "entities":{"urls":[{"url":"https://t.co/p2","expanded_url":"https://x.com/h/status/1900000000000000012/photo/1","display_url":"pic.x.com/p2"}]}},
			{"id":"1900000000000000011","text":"https://t.co/p1","created_at":"2026-11-28T10:00:01.000Z","attachments":{"media_keys":["3_111"]},
			 "entities":{"urls":[{"url":"https://t.co/p1","expanded_url":"https://x.com/h/status/1900000000000000011/photo/1","display_url":"pic.x.com/p1"}]}}],
			"meta":{"result_count":2}}`))
	}
	c, _ := newClient(t, srv.URL)
	got, err := c.FindPost(context.Background(), testAuth(), platform.PostQuery{Part: 1, Progress: map[string]string{MediaKey(1, 1): "111"}})
	if err != nil || got.ID != "1900000000000000011" {
		t.Fatalf("by media id: %+v, %v", got, err)
	}
	if _, err := c.FindPost(context.Background(), testAuth(), platform.PostQuery{Part: 1, Progress: map[string]string{MediaKey(1, 1): "333"}}); !errors.Is(err, platform.ErrNotFound) {
		t.Fatalf("unknown media id: %v", err)
	}
	if _, err := c.FindPost(context.Background(), testAuth(), platform.PostQuery{Part: 1}); !errors.Is(err, platform.ErrTransient) || errors.Is(err, platform.ErrNotFound) {
		t.Fatalf("nothing to look for: %v", err)
	}
}
