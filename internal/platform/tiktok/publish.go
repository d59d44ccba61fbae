package tiktok

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"time"

	"github.com/sns-os/snsos/internal/platform"
)

// Publish posts req on acct: one video (Direct Post, or an upload to the
// account's TikTok inbox when the post_mode option is MEDIA_UPLOAD) or 1 to
// 35 photos. It reads creator_info first and refuses what the account may
// not post, sends the init call, uploads the video in chunks read from
// Media.Open one at a time, and waits for
// TikTok's verdict; every id and offset is saved in progress the moment it
// exists (see the package documentation), so a Publish called again
// resumes without posting twice.
//
// The init call is the mutating one: a lost answer to it is
// outcome-unknown. A Direct Post returns the public video id when TikTok
// gives one, else the publish_id (an "Only me" post never gets a public
// id, and has no link); an inbox upload returns Published.Inbox with the
// publish_id. While TikTok processes past the polling budget, or an upload
// outlasts its budget, Publish returns a *platform.Continue.
func (c *Client) Publish(ctx context.Context, acct platform.Auth, req *platform.PublishRequest, pr *platform.Progress) (*platform.Published, error) {
	if id, ok := pr.Get(PostIDKey); ok && id != "" {
		inbox, _ := pr.Get(KeyInbox)
		return c.published(acct.Handle, id, inbox == "1"), nil // live: whatever the request says now
	}
	gv, _ := pr.Get(KeyGeneration)
	g := generationOf(gv)
	p, err := plan(startedMode(req, pr, g))
	if err != nil {
		if started(pr, g) {
			// The request changed under a post already started: it may
			// still go live, so it is settled, not failed.
			return nil, fail(platform.KindOutcomeUnknown, "post", "an earlier attempt started this post on TikTok, and the "+
				"request can no longer be checked ("+reasonOf(err)+"); it must be settled before anything else")
		}
		return nil, err
	}
	p.handle = acct.Handle
	for {
		res, again, err := c.generation(ctx, acct, p, pr, g)
		if !again {
			return res, err
		}
		if g >= maxGenerations {
			return nil, rejected("post", fmt.Sprintf("TikTok failed %d uploads of this post in a row; look at the video, "+
				"then retry the post", g))
		}
		g++
		if err := saveProgress(ctx, pr, KeyGeneration, strconv.Itoa(int(g)), "post"); err != nil {
			return nil, err
		}
	}
}

// startedMode returns req in the post mode the post was started in, once
// any of its generations up to g sent an init call: the account's mode may
// have changed since (the engine reads it for each attempt), but a post
// TikTok may already have is carried on as it began, never restarted in the
// other mode.
func startedMode(req *platform.PublishRequest, pr *platform.Progress, g gen) *platform.PublishRequest {
	mode, _ := pr.Get(KeyPostMode)
	if mode == "" || req == nil {
		return req
	}
	for ; g >= 1; g-- {
		if started(pr, g) {
			out := *req
			out.Options = maps.Clone(req.Options)
			if out.Options == nil {
				out.Options = map[string]any{}
			}
			out.Options[OptPostMode] = mode
			return &out
		}
	}
	return req
}

// started reports whether generation g sent its init call.
func started(pr *platform.Progress, g gen) bool {
	id, _ := pr.Get(g.publishID())
	sent, _ := pr.Get(g.initSent())
	return id != "" || sent != ""
}

// reasonOf returns the plain-words reason of err.
func reasonOf(err error) string {
	var pe *platform.Error
	if errors.As(err, &pe) && pe.Reason != "" {
		return pe.Reason
	}
	return err.Error()
}

// published is the result for a post whose id is known.
func (c *Client) published(handle, id string, inbox bool) *platform.Published {
	return &platform.Published{RemoteID: id, URL: c.Permalink(handle, id), PartIDs: []string{id}, PublishedAt: c.now(), Inbox: inbox}
}

// generation runs generation g: resumed from its publish_id, or started.
// again asks for a new generation: TikTok proved this one published
// nothing and never will.
func (c *Client) generation(ctx context.Context, acct platform.Auth, p *post, pr *platform.Progress, g gen) (*platform.Published, bool, error) {
	if id, _ := pr.Get(g.publishID()); id != "" {
		return c.resume(ctx, acct, p, pr, g, id)
	}
	if sent, _ := pr.Get(g.initSent()); sent != "" {
		return nil, false, fail(platform.KindOutcomeUnknown, "start the post", "an earlier attempt sent TikTok's init call at "+
			sent+" and saw no answer; TikTok cannot be asked whether that made a post, so it must be settled first")
	}
	ci, err := c.CreatorInfo(ctx, acct)
	if err != nil {
		return nil, false, err
	}
	if err := checkCreator(p, ci); err != nil {
		return nil, false, err
	}
	if p.handle == "" {
		p.handle = ci.Username
	}
	id, uploadURL, err := c.initPost(ctx, acct, p, pr, g)
	if err != nil {
		return nil, false, err
	}
	if p.video == nil {
		res, err := c.await(ctx, acct, p, pr, g, id, nil)
		return res, false, err
	}
	target, err := c.uploadTarget(uploadURL)
	if err != nil {
		if serr := saveProgress(ctx, pr, g.uploadURL(), "", "upload the video"); serr != nil {
			return nil, false, serr
		}
		return c.resume(ctx, acct, p, pr, g, id)
	}
	cp, _ := c.savedPlan(pr, g, p)
	if err := c.upload(ctx, pr, g, p, cp, target, 0); err != nil {
		if isDeadUpload(err) {
			return c.resume(ctx, acct, p, pr, g, id)
		}
		return nil, false, err
	}
	res, err := c.await(ctx, acct, p, pr, g, id, nil)
	return res, false, err
}

