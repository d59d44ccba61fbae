package x

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

// maxTimelinePages bounds a reconciliation search: 10 pages of 100 posts,
// 1,000 posts, enough for a busy account over the engine's 24-hour
// duplicate window (X serves at most the newest 3,200 posts of a timeline).
const maxTimelinePages = 10

// timelinePageSize is max_results of one timeline page (X's maximum).
const timelinePageSize = 100

// FindPost looks for q among the account's posts since q.Since, newest
// first, through GET /2/users/{id}/tweets (owned reads, the cheapest).
//
// It returns an error matching platform.ErrNotFound only when the search
// provably covered the whole window [q.Since, now]: the timeline had no
// further page, or a page reached posts older than q.Since. When the page
// bound ran out first, the absence is not proven and FindPost returns a
// transient *platform.Error instead, so the caller stays undecided rather
// than publishing a duplicate.
//
// X returns text with "&", "<" and ">" escaped and with links and media
// replaced by t.co links, so both sides are compared after decoding
// entities, removing links and collapsing white space. The found post's
// CreatedAt is X's created_at.
func (c *Client) FindPost(ctx context.Context, acct platform.Auth, q platform.PostQuery) (*platform.RemotePost, error) {
	const op = "search recent posts"
	if !platform.ValidNumericID(acct.UserID) {
		return nil, rejected(op, "the account has no valid X user id")
	}
	want := newMatcher(q)
	if want.empty() {
		// Nothing to tell this post from another: no text, no link, no
		// saved media id. Absence cannot be proven, nor presence.
		return nil, &platform.Error{Kind: platform.KindTransient, Platform: snsos.PlatformX, Op: op,
			Reason: "the post has no text and no recorded media id to look for"}
	}
	query := url.Values{
		"max_results":  {strconv.Itoa(timelinePageSize)},
		"tweet.fields": {"created_at,referenced_tweets,attachments,entities"},
	}
	// Posts are examined from a second before q.Since (clock skew; X wants
	// second precision).
	var lower time.Time
	if !q.Since.IsZero() {
		lower = q.Since.Add(-time.Second)
		query.Set("start_time", lower.UTC().Truncate(time.Second).Format(time.RFC3339))
	}
	for page := 1; ; page++ {
		resp, err := c.do(ctx, request{op: op, method: http.MethodGet, path: "/2/users/" + acct.UserID + "/tweets",
			query: query, token: acct.AccessToken})
		if err != nil {
			return nil, err
		}
		l, err := decodeTweets(resp)
		if err != nil {
			return nil, err
		}
		reachedOlder := false // the timeline is newest first
		for _, t := range l.Data {
			created := t.created()
			if !lower.IsZero() && !created.IsZero() && created.Before(lower) {
				reachedOlder = true
				continue
			}
			if t.inReplyTo() != q.InReplyTo { // part 1 is no reply; part n replies to part n-1
				continue
			}
			if want.matches(&t) {
				return &platform.RemotePost{
					ID:        string(t.ID),
					Text:      t.Text,
					URL:       PostURL(acct.Handle, string(t.ID)),
					CreatedAt: created,
					InReplyTo: t.inReplyTo(),
				}, nil
			}
		}
		if reachedOlder || l.Meta.NextToken == "" {
			return nil, platform.ErrNotFound
		}
		if page >= maxTimelinePages {
			return nil, searchIncomplete(op, q.Since)
		}
		query.Set("pagination_token", l.Meta.NextToken)
	}
}

// searchIncomplete is the answer of a search that ran out of pages before
// covering its window: nothing is proven, try again later or ask the
// operator.
func searchIncomplete(op string, since time.Time) *platform.Error {
	reach := "the account's oldest post"
	if !since.IsZero() {
		reach = since.UTC().Format(time.RFC3339)
	}
	return &platform.Error{Kind: platform.KindTransient, Platform: snsos.PlatformX, Op: op,
		Reason: fmt.Sprintf("the search did not reach back to %s within %d pages of %d posts; the post may still exist",
			reach, maxTimelinePages, timelinePageSize)}
}

var linkRE = regexp.MustCompile(`https?://\S+`)

// matcher tells whether a post is the one looked for: the same words
// (entities decoded, links removed, white space collapsed), the same links
// (X's t.co links expanded from the post's entities; links to the post's
// own media left out) and, when the attempt recorded the ids of uploaded
// media, those very media attached — media ids are unique per upload, the
// strongest evidence X offers.
type matcher struct {
	text   string
	prefix bool
	links  []string
	media  []string
}

func newMatcher(q platform.PostQuery) *matcher {
	m := &matcher{text: normalizeText(q.Text), prefix: q.Prefix, links: normalizeLinks(linkRE.FindAllString(html.UnescapeString(q.Text), -1))}
	if q.Part > 0 {
		for i := 1; i <= MaxMediaPerPost; i++ {
			if id := q.Progress[MediaKey(q.Part, i)]; id != "" {
				m.media = append(m.media, id)
			}
		}
	}
	return m
}

func (m *matcher) empty() bool { return m.text == "" && len(m.links) == 0 && len(m.media) == 0 }

func (m *matcher) matches(t *tweet) bool {
	got := normalizeText(t.Text)
	if got != m.text && !(m.prefix && strings.HasPrefix(got, m.text)) {
		return false
	}
	if !slices.Equal(tweetLinks(t), m.links) {
		return false
	}
	for _, id := range m.media {
		if !slices.ContainsFunc(t.Attachments.MediaKeys, func(k string) bool { return strings.HasSuffix(k, "_"+id) }) {
			return false
		}
	}
	return true
}

// tweetLinks returns the links a post's text carries, as written by its
// author: t.co links expanded from the entities, links to the post's own
// photos and videos (which X appends) left out.
func tweetLinks(t *tweet) []string {
	expanded := map[string]string{}
	for _, u := range t.Entities.URLs {
		target := u.ExpandedURL
		if strings.HasPrefix(u.DisplayURL, "pic.x.com") || strings.HasPrefix(u.DisplayURL, "pic.twitter.com") ||
			strings.Contains(target, "/photo/") || strings.Contains(target, "/video/") {
			target = ""
		}
		expanded[u.URL] = target
	}
	var out []string
	for _, l := range linkRE.FindAllString(html.UnescapeString(t.Text), -1) {
		if e, ok := expanded[l]; ok {
			l = e
		}
		if l != "" {
			out = append(out, l)
		}
	}
	return normalizeLinks(out)
}

// normalizeLinks makes links comparable: scheme and host in lower case, no
// trailing slash or sentence punctuation, sorted.
func normalizeLinks(ls []string) []string {
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		l = strings.TrimRight(l, ".,;:!?)」』。、")
		if u, err := url.Parse(l); err == nil {
			u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
			l = strings.TrimSuffix(u.String(), "/")
		}
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// normalizeText prepares a post text for comparison: entities decoded,
// links removed, white space collapsed.
func normalizeText(s string) string {
	s = html.UnescapeString(s)
	s = linkRE.ReplaceAllString(s, " ")
	return strings.Join(strings.Fields(s), " ")
}
