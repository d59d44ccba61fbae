package instagram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/meta"
)

// The insights metric sets, per media product type (no deprecated names:
// impressions, plays, video_views and engagement are gone).
var (
	// FeedMetrics serve feed images, carousels and reels alike.
	FeedMetrics = []string{"views", "reach", "likes", "comments", "shares", "saved", "total_interactions"}
	// StoryMetrics serve stories (which have no likes, comments or saves).
	StoryMetrics = []string{"views", "reach", "replies", "shares", "total_interactions"}
	// minimalFeed and minimalStory are asked once when Instagram refuses a
	// metric of the full set (code 100).
	minimalFeed  = []string{"views", "reach", "likes", "comments"}
	minimalStory = []string{"views", "reach"}
)

// StoryInsightsWindow is how long Instagram keeps a story's insights.
const StoryInsightsWindow = 24 * time.Hour

// Metrics reads each post's media fields (GET /{media-id}: type, time,
// like_count, comments_count) and then its insights with the metric set of
// its type (GET /{media-id}/insights). Values use the standard names
// views, likes, comments, shares (a story's replies count as its comments)
// plus Instagram's reach, saved, total_interactions and replies.
//
// Per post: an empty insights answer is "not yet" (a transient Err, never
// zeros); a refused metric (code 100) is retried once with a minimal set
// and the withheld ones are noted; without the insights permission (code
// 10 or 200–299) like_count and comments_count stand alone with a note; a
// story older than 24 hours, or seen by too few people, has an Err
// matching platform.ErrNoMetrics. The token's refusal, throttling and
// cancellation fail the whole batch.
func (c *Client) Metrics(ctx context.Context, acct platform.Auth, posts []platform.PostRef) ([]platform.PostMetrics, error) {
	out := make([]platform.PostMetrics, len(posts))
	seen := map[string]platform.PostMetrics{}
	for i, p := range posts {
		if r, ok := seen[p.ID]; ok {
			out[i] = r
			continue
		}
		r, err := c.postMetrics(ctx, acct, p)
		if err != nil {
			return nil, err
		}
		seen[p.ID], out[i] = r, r
	}
	return out, nil
}

// batchFailure reports an error that would fail every post alike.
func batchFailure(ctx context.Context, err error) bool {
	k := platform.KindOf(err)
	return ctx.Err() != nil || k == 0 || k == platform.KindAuth || k == platform.KindRateLimited
}

// postMetrics reads one post. Its error is for the whole batch; a failure
// of this post alone is in the result's Err.
func (c *Client) postMetrics(ctx context.Context, acct platform.Auth, ref platform.PostRef) (platform.PostMetrics, error) {
	res := platform.PostMetrics{ID: ref.ID}
	if !platform.ValidNumericID(ref.ID) {
		res.Err = rejected("read metrics", fmt.Sprintf("%.40q is not an Instagram media id", ref.ID))
		return res, nil
	}
	m, err := c.mediaFields(ctx, acct, ref.ID)
	if err != nil {
		if batchFailure(ctx, err) {
			return res, err
		}
		res.Err = err
		if isNoObject(err) {
			res.Err = noMetrics("Instagram no longer has this post (deleted, or a story past 24 hours)")
		}
		return res, nil
	}
	story := strings.EqualFold(m.ProductType, "STORY")
	at := m.created()
	if at.IsZero() {
		at = ref.PublishedAt
	}
	if story && !at.IsZero() && c.now().Sub(at) >= StoryInsightsWindow {
		res.Err = noMetrics("Instagram keeps a story's insights for 24 hours only, and this story is older")
		return res, nil
	}
	vals, notes, err := c.insights(ctx, acct, ref.ID, story)
	if err != nil && batchFailure(ctx, err) {
		return res, err
	}
	res.Values, res.Notes, res.Err = metricValues(m, story, vals, notes, err)
	return res, nil
}

