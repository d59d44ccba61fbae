package instagram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/meta"
)

// Progress keys that are not per generation (see the package
// documentation).
const (
	KeyGeneration   = "gen"
	KeyCommentSent  = "comment.sent"
	KeyCommentID    = "comment.id"
	KeyCommentError = "comment.error"
	keyMediaType    = "media_type"
)

// gen is a generation of containers: the keys of each generation are
// prefixed with it, so a new one never overwrites an old id.
type gen int

func (g gen) prefix() string           { return "g" + strconv.Itoa(int(g)) + "." }
func (g gen) container() string        { return g.prefix() + "container" }
func (g gen) created() string          { return g.prefix() + "created" }
func (g gen) sent() string             { return g.prefix() + "publish_sent" }
func (g gen) item(i int) string        { return g.prefix() + "item" + strconv.Itoa(i) + ".container" }
func (g gen) itemCreated(i int) string { return g.prefix() + "item" + strconv.Itoa(i) + ".created" }

// ContainerKey returns the progress key of the post container of
// generation g (from 1).
func ContainerKey(g int) string { return gen(g).container() }

// ItemKey returns the progress key of carousel item i (from 1) of
// generation g.
func ItemKey(g, i int) string { return gen(g).item(i) }

// generationOf reads the gen key's value (absent or bad: 1).
func generationOf(v string) gen {
	if n := atoi(v); n > 1 && n < 1000 {
		return gen(n)
	}
	return 1
}

// createdAt reads a creation time saved as Unix seconds (zero if absent).
func createdAt(v string) time.Time {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0)
}

// sentAt reads a publish_sent value: the time of the publish call, or
// zero when absent or not a time (an earlier version saved "1", which
// still says a call was sent).
func sentAt(v string) time.Time {
	t, _ := time.Parse(time.RFC3339, v)
	return t
}

// liveSince returns the earliest time the post of generation g's container
// can carry, from progress read through get: its publish call less the
// clock skew, and never before the container existed (less createdSkew:
// the time is ours, the post's is Instagram's). Zero when progress records
// neither time.
func liveSince(get func(string) string, g gen) time.Time {
	var lower time.Time
	if made := createdAt(get(g.created())); !made.IsZero() {
		lower = made.Add(-createdSkew)
	}
	if sent := sentAt(get(g.sent())); !sent.IsZero() && sent.Add(-clockSkew).After(lower) {
		lower = sent.Add(-clockSkew)
	}
	return lower
}

// progressLookup adapts a *platform.Progress to a lookup.
func progressLookup(pr *platform.Progress) func(string) string {
	return func(k string) string {
		v, _ := pr.Get(k)
		return v
	}
}

// renewal asks for a new generation of containers: the recorded ones
// expired, are gone, or failed with an error Meta calls retryable.
type renewal struct{ reason string }

func (r *renewal) Error() string { return "new containers needed: " + r.reason }

// run is one Publish call's work on the containers.
type run struct {
	c    *Client
	acct platform.Auth
	pr   *platform.Progress
	p    *post
	left time.Duration // polling budget left in this call
}

// publishContainers publishes p from the current generation of containers,
// starting one new generation at most when they cannot be used.
func (c *Client) publishContainers(ctx context.Context, acct platform.Auth, pr *platform.Progress, p *post) (string, error) {
	budget := c.polling.Budget
	if budget <= 0 {
		budget = 90 * time.Second
	}
	r := &run{c: c, acct: acct, pr: pr, p: p, left: budget}
	v, _ := pr.Get(KeyGeneration)
	g := generationOf(v)
	renewed := false
	for {
		id, err := r.generation(ctx, g)
		var re *renewal
		if !errors.As(err, &re) {
			return id, err
		}
		if renewed {
			return "", fail(platform.KindTransient, "publish", "the new containers could not be used either ("+re.reason+"); sns-os tries again later")
		}
		renewed, g = true, g+1
		if err := pr.Set(ctx, KeyGeneration, strconv.Itoa(int(g))); err != nil {
			return "", err
		}
	}
}

