package instagram

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sns-os/snsos/internal/sim/graph"
)

// Media insight metrics by media_product_type [DOC §1.5].
var productMetrics = map[string][]string{
	productFeed: {"views", "reach", "likes", "comments", "saved", "shares", "total_interactions", "reposts",
		"follows", "profile_visits", "profile_activity"},
	productReels: {"views", "reach", "likes", "comments", "saved", "shares", "total_interactions", "reposts",
		"ig_reels_avg_watch_time", "ig_reels_video_view_total_time", "reels_skip_rate", "crossposted_views", "facebook_views"},
	productStory: {"views", "reach", "shares", "total_interactions", "reposts", "follows", "profile_visits",
		"profile_activity", "navigation", "replies", "link_clicks"},
}

// deprecatedMetrics are refused on every media type.
var deprecatedMetrics = []string{"impressions", "plays", "video_views", "engagement", "clips_replays_count",
	"ig_reels_aggregated_all_plays_count", "carousel_album_impressions", "carousel_album_reach",
	"carousel_album_engagement", "carousel_album_saved", "carousel_album_video_views", "taps_forward", "taps_back", "exits"}

// minStoryViewers is the audience below which story insights are refused.
const minStoryViewers = 5

// metricsLocked derives every counter of p at now from its id and age:
// views grow on a saturating curve (stories have small audiences, reels
// large ones) and every other counter is a fixed share of views or reach,
// so views ≥ reach ≥ likes and nothing ever decreases. comments adds the
// comments posted through the API; total_interactions is likes + comments
// + saved + shares + replies. Callers hold the core's lock.
func (s *Sim) metricsLocked(p *Post, now time.Time) map[string]int64 {
	seed := graph.Seed(p.ID)
	peak, tau := int64(300+seed%5000), 6*time.Hour
	switch p.ProductType {
	case productReels:
		peak *= 3
	case productStory:
		peak, tau = int64(seed%400), 2*time.Hour
	}
	views := graph.Grow(peak, tau, now.Sub(p.CreatedAt))
	reach := graph.Part(views, seed, 8, 550, 350)
	m := map[string]int64{
		"views": views, "reach": reach,
		"shares": graph.Part(reach, seed, 40, 2, 10), "reposts": graph.Part(reach, seed, 44, 0, 4),
		"follows": graph.Part(reach, seed, 48, 1, 5), "profile_visits": graph.Part(reach, seed, 52, 5, 25),
	}
	m["profile_activity"] = graph.Part(m["profile_visits"], seed, 56, 300, 400)
	if p.ProductType == productStory {
		m["replies"] = graph.Part(reach, seed, 16, 5, 20)
		m["navigation"] = graph.Part(views, seed, 24, 600, 300)
		m["link_clicks"] = graph.Part(reach, seed, 32, 0, 10)
	} else {
		m["likes"] = graph.Part(reach, seed, 16, 30, 60)
		m["comments"] = graph.Part(reach, seed, 24, 2, 8) + int64(len(p.Comments))
		m["saved"] = graph.Part(reach, seed, 32, 5, 15)
	}
	if p.ProductType == productReels && views > 0 {
		avg := int64(2000 + seed%12000)
		m["ig_reels_avg_watch_time"], m["ig_reels_video_view_total_time"] = avg, views*avg
		m["reels_skip_rate"] = int64(20 + seed%50)
	}
	m["total_interactions"] = m["likes"] + m["comments"] + m["saved"] + m["shares"] + m["replies"]
	return m
}

// handleInsights serves GET /{media_id}/insights?metric=a,b. A metric the
// media's product type does not support, or a deprecated one, fails the
// whole request with code 100. Before InsightsDelay after publishing, and
// for stories older than 24 hours, data is empty. A story seen by fewer
// than 5 accounts gets code 10 "Not enough viewers".
func (s *Sim) handleInsights(w http.ResponseWriter, r *http.Request) {
	u, names, ok := s.core.InsightsRequest(w, r, ScopeManageInsights)
	if !ok {
		return
	}
	id := r.PathValue("id")
	s.core.Lock()
	defer s.core.Unlock()
	now := s.core.NowLocked()
	p := s.postsByID[id]
	switch {
	case s.children[id] != nil && s.children[id].OwnerID == u.UserID:
		graph.WriteError(w, graph.InvalidParam(graph.TypeOAuth, "Insights are not available for carousel children; query the carousel instead"))
		return
	case p == nil || p.OwnerID != u.UserID:
		graph.WriteError(w, graph.NotFound(r.Method, id))
		return
	}
	if gerr := checkMetrics(names, p.ProductType); gerr != nil {
		graph.WriteError(w, *gerr)
		return
	}
	age := now.Sub(p.CreatedAt)
	empty := map[string]any{"data": []any{}}
	if age < s.opts.InsightsDelay || (p.ProductType == productStory && age >= 24*time.Hour) {
		graph.WriteJSON(w, http.StatusOK, empty)
		return
	}
	m := s.metricsLocked(p, now)
	if p.ProductType == productStory && s.storyViewers(p, m) < minStoryViewers {
		graph.WriteError(w, graph.Error{Code: 10, Message: "(#10) Not enough viewers for the media to show insights"})
		return
	}
	graph.WriteJSON(w, http.StatusOK, graph.InsightsAnswer(p.ID, names, m, metricTitle, func(n string) string {
		return "Simulated lifetime " + strings.ReplaceAll(n, "_", " ") + " of the media."
	}))
}

func (s *Sim) storyViewers(p *Post, m map[string]int64) int {
	if s.opts.StoryViewers != nil {
		return s.opts.StoryViewers(p.ID)
	}
	return int(m["reach"])
}

// checkMetrics refuses deprecated, unknown and unsupported metrics.
func checkMetrics(names []string, product string) *graph.Error {
	supported := productMetrics[product]
	for _, n := range names {
		n = strings.TrimSpace(n)
		switch {
		case slices.Contains(deprecatedMetrics, n):
			return errp(graph.InvalidParam(graph.TypeOAuth, "The "+n+" metric is no longer supported (deprecated since v22.0); use views or total_interactions instead."))
		case n == "crossposted_views" || n == "facebook_views":
			if product == productReels {
				return errp(graph.InvalidParam(graph.TypeOAuth, "The "+n+" metric is only available for reels shared to Facebook."))
			}
		}
		if !slices.Contains(supported, n) {
			return errp(graph.InvalidParam(graph.TypeOAuth, "The Media Insights API does not support the "+n+
				" metric for this media product type ("+product+"). Supported: "+strings.Join(supported, ", ")+"."))
		}
	}
	return nil
}

// metricTitle is the metric's title: its words capitalized.
func metricTitle(n string) string {
	words := strings.Split(n, "_")
	for i, w := range words {
		if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}
