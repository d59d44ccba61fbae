package instagram

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// insights returns metric values by name, and the answer.
func (e *env) insights(media, tok, metrics string) (map[string]int64, resp) {
	e.t.Helper()
	r := e.do(http.MethodGet, "/v25.0/"+media+"/insights?metric="+metrics, tok, nil)
	out := map[string]int64{}
	if r.status != 200 {
		return out, r
	}
	for i := 0; ; i++ {
		name := r.str("data", strconv.Itoa(i), "name")
		if name == "" {
			break
		}
		n, _ := strconv.ParseInt(r.str("data", strconv.Itoa(i), "values", "0", "value"), 10, 64)
		out[name] = n
		if r.str("data", strconv.Itoa(i), "period") != "lifetime" || r.str("data", strconv.Itoa(i), "id") != media+"/insights/"+name+"/lifetime" {
			e.t.Fatalf("insight entry %s", r.raw)
		}
	}
	return out, r
}

func TestInsightsDelayAndGrowth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.user("insights")
	media := e.post(u, tok, "insightful")
	e.expect(e.do(http.MethodPost, "/"+media+"/comments?message=c1", tok, nil), 200)
	all := "views,reach,likes,comments,saved,shares,total_interactions,follows,profile_visits"
	m, r := e.insights(media, tok, all)
	if r.status != 200 || len(m) != 0 || string(r.raw) != `{"data":[]}` {
		t.Fatalf("fresh media insights %s", r.raw)
	}
	e.clock.Advance(DefaultInsightsDelay)
	prev := map[string]int64{}
	for _, age := range []time.Duration{0, time.Hour, 6 * time.Hour, 7 * 24 * time.Hour} {
		e.clock.Advance(age)
		m, r = e.insights(media, tok, all)
		if len(m) != 9 {
			t.Fatalf("insights %s", r.raw)
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
		f := e.expect(e.do(http.MethodGet, "/"+media+"?fields=like_count,comments_count", tok, nil), 200)
		if f.str("like_count") != strconv.FormatInt(m["likes"], 10) || f.str("comments_count") != strconv.FormatInt(m["comments"], 10) {
			t.Fatalf("fields %s vs insights %v", f.raw, m)
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
	u, tok := e.user("refusals")
	feed := e.post(u, tok, "feed")
	reel := e.create(u, tok, map[string]any{"media_type": "REELS", "video_url": e.mediaURL("clip.mp4")})
	e.clock.Advance(DefaultVideoProcessing)
	reelID := e.expect(e.publish(u, tok, reel), 200).str("id")
	e.clock.Advance(time.Hour)
	for _, metric := range []string{"impressions", "plays", "video_views", "engagement", "clips_replays_count", "ig_reels_aggregated_all_plays_count"} {
		_, r := e.insights(reelID, tok, "views,"+metric)
		e.expectErr(r, 400, "100/")
	}
	_, r := e.insights(feed, tok, "views,ig_reels_avg_watch_time")
	e.expectErr(r, 400, "100/")
	_, r = e.insights(feed, tok, "replies")
	e.expectErr(r, 400, "100/")
	_, r = e.insights(reelID, tok, "crossposted_views")
	e.expectErr(r, 400, "100/")
	_, r = e.insights(feed, tok, "")
	e.expectErr(r, 400, "100/")
	m, r := e.insights(reelID, tok, "views,reach,ig_reels_avg_watch_time,ig_reels_video_view_total_time,reels_skip_rate")
	if r.status != 200 || m["ig_reels_video_view_total_time"] != m["views"]*m["ig_reels_avg_watch_time"] || m["reels_skip_rate"] == 0 {
		t.Fatalf("reel insights %s", r.raw)
	}

	// Without instagram_business_manage_insights: code 10.
	f := exchangeForm(e.code("instagram_business_basic,instagram_business_content_publish", "refusals"))
	noInsights := e.expect(e.do(http.MethodPost, "/oauth/access_token", "", multipartOf(f)), 200).str("access_token")
	_, r = e.insights(feed, noInsights, "views")
	e.expectErr(r, 400, "10/")
}

func TestStoryInsights(t *testing.T) {
	t.Parallel()
	viewers := map[string]int{}
	e := newEnv(t, Options{StoryViewers: func(id string) int { return viewers[id] }})
	u, tok := e.user("stories")
	story := func() string {
		c := e.create(u, tok, map[string]any{"media_type": "STORIES", "image_url": e.mediaURL("photo.jpg")})
		e.clock.Advance(DefaultImageProcessing)
		return e.expect(e.publish(u, tok, c), 200).str("id")
	}
	popular, quiet := story(), story()
	viewers[popular], viewers[quiet] = 40, 4
	e.clock.Advance(time.Hour)
	m, r := e.insights(popular, tok, "views,reach,replies,shares,total_interactions,navigation")
	if r.status != 200 || m["total_interactions"] != m["replies"]+m["shares"] {
		t.Fatalf("story insights %s", r.raw)
	}
	_, r = e.insights(quiet, tok, "views")
	if e.expectErr(r, 400, "10/"); r.str("error", "message") != "(#10) Not enough viewers for the media to show insights" {
		t.Fatalf("quiet story %s", r.raw)
	}
	_, r = e.insights(popular, tok, "likes")
	e.expectErr(r, 400, "100/")
	e.clock.Advance(23 * time.Hour)
	if _, r = e.insights(popular, tok, "views"); string(r.raw) != `{"data":[]}` {
		t.Fatalf("story insights after 24h %s", r.raw)
	}
}

func TestCarouselChildInsights(t *testing.T) {
	t.Parallel()
	e := newEnv(t, Options{})
	u, tok := e.user("album")
	a := e.create(u, tok, map[string]any{"is_carousel_item": true, "image_url": e.mediaURL("photo.jpg")})
	b := e.create(u, tok, map[string]any{"is_carousel_item": true, "image_url": e.mediaURL("photo.jpg")})
	e.clock.Advance(DefaultImageProcessing)
	parent := e.create(u, tok, map[string]any{"media_type": "CAROUSEL", "children": a + "," + b})
	e.clock.Advance(DefaultImageProcessing)
	media := e.expect(e.publish(u, tok, parent), 200).str("id")
	e.clock.Advance(time.Hour)
	if m, r := e.insights(media, tok, "views,reach,saved"); r.status != 200 || m["views"] == 0 {
		t.Fatalf("carousel insights %s", r.raw)
	}
	_, r := e.insights(e.sim.Posts()[0].Media[0].ID, tok, "views")
	e.expectErr(r, 400, "100/")
}