// generation creates what generation g lacks, waits for its containers
// and publishes the post container, or finds it already published.
func (r *run) generation(ctx context.Context, g gen) (string, error) {
	id, ok := r.pr.Get(g.container())
	if !ok {
		var children []string
		if r.p.kind == MediaCarousel {
			var err error
			if children, err = r.items(ctx, g); err != nil {
				return "", err
			}
		}
		var err error
		op := "create " + strings.ToLower(r.p.kind) + " container"
		if id, err = r.create(ctx, op, postParams(r.p, children), g.container(), g.created()); err != nil {
			return "", err
		}
	}
	ct, err := r.await(ctx, g, "Instagram is processing the "+strings.ToLower(r.p.kind), []watched{{id: id, created: g.created(), label: "the post", post: true}})
	if err != nil {
		return "", err
	}
	switch ct.Status {
	case meta.Finished:
		return r.publish(ctx, g, id)
	case meta.Published:
		return r.published(ctx, g, id)
	}
	return "", failed(ct.label, &ct.Container)
}

// items creates the carousel items generation g lacks and waits until
// every one is FINISHED; it returns their ids in order.
func (r *run) items(ctx context.Context, g gen) ([]string, error) {
	ids := make([]string, len(r.p.media))
	ws := make([]watched, len(r.p.media))
	for i, m := range r.p.media {
		n := i + 1
		id, ok := r.pr.Get(g.item(n))
		if !ok {
			var err error
			op := fmt.Sprintf("create carousel item %d of %d", n, len(r.p.media))
			if id, err = r.create(ctx, op, itemParams(m), g.item(n), g.itemCreated(n)); err != nil {
				return nil, err
			}
		}
		ids[i] = id
		ws[i] = watched{id: id, created: g.itemCreated(n), label: fmt.Sprintf("carousel item %d", n)}
	}
	ct, err := r.await(ctx, g, "Instagram is processing the carousel items", ws)
	if err != nil {
		return nil, err
	}
	if ct.Status == meta.Finished {
		return ids, nil
	}
	return nil, failed(ct.label, &ct.Container)
}

// failed turns a container that cannot be published into a renewal (new
// containers may work) or a final rejection with Meta's reason.
func failed(label string, ct *meta.Container) error {
	switch {
	case ct.Status == meta.Expired:
		return &renewal{reason: label + " expired: " + ct.Reason}
	case ct.Status == meta.Published:
		return &renewal{reason: label + " was already used in a published post"}
	case meta.RetryableSubcode(ct.Code):
		return &renewal{reason: failure(label, ct)}
	}
	return rejected("process media", failure(label, ct))
}

// postParams are the parameters of the post container.
func postParams(p *post, children []string) url.Values {
	v := url.Values{}
	m := p.media[0]
	switch p.kind {
	case MediaImage:
		v.Set("image_url", m.URL)
		if m.AltText != "" {
			v.Set("alt_text", m.AltText)
		}
	case MediaReels:
		v.Set("media_type", MediaReels)
		v.Set("video_url", m.URL)
		v.Set("share_to_feed", strconv.FormatBool(p.shareToFeed))
	case MediaStories:
		v.Set("media_type", MediaStories)
		if m.IsVideo() {
			v.Set("video_url", m.URL)
		} else {
			v.Set("image_url", m.URL)
		}
	case MediaCarousel:
		v.Set("media_type", MediaCarousel)
		v.Set("children", strings.Join(children, ","))
	}
	if p.caption != "" {
		v.Set("caption", p.caption)
	}
	return v
}

// itemParams are the parameters of one carousel item's container.
func itemParams(m platform.Media) url.Values {
	v := url.Values{"is_carousel_item": {"true"}}
	if m.IsVideo() {
		v.Set("media_type", "VIDEO")
		v.Set("video_url", m.URL)
		return v
	}
	v.Set("image_url", m.URL)
	if m.AltText != "" {
		v.Set("alt_text", m.AltText)
	}
	return v
}

