package publish

import (
	"context"
	"strings"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/rules"
)

// A TikTok account publishes by Direct Post unless its Options say
// publish_mode "inbox": the video then goes to the account's TikTok inbox
// and the operator finishes the post in the app.
const (
	AccountPublishMode = "publish_mode"
	PublishModeInbox   = "inbox"
	PublishModeDirect  = "direct"
)

// PublishModeOptions checks that account a may take the publish mode
// mode and returns the account options that set it: only a TikTok account
// has one, and it is "direct" (Direct Post) or "inbox" (an upload to the
// account's TikTok inbox). The field of an error is
// options.publish_mode.
//
// A new mode applies from the next attempt of each post: one already
// started on TikTok carries on in the mode it began in (the client keeps
// it in the target's progress), and a post approved for the inbox without
// an audience that is due after a switch to Direct Post fails with the
// reason rather than being given one (tiktokOptions).
func PublishModeOptions(a *snsos.Account, mode string) (map[string]string, error) {
	const field = "options." + AccountPublishMode
	var v snsos.ValidationErrors
	switch {
	case a.Platform != snsos.PlatformTikTok:
		v.Add(field, rules.RuleOptionUnknown, "Only TikTok accounts have a publish mode; @%s is a %s account.", a.Handle, a.Platform.DisplayName())
	case mode != PublishModeDirect && mode != PublishModeInbox:
		v.Add(field, rules.RuleOptionValue, "The publish mode is %q (post directly) or %q (send to the TikTok inbox), not %.30q.",
			PublishModeDirect, PublishModeInbox, mode)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return map[string]string{AccountPublishMode: mode}, nil
}

// The options the engine adds to a TikTok request, under the client's
// names (internal/platform/tiktok: OptPostMode, ModeDirect, ModeInbox,
// OptVideoDurationMS).
const (
	optPostMode        = "post_mode"
	postModeDirect     = "DIRECT_POST"
	postModeInbox      = "MEDIA_UPLOAD"
	optVideoDurationMS = "video_duration_ms"
)

// tiktokInbox reports whether account a uploads to its TikTok inbox
// rather than posting directly.
func tiktokInbox(a *snsos.Account) bool {
	return a != nil && a.Options[AccountPublishMode] == PublishModeInbox
}

// checkAccountRules checks what target t may carry on account a, beyond
// its platform's rules: a TikTok Direct Post needs the audience chosen
// (privacy_level), never defaulted. Fields are relative to the target.
func checkAccountRules(t *snsos.Target, a *snsos.Account) []snsos.FieldError {
	if a == nil || a.Platform != snsos.PlatformTikTok {
		return nil
	}
	return rules.CheckTikTokPrivacy(t.Options, tiktokInbox(a))
}

// tiktokOptions adds to req, a request for TikTok target t of post p on
// account a, the post mode the account publishes by and, when the video's
// duration is known, video_duration_ms (the client then refuses a video
// longer than the account may post before sending anything).
func (e *Engine) tiktokOptions(ctx context.Context, p *snsos.Post, t *snsos.Target, a *snsos.Account, req *platform.PublishRequest) error {
	if t.Platform != snsos.PlatformTikTok {
		return nil
	}
	if req.Options == nil {
		req.Options = map[string]any{}
	}
	req.Options[optPostMode] = postModeDirect
	if tiktokInbox(a) {
		req.Options[optPostMode] = postModeInbox
	}
	if !tiktokStarted(t.Progress) {
		// Nothing sent yet: the account's mode now decides, and a Direct
		// Post approved while the account used its inbox may lack an
		// audience, which is never chosen for the operator. (A post
		// already started keeps its own mode: the client reads it back.)
		if fes := checkAccountRules(t, a); len(fes) > 0 {
			return snsos.Errorf(snsos.EINVALID, "the TikTok account @%s now posts directly (Direct Post), and this post has no "+
				"audience chosen, which a Direct Post needs: %s Edit the post to choose who can see it, or set the account to "+
				"send posts to its TikTok inbox, then retry.", a.Handle, fes[0].Message)
		}
	}
	for _, id := range p.MediaFor(t) {
		m, err := e.cfg.Store.FindMediaByID(ctx, id)
		if snsos.IsCode(err, snsos.ENOTFOUND) {
			continue // platformMedia reports it
		}
		if err != nil {
			return err
		}
		if m.IsVideo() && m.DurationMS > 0 {
			req.Options[optVideoDurationMS] = m.DurationMS
			break
		}
	}
	return nil
}

// Where a TikTok video delivered to the account's inbox stands
// (InboxState).
const (
	// InboxWaiting: the video waits in the TikTok app, with no public post
	// (and no metrics) yet.
	InboxWaiting = "waiting"
	// InboxPosted: the operator posted it publicly from the app; its
	// public id and link are recorded and its checkpoints count from when
	// they were seen.
	InboxPosted = "posted"
	// InboxNotPosted: no public post appeared while its metric checkpoints
	// waited; they are in, without numbers.
	InboxNotPosted = "not_posted"
)

// The TikTok client's progress keys and values that mark an inbox upload
// (internal/platform/tiktok: KeyInbox, KeyPostMode, ModeInbox), and the
// endings of the keys of a generation whose init call went out
// (InitSentKey, PublishIDKey).
const (
	progressInbox     = "inbox"
	progressPostMode  = "post_mode"
	progressInitSent  = "init_sent"
	progressPublishID = "publish_id"
)

// tiktokStarted reports whether a TikTok target's progress shows an init
// call sent in any generation: TikTok may have the post, and the client
// carries it on in the mode it started in.
func tiktokStarted(progress map[string]string) bool {
	for k, v := range progress {
		if v != "" && (strings.HasSuffix(k, progressInitSent) || strings.HasSuffix(k, progressPublishID)) {
			return true
		}
	}
	return false
}

// InboxState says where published target t stands when it is a TikTok
// video delivered to the account's inbox ("" for any other target): its
// progress marks the upload, its remote id becomes a public (numeric) id
// once it is posted publicly, and checkpoint snapshots while it has none
// mean its checkpoints stopped waiting (t.Metrics must be read).
func InboxState(t *snsos.Target) string {
	if t.Platform != snsos.PlatformTikTok || t.State != snsos.StatePublished ||
		t.Progress[progressInbox] != "1" && t.Progress[progressPostMode] != postModeInbox {
		return ""
	}
	if platform.ValidNumericID(t.RemoteID) {
		return InboxPosted
	}
	for _, m := range t.Metrics {
		if m.Checkpoint != snsos.CheckpointManual {
			return InboxNotPosted
		}
	}
	return InboxWaiting
}
