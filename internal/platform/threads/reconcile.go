package threads

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/meta"
)

// Bounds of a search among the account's posts: 10 pages of 25, as many
// posts as the 24-hour publishing quota allows.
const (
	searchPages    = 10
	searchPageSize = 25
)

// minSince is the earliest "since" the list endpoints accept (2023-07-05).
const minSince = 1688540400

// Field lists of the searches.
const (
	rootFields  = "id,text,timestamp,permalink,media_type"
	replyFields = "id,text,timestamp,permalink,replied_to,root_post"
)

// lookFor is what identifies a part among the account's posts.
type lookFor struct {
	text   string
	prefix bool
	// since bounds the search: older posts are not examined.
	since time.Time
	// reply searches the account's replies instead of its posts; a reply
	// must answer inReplyTo (or, when Threads names only the thread's
	// root, belong to root).
	reply           bool
	inReplyTo, root string
	// earliest takes the oldest match in the window instead of the
	// newest: the part of a container known to be published went live
	// soon after its publish call, and later posts may repeat its text.
	earliest bool
}

// FindPost settles a part whose outcome is unknown. It decides from the
// saved progress first: a recorded post id is read back; a recorded
// container that Threads reports PUBLISHED is live, and its post is the
// earliest with the part's text among the account's posts (replies, for
// later parts) since its publish call, and not before the container was
// made (beyond a few seconds of clock difference); both are returned
// Proven. Containers that are all in another
// state, or that vanished before any publish call, prove the part is not
// live (platform.ErrNotFound), and so does a part for which no container
// was ever recorded (its id is saved before any publish call). Only a
// container that vanished after a publish call (or is still processing 24
// hours after it was made, with a publish call sent) leads to a search of
// the account's posts or replies since q.Since by text. A search that ran
// out of pages before covering the window is a transient error, never
// ErrNotFound.
func (c *Client) FindPost(ctx context.Context, acct platform.Auth, q platform.PostQuery) (*platform.RemotePost, error) {
	const op = "find post"
	if _, ok := userPath(acct); !ok {
		return nil, rejected(op, "the account has no valid Threads user id")
	}
	n := max(q.Part, 1)
	if id := q.Progress[platform.PartIDKey(n)]; validID(id) {
		p, err := c.readPost(ctx, acct, id, "id,text,timestamp,permalink")
		if err != nil {
			return nil, err
		}
		p.Proven = true // the attempt recorded this id
		return p, nil
	}
	if !attempted(q.Progress, n) {
		return nil, platform.ErrNotFound
	}
	want := lookFor{text: q.Text, prefix: q.Prefix, since: q.Since, reply: n > 1, inReplyTo: q.InReplyTo,
		root: q.Progress[platform.PartIDKey(1)]}
	found, searchFrom, err := c.fromContainers(ctx, acct, q.Progress, n, want)
	if err != nil || found != nil {
		return found, err
	}
	want.since = searchFrom
	if strings.TrimSpace(want.text) == "" {
		return nil, failure(platform.KindTransient, op, "the part's container is gone after a publish call and the part has no text to look for")
	}
	p, err := c.search(ctx, acct, want)
	if err != nil {
		return nil, err
	}
	return p.remote(), nil
}

// fromContainers decides part n from its recorded containers. It returns
// the live post (Proven), or ErrNotFound when every container proves the
// part is not live, or (nil, since, nil) when a container vanished (or
// outlived a container's life still processing) after a publish call and
// only a search from since can tell.
func (c *Client) fromContainers(ctx context.Context, acct platform.Auth, progress map[string]string, n int, want lookFor) (*platform.RemotePost, time.Time, error) {
	get := mapLookup(progress)
	s := &spec{n: n, parts: n}
	var vanished []time.Time
	for gen := generation(get, n); gen >= 1; gen-- {
		k := keys{n, gen}
		id := get(k.container())
		if id == "" {
			continue // no container yet: nothing of this generation was published
		}
		sent := get(k.publishSent())
		ct, err := c.status(ctx, acct, s, id)
		switch {
		case isGone(err) && sent == "":
			continue
		case isGone(err):
			vanished = append(vanished, sentAt(sent))
			continue
		case err != nil:
			return nil, time.Time{}, err
		case ct.Status == meta.InProgress && sent != "" && outlived(get, k.created(), c.now()):
			vanished = append(vanished, sentAt(sent))
			continue
		case ct.Status != meta.Published:
			continue
		}
		p, err := c.published(ctx, acct, s, want, liveSince(get, k))
		if err != nil {
			return nil, time.Time{}, err
		}
		return p, time.Time{}, nil
	}
	if len(vanished) == 0 {
		return nil, time.Time{}, platform.ErrNotFound
	}
	from := want.since // the attempt's start; else the earliest publish call
	for _, t := range vanished {
		if want.since.IsZero() && !t.IsZero() && (from.IsZero() || t.Add(-clockSkew).Before(from)) {
			from = t.Add(-clockSkew)
		}
	}
	return nil, from, nil
}