// create creates a container (POST /{user-id}/media, never /me/media) and
// saves its id under key and its creation time under createdKey before
// anything else. Not mutating: an unpublished container is invisible. The
// media link and its signature are redacted from a refusal that echoes
// them.
func (r *run) create(ctx context.Context, op string, params url.Values, key, createdKey string) (string, error) {
	resp, err := r.c.send(ctx, r.c.graph, meta.Call{Op: op, Method: http.MethodPost, Path: "/" + r.acct.UserID + "/media",
		Params: params, Token: r.acct.AccessToken, Redact: linkSecrets(params.Get("image_url"), params.Get("video_url"))})
	if err != nil {
		return "", err
	}
	id, err := decodeID(resp)
	if err != nil {
		return "", err
	}
	if err := r.pr.Set(ctx, key, id); err != nil {
		return "", err
	}
	if err := r.pr.Set(ctx, createdKey, strconv.FormatInt(r.c.now().Unix(), 10)); err != nil {
		return "", err
	}
	return id, nil
}

// publish publishes container id (POST /{user-id}/media_publish), saving
// when it was first sent before and the media id right after.
func (r *run) publish(ctx context.Context, g gen, id string) (string, error) {
	if v, _ := r.pr.Get(g.sent()); v == "" {
		if err := r.pr.Set(ctx, g.sent(), r.c.now().UTC().Format(time.RFC3339)); err != nil {
			return "", err
		}
	}
	resp, err := r.c.send(ctx, r.c.graph, meta.Call{Op: "publish", Method: http.MethodPost, Path: "/" + r.acct.UserID + "/media_publish",
		Params: url.Values{"creation_id": {id}}, Token: r.acct.AccessToken, Mutating: true})
	if err != nil {
		return "", err
	}
	mediaID, err := decodeID(resp)
	if err != nil {
		return "", err
	}
	if err := r.pr.Set(ctx, platform.PartIDKey(1), mediaID); err != nil {
		return "", err
	}
	return mediaID, nil
}

// published handles a container Instagram reports as PUBLISHED: the post
// is live and must never be published again; its media id is looked up
// among the account's recent media (or stories) since the publish call.
// When the lookup fails or cannot tell, the outcome is unknown: the engine
// reconciles instead of calling Publish again.
func (r *run) published(ctx context.Context, g gen, id string) (string, error) {
	m, err := r.c.findLive(ctx, r.acct, r.p.kind, r.p.caption, liveSince(progressLookup(r.pr), g))
	if err != nil {
		return "", fail(platform.KindOutcomeUnknown, "find published post",
			"Instagram reports container "+id+" as published, but looking its post up failed: "+reasonOf(err))
	}
	if m == nil {
		return "", fail(platform.KindOutcomeUnknown, "find published post", notListed(id))
	}
	if err := r.pr.Set(ctx, platform.PartIDKey(1), string(m.ID)); err != nil {
		return "", err
	}
	return string(m.ID), nil
}

func notListed(container string) string {
	return "Instagram reports container " + container + " as published, but the post is not among the account's recent media yet; sns-os looks for it again later"
}

// watched is a container awaited in one poll loop.
type watched struct {
	id      string
	created string // progress key of its creation time
	label   string // "the post", "carousel item 2"
	post    bool   // the post container (publish_sent applies)
}

// decided is the container that ended a wait, with its label.
type decided struct {
	meta.Container
	label string
}

// await polls the containers ws until every one is FINISHED or one reaches
// another final state, within what is left of the call's budget; past it,
// a *platform.Continue.
func (r *run) await(ctx context.Context, g gen, step string, ws []watched) (*decided, error) {
	done := make([]bool, len(ws))
	var out *decided
	poll := func(ctx context.Context) (*meta.Container, error) {
		all := true
		for i, w := range ws {
			if done[i] {
				continue
			}
			ct, err := r.state(ctx, g, w)
			if err != nil {
				return nil, err
			}
			switch ct.Status {
			case meta.Finished:
				done[i] = true
			case meta.InProgress:
				all = false
			default:
				out = &decided{Container: *ct, label: w.label}
				return ct, nil
			}
		}
		if all {
			out = &decided{Container: meta.Container{ID: ws[0].id, Status: meta.Finished}}
			return &out.Container, nil
		}
		return &meta.Container{Status: meta.InProgress}, nil
	}
	p := r.c.polling
	p.Budget = max(r.left, time.Nanosecond)
	sleep := p.Sleep
	p.Sleep = func(ctx context.Context, d time.Duration) error { r.left -= d; return sleep(ctx, d) }
	if _, err := p.Wait(ctx, step, poll); err != nil {
		return nil, err
	}
	return out, nil
}

