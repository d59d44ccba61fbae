package x

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/sns-os/snsos/internal/platform"
)

// maxTimelinePages bounds a reconciliation search (100 posts a page).
const maxTimelinePages = 5

// FindPost looks for q among the account's posts since q.Since, newest
// first, through GET /2/users/{id}/tweets (owned reads, the cheapest). It
// returns an error matching platform.ErrNotFound when nothing matched.
//
// X returns text with "&", "<" and ">" escaped and with links and media
// replaced by t.co links, so both sides are compared after decoding
// entities, removing links and collapsing white space.
func (c *Client) FindPost(ctx context.Context, acct platform.Auth, q platform.PostQuery) (*platform.RemotePost, error) {
	const op = "search recent posts"
	if !platform.ValidNumericID(acct.UserID) {
		return nil, rejected(op, "the account has no valid X user id")
	}
	want := normalizeText(q.Text)
	query := url.Values{
		"max_results":  {"100"},
		"tweet.fields": {"created_at,referenced_tweets"},
	}
	if !q.Since.IsZero() {
		// X wants second precision; step back a second for clock skew.
		query.Set("start_time", q.Since.UTC().Add(-time.Second).Truncate(time.Second).Format(time.RFC3339))
	}
	for page := 0; page < maxTimelinePages; page++ {
		resp, err := c.do(ctx, request{op: op, method: http.MethodGet, path: "/2/users/" + acct.UserID + "/tweets",
			query: query, token: acct.AccessToken})
		if err != nil {
			return nil, err
		}
		l, err := decodeTweets(resp)
		if err != nil {
			return nil, err
		}
		for _, t := range l.Data {
			if q.InReplyTo != "" && t.inReplyTo() != q.InReplyTo {
				continue
			}
			if !q.Since.IsZero() && !t.created().IsZero() && t.created().Before(q.Since.Add(-time.Second)) {
				continue
			}
			got := normalizeText(t.Text)
			if got == want || q.Prefix && strings.HasPrefix(got, want) {
				return &platform.RemotePost{
					ID:        string(t.ID),
					Text:      t.Text,
					URL:       PostURL(acct.Handle, string(t.ID)),
					CreatedAt: t.created(),
					InReplyTo: t.inReplyTo(),
				}, nil
			}
		}
		if l.Meta.NextToken == "" {
			break
		}
		query.Set("pagination_token", l.Meta.NextToken)
	}
	return nil, platform.ErrNotFound
}

var linkRE = regexp.MustCompile(`https?://\S+`)

// normalizeText prepares a post text for comparison: entities decoded,
// links removed, white space collapsed.
func normalizeText(s string) string {
	s = html.UnescapeString(s)
	s = linkRE.ReplaceAllString(s, " ")
	return strings.Join(strings.Fields(s), " ")
}
