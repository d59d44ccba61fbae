package publish

import (
	"context"

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
)

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