// state reads container w's state, counting a container older than 24
// hours as EXPIRED and one Instagram no longer knows as EXPIRED too, unless
// a publish call was sent for it: then the outcome is unknown.
func (r *run) state(ctx context.Context, g gen, w watched) (*meta.Container, error) {
	ct, err := r.c.status(ctx, r.acct, w.id)
	if ct != nil {
		ct.Reason = platform.Redact(ct.Reason, r.p.links()...)
	}
	if isNoObject(err) {
		if _, sent := r.pr.Get(g.sent()); sent && w.post {
			return nil, fail(platform.KindOutcomeUnknown, "check container",
				"Instagram no longer knows container "+w.id+" and a publish call was sent for it; sns-os checks whether the post is live")
		}
		return &meta.Container{ID: w.id, Status: meta.Expired, Reason: "Instagram no longer knows it"}, nil
	}
	if err != nil {
		return nil, err
	}
	v, _ := r.pr.Get(w.created)
	if at := createdAt(v); (ct.Status == meta.InProgress || ct.Status == meta.Finished) && !at.IsZero() &&
		r.c.now().Sub(at) >= meta.ContainerTTL {
		ct.Status, ct.Reason = meta.Expired, "created more than 24 hours ago"
	}
	return ct, nil
}

// status reads a container's state (GET /{id}?fields=status_code,status).
func (c *Client) status(ctx context.Context, acct platform.Auth, id string) (*meta.Container, error) {
	if !platform.ValidNumericID(id) {
		return nil, rejected("check container", fmt.Sprintf("%.30q is not a container id", id))
	}
	resp, err := c.send(ctx, c.graph, meta.Call{Op: "check container", Method: http.MethodGet, Path: "/" + id,
		Params: url.Values{"fields": {"status_code,status"}}, Token: acct.AccessToken})
	if err != nil {
		return nil, err
	}
	return decodeStatus(resp, id)
}

// statusWords says what the error codes seen in container statuses mean.
var statusWords = map[int]string{
	2207001: "an Instagram server error",
	2207003: "downloading the media took too long",
	2207004: "the image is larger than 8 MB",
	2207005: "the image format is not supported (JPEG only)",
	2207006: "the media was not found (a permission is missing or the token expired)",
	2207008: "the media builder expired",
	2207009: "the image's aspect ratio is not between 4:5 and 1.91:1",
	2207010: "the caption is too long (2,200 characters, 30 hashtags, 20 @mentions at most)",
	2207020: "the media expired",
	2207023: "the media type is unknown",
	2207026: "the video format is not supported",
	2207028: "a carousel takes 2 to 10 items",
	2207032: "creating the media failed",
	2207050: "the account is restricted; open the Instagram app to fix it",
	2207051: "the post was restricted as spam",
	2207052: "the media could not be fetched from its link",
	2207053: "an unknown upload error",
	2207057: "the thumbnail offset is out of range",
	2207076: "the video could not be downloaded",
	2207077: "the video could not be downloaded",
	2207081: "trial reels are not supported",
	2207082: "the upload failed",
}

// failure says in plain words why Instagram could not use a container.
func failure(label string, ct *meta.Container) string {
	reason := truncate(strings.TrimSpace(ct.Reason), 300)
	if reason == "" {
		reason = "status " + string(ct.Status)
	}
	if w := statusWords[ct.Code]; w != "" {
		return fmt.Sprintf("Instagram could not process %s: %s (%s)", label, w, reason)
	}
	return fmt.Sprintf("Instagram could not process %s: %s", label, reason)
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
