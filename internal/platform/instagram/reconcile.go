package instagram

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/meta"
)

// Bounds of a search among the account's recent media.
const (
	maxListPages = 8  // pages of a search: 200 posts
	listPageSize = 25 // limit of one page
	// containerSkew is how far before a container's recorded creation
	// time its post is looked for (clocks differ).
	containerSkew = 5 * time.Minute
)

// listFields are the fields of a recent-media search.
const listFields = "id,caption,timestamp,permalink,media_type,media_product_type"

// FindPost settles a publication whose outcome is unknown. It decides from
// the progress first: a recorded media id is the post; a post container
// Instagram reports as PUBLISHED is live, and its post is looked up among
// the account's recent media (or stories) created after the container;
// when every recorded post container is in another state, nothing is live
// and FindPost returns an error matching platform.ErrNotFound. Only when
// the progress holds no container (or one that vanished after a publish
// call was sent) does it search the recent media by caption, created at or
// after q.Since; ErrNotFound then means the search covered the window,
// and a search cut short by its page bound is a transient error.
func (c *Client) FindPost(ctx context.Context, acct platform.Auth, q platform.PostQuery) (*platform.RemotePost, error) {
	const op = "find post"
	if !platform.ValidNumericID(acct.UserID) {
		return nil, fail(platform.KindAuth, op, "the account has no Instagram professional account id; connect it again")
	}
	if id := q.Progress[platform.PartIDKey(1)]; id != "" {
		return c.readPost(ctx, acct, id)
	}
	found, absent, err := c.fromContainers(ctx, acct, q)
	switch {
	case err != nil:
		return nil, err
	case found != nil:
		return found, nil
	case absent:
		return nil, platform.ErrNotFound
	}
	return c.searchCaption(ctx, acct, q)
}

// fromContainers decides from the recorded post containers, newest
// generation first: the live post, or absent when every one provably is
// not published, or neither (nothing recorded, or a container gone after
// a publish call).
func (c *Client) fromContainers(ctx context.Context, acct platform.Auth, q platform.PostQuery) (*platform.RemotePost, bool, error) {
	recorded, unsure := false, false
	for g := generationOf(q.Progress[KeyGeneration]); g >= 1; g-- {
		id := q.Progress[g.container()]
		if id == "" {
			continue
		}
		recorded = true
		ct, err := c.status(ctx, acct, id)
		if isNoObject(err) {
			unsure = unsure || q.Progress[g.sent()] != ""
			continue
		}
		if err != nil {
			return nil, false, err
		}
		if ct.Status != meta.Published {
			continue
		}
		m, err := c.findLive(ctx, acct, q.Progress[keyMediaType], q.Text, createdAt(q.Progress[g.created()]))
		if err != nil {
			return nil, false, err
		}
		if m == nil {
			return nil, false, fail(platform.KindTransient, "find post", notListed(id))
		}
		return remotePost(m), false, nil
	}
	return nil, recorded && !unsure, nil
}

// findLive looks for the post of a published container created at after:
// the earliest media (a story for STORIES, matched by time alone since
// stories have no caption; otherwise a post with the same caption)
// created since then. nil means none is listed yet.
func (c *Client) findLive(ctx context.Context, acct platform.Auth, kind, caption string, after time.Time) (*mediaJSON, error) {
	edge := "media"
	if kind == MediaStories {
		edge = "stories"
	}
	var lower time.Time
	if !after.IsZero() {
		lower = after.Add(-containerSkew)
	}
	items, _, err := c.recent(ctx, acct, edge, lower, nil)
	if err != nil {
		return nil, err
	}
	for i := len(items) - 1; i >= 0; i-- { // oldest first
		if kind == MediaStories || meta.SameText(caption, items[i].Caption) {
			return &items[i], nil
		}
	}
	return nil, nil
}

// searchCaption looks for q among the recent media by caption, newest
// first.
func (c *Client) searchCaption(ctx context.Context, acct platform.Auth, q platform.PostQuery) (*platform.RemotePost, error) {
	const op = "search recent posts"
	want := strings.Join(strings.Fields(q.Text), " ")
	if want == "" {
		return nil, fail(platform.KindTransient, op, "the post has no caption to look for and no recorded container")
	}
	match := func(m mediaJSON) bool {
		return meta.SameText(q.Text, m.Caption) || q.Prefix && strings.HasPrefix(strings.Join(strings.Fields(m.Caption), " "), want)
	}
	var lower time.Time
	if !q.Since.IsZero() {
		lower = q.Since.Add(-time.Second)
	}
	items, covered, err := c.recent(ctx, acct, "media", lower, match)
	if err != nil {
		return nil, err
	}
	for i := range items {
		if match(items[i]) {
			return remotePost(&items[i]), nil
		}
	}
	if covered {
		return nil, platform.ErrNotFound
	}
	reach := "the account's oldest post"
	if !q.Since.IsZero() {
		reach = q.Since.UTC().Format(time.RFC3339)
	}
	return nil, fail(platform.KindTransient, op, fmt.Sprintf("the search did not reach back to %s within %d pages of %d posts; the post may still exist",
		reach, maxListPages, listPageSize))
}

// recent lists the account's media (edge "media" or "stories"), newest
// first, created at or after lower (zero: no bound), within maxListPages
// pages. It stops early when stop reports true for an item. covered
// reports that the list reached lower or its end.
func (c *Client) recent(ctx context.Context, acct platform.Auth, edge string, lower time.Time, stop func(mediaJSON) bool) (items []mediaJSON, covered bool, err error) {
	q := url.Values{"fields": {listFields}, "limit": {strconv.Itoa(listPageSize)}}
	for page := 1; ; page++ {
		resp, err := c.send(ctx, c.graph, meta.Call{Op: "list recent " + edge, Method: http.MethodGet,
			Path: "/" + acct.UserID + "/" + edge, Params: q, Token: acct.AccessToken})
		if err != nil {
			return nil, false, err
		}
		l, err := decodeMediaList(resp)
		if err != nil {
			return nil, false, err
		}
		older := false
		for _, m := range l.Data {
			if t := m.created(); !lower.IsZero() && !t.IsZero() && t.Before(lower) {
				older = true
				continue
			}
			items = append(items, m)
			if stop != nil && stop(m) {
				return items, true, nil
			}
		}
		after, more := l.Paging.More()
		if older || !more {
			return items, true, nil
		}
		if page >= maxListPages {
			return items, false, nil
		}
		q.Set("after", after)
	}
}

// readPost reads a recorded post (GET /{media-id}).
func (c *Client) readPost(ctx context.Context, acct platform.Auth, id string) (*platform.RemotePost, error) {
	if !platform.ValidNumericID(id) {
		return nil, rejected("read post", fmt.Sprintf("%.30q is not an Instagram media id", id))
	}
	resp, err := c.send(ctx, c.graph, meta.Call{Op: "read post", Method: http.MethodGet, Path: "/" + id,
		Params: url.Values{"fields": {"id,caption,timestamp,permalink"}}, Token: acct.AccessToken})
	if err != nil {
		return nil, err
	}
	m, err := decodeMedia(resp)
	if err != nil {
		return nil, err
	}
	m.ID = platform.ID(id)
	return remotePost(m), nil
}

func remotePost(m *mediaJSON) *platform.RemotePost {
	return &platform.RemotePost{ID: string(m.ID), Text: m.Caption, URL: m.Permalink, CreatedAt: m.created()}
}
