package threads

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

func TestMetrics(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	answers := map[string]string{
		"18050000000000001": "insights.json",
		"18050000000000002": "insights_partial.json",
		"18050000000000003": "insights_empty.json",
		"18050000000000004": "error_not_exist.json",
	}
	for id, name := range answers {
		status := 200
		if strings.HasPrefix(name, "error_") {
			status = 400
		}
		f.override["GET /"+id+"/insights"] = func(w http.ResponseWriter, r *http.Request) { writeJSON(w, status, fixture(t, name)) }
	}
	c, _ := newClient(t, srv.URL)
	refs := []platform.PostRef{{ID: "18050000000000001"}, {ID: "18050000000000002"}, {ID: "18050000000000003"},
		{ID: "18050000000000004"}, {ID: "not-an-id"}}
	got, err := c.Metrics(context.Background(), testAuth(), refs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{snsos.MetricViews: 1520, snsos.MetricLikes: 100, snsos.MetricComments: 12, "replies": 12,
		snsos.MetricShares: 5, "reposts": 7, "quotes": 3}
	if !maps.Equal(got[0].Values, want) || got[0].Err != nil || len(got[0].Notes) != 0 {
		t.Errorf("full: %+v", got[0])
	}
	wantPartial := map[string]int64{snsos.MetricLikes: 4, snsos.MetricComments: 1, "replies": 1, "reposts": 2, "quotes": 0}
	if !maps.Equal(got[1].Values, wantPartial) || !slices.Equal(got[1].Notes, []string{"shares not reported", "views not reported"}) {
		t.Errorf("partial: %+v", got[1])
	}
	if got[2].Values != nil || platform.KindOf(got[2].Err) != platform.KindTransient ||
		!strings.Contains(got[2].Err.Error(), "insights are not available yet") {
		t.Errorf("empty: %+v", got[2])
	}
	if got[3].Values != nil || platform.KindOf(got[3].Err) != platform.KindRejected {
		t.Errorf("deleted: %+v", got[3])
	}
	if got[4].Values != nil || platform.KindOf(got[4].Err) != platform.KindRejected || f.count("GET /not-an-id/insights") != 0 {
		t.Errorf("bad id: %+v", got[4])
	}
	for i, m := range got {
		if m.ID != refs[i].ID {
			t.Errorf("entry %d is %s", i, m.ID)
		}
	}
	if q := f.formsOf("GET /18050000000000001/insights")[0]; q.Get("metric") != "views,likes,replies,reposts,quotes,shares" {
		t.Errorf("metric %q", q.Get("metric"))
	}
}

func TestMetricsBatchFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fixture string
		want    platform.Kind
	}{{"error_token_invalid.json", platform.KindAuth}, {"error_throttled.json", platform.KindRateLimited}} {
		f, srv := newFake(t)
		f.override["GET /18050000000000001/insights"] = func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 400, fixture(t, tc.fixture))
		}
		c, _ := newClient(t, srv.URL)
		_, err := c.Metrics(context.Background(), testAuth(), []platform.PostRef{{ID: "18050000000000001"}, {ID: "18050000000000002"}})
		if platform.KindOf(err) != tc.want {
			t.Errorf("%s: %v", tc.fixture, err)
		}
		if f.count("GET /18050000000000002/insights") != 0 {
			t.Errorf("%s: the batch went on", tc.fixture)
		}
	}
}

func TestPublishQuota(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	c, _ := newClient(t, srv.URL)
	q, err := c.PublishQuota(context.Background(), testAuth())
	if err != nil {
		t.Fatal(err)
	}
	if q.Used != 3 || q.Total != 250 || q.Window != 24*time.Hour || q.Left() != 247 {
		t.Errorf("quota %+v", q)
	}
	all, err := c.Quotas(context.Background(), testAuth())
	if err != nil || all.Replies == nil || all.Replies.Used != 17 || all.Replies.Total != 1000 {
		t.Fatalf("quotas %+v %v", all, err)
	}
	if q := f.formsOf("GET /" + testUserID + "/threads_publishing_limit")[0]; q.Get("fields") != "quota_usage,config,reply_quota_usage,reply_config" {
		t.Errorf("fields %q", q.Get("fields"))
	}
}

// Reading the reply fields may need a reply permission an account
// connected earlier lacks: the posts' quota is read alone then.
func TestPublishQuotaWithoutReplyPermission(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t)
	f.override["GET /"+testUserID+"/threads_publishing_limit"] = func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.Form.Get("fields"), "reply") {
			writeJSON(w, 400, fixture(t, "error_permission.json"))
			return
		}
		writeJSON(w, 200, fixture(t, "quota_posts_only.json"))
	}
	c, _ := newClient(t, srv.URL)
	all, err := c.Quotas(context.Background(), testAuth())
	if err != nil || all.Replies != nil || all.Posts.Used != 3 || all.Posts.Total != 250 {
		t.Fatalf("quotas %+v %v", all, err)
	}
	// Other refusals are not retried.
	f.mu.Lock()
	f.override["GET /"+testUserID+"/threads_publishing_limit"] = func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 400, fixture(t, "error_token_invalid.json"))
	}
	f.mu.Unlock()
	before := f.count("GET /" + testUserID + "/threads_publishing_limit")
	if _, err := c.PublishQuota(context.Background(), testAuth()); !errors.Is(err, platform.ErrAuth) {
		t.Fatalf("err %v", err)
	}
	if n := f.count("GET /"+testUserID+"/threads_publishing_limit") - before; n != 1 {
		t.Errorf("%d calls", n)
	}
}

func TestPullsMedia(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t, "")
	if !c.PullsMedia() || c.Name() != snsos.PlatformThreads {
		t.Fatal("Threads pulls media from links")
	}
}
