package tiktok

import "github.com/sns-os/snsos/internal/platform"

// InboxUpload reports whether a post's saved progress shows it went to the
// account's TikTok inbox (an upload the operator finishes in the TikTok
// app) rather than out as a Direct Post: the inbox mark of a finished
// upload, or the mode it was started in, which a post settled by
// reconciliation has too.
func InboxUpload(progress map[string]string) bool {
	return progress[KeyInbox] == "1" || progress[KeyPostMode] == ModeInbox
}

// AwaitsPublicPost reports whether a published post, recorded under
// remoteID with this progress, is an inbox upload that has no public video
// id yet: the operator has not posted it from the TikTok app (or posted it
// for "Only me", or TikTok is still moderating it). TikTok reports no
// metrics for it until it has one; FindPost, asked with the same progress,
// returns that id once status/fetch gives it.
func AwaitsPublicPost(progress map[string]string, remoteID string) bool {
	return InboxUpload(progress) && !platform.ValidNumericID(remoteID)
}

// AwaitsPublicPost is the package function of that name, for callers that
// hold the client behind an interface (the metric checkpoints).
func (c *Client) AwaitsPublicPost(progress map[string]string, remoteID string) bool {
	return AwaitsPublicPost(progress, remoteID)
}
