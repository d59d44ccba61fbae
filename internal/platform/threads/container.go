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

// clockSkew widens searches bounded by a time this client recorded: the
// platform's clock may run behind ours.
const clockSkew = 2 * time.Minute

// newGeneration asks publishPart for new containers: the current ones
// expired, vanished before any publish call, or failed to fetch media.
type newGeneration struct {
	why string
	// failure: a media failure (bounded per call), not an expiry.
	failure bool
}

func (e *newGeneration) Error() string { return e.why }

// publishPart publishes one part, making new generations of containers
// while the current one asks for it, and returns the published id.
func (c *Client) publishPart(ctx context.Context, acct platform.Auth, pr *platform.Progress, s *spec) (string, error) {
	get := progressLookup(pr)
	failures := 0
	for {
		gen := generation(get, s.n)
		id, err := c.publishGeneration(ctx, acct, pr, s, keys{s.n, gen})
		var ng *newGeneration
		if !errors.As(err, &ng) {
			return id, err
		}
		if ng.failure {
			failures++
		}
		switch {
		case gen >= maxGenerations:
			return "", rejected(s.op("publish"), fmt.Sprintf(
				"%s; gave up after %d sets of containers: check that the media links are public and the files meet Threads' specifications",
				ng.why, gen))
		case failures > 1:
			return "", failure(platform.KindTransient, s.op("publish"), ng.why+"; trying again later with new containers")
		}
		if err := c.save(ctx, pr, GenKey(s.n), strconv.Itoa(gen+1), s.op("publish"), false); err != nil {
			return "", err
		}
	}
}

// publishGeneration brings one generation of the part's containers to a
// published post: it creates what is missing, or reads the status of what
// an earlier attempt recorded, and acts on it.
func (c *Client) publishGeneration(ctx context.Context, acct platform.Auth, pr *platform.Progress, s *spec, k keys) (string, error) {
	id, resumed := pr.Get(k.container())
	if !resumed {
		var err error
		if id, err = c.createPart(ctx, acct, pr, s, k); err != nil {
			return "", err
		}
	}
	ct, err := c.wait(ctx, acct, s, id)
	if err != nil {
		if isGone(err) {
			return "", c.gone(pr, s, k, id)
		}
		return "", err
	}
	switch ct.Status {
	case meta.Published:
		return c.adopt(ctx, acct, pr, s, k)
	case meta.Finished:
		return c.publish(ctx, acct, pr, s, k, id)
	}
	return "", containerFailed(s, ct, "")
}

// createPart creates the part's container (after its carousel items) and
// records its id.
func (c *Client) createPart(ctx context.Context, acct platform.Auth, pr *platform.Progress, s *spec, k keys) (string, error) {
	op := s.op("create container")
	params := partParams(s)
	if s.mediaType == MediaCarousel {
		children, err := c.createItems(ctx, acct, pr, s, k)
		if err != nil {
			return "", err
		}
		params.Set("children", strings.Join(children, ","))
	}
	id, err := c.create(ctx, acct, op, params)
	if err != nil {
		return "", err
	}
	if err := c.save(ctx, pr, k.container(), id, op, false); err != nil {
		return "", err
	}
	return id, nil
}

// partParams are the parameters of the part's own container.
func partParams(s *spec) url.Values {
	p := url.Values{"media_type": {s.mediaType}}
	if s.text != "" {
		p.Set("text", s.text)
	}
	if s.mediaType == MediaImage || s.mediaType == MediaVideo {
		setMedia(p, s.media[0])
	}
	if s.replyTo != "" {
		p.Set("reply_to_id", s.replyTo)
	}
	if s.topicTag != "" {
		p.Set("topic_tag", s.topicTag)
	}
	if s.link != "" {
		p.Set("link_attachment", s.link)
	}
	return p
}

// setMedia sets the link and alt text of one image or video.
func setMedia(p url.Values, m platform.Media) {
	if m.IsVideo() {
		p.Set("video_url", m.URL)
	} else {
		p.Set("image_url", m.URL)
	}
	if m.AltText != "" {
		p.Set("alt_text", m.AltText)
	}
}

// createItems creates the carousel's item containers that are not
// recorded yet and waits until every item is FINISHED.
func (c *Client) createItems(ctx context.Context, acct platform.Auth, pr *platform.Progress, s *spec, k keys) ([]string, error) {
	ids := make([]string, len(s.media))
	for m, md := range s.media {
		if id, ok := pr.Get(k.item(m + 1)); ok {
			ids[m] = id
			continue
		}
		op := s.op(fmt.Sprintf("create carousel item %d of %d", m+1, len(s.media)))
		p := url.Values{"media_type": {MediaImage}, "is_carousel_item": {"true"}}
		if md.IsVideo() {
			p.Set("media_type", MediaVideo)
		}
		setMedia(p, md)
		id, err := c.create(ctx, acct, op, p)
		if err != nil {
			return nil, err
		}
		if err := c.save(ctx, pr, k.item(m+1), id, op, false); err != nil {
			return nil, err
		}
		ids[m] = id
	}
	pending := map[int]bool{}
	for m := range ids {
		pending[m] = true
	}
	step := s.op("wait for the carousel items")
	ct, err := c.poll.Wait(ctx, step, func(ctx context.Context) (*meta.Container, error) {
		return c.itemsStatus(ctx, acct, s, ids, pending)
	})
	switch {
	case isGone(err):
		return nil, &newGeneration{why: "Threads no longer knows a carousel item's container"}
	case err != nil:
		return nil, err
	case ct.Status != meta.Finished:
		return nil, containerFailed(s, ct, "carousel item "+ct.ID)
	}
	return ids, nil
}