// metricValues combines the media fields and the insights answer (or its
// error) into a post's values, notes and per-post error.
func metricValues(m *mediaJSON, story bool, vals map[string]int64, notes []string, err error) (map[string]int64, []string, error) {
	code, _ := graphCode(err)
	switch {
	case err != nil && code == 10 && strings.Contains(strings.ToLower(errReason(err)), "not enough viewers"):
		return nil, nil, noMetrics("Instagram shows a story's insights only when enough people (five or more) saw it")
	case err != nil && (code == 10 || code >= 200 && code < 300):
		likes, okL := count(m.LikeCount)
		comments, okC := count(m.CommentsCount)
		if story || !okL && !okC {
			return nil, nil, rejected("read metrics", "Instagram serves this post's metrics only with the "+ScopeInsights+
				" permission; connect the account again and allow insights")
		}
		v := standard()
		v[snsos.MetricLikes], v[snsos.MetricComments] = likes, comments
		return v, []string{"views, reach, shares and saves need the " + ScopeInsights + " permission; connect the account again to allow insights"}, nil
	case err != nil:
		return nil, nil, err
	case len(vals) == 0:
		return nil, nil, fail(platform.KindTransient, "read metrics", "insights are not available yet")
	}
	v := standard()
	for k, n := range vals {
		v[k] = n
	}
	if story {
		v[snsos.MetricComments] = vals["replies"]
	}
	if _, ok := vals["likes"]; !ok && !story {
		v[snsos.MetricLikes], _ = count(m.LikeCount)
	}
	if _, ok := vals["comments"]; !ok && !story {
		v[snsos.MetricComments], _ = count(m.CommentsCount)
	}
	return v, notes, nil
}

// standard returns the standard metric names at zero.
func standard() map[string]int64 {
	return map[string]int64{snsos.MetricViews: 0, snsos.MetricLikes: 0, snsos.MetricComments: 0, snsos.MetricShares: 0}
}

func errReason(err error) string {
	var pe *platform.Error
	if errors.As(err, &pe) {
		return pe.Reason
	}
	return err.Error()
}

// noMetrics is a post whose metrics Instagram will never report.
func noMetrics(reason string) *platform.Error {
	e := rejected("read metrics", reason)
	e.Err = platform.ErrNoMetrics
	return e
}

// mediaFields reads what decides a post's metric set.
func (c *Client) mediaFields(ctx context.Context, acct platform.Auth, id string) (*mediaJSON, error) {
	resp, err := c.send(ctx, c.graph, meta.Call{Op: "read media", Method: http.MethodGet, Path: "/" + id,
		Params: url.Values{"fields": {"media_type,media_product_type,timestamp,like_count,comments_count"}}, Token: acct.AccessToken})
	if err != nil {
		return nil, err
	}
	return decodeMedia(resp)
}

// insights reads the post's insights with the set of its type; when
// Instagram refuses a metric of it (code 100), once more with the minimal
// set, noting the metrics withheld.
func (c *Client) insights(ctx context.Context, acct platform.Auth, id string, story bool) (map[string]int64, []string, error) {
	full, minimal := FeedMetrics, minimalFeed
	if story {
		full, minimal = StoryMetrics, minimalStory
	}
	vals, err := c.readInsights(ctx, acct, id, full)
	if code, _ := graphCode(err); code != meta.CodeBadParameter || platform.KindOf(err) != platform.KindRejected {
		return vals, nil, err
	}
	vals, err = c.readInsights(ctx, acct, id, minimal)
	if err != nil {
		return nil, nil, err
	}
	var withheld []string
	for _, m := range full {
		if !slices.Contains(minimal, m) {
			withheld = append(withheld, m)
		}
	}
	return vals, []string{"Instagram refused some metrics for this post; " + strings.Join(withheld, ", ") + " were not read"}, nil
}

func (c *Client) readInsights(ctx context.Context, acct platform.Auth, id string, metrics []string) (map[string]int64, error) {
	resp, err := c.send(ctx, c.graph, meta.Call{Op: "read insights", Method: http.MethodGet, Path: "/" + id + "/insights",
		Params: url.Values{"metric": {strings.Join(metrics, ",")}}, Token: acct.AccessToken})
	if err != nil {
		return nil, err
	}
	vals, err := meta.DecodeInsights(resp.Body)
	if err != nil {
		return nil, resp.BadResponse(err.Error())
	}
	return vals, nil
}

// PublishQuota reads the account's publishing allowance (GET
// /{user-id}/content_publishing_limit): posts published in the rolling
// window, the cap (quota_total, 100 when absent) and the window
// (quota_duration, 24 hours when absent).
func (c *Client) PublishQuota(ctx context.Context, acct platform.Auth) (*platform.Quota, error) {
	const op = "read publishing limit"
	if !platform.ValidNumericID(acct.UserID) {
		return nil, fail(platform.KindAuth, op, "the account has no Instagram professional account id; connect it again")
	}
	resp, err := c.send(ctx, c.graph, meta.Call{Op: op, Method: http.MethodGet, Path: "/" + acct.UserID + "/content_publishing_limit",
		Params: url.Values{"fields": {"quota_usage,config"}}, Token: acct.AccessToken})
	if err != nil {
		return nil, err
	}
	return decodeQuota(resp)
}
