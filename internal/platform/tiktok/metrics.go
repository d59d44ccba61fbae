package tiktok

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

// metricFields are the video fields Metrics asks for.
const metricFields = "id,like_count,comment_count,share_count,view_count"

// Why a post has no metrics.
const (
	privatePost = "private post: TikTok reports no metrics for posts only you can see"
	noPublicID  = "private post: TikTok gave this post no public id (an \"Only me\" post, or an inbox upload not posted " +
		"publicly from the app), and reports no metrics for posts only you can see"
)

// Metrics reads the counters of posts with the Display API (POST
// /v2/video/query/, 20 ids a call, scope video.list). Values use the
// standard names:
//
//	views     view_count
//	likes     like_count
//	comments  comment_count
//	shares    share_count
//
// TikTok returns only the account's public videos: a post it leaves out,
// and one recorded under its publish_id (an "Only me" post, or an inbox
// upload without a public id), gets an Err wrapping platform.ErrNoMetrics.
func (c *Client) Metrics(ctx context.Context, acct platform.Auth, posts []platform.PostRef) ([]platform.PostMetrics, error) {
	out := make([]platform.PostMetrics, len(posts))
	var ids []string
	seen := map[string]bool{}
	for i, p := range posts {
		out[i].ID = p.ID
		if !platform.ValidNumericID(p.ID) {
			out[i].Err = noMetrics(0, noPublicID)
			continue
		}
		if !seen[p.ID] {
			seen[p.ID] = true
			ids = append(ids, p.ID)
		}
	}
	got := map[string]map[string]int64{}
	for start := 0; start < len(ids); start += MaxMetricsBatch {
		batch := ids[start:min(start+MaxMetricsBatch, len(ids))]
		if err := c.metricsBatch(ctx, acct, batch, got); err != nil {
			return nil, err
		}
	}
	for i, p := range posts {
		if out[i].Err != nil {
			continue
		}
		if v, ok := got[p.ID]; ok {
			out[i].Values = v
		} else {
			out[i].Err = noMetrics(http.StatusOK, privatePost)
		}
	}
	return out, nil
}

// noMetrics is the error of a post TikTok reports nothing for.
func noMetrics(status int, reason string) *platform.Error {
	return &platform.Error{Kind: platform.KindRejected, Platform: snsos.PlatformTikTok, Op: "read metrics", Status: status,
		Reason: reason, Err: platform.ErrNoMetrics}
}

func (c *Client) metricsBatch(ctx context.Context, acct platform.Auth, ids []string, into map[string]map[string]int64) error {
	body := map[string]any{"filters": map[string]any{"video_ids": ids}}
	data, resp, err := c.do(ctx, call{op: "read metrics", method: http.MethodPost, path: "/v2/video/query/",
		query: url.Values{"fields": {metricFields}}, token: acct.AccessToken, body: body})
	if err != nil {
		return err
	}
	videos, err := decodeVideos(resp, data)
	if err != nil {
		return err
	}
	for _, v := range videos {
		into[v.ID] = v.values()
	}
	return nil
}

// video is one entry of video/query.
type video struct {
	ID           string
	ViewCount    int64
	LikeCount    int64
	CommentCount int64
	ShareCount   int64
}

func (v *video) values() map[string]int64 {
	return map[string]int64{
		snsos.MetricViews: v.ViewCount, snsos.MetricLikes: v.LikeCount,
		snsos.MetricComments: v.CommentCount, snsos.MetricShares: v.ShareCount,
	}
}

// decodeVideos reads the data of video/query. Ids come as strings or as
// integers above 2^53; counters are integers (never through float64).
func decodeVideos(resp *platform.Response, data []byte) ([]video, error) {
	var d struct {
		Videos []struct {
			ID           platform.ID `json:"id"`
			ViewCount    int64       `json:"view_count"`
			LikeCount    int64       `json:"like_count"`
			CommentCount int64       `json:"comment_count"`
			ShareCount   int64       `json:"share_count"`
		} `json:"videos"`
	}
	if err := decodeData(resp, data, &d); err != nil {
		return nil, err
	}
	out := make([]video, 0, len(d.Videos))
	for _, v := range d.Videos {
		if !platform.ValidNumericID(string(v.ID)) {
			return nil, resp.BadResponse(fmt.Sprintf("a video has an invalid id %.30q", v.ID))
		}
		if v.ViewCount < 0 || v.LikeCount < 0 || v.CommentCount < 0 || v.ShareCount < 0 {
			return nil, resp.BadResponse("a video has a negative counter")
		}
		out = append(out, video{ID: string(v.ID), ViewCount: v.ViewCount, LikeCount: v.LikeCount,
			CommentCount: v.CommentCount, ShareCount: v.ShareCount})
	}
	return out, nil
}
