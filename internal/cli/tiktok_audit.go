package cli

import (
	"context"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform/tiktok"
)

// noteCreatorInfo records on a TikTok account what each creator_info answer
// says of it (whether TikTok offers it only "Only me", an app that has not
// passed TikTok's Direct Post audit), so the Accounts page can say so. It
// hears the reads made before each post and by compose; the connect flow
// stores the same facts from the profile. Failures are only logged: the
// post goes on.
func noteCreatorInfo(a *app) func(ctx context.Context, openID string, ci *tiktok.CreatorInfo) {
	return func(ctx context.Context, openID string, ci *tiktok.CreatorInfo) {
		acct, err := a.store.FindAccountByRemoteID(ctx, snsos.PlatformTikTok, openID)
		if err == nil {
			_, err = a.store.MergeAccountOptions(ctx, acct.ID, ci.AccountOptions(), "system")
		}
		if err != nil && !snsos.IsCode(err, snsos.ENOTFOUND) {
			a.log.Warn("record what TikTok says of an account", "err", err)
		}
	}
}
