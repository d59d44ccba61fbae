package instagram

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/sns-os/snsos/internal/sim/graph/graphtest"
)

// insights returns metric values by name, and the answer.
func (e *env) insights(media, tok, metrics string) (map[string]int64, graphtest.Resp) {
	e.T.Helper()
	r := e.Do(http.MethodGet, "/v25.0/"+media+"/insights?metric="+metrics, tok, nil)
	out := map[string]int64{}
	if r.Status != 200 {
		return out, r
	}
	for i := 0; ; i++ {
		name := r.Str("data", strconv.Itoa(i), "name")
		if name == "" {
			break
		}
		n, _ := strconv.ParseInt(r.Str("data", strconv.Itoa(i), "values", "0", "value"), 10, 64)
		out[name] = n
		if r.Str("data", strconv.Itoa(i), "period") != "lifetime" || r.Str("data", strconv.Itoa(i), "id") != media+"/insights/"+name+"/lifetime" {
			e.T.Fatalf("insight entry %s", r.Raw)
		}
	}
	return out, r
}

func TestInsightsDelayAndGrowth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("insights")
	media := e.post(u, tok, "insightful")
	e.Expect(e.Do(http.MethodPost, "/"+media+"/comments?message=c1", tok, nil), 200)
	all := "views,reach,likes,comments,saved,shares,total_interactions,follows,profile_visits"
	m, r := e.insights(media, tok, all)
	if r.Status != 200 || len(m) != 0 || string(r.Raw) != `{"data":[]}` {
		t.Fatalf("fresh media insights %s", r.Raw)
	}
	e.Clock.Advance(DefaultInsightsDelay)
	prev := map[string]int64{}
	for _, age := range []time.Duration{0, time.Hour, 6 * time.Hour, 7 * 24 * time.Hour} {
		e.Clock.Advance(age)
		m, r = e.insights(media, tok, all)
		if len(m) != 9 {
			t.Fatalf("insights %s", r.Raw)
		}
		if !(m["views"] >= m["reach"] && m["reach"] >= m["likes"] && m["views"] > 0 && m["comments"] >= 1) {
			t.Fatalf("inconsistent %v", m)
		}
		if m["total_interactions"] != m["likes"]+m["comments"]+m["saved"]+m["shares"] {
			t.Fatalf("total_interactions %v", m)
		}
		for k, v := range prev {
			if m[k] < v {
				t.Fatalf("%s went down: %d -> %d", k, v, m[k])
			}
		}
		prev = m
		f := e.Expect(e.Do(http.MethodGet, "/"+media+"?fields=like_count,comments_count", tok, nil), 200)
		if f.Str("like_count") != strconv.FormatInt(m["likes"], 10) || f.Str("comments_count") != strconv.FormatInt(m["comments"], 10) {
			t.Fatalf("fields %s vs insights %v", f.Raw, m)
		}
	}
	if prev["views"] < 300 {
		t.Fatalf("views after a week %d", prev["views"])
	}
	// Same id, same clock: same numbers.
	again, _ := e.insights(media, tok, all)
	if again["views"] != prev["views"] || again["likes"] != prev["likes"] {
		t.Fatalf("not deterministic: %v vs %v", again, prev)
	}
}

func TestInsightsRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("refusals")
	feed := e.post(u, tok, "feed")
	reel := e.Create(u, tok, map[string]any{"media_type": "REELS", "video_url": e.MediaURL("clip.mp4")})
	e.Clock.Advance(DefaultVideoProcessing)
	reelID := e.Expect(e.Publish(u, tok, reel), 200).Str("id")
	e.Clock.Advance(time.Hour)
	for _, metric := range []string{"impressions", "plays", "video_views", "engagement", "clips_replays_count", "ig_reels_aggregated_all_plays_count"} {
		_, r := e.insights(reelID, tok, "views,"+metric)
		e.ExpectErr(r, 400, "100/")
	}
	_, r := e.insights(feed, tok, "views,ig_reels_avg_watch_time")
	e.ExpectErr(r, 400, "100/")
	_, r = e.insights(feed, tok, "replies")
	e.ExpectErr(r, 400, "100/")
	_, r = e.insights(reelID, tok, "crossposted_views")
	e.ExpectErr(r, 400, "100/")
	_, r = e.insights(feed, tok, "")
	e.ExpectErr(r, 400, "100/")
	m, r := e.insights(reelID, tok, "views,reach,ig_reels_avg_watch_time,ig_reels_video_view_total_time,reels_skip_rate")
	if r.Status != 200 || m["ig_reels_video_view_total_time"] != m["views"]*m["ig_reels_avg_watch_time"] || m["reels_skip_rate"] == 0 {
		t.Fatalf("reel insights %s", r.Raw)
	}

	// Without instagram_business_manage_insights: code 10.
	f := exchangeForm(e.code("instagram_business_basic,instagram_business_content_publish", "refusals"))
	noInsights := e.Expect(e.Do(http.MethodPost, "/oauth/access_token", "", graphtest.MultipartOf(f)), 200).Str("access_token")
	_, r = e.insights(feed, noInsights, "views")
	e.ExpectErr(r, 400, "10/")
}

func TestStoryInsights(t *testing.T) {
	t.Parallel()
	viewers := map[string]int{}
	e := newEnv(t, Options{StoryViewers: func(id string) int { return viewers[id] }})
	u, tok := e.User("stories")
	story := func() string {
		c := e.Create(u, tok, map[string]any{"media_type": "STORIES", "image_url": e.MediaURL("photo.jpg")})
		e.Clock.Advance(DefaultImageProcessing)
		return e.Expect(e.Publish(u, tok, c), 200).Str("id")
	}
	popular, quiet := story(), story()
	viewers[popular], viewers[quiet] = 40, 4
	e.Clock.Advance(time.Hour)
	m, r := e.insights(popular, tok, "views,reach,replies,shares,total_interactions,navigation")
	if r.Status != 200 || m["total_interactions"] != m["replies"]+m["shares"] {
		t.Fatalf("story insights %s", r.Raw)
	}
	_, r = e.insights(quiet, tok, "views")
	if e.ExpectErr(r, 400, "10/"); r.Str("error", "message") != "(#10) Not enough viewers for the media to show insights" {
		t.Fatalf("quiet story %s", r.Raw)
	}
	_, r = e.insights(popular, tok, "likes")
	e.ExpectErr(r, 400, "100/")
	e.Clock.Advance(23 * time.Hour)
	if _, r = e.insights(popular, tok, "views"); string(r.Raw) != `{"data":[]}` {
		t.Fatalf("story insights after 24h %s", r.Raw)
	}
}

func TestCarouselChildInsights(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.User("album")
	a := e.Create(u, tok, map[string]any{"is_carousel_item": true, "image_url": e.MediaURL("photo.jpg")})
	b := e.Create(u, tok, map[string]any{"is_carousel_item": true, "image_url": e.MediaURL("photo.jpg")})
	e.Clock.Advance(DefaultImageProcessing)
	parent := e.Create(u, tok, map[string]any{"media_type": "CAROUSEL", "children": a + "," + b})
	e.Clock.Advance(DefaultImageProcessing)
	media := e.Expect(e.Publish(u, tok, parent), 200).Str("id")
	e.Clock.Advance(time.Hour)
	if m, r := e.insights(media, tok, "views,reach,saved"); r.Status != 200 || m["views"] == 0 {
		t.Fatalf("carousel insights %s", r.Raw)
	}
	_, r := e.insights(e.sim.Posts()[0].Media[0].ID, tok, "views")
	e.ExpectErr(r, 400, "100/")
}