// published looks up the post of a container Threads reports PUBLISHED:
// the earliest match since live (liveSince; the attempt's start when
// progress recorded no time). It is the part's own, proven by the
// container.
func (c *Client) published(ctx context.Context, acct platform.Auth, s *spec, want lookFor, live time.Time) (*platform.RemotePost, error) {
	if !live.IsZero() {
		want.since = live
	}
	want.earliest = true
	p, err := c.search(ctx, acct, want)
	if errors.Is(err, platform.ErrNotFound) {
		return nil, failure(platform.KindTransient, s.op("find post"),
			"the post is live (its container is published) but Threads does not list it yet")
	}
	if err != nil {
		return nil, err
	}
	r := p.remote()
	r.Proven = true
	return r, nil
}

// search looks for want among the account's posts or replies, newest
// first. It returns platform.ErrNotFound only when the pages covered the
// whole window, and a transient error when the page bound ran out first.
func (c *Client) search(ctx context.Context, acct platform.Auth, want lookFor) (*post, error) {
	op := "search recent posts"
	user, ok := userPath(acct)
	if !ok {
		return nil, rejected(op, "the account has no valid Threads user id")
	}
	path, fields := user+"/threads", rootFields
	if want.reply {
		op, path, fields = "search recent replies", user+"/replies", replyFields
	}
	params := url.Values{"fields": {fields}, "limit": {strconv.Itoa(searchPageSize)}}
	if !want.since.IsZero() && want.since.Unix() > minSince {
		params.Set("since", strconv.FormatInt(want.since.Unix(), 10))
	}
	var best *post
	for page := 1; ; page++ {
		resp, err := c.send(ctx, get(op, path, acct.AccessToken, params))
		if err != nil {
			return nil, err
		}
		if err := c.graph.Decode(resp, nil); err != nil {
			return nil, replyPermission(err, want.reply)
		}
		l, err := decodePosts(resp)
		if err != nil {
			return nil, err
		}
		p, older := want.match(l.Data)
		switch {
		case p != nil && !want.earliest:
			return p, nil
		case p != nil:
			best = p
		}
		after, more := l.Paging.More()
		switch {
		case (older || !more) && best != nil:
			return best, nil
		case older || !more:
			return nil, platform.ErrNotFound
		case page >= searchPages:
			still := "the post may still exist"
			if best != nil {
				still = "an earlier post with the same text may be the one"
			}
			return nil, failure(platform.KindTransient, op, fmt.Sprintf("the search did not reach back to %s within %d pages of %d posts; %s",
				reach(want.since), searchPages, searchPageSize, still))
		}
		params.Set("after", after)
	}
}

// replyPermission turns Threads' refusal to list the account's replies
// for want of threads_read_replies (accounts connected before sns-os asked
// for it) into an auth error that says to connect the account again.
func replyPermission(err error, reply bool) error {
	if !reply || !permissionRefused(err) {
		return err
	}
	var pe *platform.Error
	errors.As(err, &pe)
	pe.Kind = platform.KindAuth
	pe.Reason = "Threads refused to list the account's replies, which needs the " + ScopeReadReplies +
		" permission; connect the account again to grant it (" + pe.Reason + ")"
	return pe
}

func reach(since time.Time) string {
	if since.IsZero() {
		return "the account's oldest post"
	}
	return since.UTC().Format(time.RFC3339)
}

// match returns the post of a page (newest first) that is the one wanted:
// the first match, or the last when want.earliest; and whether the page
// reached posts older than the window.
func (want lookFor) match(page []post) (*post, bool) {
	var found *post
	older := false
	for i := range page {
		p := &page[i]
		created := p.created()
		if !want.since.IsZero() && !created.IsZero() && created.Before(want.since) {
			older = true
			continue
		}
		if want.sameText(p.Text) && want.sameParent(p) {
			if !want.earliest {
				return p, older
			}
			found = p
		}
	}
	return found, older
}

// sameText compares texts as meta.SameText does, or as a prefix.
func (want lookFor) sameText(got string) bool {
	if meta.SameText(want.text, got) {
		return true
	}
	if !want.prefix {
		return false
	}
	return strings.HasPrefix(strings.Join(strings.Fields(got), " "), strings.Join(strings.Fields(want.text), " "))
}

// sameParent tells whether p sits where the part belongs: a root post for
// part 1; for a reply, an answer to inReplyTo. Threads may leave out
// replied_to; then the thread's root decides, and when both are absent the
// text and the time window alone.
func (want lookFor) sameParent(p *post) bool {
	if !want.reply {
		return p.RepliedTo == nil || p.RepliedTo.ID == ""
	}
	switch {
	case p.RepliedTo != nil && p.RepliedTo.ID != "":
		return want.inReplyTo == "" || string(p.RepliedTo.ID) == want.inReplyTo
	case p.RootPost != nil && p.RootPost.ID != "" && want.root != "":
		return string(p.RootPost.ID) == want.root
	}
	return true
}

// readPost reads one post by id (GET /{id}?fields=…).
func (c *Client) readPost(ctx context.Context, acct platform.Auth, id, fields string) (*platform.RemotePost, error) {
	op := "read post"
	if !validID(id) {
		return nil, rejected(op, fmt.Sprintf("%s is not a Threads id", quoteShort(id)))
	}
	resp, err := c.send(ctx, get(op, "/"+id, acct.AccessToken, url.Values{"fields": {fields}}))
	if err != nil {
		return nil, err
	}
	if err := c.graph.Decode(resp, nil); err != nil {
		return nil, err
	}
	p, err := decodePost(resp)
	if err != nil {
		return nil, err
	}
	r := p.remote()
	r.ID = id
	return r, nil
}
