package tiktok

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/sns-os/snsos/internal/platform"
)

// urlMargin is how long before its hour is up an upload_url is no longer
// used: a chunk sent later could outlive it.
const urlMargin = 2 * time.Minute

// resume decides generation g, whose init answer gave publish_id id, from
// TikTok's status: a post complete or in the inbox is done; FAILED for a
// retryable reason, or an upload missing bytes that can no longer be sent,
// asks for a new generation (again); FAILED otherwise is rejected; an
// upload missing bytes goes on from the saved offset; anything else is
// awaited. It never sends init.
func (c *Client) resume(ctx context.Context, acct platform.Auth, p *post, pr *platform.Progress, g gen, id string) (*platform.Published, bool, error) {
	for range 3 {
		st, err := c.fetchStatus(ctx, acct, id)
		if err != nil {
			return nil, false, err
		}
		switch st.Status {
		case StatusFailed:
			e := failure("post", st)
			if e.Kind == platform.KindTransient {
				return nil, true, nil // nothing was published: upload again
			}
			return nil, false, e
		case StatusProcessingUpload:
			if p.video == nil {
				break
			}
			s := c.uploadStep(pr, g, p, st)
			switch s.kind {
			case stepNewGen:
				return nil, true, nil
			case stepUpload:
				err := c.upload(ctx, pr, g, p, s.plan, s.target, s.from)
				if isDeadUpload(err) {
					continue // TikTok's status decides again
				}
				if err != nil {
					return nil, false, err
				}
				st = nil
			}
		}
		res, err := c.await(ctx, acct, p, pr, g, id, st)
		return res, false, err
	}
	return nil, false, fail(platform.KindTransient, "upload the video", "TikTok keeps refusing the upload's chunks; "+
		"the next attempt asks TikTok again")
}

func isDeadUpload(err error) bool { return errors.Is(err, errDeadUpload) }

// The next step of an upload TikTok still waits bytes for.
const (
	stepWait   = iota // TikTok has (or may have) every byte: await its verdict
	stepUpload        // send the missing chunks
	stepNewGen        // bytes are missing and can no longer be sent: nothing will be published
)

type uploadStepT struct {
	kind   int
	plan   chunkPlan
	target string
	from   int64
}

// uploadStep decides how a PROCESSING_UPLOAD of generation g goes on: from
// the confirmed offset (the saved one, or TikTok's uploaded_bytes when
// further and on a chunk boundary) through the saved upload_url while it
// works; with the URL gone, a last chunk that may have been sent is
// awaited, and an upload whose last chunk was never sent (or refused) can
// never complete.
func (c *Client) uploadStep(pr *platform.Progress, g gen, p *post, st *publishStatus) uploadStepT {
	cp, err := c.savedPlan(pr, g, p)
	if err != nil {
		return uploadStepT{kind: stepWait}
	}
	var off int64
	if v, _ := pr.Get(g.nextOffset()); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			if _, ok := cp.index(n); ok {
				off = n
			}
		}
	}
	if st.UploadedBytes > off {
		if _, ok := cp.index(st.UploadedBytes); ok {
			off = st.UploadedBytes
		}
	}
	if off >= cp.size {
		return uploadStepT{kind: stepWait}
	}
	if target, ok := c.usableURL(pr, g); ok {
		return uploadStepT{kind: stepUpload, plan: cp, target: target, from: off}
	}
	if sent, _ := pr.Get(g.finalSent()); sent != "" {
		return uploadStepT{kind: stepWait}
	}
	return uploadStepT{kind: stepNewGen}
}

// usableURL returns where generation g's chunks go, while its upload_url
// is saved, was not refused, and is younger than its hour.
func (c *Client) usableURL(pr *platform.Progress, g gen) (string, bool) {
	raw, _ := pr.Get(g.uploadURL())
	if raw == "" {
		return "", false
	}
	if sent := initTime(pr, g); !sent.IsZero() && !c.now().Before(sent.Add(UploadURLTTL-urlMargin)) {
		return "", false
	}
	target, err := c.uploadTarget(raw)
	return target, err == nil
}

