package threads

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/meta"
)

// insightMetrics are the media insights read for every post (none of them
// deprecated; views and shares are "in development" and may be missing).
var insightMetrics = []string{"views", "likes", "replies", "reposts", "quotes", "shares"}

// Metrics reads each post's insights (GET /{media}/insights, one call per
// post). Values use the standard names plus Threads' extras:
//
//	views     views          replies  replies
//	likes     likes          reposts  reposts
//	comments  replies        quotes   quotes
//	shares    shares
//
// A post whose insights are empty (too fresh, or a repost) gets a
// transient Err, never zeros; a metric Threads left out of an otherwise
// filled answer is named in Notes. A refusal of the account's token or a
// throttle stops the batch; other refusals are per post.
func (c *Client) Metrics(ctx context.Context, acct platform.Auth, posts []platform.PostRef) ([]platform.PostMetrics, error) {
	out := make([]platform.PostMetrics, len(posts))
	for i, p := range posts {
		out[i].ID = p.ID
		values, notes, err := c.insights(ctx, acct, p.ID)
		if k := platform.KindOf(err); k == platform.KindAuth || k == platform.KindRateLimited || errors.Is(err, context.Canceled) {
			return nil, err
		}
		out[i].Values, out[i].Notes, out[i].Err = values, notes, err
	}
	return out, nil
}

// insights reads one post's insights.
func (c *Client) insights(ctx context.Context, acct platform.Auth, id string) (map[string]int64, []string, error) {
	const op = "read insights"
	if !validID(id) {
		return nil, nil, rejected(op, fmt.Sprintf("%s is not a Threads post id", quoteShort(id)))
	}
	resp, err := c.send(ctx, get(op, "/"+id+"/insights", acct.AccessToken,
		url.Values{"metric": {strings.Join(insightMetrics, ",")}}))
	if err != nil {
		return nil, nil, err
	}
	if err := c.graph.Decode(resp, nil); err != nil {
		return nil, nil, err
	}
	raw, err := meta.DecodeInsights(resp.Body)
	if err != nil {
		return nil, nil, resp.BadResponse(err.Error())
	}
	values, notes := metricValues(raw)
	if values == nil {
		return nil, nil, failure(platform.KindTransient, op, "insights are not available yet")
	}
	return values, notes, nil
}

// metricValues maps Threads' insights to sns-os names; nil when Threads
// reported none of them. notes names the metrics it left out.
func metricValues(raw map[string]int64) (map[string]int64, []string) {
	v := map[string]int64{}
	var notes []string
	for _, name := range insightMetrics {
		n, ok := raw[name]
		if !ok {
			notes = append(notes, name+" not reported")
			continue
		}
		v[name] = n
	}
	if len(v) == 0 {
		return nil, nil
	}
	if n, ok := v["replies"]; ok {
		v[snsos.MetricComments] = n
	}
	slices.Sort(notes)
	return v, notes
}