// itemsStatus reads the status of every pending carousel item: FINISHED
// when all are, an item's ERROR or EXPIRED when one has it (its ID is then
// the item's number), IN_PROGRESS otherwise.
func (c *Client) itemsStatus(ctx context.Context, acct platform.Auth, s *spec, ids []string, pending map[int]bool) (*meta.Container, error) {
	for m, id := range ids {
		if !pending[m] {
			continue
		}
		ct, err := c.status(ctx, acct, s, id)
		if err != nil {
			return nil, err
		}
		switch ct.Status {
		case meta.Finished, meta.Published:
			delete(pending, m)
		case meta.Failed, meta.Expired:
			return &meta.Container{ID: strconv.Itoa(m + 1), Status: ct.Status, Reason: ct.Reason, Code: ct.Code}, nil
		}
	}
	if len(pending) > 0 {
		return &meta.Container{Status: meta.InProgress}, nil
	}
	return &meta.Container{Status: meta.Finished}, nil
}

// create sends POST /{user}/threads. Creating a container is not mutating:
// an unpublished container is invisible and expires.
func (c *Client) create(ctx context.Context, acct platform.Auth, op string, params url.Values) (string, error) {
	user, _ := userPath(acct)
	resp, err := c.send(ctx, meta.Call{Op: op, Method: "POST", Path: user + "/threads", Params: params, Token: acct.AccessToken})
	if err != nil {
		return "", err
	}
	if err := c.graph.Decode(resp, nil); err != nil {
		return "", plainWords(err, meta.ParseError(resp.Body))
	}
	return decodeID(resp)
}

// status reads a container's status (GET /{id}?fields=status,error_message).
func (c *Client) status(ctx context.Context, acct platform.Auth, s *spec, id string) (*meta.Container, error) {
	op := s.op("read container status")
	if !validID(id) {
		return nil, rejected(op, fmt.Sprintf("the saved container id %s is not a Threads id", quoteShort(id)))
	}
	resp, err := c.send(ctx, get(op, "/"+id, acct.AccessToken, url.Values{"fields": {"status,error_message"}}))
	if err != nil {
		return nil, err
	}
	if err := c.graph.Decode(resp, nil); err != nil {
		return nil, err
	}
	return decodeContainer(resp, id)
}

// wait polls container id until it leaves IN_PROGRESS, or returns a
// *platform.Continue when the polling budget is spent.
func (c *Client) wait(ctx context.Context, acct platform.Auth, s *spec, id string) (*meta.Container, error) {
	return c.poll.Wait(ctx, s.op("wait for Threads to process container "+id), func(ctx context.Context) (*meta.Container, error) {
		return c.status(ctx, acct, s, id)
	})
}

// isGone reports a refusal saying the object does not exist (code 100
// subcode 33, or code 24).
func isGone(err error) bool {
	var pe *platform.Error
	if !errors.As(err, &pe) {
		return false
	}
	return pe.Code == fmt.Sprintf("%d/%d", meta.CodeBadParameter, meta.SubcodeNoObject) ||
		pe.Code == strconv.Itoa(codeNotFound) || strings.HasPrefix(pe.Code, strconv.Itoa(codeNotFound)+"/")
}

// codeNotFound is "The requested resource does not exist", which Threads
// also answers when a container is published too early.
const codeNotFound = 24

// gone handles a recorded container Threads no longer knows: new
// containers when no publish call was ever sent for it, else the outcome
// is unknown (it may have gone live before it vanished).
func (c *Client) gone(pr *platform.Progress, s *spec, k keys, id string) error {
	if v, _ := pr.Get(k.publishSent()); v != "" {
		return failure(platform.KindOutcomeUnknown, s.op("publish"), fmt.Sprintf(
			"Threads no longer knows container %s, for which a publish call was sent; the post may be live", id))
	}
	return &newGeneration{why: "Threads no longer knows container " + id}
}

// save persists key=value; a failure stops publishing. After a publish
// (posted) the failure is outcome-unknown: the post exists but the engine
// does not know its id.
func (c *Client) save(ctx context.Context, pr *platform.Progress, key, value, op string, posted bool) error {
	err := pr.Set(ctx, key, value)
	if err == nil {
		return nil
	}
	e := failure(platform.KindTransient, op, "could not save progress")
	e.Err = err
	if posted {
		e.Kind = platform.KindOutcomeUnknown
		e.Reason = fmt.Sprintf("published as %s but the id could not be saved", value)
	}
	return e
}
