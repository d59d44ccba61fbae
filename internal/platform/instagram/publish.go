package instagram

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/meta"
)

// The media types of an Instagram post (the media_type option).
const (
	MediaImage    = "IMAGE"
	MediaCarousel = "CAROUSEL"
	MediaReels    = "REELS"
	MediaStories  = "STORIES"
)

// Limits Instagram states for a post (meta-instagram-threads.md §1.4).
const (
	MaxCaption       = 2200
	MaxAltText       = 1000
	MinCarouselItems = 2
	MaxCarouselItems = 10
)

// post is a publish request checked and resolved into what Instagram takes.
type post struct {
	kind        string
	caption     string // "" for a story
	media       []platform.Media
	shareToFeed bool
	comment     string // the first comment, "" for none
}

// Publish posts req on the account acct.UserID (the professional account
// id): it creates the containers (carousel items first), waits until
// Instagram has processed them, publishes, posts the optional first
// comment, and reads the permalink. Every id is saved in progress the
// moment it exists (see the package documentation), so a Publish called
// again resumes without publishing twice.
//
// Only the publish call (media_publish) and the comment are mutating: a
// lost answer to media_publish is outcome-unknown and the engine settles it
// with FindPost. A video still processing when the polling budget runs out
// gives a *platform.Continue. A non-JPEG image is refused before any call.
func (c *Client) Publish(ctx context.Context, acct platform.Auth, req *platform.PublishRequest, pr *platform.Progress) (*platform.Published, error) {
	p, err := c.plan(acct, req)
	if id, ok := pr.Get(platform.PartIDKey(1)); ok && id != "" {
		return c.finish(ctx, acct, pr, p, id), nil // live: whatever the request says now
	}
	if err != nil {
		return nil, err
	}
	if _, ok := pr.Get(keyMediaType); !ok {
		if err := pr.Set(ctx, keyMediaType, p.kind); err != nil {
			return nil, err
		}
	}
	id, err := c.publishContainers(ctx, acct, pr, p)
	if err != nil {
		return nil, err
	}
	return c.finish(ctx, acct, pr, p, id), nil
}

// links returns the secrets of the post's media links (linkSecrets).
func (p *post) links() []string {
	var urls []string
	for _, m := range p.media {
		urls = append(urls, m.URL)
	}
	return linkSecrets(urls...)
}

// plan checks req and acct before anything is sent.
func (c *Client) plan(acct platform.Auth, req *platform.PublishRequest) (*post, error) {
	const op = "prepare post"
	if !platform.ValidNumericID(acct.UserID) {
		return nil, fail(platform.KindAuth, op, "the account has no Instagram professional account id; connect it again")
	}
	if req == nil || len(req.Parts) == 0 {
		return nil, rejected(op, "nothing to post")
	}
	if len(req.Parts) > 1 {
		return nil, rejected(op, fmt.Sprintf("Instagram posts have one part; this one has %d", len(req.Parts)))
	}
	part := req.Parts[0]
	p := &post{kind: mediaType(req.Options, part.Media), caption: part.Text, media: part.Media, shareToFeed: true}
	if v, ok := optBool(req.Options, "share_to_feed"); ok {
		p.shareToFeed = v
	}
	if s, ok := req.Options["first_comment"].(string); ok && c.cfg.FirstComment {
		p.comment = strings.TrimSpace(s)
	}
	if p.kind == MediaStories {
		p.caption, p.comment = "", "" // stories take no caption and no comments
	}
	if n := utf8.RuneCountInString(p.caption); n > MaxCaption {
		return nil, rejected(op, fmt.Sprintf("the caption has %d characters; Instagram takes at most %d", n, MaxCaption))
	}
	if err := checkMedia(p); err != nil {
		return nil, rejected(op, err.Error())
	}
	return p, nil
}

// mediaType returns the media_type option, or the type the media implies
// when it is absent (the engine always sets it): one image IMAGE, one
// video REELS, more items CAROUSEL.
func mediaType(opts map[string]any, media []platform.Media) string {
	if s, ok := opts["media_type"].(string); ok && strings.TrimSpace(s) != "" {
		s = strings.ToUpper(strings.TrimSpace(s))
		if s == "STORY" {
			s = MediaStories
		}
		return s
	}
	switch {
	case len(media) > 1:
		return MediaCarousel
	case len(media) == 1 && media[0].IsVideo():
		return MediaReels
	}
	return MediaImage
}

// optBool reads a boolean option given as a bool or as "true"/"false".
func optBool(opts map[string]any, name string) (bool, bool) {
	switch v := opts[name].(type) {
	case bool:
		return v, true
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "1":
			return true, true
		case "false", "0":
			return false, true
		}
	}
	return false, false
}

