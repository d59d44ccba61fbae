package threads

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/meta"
)

// The media types of a Threads post (the container's media_type).
const (
	MediaText     = "TEXT"
	MediaImage    = "IMAGE"
	MediaVideo    = "VIDEO"
	MediaCarousel = "CAROUSEL"
)

// The options Publish reads from PublishRequest.Options.
const (
	// OptionMediaType is the media type of the first part, set by the
	// engine (TEXT, IMAGE, VIDEO or CAROUSEL); without it the type follows
	// from the media.
	OptionMediaType = "media_type"
	// OptionTopicTag is the first part's topic (topic_tag).
	OptionTopicTag = "topic_tag"
	// OptionLinkAttachment is the link previewed under a text-only first
	// part (link_attachment).
	OptionLinkAttachment = "link_attachment"
)

// spec is what one part's containers are made of.
type spec struct {
	n, parts  int
	mediaType string
	text      string
	media     []platform.Media
	// replyTo is the published id of the previous part ("" for part 1).
	replyTo string
	// root is part 1's published id ("" for part 1).
	root           string
	topicTag, link string
}

// links returns the secrets of the part's media links (linkSecrets).
func (s *spec) links() []string {
	var urls []string
	for _, m := range s.media {
		urls = append(urls, m.URL)
	}
	return linkSecrets(urls...)
}

// op names a step of this part in errors: "publish", or "publish (part 2
// of 3)" in a chain.
func (s *spec) op(step string) string {
	if s.parts > 1 {
		return fmt.Sprintf("%s (part %d of %d)", step, s.n, s.parts)
	}
	return step
}

// Publish posts req: one post, or a reply chain whose parts each reply to
// the previous one (reply_to_id), as a thread on X. Each part is a
// container (POST /{user}/threads, not mutating: an unpublished container
// is invisible and expires after 24 hours), waited on until FINISHED, then
// published (POST /{user}/threads_publish, mutating). Every id is saved in
// progress the moment it exists (see the package documentation for keys).
//
// A resumed Publish skips the parts that have an id and reads the status of
// each recorded container first: PUBLISHED is live (its id is looked up
// among the account's posts), FINISHED is published, IN_PROGRESS is waited
// on, EXPIRED or a failed media download gets new containers, any other
// failure is final. A wait longer than the polling budget returns a
// *platform.Continue. A failure on a later part leaves the earlier parts
// recorded: the engine ends such a chain as a partial publication.
func (c *Client) Publish(ctx context.Context, acct platform.Auth, req *platform.PublishRequest, pr *platform.Progress) (*platform.Published, error) {
	specs, err := plan(req)
	if err != nil {
		return nil, err
	}
	if _, ok := userPath(acct); !ok {
		return nil, rejected("publish", "the account has no valid Threads user id; connect it again")
	}
	ids := make([]string, len(specs))
	var firstAt time.Time
	for i, s := range specs {
		if id, ok := pr.Get(platform.PartIDKey(s.n)); ok && id != "" {
			ids[i] = id
			continue
		}
		if i > 0 {
			s.replyTo, s.root = ids[i-1], ids[0]
		}
		id, err := c.publishPart(ctx, acct, pr, s)
		if err != nil {
			return nil, err
		}
		ids[i] = id
		if i == 0 {
			firstAt = c.now()
		}
	}
	out := &platform.Published{RemoteID: ids[0], PartIDs: ids, PublishedAt: firstAt}
	// The permalink is a courtesy: failing to read it never fails the
	// publication, which is done.
	if p, err := c.readPost(ctx, acct, ids[0], "id,permalink,timestamp"); err == nil {
		out.URL = p.URL
		if out.PublishedAt.IsZero() {
			out.PublishedAt = p.CreatedAt
		}
	}
	if out.PublishedAt.IsZero() {
		out.PublishedAt = c.now() // the root was posted by an earlier attempt
	}
	return out, nil
}

