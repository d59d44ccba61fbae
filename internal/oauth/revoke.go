package oauth

import (
	"context"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/store"
)

// rotating are the platforms whose refresh tokens rotate (X, TikTok): a
// refresh refused as an invalid grant there means the grant is gone, and
// a refresh is how a refused access token is tried again.
var rotating = map[snsos.Platform]bool{snsos.PlatformX: true, snsos.PlatformTikTok: true}

// AuthFailed records that the platform refused the account's access
// (a 401 on a publication or a metric read). On X and TikTok the token is
// first refreshed, even if it is not due: a refusal that a refresh cures
// is not a revocation, and the account stays connected. One it cannot
// cure marks the account needs_reauth with reason (or revoked, when the
// refresh itself says the grant was revoked), and its targets waiting to
// be published (scheduled, retry_wait) fail with a message saying the
// account needs connecting again. A revoked account stays revoked.
func (s *Service) AuthFailed(ctx context.Context, accountID int64, reason string) error {
	a, err := s.store.FindAccountByID(ctx, accountID)
	if err != nil {
		return err
	}
	if a.Status == snsos.AccountRevoked {
		return s.failPending(ctx, a, reconnectMessage(a, statusReason(a)), "account revoked")
	}
	if a.Status == snsos.AccountConnected && rotating[a.Platform] {
		_, err := s.forceRefresh(ctx, accountID)
		switch {
		case err == nil:
			s.log.Info("refused access cured by a token refresh", "account_id", accountID, "platform", string(a.Platform))
			return nil
		case NeedsReconnect(err):
			return nil // the refresh marked the account and settled its targets
		}
		s.log.Warn("token refresh after a refused access failed", "account_id", accountID, "err", err)
	}
	return s.markNeedsReauth(ctx, a, reason)
}

// markNeedsReauth marks the account needs_reauth with reason and fails its
// waiting targets.
func (s *Service) markNeedsReauth(ctx context.Context, a *snsos.Account, reason string) error {
	if err := s.store.SetAccountStatus(ctx, a.ID, snsos.AccountNeedsReauth, reason); err != nil {
		return err
	}
	s.log.Warn("account needs reconnecting", "account_id", a.ID, "platform", string(a.Platform), "reason", reason)
	return s.failPending(ctx, a, reconnectMessage(a, reason), "account needs reauth")
}

// forceRefresh refreshes the account's token now, due or not, unless the
// credential is stored again meanwhile (another refresh, a reconnect), in
// which case that one is returned. Its flight is apart from the due
// refreshes' (the database lease still serialises them).
func (s *Service) forceRefresh(ctx context.Context, accountID int64) (*snsos.Credential, error) {
	before, err := s.store.FindCredentialMeta(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return s.flights.do(ctx, -accountID, func() (*snsos.Credential, error) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.leaseTTL)
		defer cancel()
		if p := s.unsavedPair(rctx, accountID); p != nil {
			return p, nil
		}
		return s.refreshShared(rctx, accountID, before.UpdatedAt)
	})
}

// refreshRefused handles a refresh the platform refused (pe, of kind
// auth): a revoked grant revokes the account and deletes its tokens; any
// other refusal marks it needs_reauth. Either way its waiting targets
// fail, and the error returned asks for a reconnect.
func (s *Service) refreshRefused(ctx context.Context, a *snsos.Account, old *snsos.Credential, pe *platform.Error) error {
	reason := pe.Reason
	if reason == "" {
		reason = "the platform refused the tokens"
	}
	if grantRevoked(a.Platform, pe, old, s.now()) {
		why := "access was revoked on " + a.Platform.DisplayName() + " (it refused the refresh token: " + pe.Code +
			"); sns-os deleted its tokens"
		err := s.store.RemoveAccess(ctx, store.AccessRemoval{AccountIDs: []int64{a.ID}, Source: store.RemovedByRefresh,
			Actor: "platform:" + string(a.Platform), Reason: why})
		if err != nil {
			s.log.Error("marking account revoked failed", "account_id", a.ID, "err", err)
			return reconnectError(a, reason)
		}
		s.log.Warn("account revoked at the platform; tokens deleted", "account_id", a.ID, "platform", string(a.Platform))
		if err := s.failPending(ctx, a, reconnectMessage(a, why), "account revoked"); err != nil {
			s.log.Error("waiting targets not failed", "account_id", a.ID, "err", err)
		}
		return reconnectError(a, why)
	}
	if err := s.markNeedsReauth(ctx, a, reason); err != nil {
		s.log.Error("marking account needs_reauth failed", "account_id", a.ID, "err", err)
	}
	return reconnectError(a, reason)
}

// grantRevoked reports whether a refused refresh means the grant was
// revoked: on a platform with rotating refresh tokens, a 400 naming the
// grant (TikTok: invalid_grant; X: invalid_request, "Value passed for the
// token was invalid", or invalid_grant) while the refresh token had not
// expired by its own date. A refused client (invalid_client,
// unauthorized_client: the app's configuration) or a missing refresh token
// is not a revocation.
func grantRevoked(p snsos.Platform, pe *platform.Error, old *snsos.Credential, now time.Time) bool {
	if !rotating[p] || pe.Status != 400 {
		return false
	}
	if !old.RefreshExpiresAt.IsZero() && !now.Before(old.RefreshExpiresAt) {
		return false // it expired: reconnecting is all there is to it
	}
	switch pe.Code {
	case "invalid_grant":
		return true
	case "invalid_request":
		return p == snsos.PlatformX // X answers a dead refresh token so
	}
	return false
}