// initTime is when generation g's init call was sent (zero if unknown).
func initTime(pr *platform.Progress, g gen) time.Time {
	v, _ := pr.Get(g.initSent())
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}
	}
	return t
}

// await polls status/fetch (pauses doubling from Polling.First to
// Polling.Max) until TikTok's verdict, within Polling.Budget; then it
// returns a *platform.Continue. A complete post with a wider audience than
// "Only me" is polled a little longer for its public id, which TikTok gives
// after moderation; past the budget it is returned with the publish_id. A
// failed poll (5xx, rate limit) also continues later: nothing is in
// flight. A post still processing MaxProcessing after its init is handed
// over as outcome-unknown.
func (c *Client) await(ctx context.Context, acct platform.Auth, p *post, pr *platform.Progress, g gen, id string, st *publishStatus) (*platform.Published, error) {
	const op = "wait for TikTok"
	pause, spent := c.polling.First, time.Duration(0)
	for {
		if st == nil {
			var err error
			if st, err = c.fetchStatus(ctx, acct, id); err != nil {
				return nil, c.pollFailure(err, pause)
			}
		}
		waitID := st.Status == StatusComplete && st.PostID == "" && !p.inbox() && p.privacy != PrivacySelfOnly
		if !st.processing() && !waitID {
			return c.finish(ctx, p, pr, id, st)
		}
		if sent := initTime(pr, g); st.processing() && !sent.IsZero() && c.now().Sub(sent) > c.cfg.MaxProcessing {
			return nil, fail(platform.KindOutcomeUnknown, op, "TikTok still reports the post as "+st.Status+" "+
				c.now().Sub(sent).Round(time.Minute).String()+" after it was started; look for it in the TikTok app")
		}
		if spent+pause > c.polling.Budget || !before(ctx, pause) {
			// Out of budget, or the job's own time would end first.
			if waitID {
				return c.finish(ctx, p, pr, id, st) // live; TikTok has no public id for it yet
			}
			return nil, &platform.Continue{After: c.polling.Max, Step: "TikTok is processing the post (" + st.Status + ")"}
		}
		if err := c.polling.Sleep(ctx, pause); err != nil {
			e := fail(platform.KindTransient, op, "canceled while waiting for TikTok")
			e.Err = err
			return nil, e
		}
		spent += pause
		pause = min(pause*2, c.polling.Max)
		st = nil
	}
}

// pollFailure turns a failed status poll into a later try: nothing is in
// flight and every id is saved. Refusals (auth, an unknown publish_id) and
// cancellation stay errors.
func (c *Client) pollFailure(err error, pause time.Duration) error {
	switch platform.KindOf(err) {
	case platform.KindRateLimited:
		after := pause
		if at, ok := platform.RetryAt(err); ok {
			after = max(at.Sub(c.now()), time.Second)
		}
		return &platform.Continue{After: after, Step: "TikTok's rate limit for status reads"}
	case platform.KindTransient:
		if errors.Is(err, context.Canceled) {
			return err
		}
		return &platform.Continue{After: max(pause, c.polling.First), Step: "TikTok's status read failed: " + err.Error()}
	}
	return err
}

// finish returns the verdict of a status that left processing, saving the
// post's id (the publish_id is saved already, so a failure to save it here
// loses nothing).
func (c *Client) finish(ctx context.Context, p *post, pr *platform.Progress, id string, st *publishStatus) (*platform.Published, error) {
	switch st.Status {
	case StatusFailed:
		return nil, failure("post", st)
	case StatusInbox:
		_ = pr.Set(ctx, KeyInbox, "1")
		_ = pr.Set(ctx, PostIDKey, id)
		return c.published(p.handle, id, true), nil
	}
	rid := id
	if st.PostID != "" {
		rid = st.PostID
	}
	if p.inbox() {
		_ = pr.Set(ctx, KeyInbox, "1")
	}
	_ = pr.Set(ctx, PostIDKey, rid)
	return c.published(p.handle, rid, p.inbox()), nil
}