// plan checks req and returns the specification of each part. Text length
// and links are the rules package's job (Threads' own refusal comes back
// as a rejection with its reason); here only what Threads needs to accept
// the containers.
func plan(req *platform.PublishRequest) ([]*spec, error) {
	const op = "prepare post"
	if req == nil || len(req.Parts) == 0 {
		return nil, rejected(op, "nothing to post")
	}
	out := make([]*spec, len(req.Parts))
	for i, p := range req.Parts {
		s := &spec{n: i + 1, parts: len(req.Parts), text: p.Text, media: p.Media}
		s.mediaType = mediaTypeOf(p.Media)
		if i == 0 {
			if mt := option(req, OptionMediaType); mt != "" {
				s.mediaType = strings.ToUpper(mt)
			}
			s.topicTag, s.link = option(req, OptionTopicTag), option(req, OptionLinkAttachment)
		}
		if err := check(s); err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// mediaTypeOf is the media type media make without an explicit option.
func mediaTypeOf(media []platform.Media) string {
	switch {
	case len(media) == 0:
		return MediaText
	case len(media) > 1:
		return MediaCarousel
	case media[0].IsVideo():
		return MediaVideo
	}
	return MediaImage
}

// option returns a string option ("" when absent or not a string).
func option(req *platform.PublishRequest, name string) string {
	s, _ := req.Options[name].(string)
	return strings.TrimSpace(s)
}

// check refuses a part Threads would refuse for its shape.
func check(s *spec) error {
	op := s.op("prepare post")
	bad := func(format string, a ...any) error { return rejected(op, fmt.Sprintf(format, a...)) }
	switch s.mediaType {
	case MediaText:
		if len(s.media) > 0 {
			return bad("a text post cannot carry media; it has %d", len(s.media))
		}
		if strings.TrimSpace(s.text) == "" {
			return bad("a text post needs text")
		}
	case MediaImage, MediaVideo:
		if len(s.media) != 1 {
			return bad("an %s post takes exactly one file; it has %d", strings.ToLower(s.mediaType), len(s.media))
		}
		if (s.mediaType == MediaVideo) != s.media[0].IsVideo() {
			return bad("the %s post's file is %s", strings.ToLower(s.mediaType), mimeOrUnknown(s.media[0].MIME))
		}
	case MediaCarousel:
		if len(s.media) < MinCarouselItems || len(s.media) > MaxCarouselItems {
			return bad("a carousel takes %d to %d images or videos; it has %d", MinCarouselItems, MaxCarouselItems, len(s.media))
		}
	default:
		return bad("Threads has no media type %s; use TEXT, IMAGE, VIDEO or CAROUSEL", quoteShort(s.mediaType))
	}
	for j, m := range s.media {
		if !m.IsImage() && !m.IsVideo() {
			return bad("file %d is %s; Threads takes images and videos", j+1, mimeOrUnknown(m.MIME))
		}
		if !strings.HasPrefix(m.URL, "https://") && !strings.HasPrefix(m.URL, "http://") {
			return bad("file %d has no public link for Threads to fetch it from; check the public URL setting", j+1)
		}
	}
	if s.link != "" && s.mediaType != MediaText {
		return bad("a link attachment is only possible on a text-only post")
	}
	return nil
}

func mimeOrUnknown(m string) string {
	if m == "" {
		return "of an unknown type"
	}
	return quoteShort(m)
}

// publish sends POST /{user}/threads_publish for container id and records
// the published id. The time of the first call is recorded before it is
// sent, so a container that later vanishes is never taken for one that was
// not published.
//
// Threads answers a publish that comes too early with code 24 ("The
// requested resource does not exist"): the container's status then
// decides. IN_PROGRESS is waited on and published once more, FINISHED is
// tried again shortly (rate limited), PUBLISHED is live.
func (c *Client) publish(ctx context.Context, acct platform.Auth, pr *platform.Progress, s *spec, k keys, id string) (string, error) {
	op := s.op("publish")
	user, _ := userPath(acct)
	for try := 1; ; try++ {
		if v, _ := pr.Get(k.publishSent()); v == "" {
			if err := c.save(ctx, pr, k.publishSent(), c.stamp(), op, false); err != nil {
				return "", err
			}
		}
		resp, err := c.send(ctx, meta.Call{Op: op, Method: "POST", Path: user + "/threads_publish",
			Params: url.Values{"creation_id": {id}}, Token: acct.AccessToken, Mutating: true})
		if err != nil {
			return "", err
		}
		if err := c.graph.Decode(resp, nil); err != nil {
			if g := meta.ParseError(resp.Body); g == nil || g.Code != codeNotFound {
				return "", plainWords(err, g)
			}
			ct, waited, err := c.afterTooEarly(ctx, acct, pr, s, k, id)
			switch {
			case isGone(err):
				return "", c.gone(pr, s, k, id)
			case errors.Is(err, errStale):
				return "", c.stale(pr, s, k, id)
			case err != nil:
				return "", err
			case ct.Status == meta.Published:
				return c.adopt(ctx, acct, pr, s, k)
			case ct.Status == meta.Finished && waited && try == 1:
				continue
			case ct.Status == meta.Finished:
				e := failure(platform.KindRateLimited, op, "Threads is not ready to publish the post yet; trying again shortly")
				e.RetryAt = c.now().Add(meta.NotReadyWait)
				return "", e
			}
			return "", containerFailed(s, ct, "")
		}
		mid, err := decodeID(resp)
		if err != nil {
			return "", err
		}
		if err := c.save(ctx, pr, platform.PartIDKey(s.n), mid, op, true); err != nil {
			return "", err
		}
		return mid, nil
	}
}

// afterTooEarly reads the status of a container whose publish came too
// early, waiting while it is IN_PROGRESS (waited then reports it did).
func (c *Client) afterTooEarly(ctx context.Context, acct platform.Auth, pr *platform.Progress, s *spec, k keys, id string) (*meta.Container, bool, error) {
	ct, err := c.status(ctx, acct, s, id)
	if err != nil || ct.Status != meta.InProgress {
		return ct, false, err
	}
	ct, err = c.wait(ctx, acct, pr, s, k, id)
	return ct, true, err
}

// adopt finds the id of a part whose container Threads reports PUBLISHED
// but whose id was never recorded (the publish answer was lost): the
// earliest of the account's posts with its text since the publish call
// (and not before the container was made), and records it. When Threads
// does not list it (yet), the outcome is unknown: the engine reconciles
// instead of publishing again.
func (c *Client) adopt(ctx context.Context, acct platform.Auth, pr *platform.Progress, s *spec, k keys) (string, error) {
	op := s.op("publish")
	since := liveSince(progressLookup(pr), k)
	unknown := func(why string) error {
		return failure(platform.KindOutcomeUnknown, op, "the post is live (its container is published) but "+why)
	}
	if since.IsZero() {
		return "", unknown("sns-os did not record when it was published, so it cannot look it up safely")
	}
	want := s.query(since)
	want.earliest = true
	p, err := c.search(ctx, acct, want)
	switch {
	case errors.Is(err, platform.ErrNotFound):
		return "", unknown("Threads does not list it yet")
	case err != nil:
		return "", unknown("looking it up failed: " + err.Error())
	}
	if err := c.save(ctx, pr, platform.PartIDKey(s.n), string(p.ID), op, true); err != nil {
		return "", err
	}
	return string(p.ID), nil
}

// query is what identifies the part among the account's posts.
func (s *spec) query(since time.Time) lookFor {
	return lookFor{text: s.text, since: since, reply: s.n > 1, inReplyTo: s.replyTo, root: s.root}
}
