package threads

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos/internal/sim/graph"
)

// mediaMetrics are the metrics of GET /{media_id}/insights.
var mediaMetrics = []string{"views", "likes", "replies", "reposts", "quotes", "shares"}

// metricsLocked derives the counters of p at now from its id and age:
// views grow on a saturating curve and the others are fixed shares of
// views, so nothing ever decreases. replies adds the replies published
// through the API (the whole tree for a top-level post, the direct
// replies for a reply) and quotes the quote posts. Callers hold the core's lock.
func (s *Sim) metricsLocked(p *Post, now time.Time) map[string]int64 {
	seed := graph.Seed(p.ID)
	views := graph.Grow(int64(100+seed%3000), 6*time.Hour, now.Sub(p.CreatedAt))
	var replies, quotes int64
	for _, q := range s.posts {
		if q.QuotedID == p.ID {
			quotes++
		}
		if q.ReplyTo == p.ID || (p.ReplyTo == "" && q.RootID == p.ID && q.ReplyTo != p.ID) {
			replies++
		}
	}
	return map[string]int64{
		"views":   views,
		"likes":   graph.Part(views, seed, 8, 20, 60),
		"replies": graph.Part(views, seed, 16, 2, 10) + replies,
		"reposts": graph.Part(views, seed, 24, 1, 8),
		"quotes":  graph.Part(views, seed, 32, 0, 4) + quotes,
		"shares":  graph.Part(views, seed, 40, 1, 6),
	}
}

// handleInsights serves GET /{media_id}/insights?metric=…: an unknown
// metric fails the whole request with code 100; before InsightsDelay after
// publishing data is empty.
func (s *Sim) handleInsights(w http.ResponseWriter, r *http.Request) {
	_, names, ok := s.core.InsightsRequest(w, r, ScopeManageInsights)
	if !ok {
		return
	}
	id := r.PathValue("id")
	for i, n := range names {
		if !slices.Contains(mediaMetrics, n) {
			graph.WriteError(w, *bad("metric[" + strconv.Itoa(i) + "] must be one of the following values: " + strings.Join(mediaMetrics, ", ")))
			return
		}
	}
	s.core.Lock()
	defer s.core.Unlock()
	now := s.core.NowLocked()
	p := s.postsByID[id]
	if p == nil {
		graph.WriteError(w, graph.NotFound(r.Method, id))
		return
	}
	if now.Sub(p.CreatedAt) < s.opts.InsightsDelay {
		graph.WriteJSON(w, http.StatusOK, map[string]any{"data": []any{}})
		return
	}
	graph.WriteJSON(w, http.StatusOK, graph.InsightsAnswer(p.ID, names, s.metricsLocked(p, now), func(n string) string {
		return strings.ToUpper(n[:1]) + n[1:]
	}, func(n string) string { return "The number of " + n + " of your post (simulated)." }))
}
