package threads

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/sns-os/snsos/internal/platform"
)

const (
	quotaFields     = "quota_usage,config,reply_quota_usage,reply_config"
	postQuotaFields = "quota_usage,config"
)

// PublishQuota returns the account's allowance of root posts (default 250
// in a rolling 24 hours; a carousel counts as one). Each later part of a
// reply chain counts against the separate reply allowance instead (1,000
// in 24 hours), which Quotas reports.
func (c *Client) PublishQuota(ctx context.Context, acct platform.Auth) (*platform.Quota, error) {
	q, err := c.Quotas(ctx, acct)
	if err != nil {
		return nil, err
	}
	return &q.Posts, nil
}

// Quotas reads GET /{user}/threads_publishing_limit for posts and replies.
// Threads may refuse the reply fields to a token without a reply
// permission (an account connected before sns-os asked for
// threads_read_replies); Quotas then asks for the posts' fields alone and
// leaves Replies nil.
func (c *Client) Quotas(ctx context.Context, acct platform.Auth) (*Quotas, error) {
	const op = "read publishing quota"
	user, ok := userPath(acct)
	if !ok {
		return nil, rejected(op, "the account has no valid Threads user id")
	}
	q, err := c.quotas(ctx, acct, user, quotaFields)
	if permissionRefused(err) {
		q, err = c.quotas(ctx, acct, user, postQuotaFields)
	}
	return q, err
}

func (c *Client) quotas(ctx context.Context, acct platform.Auth, user, fields string) (*Quotas, error) {
	resp, err := c.send(ctx, get("read publishing quota", user+"/threads_publishing_limit", acct.AccessToken,
		url.Values{"fields": {fields}}))
	if err != nil {
		return nil, err
	}
	if err := c.graph.Decode(resp, nil); err != nil {
		return nil, err
	}
	return decodeQuotas(resp)
}

// permissionRefused reports a refusal for a missing permission (code 10,
// 200–299, or 100/10 as Threads answers it).
func permissionRefused(err error) bool {
	var pe *platform.Error
	if !errors.As(err, &pe) || pe.Kind != platform.KindRejected {
		return false
	}
	code, _, _ := strings.Cut(pe.Code, "/")
	switch {
	case code == "10", pe.Code == "100/10", len(code) == 3 && code[0] == '2':
		return true
	}
	return strings.Contains(strings.ToLower(pe.Reason), "permission")
}
