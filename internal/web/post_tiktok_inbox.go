package web

import (
	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/publish"
)

// inboxWords are what the pages say of a TikTok video delivered to the
// account's inbox (publish.InboxState): a short mark beside its state, and
// on the post page a sentence saying what it means. A video posted
// publicly from the app carries no mark: it is an ordinary post now.
type inboxWords struct {
	Mark, Note string
}

// inboxWordsOf returns the words for target t ("" marks for any target
// that did not go to the inbox). t.Metrics must be read.
func inboxWordsOf(p *page, t *snsos.Target) inboxWords {
	switch publish.InboxState(t) {
	case publish.InboxWaiting:
		return inboxWords{Mark: p.T("tiktok_inbox.mark.waiting"), Note: p.T("tiktok_inbox.note.waiting")}
	case publish.InboxNotPosted:
		return inboxWords{Mark: p.T("tiktok_inbox.mark.not_posted"), Note: p.T("tiktok_inbox.note.not_posted")}
	case publish.InboxPosted:
		return inboxWords{Note: p.T("tiktok_inbox.note.posted")}
	}
	return inboxWords{}
}

// tiktokOnlyMe reports a published TikTok post that is private ("Only
// me"): a Direct Post with no public id, which TikTok reports no metrics
// for.
func tiktokOnlyMe(t *snsos.Target) bool {
	return t.Platform == snsos.PlatformTikTok && t.State == snsos.StatePublished && publish.InboxState(t) == "" &&
		!platform.ValidNumericID(t.RemoteID)
}
