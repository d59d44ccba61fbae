package x

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sns-os/snsos/internal/platform"
)

// MaxMediaPerPost is how many media items one post takes (4 images, or 1
// GIF or video).
const MaxMediaPerPost = 4

// tweetRequest is the body of POST /2/tweets. X rejects unknown keys.
type tweetRequest struct {
	Text  string `json:"text,omitempty"`
	Media *struct {
		MediaIDs []string `json:"media_ids"`
	} `json:"media,omitempty"`
	Reply *struct {
		InReplyToTweetID string `json:"in_reply_to_tweet_id"`
	} `json:"reply,omitempty"`
}

// Publish posts req: one post, or a thread whose parts each reply to the
// previous one. Media is uploaded first (chunked), its alt text set (POST
// /2/media/metadata, images and GIFs), and each id is saved in progress the
// moment it exists (see the package documentation for keys), so
// a Publish called again after a crash or an error skips what is done and
// never posts a part twice.
//
// POST /2/tweets is the only call with a visible effect; when its answer is
// lost the error is outcome-unknown and the target must be reconciled
// (FindPost) before any new attempt. A transient error after earlier parts
// were posted is still safe to retry with the same progress.
func (c *Client) Publish(ctx context.Context, acct platform.Auth, req *platform.PublishRequest, pr *platform.Progress) (*platform.Published, error) {
	if err := validate(req); err != nil {
		return nil, err
	}
	ids := make([]string, len(req.Parts))
	prev := ""
	var firstAt time.Time
	for i, part := range req.Parts {
		n := i + 1
		if id, ok := pr.Get(TweetKey(n)); ok {
			ids[i], prev = id, id
			continue
		}
		op := "post"
		if len(req.Parts) > 1 {
			op = fmt.Sprintf("post part %d of %d", n, len(req.Parts))
		}
		body := tweetRequest{Text: part.Text}
		for j, md := range part.Media {
			id, err := c.ensureMedia(ctx, acct, pr, n, j+1, md)
			if err != nil {
				return nil, err
			}
			if err := c.ensureAltText(ctx, acct, pr, n, j+1, id, md); err != nil {
				return nil, err
			}
			if body.Media == nil {
				body.Media = &struct {
					MediaIDs []string `json:"media_ids"`
				}{}
			}
			body.Media.MediaIDs = append(body.Media.MediaIDs, id)
		}
		if prev != "" {
			body.Reply = &struct {
				InReplyToTweetID string `json:"in_reply_to_tweet_id"`
			}{prev}
		}
		id, err := c.postTweet(ctx, acct, op, body)
		if err != nil {
			return nil, err
		}
		if err := c.saveProgress(ctx, pr, TweetKey(n), id, op, true); err != nil {
			return nil, err
		}
		ids[i], prev = id, id
		if i == 0 {
			firstAt = c.now()
		}
	}
	if firstAt.IsZero() {
		firstAt = c.now() // the root was posted by an earlier attempt
	}
	return &platform.Published{
		RemoteID:    ids[0],
		URL:         PostURL(acct.Handle, ids[0]),
		PartIDs:     ids,
		PublishedAt: firstAt,
	}, nil
}

func (c *Client) postTweet(ctx context.Context, acct platform.Auth, op string, body tweetRequest) (string, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return "", rejected(op, "encode post: "+err.Error())
	}
	resp, err := c.do(ctx, request{op: op, method: http.MethodPost, path: "/2/tweets", token: acct.AccessToken,
		body: b, ct: "application/json", mutating: true})
	if err != nil {
		return "", err
	}
	return decodeCreated(resp)
}

// validate checks what X would refuse before anything is sent. Text length
// is the compose package's job (weighted counting); here only structure.
func validate(req *platform.PublishRequest) error {
	const op = "prepare post"
	if req == nil || len(req.Parts) == 0 {
		return rejected(op, "nothing to post")
	}
	for i, p := range req.Parts {
		if strings.TrimSpace(p.Text) == "" && len(p.Media) == 0 {
			return rejected(op, fmt.Sprintf("part %d has neither text nor media", i+1))
		}
		if len(p.Media) > MaxMediaPerPost {
			return rejected(op, fmt.Sprintf("part %d has %d media; X takes at most %d", i+1, len(p.Media), MaxMediaPerPost))
		}
		for j, m := range p.Media {
			if _, _, ok := mediaCategory(m.MIME); !ok {
				return rejected(op, fmt.Sprintf("part %d media %d: X does not take %q", i+1, j+1, m.MIME))
			}
			if len(p.Media) > 1 && !m.IsImage() || len(p.Media) > 1 && m.MIME == "image/gif" {
				return rejected(op, fmt.Sprintf("part %d: a GIF or a video must be the only media of its post", i+1))
			}
			if n := utf8.RuneCountInString(m.AltText); n > MaxAltText && m.IsImage() {
				return rejected(op, fmt.Sprintf("part %d media %d: the alt text has %d characters; X takes at most %d", i+1, j+1, n, MaxAltText))
			}
		}
	}
	return nil
}