// initPost sends the init call of generation g: init_sent (and the chunk
// size) are saved before it, the publish_id and upload_url the moment its
// answer arrives. A refusal clears init_sent: nothing was started.
func (c *Client) initPost(ctx context.Context, acct platform.Auth, p *post, pr *platform.Progress, g gen) (id, uploadURL string, err error) {
	const op = "start the post"
	path, body, redact, err := c.initRequest(ctx, p, pr, g)
	if err != nil {
		return "", "", err
	}
	if err := saveProgress(ctx, pr, KeyPostMode, p.mode, op); err != nil {
		return "", "", err
	}
	if err := saveProgress(ctx, pr, g.initSent(), c.now().UTC().Format(time.RFC3339), op); err != nil {
		return "", "", err
	}
	data, resp, err := c.do(ctx, call{op: op, method: http.MethodPost, path: path, token: acct.AccessToken, body: body,
		mutating: true, redact: redact})
	if err != nil {
		if platform.KindOf(err) != platform.KindOutcomeUnknown {
			_ = pr.Set(ctx, g.initSent(), "") // refused or never sent: nothing was started
		}
		return "", "", err
	}
	var d struct {
		PublishID string `json:"publish_id"`
		UploadURL string `json:"upload_url"`
	}
	if err := decodeData(resp, data, &d); err != nil {
		return "", "", err
	}
	if d.PublishID == "" || len(d.PublishID) > 256 {
		return "", "", resp.BadResponse("the init answer has no valid publish_id")
	}
	if err := pr.Set(ctx, g.publishID(), d.PublishID); err != nil {
		return "", "", fail(platform.KindOutcomeUnknown, op, "TikTok started the post as "+d.PublishID+" but its id could not be saved")
	}
	if p.video != nil {
		if err := saveProgress(ctx, pr, g.uploadURL(), d.UploadURL, op); err != nil {
			return "", "", err
		}
	}
	return d.PublishID, d.UploadURL, nil
}

// initRequest returns the init call's path and body for p, and the
// secrets of its media links. For a video it saves the chunk size and the
// video's size first (reconciliation tells a cut last chunk by them).
func (c *Client) initRequest(ctx context.Context, p *post, pr *platform.Progress, g gen) (string, any, []string, error) {
	if p.video == nil {
		return c.photoInit(p)
	}
	cp, err := planChunks(p.video.Size, c.chunk)
	if err != nil {
		return "", nil, nil, rejected("start the post", err.Error())
	}
	if err := saveProgress(ctx, pr, g.chunkSize(), strconv.FormatInt(cp.chunk, 10), "start the post"); err != nil {
		return "", nil, nil, err
	}
	if err := saveProgress(ctx, pr, g.uploadSize(), strconv.FormatInt(cp.size, 10), "start the post"); err != nil {
		return "", nil, nil, err
	}
	source := map[string]any{"source": "FILE_UPLOAD", "video_size": cp.size, "chunk_size": cp.chunk, "total_chunk_count": cp.count}
	if p.inbox() {
		return "/v2/post/publish/inbox/video/init/", map[string]any{"source_info": source}, nil, nil
	}
	info := map[string]any{
		"title": p.caption, "privacy_level": p.privacy,
		"disable_comment": p.disableComment, "disable_duet": p.disableDuet, "disable_stitch": p.disableStitch,
		"brand_content_toggle": p.brandContent, "brand_organic_toggle": p.brandOrganic,
	}
	if p.coverMS != nil {
		info["video_cover_timestamp_ms"] = *p.coverMS
	}
	return "/v2/post/publish/video/init/", map[string]any{"post_info": info, "source_info": source}, nil, nil
}

// photoInit is the content/init call of a photo post, pulled from the
// photos' signed links.
func (c *Client) photoInit(p *post) (string, any, []string, error) {
	var links, redact []string
	for _, m := range p.photos {
		links = append(links, m.URL)
		redact = append(redact, linkSecrets(m.URL)...)
	}
	info := map[string]any{"title": p.title, "description": p.caption}
	if !p.inbox() {
		info["privacy_level"] = p.privacy
		info["disable_comment"] = p.disableComment
		info["brand_content_toggle"] = p.brandContent
		info["brand_organic_toggle"] = p.brandOrganic
	}
	body := map[string]any{
		"post_info":   info,
		"source_info": map[string]any{"source": "PULL_FROM_URL", "photo_cover_index": 0, "photo_images": links},
		"post_mode":   p.mode,
		"media_type":  "PHOTO",
	}
	return "/v2/post/publish/content/init/", body, redact, nil
}

// savedPlan returns the chunk plan generation g announced (the saved
// chunk size), or the configured one.
func (c *Client) savedPlan(pr *platform.Progress, g gen, p *post) (chunkPlan, error) {
	chunk := c.chunk
	if v, _ := pr.Get(g.chunkSize()); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			chunk = n
		}
	}
	return planChunks(p.video.Size, chunk)
}
