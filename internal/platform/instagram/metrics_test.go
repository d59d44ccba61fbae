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

// insightsServer answers media fields and insights from fixtures, and
// records each insights request's metric list.
type insightsServer struct {
	mu      sync.Mutex
	metrics []string
}

func (s *insightsServer) asked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.metrics...)
}

func (s *insightsServer) serve(t *testing.T, e *env, id, fields string, answers ...string) {
	e.f.handle("GET /"+id, func(w http.ResponseWriter, r *http.Request) {
		if r.Form.Get("fields") != "media_type,media_product_type,timestamp,like_count,comments_count" {
			t.Errorf("media fields %q", r.Form.Get("fields"))
		}
		writeJSON(w, 200, fixture(t, fields))
	})
	e.f.handle("GET /"+id+"/insights", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		n := len(s.metrics)
		s.metrics = append(s.metrics, r.Form.Get("metric"))
		s.mu.Unlock()
		a := answers[min(n, len(answers)-1)]
		status, name, _ := strings.Cut(a, " ")
		var code int
		fmt.Sscan(status, &code)
		writeJSON(w, code, fixture(t, name))
	})
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	feed := strings.Join(FeedMetrics, ",")
	tests := []struct {
		name    string
		fields  string
		answers []string // "status fixture" per insights call
		asked   []string
		values  map[string]int64
		notes   string
		err     error
		says    string
	}{
		{name: "feed image", fields: "media_fields_feed.json", answers: []string{"200 insights_feed.json"}, asked: []string{feed},
			values: map[string]int64{"views": 1200, "reach": 800, "likes": 42, "comments": 7, "shares": 3, "saved": 9, "total_interactions": 61}},
		{name: "carousel", fields: "media_fields_carousel.json", answers: []string{"200 insights_feed.json"}, asked: []string{feed},
			values: map[string]int64{"views": 1200, "likes": 42}},
		{name: "reel", fields: "media_fields_reel.json", answers: []string{"200 insights_feed.json"}, asked: []string{feed},
			values: map[string]int64{"views": 1200, "shares": 3}},
		{name: "story", fields: "media_fields_story.json", answers: []string{"200 insights_story.json"},
			asked:  []string{"views,reach,replies,shares,total_interactions"},
			values: map[string]int64{"views": 150, "reach": 120, "replies": 4, "comments": 4, "shares": 2, "likes": 0, "total_interactions": 6}},
		{name: "not yet", fields: "media_fields_feed.json", answers: []string{"200 insights_empty.json"}, asked: []string{feed},
			err: platform.ErrTransient, says: "insights are not available yet"},
		{name: "unsupported metric: minimal set", fields: "media_fields_reel.json",
			answers: []string{"400 error_unknown_metric.json", "200 insights_minimal.json"}, asked: []string{feed, "views,reach,likes,comments"},
			values: map[string]int64{"views": 500, "reach": 400, "likes": 30, "comments": 5, "shares": 0},
			notes:  "shares, saved, total_interactions were not read"},
		{name: "no insights permission", fields: "media_fields_feed.json", answers: []string{"403 error_permission.json"}, asked: []string{feed},
			values: map[string]int64{"likes": 41, "comments": 6, "views": 0}, notes: "need the instagram_business_manage_insights permission"},
		{name: "story seen by too few", fields: "media_fields_story.json", answers: []string{"400 error_not_enough_viewers.json"},
			asked: []string{"views,reach,replies,shares,total_interactions"}, err: platform.ErrNoMetrics, says: "five or more"},
		{name: "story without insights permission", fields: "media_fields_story.json", answers: []string{"400 error_permission.json"},
			asked: []string{"views,reach,replies,shares,total_interactions"}, err: platform.ErrRejected, says: "connect the account again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			s := &insightsServer{}
			s.serve(t, e, "17920000000000001", tt.fields, tt.answers...)
			got, err := e.c.Metrics(context.Background(), testAuth(), []platform.PostRef{{ID: "17920000000000001", PublishedAt: testNow.Add(-time.Hour)}})
			if err != nil {
				t.Fatal(err)
			}
			m := got[0]
			if strings.Join(s.asked(), "|") != strings.Join(tt.asked, "|") {
				t.Errorf("asked %v, want %v", s.asked(), tt.asked)
			}
			if tt.err != nil {
				if !errors.Is(m.Err, tt.err) || m.Values != nil || !strings.Contains(m.Err.Error(), tt.says) {
					t.Fatalf("result %+v, want %v saying %q", m, tt.err, tt.says)
				}
				return
			}
			if m.Err != nil {
				t.Fatal(m.Err)
			}
			for k, v := range tt.values {
				if n, ok := m.Values[k]; !ok || n != v {
					t.Errorf("%s = %d (%v), want %d", k, n, ok, v)
				}
			}
			for _, k := range []string{"views", "likes", "comments", "shares"} {
				if _, ok := m.Values[k]; !ok {
					t.Errorf("standard name %s missing: %v", k, m.Values)
				}
			}
			if notes := strings.Join(m.Notes, "; "); !strings.Contains(notes, tt.notes) || tt.notes == "" && notes != "" {
				t.Errorf("notes %q, want %q", notes, tt.notes)
			}
		})
	}
}

func TestMetricsBatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := &insightsServer{}
	s.serve(t, e, "17920000000000001", "media_fields_feed.json", "200 insights_feed.json")
	old := &insightsServer{}
	old.serve(t, e, "17920000000000004", "media_fields_story.json", "200 insights_story.json")
	e.clk.Advance(24 * time.Hour) // the story (08:00 yesterday) is past its 24 hours
	got, err := e.c.Metrics(context.Background(), testAuth(), []platform.PostRef{
		{ID: "17920000000000001"}, {ID: "17920000000000004"}, {ID: "17920000000000001"}, {ID: "not-an-id"}, {ID: "17920000000009999"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || got[0].Values["views"] != 1200 || got[2].Values["views"] != 1200 || len(s.asked()) != 1 {
		t.Errorf("duplicates: %+v, asked %v", got, s.asked())
	}
	if !errors.Is(got[1].Err, platform.ErrNoMetrics) || !strings.Contains(got[1].Err.Error(), "24 hours") || len(old.asked()) != 0 {
		t.Errorf("old story: %+v, insights asked %v", got[1], old.asked())
	}
	if !errors.Is(got[3].Err, platform.ErrRejected) {
		t.Errorf("bad id: %+v", got[3])
	}
	if !errors.Is(got[4].Err, platform.ErrNoMetrics) {
		t.Errorf("deleted post: %+v", got[4])
	}

	e.f.handle("GET /17920000000000001", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 400, fixture(t, "error_token_expired.json"))
	})
	if _, err := e.c.Metrics(context.Background(), testAuth(), []platform.PostRef{{ID: "17920000000000001"}}); !errors.Is(err, platform.ErrAuth) {
		t.Errorf("an expired token fails the batch: %v", err)
	}
	e.f.handle("GET /17920000000000001", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 400, fixture(t, "error_throttled.json"))
	})
	if _, err := e.c.Metrics(context.Background(), testAuth(), []platform.PostRef{{ID: "17920000000000001"}}); !errors.Is(err, platform.ErrRateLimited) {
		t.Errorf("throttling fails the batch: %v", err)
	}
	e.assertNoSecrets(t, err)
}

func TestPublishQuota(t *testing.T) {
	t.Parallel()
	tests := []struct {
		answer string
		want   platform.Quota
		left   int
	}{
		{"quota.json", platform.Quota{Used: 3, Total: 100, Window: 24 * time.Hour}, 97},
		{"quota_50.json", platform.Quota{Used: 50, Total: 50, Window: 24 * time.Hour}, 0},
		{"quota_no_config.json", platform.Quota{Used: 2, Total: 100, Window: 24 * time.Hour}, 98},
	}
	for _, tt := range tests {
		e := newEnv(t)
		e.f.handle("GET /"+testUser+"/content_publishing_limit", func(w http.ResponseWriter, r *http.Request) {
			if r.Form.Get("fields") != "quota_usage,config" {
				t.Errorf("fields %q", r.Form.Get("fields"))
			}
			writeJSON(w, 200, fixture(t, tt.answer))
		})
		q, err := e.c.PublishQuota(context.Background(), testAuth())
		if err != nil || *q != tt.want || q.Left() != tt.left {
			t.Errorf("%s: %+v %v", tt.answer, q, err)
		}
	}
	e := newEnv(t)
	e.f.handle("GET /"+testUser+"/content_publishing_limit", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, fixture(t, "insights_empty.json"))
	})
	if _, err := e.c.PublishQuota(context.Background(), testAuth()); !errors.Is(err, platform.ErrTransient) {
		t.Errorf("empty answer: %v", err)
	}
	if _, err := e.c.PublishQuota(context.Background(), platform.Auth{UserID: "me", AccessToken: testToken}); !errors.Is(err, platform.ErrAuth) {
		t.Errorf("no user id: %v", err)
	}
}
