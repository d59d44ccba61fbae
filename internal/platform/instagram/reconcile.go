package instagram

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
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
	// clockSkew is how far before a time this client recorded (a publish
	// call, an attempt's start) a post is looked for: Instagram's clock
	// may run behind ours.
	clockSkew = time.Minute
	// createdSkew is how far before a container's recorded creation its
	// post is looked for: a post is never older than its container, but
	// the creation time is ours and the post's Instagram's, and an image
	// may be published a second after its container was made.
	createdSkew = 10 * time.Second
	// storyLife is how long Instagram lists a story.
	storyLife = 24 * time.Hour
)

// listFields are the fields of a recent-media search.
const listFields = "id,caption,timestamp,permalink,media_type,media_product_type"

// FindPost settles a publication whose outcome is unknown. It decides from
// the progress first: a recorded media id is the post; a post container
// Instagram reports as PUBLISHED is live, and its post is the earliest of
// the account's recent media with its caption (for a story, the only
// story) created since the publish call, and not before the container was
// made (beyond a few seconds of clock difference); both are returned
// Proven. When every recorded post container is in another
// state, or when none was ever recorded (the container id is saved before
// any publish call), nothing is live and FindPost returns an error
// matching platform.ErrNotFound. Only a container that vanished after a
// publish call was sent leads to a search: the recent media by caption,
// created at or after q.Since, or the stories since the publish call;
// ErrNotFound then means the search covered the window, and a search that
// could not (a page bound, stories no longer listed, several stories that
// could each be the post) is a transient error.
func (c *Client) FindPost(ctx context.Context, acct platform.Auth, q platform.PostQuery) (*platform.RemotePost, error) {
	const op = "find post"
	if !platform.ValidNumericID(acct.UserID) {
		return nil, fail(platform.KindAuth, op, "the account has no Instagram professional account id; connect it again")
	}
	if id := q.Progress[platform.PartIDKey(1)]; id != "" {
		return c.readPost(ctx, acct, id)
	}
	found, gone, err := c.fromContainers(ctx, acct, q)
	switch {
	case err != nil:
		return nil, err
	case found != nil:
		return found, nil
	case len(gone) == 0:
		return nil, platform.ErrNotFound
	}
	if q.Progress[keyMediaType] == MediaStories {
		return c.searchStory(ctx, acct, slices.MinFunc(gone, time.Time.Compare))
	}
	return c.searchCaption(ctx, acct, q)
}

