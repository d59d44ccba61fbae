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

// createdSkew is how far before a container's recorded creation its post
// is looked for: a post is never older than its container, but the
// creation time is ours and the post's Threads', and a text post may be
// published a second after its container was made.
const createdSkew = 10 * time.Second

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
	ct, err := c.wait(ctx, acct, pr, s, k, id)
	switch {
	case isGone(err):
		return "", c.gone(pr, s, k, id)
	case errors.Is(err, errStale):
		return "", c.stale(pr, s, k, id)
	case err != nil:
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
	if err := c.save(ctx, pr, k.created(), c.stamp(), op, false); err != nil {
		return "", err
	}
	return id, nil
}

// stamp is the current time as progress records it.
func (c *Client) stamp() string { return c.now().UTC().Format(time.RFC3339) }

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
		if err := c.save(ctx, pr, k.itemCreated(m+1), c.stamp(), op, false); err != nil {
			return nil, err
		}
		ids[m] = id
	}
	pending := map[int]bool{}
	for m := range ids {
		pending[m] = true
	}
	step := s.op("wait for the carousel items")
	get := progressLookup(pr)
	ct, err := c.poll.Wait(ctx, step, func(ctx context.Context) (*meta.Container, error) {
		return c.itemsStatus(ctx, acct, s, ids, pending, func(m int) bool { return outlived(get, k.itemCreated(m+1), c.now()) })
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
// the item's number), IN_PROGRESS otherwise. An item still IN_PROGRESS 24
// hours after it was made (aged) counts as EXPIRED.
func (c *Client) itemsStatus(ctx context.Context, acct platform.Auth, s *spec, ids []string, pending map[int]bool, aged func(int) bool) (*meta.Container, error) {
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
		case meta.InProgress:
			if aged(m) {
				return &meta.Container{ID: strconv.Itoa(m + 1), Status: meta.Expired}, nil
			}
		}
	}
	if len(pending) > 0 {
		return &meta.Container{Status: meta.InProgress}, nil
	}
	return &meta.Container{Status: meta.Finished}, nil
}

// create sends POST /{user}/threads. Creating a container is not mutating:
// an unpublished container is invisible and expires. The media link and
// its signature are redacted from a refusal that echoes them.
func (c *Client) create(ctx context.Context, acct platform.Auth, op string, params url.Values) (string, error) {
	user, _ := userPath(acct)
	resp, err := c.send(ctx, meta.Call{Op: op, Method: "POST", Path: user + "/threads", Params: params, Token: acct.AccessToken,
		Redact: linkSecrets(params.Get("image_url"), params.Get("video_url"))})
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
	ct, err := decodeContainer(resp, id)
	if err == nil {
		ct.Reason = platform.Redact(ct.Reason, s.links()...)
	}
	return ct, err
}

// errStale is a container still IN_PROGRESS 24 hours after it was made:
// it will never be published.
var errStale = errors.New("the container is still processing 24 hours after it was made")

// wait polls the part's container id (generation k) until it leaves
// IN_PROGRESS, or returns a *platform.Continue when the polling budget is
// spent, or errStale once the container is older than a container lives.
func (c *Client) wait(ctx context.Context, acct platform.Auth, pr *platform.Progress, s *spec, k keys, id string) (*meta.Container, error) {
	get := progressLookup(pr)
	return c.poll.Wait(ctx, s.op("wait for Threads to process container "+id), func(ctx context.Context) (*meta.Container, error) {
		ct, err := c.status(ctx, acct, s, id)
		if err == nil && ct.Status == meta.InProgress && outlived(get, k.created(), c.now()) {
			return nil, errStale
		}
		return ct, err
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

// stale handles the part's container still IN_PROGRESS 24 hours after it
// was made: new containers when no publish call was ever sent for it,
// else the outcome is unknown.
func (c *Client) stale(pr *platform.Progress, s *spec, k keys, id string) error {
	if v, _ := pr.Get(k.publishSent()); v != "" {
		return failure(platform.KindOutcomeUnknown, s.op("publish"), fmt.Sprintf(
			"Threads still reports container %s as processing 24 hours after it was made, and a publish call was sent for it; the post may be live", id))
	}
	return &newGeneration{why: "container " + id + " was still processing 24 hours after it was made"}
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