// checkMedia checks the media against the media type.
func checkMedia(p *post) error {
	n := len(p.media)
	switch p.kind {
	case MediaImage:
		if n != 1 || !p.media[0].IsImage() {
			return fmt.Errorf("an IMAGE post takes one image; this one has %s", describe(p.media))
		}
	case MediaReels:
		if n != 1 || !p.media[0].IsVideo() {
			return fmt.Errorf("a REELS post takes one video; this one has %s", describe(p.media))
		}
	case MediaStories:
		if n != 1 || !p.media[0].IsImage() && !p.media[0].IsVideo() {
			return fmt.Errorf("a story takes one image or video; this one has %s", describe(p.media))
		}
	case MediaCarousel:
		if n < MinCarouselItems || n > MaxCarouselItems {
			return fmt.Errorf("a carousel takes %d to %d images or videos; this one has %d", MinCarouselItems, MaxCarouselItems, n)
		}
	default:
		return fmt.Errorf("Instagram media_type is IMAGE, CAROUSEL, REELS or STORIES; %.20q is not", p.kind)
	}
	for i, m := range p.media {
		if err := checkItem(m); err != nil {
			return fmt.Errorf("media %d: %w", i+1, err)
		}
	}
	return nil
}

func checkItem(m platform.Media) error {
	switch {
	case !m.IsImage() && !m.IsVideo():
		return fmt.Errorf("Instagram takes JPEG images and MP4 or MOV videos, not %.40q", m.MIME)
	case m.IsImage() && !isJPEG(m.MIME):
		return fmt.Errorf("Instagram takes JPEG images only; convert it (it is %.40s)", m.MIME)
	case m.URL == "":
		return fmt.Errorf("it has no public link for Instagram to fetch")
	case utf8.RuneCountInString(m.AltText) > MaxAltText && m.IsImage():
		return fmt.Errorf("the alt text has %d characters; Instagram takes at most %d", utf8.RuneCountInString(m.AltText), MaxAltText)
	}
	return nil
}

func isJPEG(mime string) bool {
	switch strings.ToLower(strings.TrimSpace(mime)) {
	case "image/jpeg", "image/jpg", "image/pjpeg":
		return true
	}
	return false
}

func describe(media []platform.Media) string {
	images, videos := 0, 0
	for _, m := range media {
		if m.IsVideo() {
			videos++
		} else {
			images++
		}
	}
	return fmt.Sprintf("%d image(s) and %d video(s)", images, videos)
}

// finish completes a published post: the first comment (none when p is
// nil), then the permalink. Neither can fail the post.
func (c *Client) finish(ctx context.Context, acct platform.Auth, pr *platform.Progress, p *post, mediaID string) *platform.Published {
	c.firstComment(ctx, acct, pr, p, mediaID)
	link, at := c.permalink(ctx, acct, mediaID)
	if at.IsZero() {
		at = c.now()
	}
	return &platform.Published{RemoteID: mediaID, URL: link, PartIDs: []string{mediaID}, PublishedAt: at}
}

// permalinkTries bounds the reads of a new post's permalink.
const permalinkTries = 3

// permalink reads the post's link and time (not mutating). A failure
// leaves both empty after a few tries: the post is live whatever happens
// here, and is never published again for it.
func (c *Client) permalink(ctx context.Context, acct platform.Auth, mediaID string) (string, time.Time) {
	pause := 2 * time.Second
	for try := 1; ; try++ {
		resp, err := c.send(ctx, c.graph, meta.Call{Op: "read permalink", Method: http.MethodGet, Path: "/" + mediaID,
			Params: url.Values{"fields": {"permalink,timestamp"}}, Token: acct.AccessToken})
		if err == nil {
			if m, derr := decodeMedia(resp); derr == nil {
				return m.Permalink, m.created()
			}
		}
		kind := platform.KindOf(err)
		retry := err == nil || kind == platform.KindTransient || kind == platform.KindRateLimited
		if try >= permalinkTries || !retry || c.sleep(ctx, pause) != nil {
			return "", time.Time{}
		}
		pause *= 2
	}
}

// firstComment posts the first_comment option under the new post, once.
// Its failure never fails the post: the reason is saved under
// comment.error. comment.sent is saved before the call, so a comment whose
// answer was lost is not posted again.
func (c *Client) firstComment(ctx context.Context, acct platform.Auth, pr *platform.Progress, p *post, mediaID string) {
	if p == nil || p.comment == "" {
		return
	}
	for _, k := range []string{KeyCommentSent, KeyCommentID, KeyCommentError} {
		if _, ok := pr.Get(k); ok {
			return
		}
	}
	if pr.Set(ctx, KeyCommentSent, "1") != nil {
		return // not sent: nothing to lose
	}
	resp, err := c.send(ctx, c.graph, meta.Call{Op: "post first comment", Method: http.MethodPost, Path: "/" + mediaID + "/comments",
		Params: url.Values{"message": {p.comment}}, Token: acct.AccessToken, Mutating: true})
	var id string
	if err == nil {
		id, err = decodeID(resp)
	}
	if err != nil {
		_ = pr.Set(ctx, KeyCommentError, commentFailure(err))
		return
	}
	_ = pr.Set(ctx, KeyCommentID, id)
}

// commentFailure says in plain words why the first comment is missing.
func commentFailure(err error) string {
	reason := reasonOf(err)
	code, _ := graphCode(err)
	switch {
	case platform.KindOf(err) == platform.KindOutcomeUnknown:
		return "the answer to the first comment was lost; it may or may not be under the post: " + reason
	case code == 10 || code >= 200 && code < 300:
		return "the first comment needs the instagram_business_manage_comments permission; connect the account again: " + reason
	}
	return "Instagram refused the first comment: " + reason
}