// fromContainers decides from the recorded post containers, newest
// generation first: the live post (Proven), or, when found is nil, the
// earliest times the post of each container that vanished after a publish
// call could carry. None found and none gone means no recorded container
// is published (or none was recorded): nothing is live.
func (c *Client) fromContainers(ctx context.Context, acct platform.Auth, q platform.PostQuery) (found *platform.RemotePost, gone []time.Time, err error) {
	get := func(k string) string { return q.Progress[k] }
	for g := generationOf(get(KeyGeneration)); g >= 1; g-- {
		id := get(g.container())
		if id == "" {
			continue
		}
		ct, err := c.status(ctx, acct, id)
		if isNoObject(err) {
			if get(g.sent()) != "" {
				gone = append(gone, liveSince(get, g))
			}
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		if ct.Status != meta.Published {
			continue
		}
		m, err := c.findLive(ctx, acct, get(keyMediaType), q.Text, liveSince(get, g))
		if err != nil {
			return nil, nil, err
		}
		if m == nil {
			return nil, nil, fail(platform.KindTransient, "find post", notListed(id))
		}
		p := remotePost(m)
		p.Proven = true
		return p, nil, nil
	}
	return nil, gone, nil
}

// findLive looks for the post of a container Instagram reports as
// PUBLISHED, among the media created at or after since (liveSince). For a
// story, matched by time alone since stories have no caption, it is the
// only story since then; for another post, the earliest with the same
// caption. nil means none is listed yet. An error says the list cannot
// tell (no time to bound it, several stories, a page bound).
func (c *Client) findLive(ctx context.Context, acct platform.Auth, kind, caption string, since time.Time) (*mediaJSON, error) {
	const op = "find published post"
	if since.IsZero() {
		return nil, fail(platform.KindTransient, op, "sns-os recorded neither when the container was made nor when it was "+
			"published, so it cannot tell its post from older ones")
	}
	if kind == MediaStories {
		return c.findStory(ctx, acct, since)
	}
	items, covered, err := c.recent(ctx, acct, "media", since, nil)
	if err != nil {
		return nil, err
	}
	for i := len(items) - 1; i >= 0; i-- { // oldest first
		if !meta.SameText(caption, items[i].Caption) {
			continue
		}
		if !covered {
			return nil, fail(platform.KindTransient, op, fmt.Sprintf("the list did not reach back to %s within %d pages; "+
				"an earlier post with the same caption may be the one", since.UTC().Format(time.RFC3339), maxListPages))
		}
		return &items[i], nil
	}
	return nil, nil
}

// findStory returns the only story created at or after since, nil when
// there is none, or a transient error when several could each be the one
// (a story has no caption to tell them apart) or the list was cut short.
func (c *Client) findStory(ctx context.Context, acct platform.Auth, since time.Time) (*mediaJSON, error) {
	const op = "find story"
	items, covered, err := c.recent(ctx, acct, "stories", since, nil)
	switch {
	case err != nil:
		return nil, err
	case len(items) > 1:
		return nil, fail(platform.KindTransient, op, fmt.Sprintf("%d stories were posted since %s; a story has no caption, "+
			"so sns-os cannot tell which one is this post's", len(items), since.UTC().Format(time.RFC3339)))
	case len(items) == 1:
		return &items[0], nil
	case !covered:
		return nil, fail(platform.KindTransient, op, "the list of stories did not reach back to "+since.UTC().Format(time.RFC3339))
	}
	return nil, nil
}

// searchStory looks for a story whose container vanished after its
// publish call, among the stories created since then (a story never
// appears among the recent media). Not finding it proves nothing once
// Instagram may have stopped listing it (24 hours).
func (c *Client) searchStory(ctx context.Context, acct platform.Auth, since time.Time) (*platform.RemotePost, error) {
	const op = "search recent stories"
	switch {
	case since.IsZero():
		return nil, fail(platform.KindTransient, op, "the story's container is gone and sns-os did not record when it was "+
			"published, so the stories cannot be searched safely")
	case c.now().Sub(since) >= storyLife-clockSkew:
		return nil, fail(platform.KindTransient, op, "the story's container is gone and Instagram lists stories for 24 hours "+
			"only, so whether it went live can no longer be checked")
	}
	m, err := c.findStory(ctx, acct, since)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, platform.ErrNotFound
	}
	return remotePost(m), nil
}

// searchCaption looks for q among the recent media by caption, newest
// first, created at or after q.Since less the clock skew.
func (c *Client) searchCaption(ctx context.Context, acct platform.Auth, q platform.PostQuery) (*platform.RemotePost, error) {
	const op = "search recent posts"
	want := strings.Join(strings.Fields(q.Text), " ")
	if want == "" {
		return nil, fail(platform.KindTransient, op, "the post's container is gone and it has no caption to look for")
	}
	match := func(m mediaJSON) bool {
		return meta.SameText(q.Text, m.Caption) || q.Prefix && strings.HasPrefix(strings.Join(strings.Fields(m.Caption), " "), want)
	}
	var lower time.Time
	if !q.Since.IsZero() {
		lower = q.Since.Add(-clockSkew)
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
	if !lower.IsZero() {
		reach = lower.UTC().Format(time.RFC3339)
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
	p := remotePost(m)
	p.Proven = true // the attempt recorded this id
	return p, nil
}

func remotePost(m *mediaJSON) *platform.RemotePost {
	return &platform.RemotePost{ID: string(m.ID), Text: m.Caption, URL: m.Permalink, CreatedAt: m.created()}
}
