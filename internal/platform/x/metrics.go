package x

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

// Field lists of GET /2/tweets.
const (
	fieldsAll    = "public_metrics,non_public_metrics,organic_metrics,created_at"
	fieldsPublic = "public_metrics,created_at"
)

// Metrics reads the metrics of posts with GET /2/tweets, 100 ids a call.
// Private metrics (non_public_metrics, organic_metrics) are requested only
// for posts younger than 30 days (a zero PublishedAt counts as young), since
// X refuses them later. Values use the standard names plus X's extras:
//
//	views       impression_count        impressions  impression_count
//	likes       like_count              bookmarks    bookmark_count
//	comments    reply_count             replies      reply_count
//	shares      retweet_count           reposts      retweet_count
//	quotes      quote_count
//	url_link_clicks, user_profile_clicks, engagements (private, while served)
//
// Partial errors[] are read even on 200: an id X did not return gets Err; a
// withheld field group becomes a Note.
func (c *Client) Metrics(ctx context.Context, acct platform.Auth, posts []platform.PostRef) ([]platform.PostMetrics, error) {
	out := make([]platform.PostMetrics, len(posts))
	byID := map[string][]int{}
	var young, old []string
	now := c.now()
	for i, p := range posts {
		out[i].ID = p.ID
		if !platform.ValidNumericID(p.ID) {
			out[i].Err = rejected("read metrics", fmt.Sprintf("%.40q is not an X post id", p.ID))
			continue
		}
		if _, seen := byID[p.ID]; !seen {
			if p.PublishedAt.IsZero() || now.Sub(p.PublishedAt) < PrivateMetricsWindow {
				young = append(young, p.ID)
			} else {
				old = append(old, p.ID)
			}
		}
		byID[p.ID] = append(byID[p.ID], i)
	}
	results := map[string]platform.PostMetrics{}
	for _, group := range []struct {
		ids    []string
		fields string
	}{{young, fieldsAll}, {old, fieldsPublic}} {
		for start := 0; start < len(group.ids); start += MaxMetricsBatch {
			batch := group.ids[start:min(start+MaxMetricsBatch, len(group.ids))]
			if err := c.metricsBatch(ctx, acct, batch, group.fields, results); err != nil {
				return nil, err
			}
		}
	}
	for id, idx := range byID {
		r := results[id]
		for _, i := range idx {
			out[i].Values, out[i].Notes, out[i].Err = r.Values, r.Notes, r.Err
		}
	}
	return out, nil
}

func (c *Client) metricsBatch(ctx context.Context, acct platform.Auth, ids []string, fields string, into map[string]platform.PostMetrics) error {
	const op = "read metrics"
	resp, err := c.do(ctx, request{op: op, method: http.MethodGet, path: "/2/tweets",
		query: url.Values{"ids": {strings.Join(ids, ",")}, "tweet.fields": {fields}}, token: acct.AccessToken})
	if err != nil {
		return err
	}
	l, err := decodeTweets(resp)
	if err != nil {
		return err
	}
	for k, v := range metricsFromList(l, ids) {
		into[k] = v
	}
	return nil
}

// metricsFromList turns one GET /2/tweets answer into metrics for ids.
func metricsFromList(l *tweetList, ids []string) map[string]platform.PostMetrics {
	res := make(map[string]platform.PostMetrics, len(ids))
	for _, t := range l.Data {
		res[string(t.ID)] = platform.PostMetrics{ID: string(t.ID), Values: values(&t)}
	}
	for _, e := range l.Errors {
		id := string(e.ResourceID)
		if id == "" {
			if s, ok := e.Value.(string); ok {
				id = s
			}
		}
		if id == "" {
			continue
		}
		r, ok := res[id]
		if ok {
			r.Notes = append(r.Notes, truncate(e.text(), 200))
			res[id] = r
			continue
		}
		res[id] = platform.PostMetrics{ID: id, Err: &platform.Error{
			Kind: platform.KindRejected, Platform: snsos.PlatformX, Op: "read metrics", Status: 200,
			Code: code(e.Type), Reason: truncate(firstNonEmpty(e.text(), "not returned"), 300),
		}}
	}
	for _, id := range ids {
		if _, ok := res[id]; !ok {
			res[id] = platform.PostMetrics{ID: id, Err: &platform.Error{
				Kind: platform.KindRejected, Platform: snsos.PlatformX, Op: "read metrics", Status: 200,
				Reason: "X did not return this post",
			}}
		}
	}
	return res
}

// values maps X's metric groups to sns-os names.
func values(t *tweet) map[string]int64 {
	v := map[string]int64{
		snsos.MetricViews: 0, snsos.MetricLikes: 0, snsos.MetricComments: 0, snsos.MetricShares: 0,
	}
	pub := t.PublicMetrics
	impressions := max(pub["impression_count"], t.NonPublicMetrics["impression_count"], t.OrganicMetrics["impression_count"])
	v[snsos.MetricViews] = impressions
	v["impressions"] = impressions
	v[snsos.MetricLikes] = max(pub["like_count"], t.OrganicMetrics["like_count"])
	replies := max(pub["reply_count"], t.OrganicMetrics["reply_count"])
	v[snsos.MetricComments], v["replies"] = replies, replies
	reposts := max(pub["retweet_count"], t.OrganicMetrics["retweet_count"])
	v[snsos.MetricShares], v["reposts"] = reposts, reposts
	v["quotes"] = pub["quote_count"]
	v["bookmarks"] = pub["bookmark_count"]
	for _, k := range []string{"url_link_clicks", "user_profile_clicks", "engagements"} {
		if n, ok := t.NonPublicMetrics[k]; ok {
			v[k] = n
		} else if n, ok := t.OrganicMetrics[k]; ok {
			v[k] = n
		}
	}
	return v
}
