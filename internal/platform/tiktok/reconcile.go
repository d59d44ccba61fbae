package tiktok

import (
	"context"
	"strconv"

	"github.com/sns-os/snsos/internal/platform"
)

// cannotSearch is why a post started without a saved publish_id cannot be
// settled by sns-os.
const cannotSearch = "TikTok cannot be searched for this post: look in the TikTok app"

// FindPost settles a post whose outcome is unknown, from the publish_ids
// its attempts saved (q.Progress), newest generation first, through
// status/fetch: PUBLISH_COMPLETE and SEND_TO_USER_INBOX are the post
// (Proven; its id is the public video id when TikTok gives one, else the
// publish_id); FAILED, and an upload whose last chunk was never sent (or
// was refused), prove that generation published nothing; anything still
// processing is a transient error. When every generation proves nothing
// was published, FindPost returns an error matching platform.ErrNotFound.
//
// TikTok offers no search: an init call whose answer was lost leaves
// nothing to ask about, and FindPost returns a transient error saying so,
// never ErrNotFound. Progress with no init marked sent proves that none
// was: init_sent is saved before every init call.
func (c *Client) FindPost(ctx context.Context, acct platform.Auth, q platform.PostQuery) (*platform.RemotePost, error) {
	const op = "find post"
	get := func(k string) string { return q.Progress[k] }
	lost, processing := false, ""
	for g := generationOf(get(KeyGeneration)); g >= 1; g-- {
		id := get(g.publishID())
		if id == "" {
			lost = lost || get(g.initSent()) != ""
			continue
		}
		st, err := c.fetchStatus(ctx, acct, id)
		if err != nil {
			return nil, err
		}
		switch st.Status {
		case StatusComplete, StatusInbox:
			rid := id
			if st.PostID != "" {
				rid = st.PostID
			}
			return &platform.RemotePost{ID: rid, Text: q.Text, URL: c.Permalink(acct.Handle, rid), Proven: true}, nil
		case StatusFailed:
			continue
		case StatusProcessingUpload:
			if neverCompletes(q.Progress, g) {
				continue // the last chunk never reached TikTok: nothing will be published
			}
			if c.resumable(q.Progress, g, st) {
				// The last chunk was cut (a crash mid-PUT): TikTok holds
				// fewer bytes than the video's and publishes nothing
				// until they come. The next attempt sends them to the
				// same upload (resume: no init, so no second post).
				continue
			}
		}
		if processing == "" {
			processing = st.Status
		}
	}
	switch {
	case processing != "":
		return nil, fail(platform.KindTransient, op, "TikTok is still processing the post ("+processing+"); look again later")
	case lost:
		return nil, fail(platform.KindTransient, op, cannotSearch)
	}
	// Every init sent was answered (or refused, its mark cleared), and
	// every publish_id proved nothing published; with none sent at all (the
	// attempt stopped before its init: init_sent is saved just before it),
	// nothing can have reached TikTok either.
	return nil, platform.ErrNotFound
}

// resumable reports that generation g's upload was cut short after its
// last chunk was marked sent and can still be completed: the video's size
// is known, TikTok counts no more bytes than the confirmed offset, which is
// short of it, and the upload_url still works. Without TikTok's count the
// last chunk may have landed with its answer lost: not proof.
func (c *Client) resumable(progress map[string]string, g gen, st *publishStatus) bool {
	if progress[g.finalSent()] == "" {
		return false
	}
	size, err1 := strconv.ParseInt(progress[g.uploadSize()], 10, 64)
	var next int64 // no offset saved: no chunk confirmed yet (a video sent whole, cut)
	var err2 error
	if v := progress[g.nextOffset()]; v != "" {
		next, err2 = strconv.ParseInt(v, 10, 64)
	}
	if err1 != nil || err2 != nil || size <= 0 || next < 0 || next >= size || !st.CountsBytes || st.UploadedBytes > next {
		return false
	}
	pr := platform.NewProgress(progress, nil)
	_, ok := c.usableURL(pr, g)
	return ok
}

// neverCompletes reports that generation g's upload cannot complete
// without sns-os: its last chunk was never sent (or was refused). Once the
// target is settled as not published, its progress is dropped, and with it
// the only copy of the upload_url.
func neverCompletes(progress map[string]string, g gen) bool {
	_, has := progress[g.chunkSize()]
	return has && progress[g.finalSent()] == ""
}
