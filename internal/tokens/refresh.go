package tokens

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/store"
)

// Credential returns a usable credential of the account. When the access
// token is within its platform's refresh margin it is refreshed first (see
// the package documentation for how concurrent callers share one refresh).
// An account that is not connected, or whose token expired and cannot be
// refreshed, gives an error for which NeedsReconnect is true. A refresh
// that fails for another reason while the current token is still valid
// returns the current token (the next call tries again).
func (s *Service) Credential(ctx context.Context, accountID int64) (*snsos.Credential, error) {
	a, err := s.store.FindAccountByID(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if a.Status != snsos.AccountConnected {
		return nil, reconnectError(a, statusReason(a))
	}
	cred, err := s.store.FindCredential(ctx, accountID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	pol := policyOf(a.Platform)
	if !pol.due(cred.ExpiresAt, cred.IssuedAt, now) {
		if cred.Expired(now) { // too young to refresh, yet expired
			return nil, reconnectError(a, "its access token expired")
		}
		return cred, nil
	}
	fresh, err := s.refresh(ctx, accountID)
	if err == nil {
		return fresh, nil
	}
	if NeedsReconnect(err) || ctx.Err() != nil || cred.Expired(s.now()) {
		return nil, err
	}
	s.log.Warn("token refresh failed; using the current token until it expires",
		"account_id", accountID, "expires_at", cred.ExpiresAt, "err", err)
	return cred, nil
}

func statusReason(a *snsos.Account) string {
	switch {
	case a.StatusReason != "":
		return a.StatusReason
	case a.Status == snsos.AccountRevoked:
		return "access was revoked"
	}
	return "the platform refused its tokens"
}

// refresh refreshes the account's credential if it is (still) due and
// returns the credential to use. Goroutines of this process asking for the
// same account share one call.
func (s *Service) refresh(ctx context.Context, accountID int64) (*snsos.Credential, error) {
	return s.flights.do(ctx, accountID, func() (*snsos.Credential, error) {
		// A refresh that has started must finish and store its result even
		// if the caller goes away: a rotated refresh token that is not
		// stored is lost, and the account with it.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), leaseTTL)
		defer cancel()
		return s.refreshShared(rctx, accountID)
	})
}

// refreshShared is the cross-process part: it takes the account's refresh
// lease, or waits for the process that holds it.
func (s *Service) refreshShared(ctx context.Context, accountID int64) (*snsos.Credential, error) {
	before, err := s.store.FindCredentialMeta(ctx, accountID)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(maxHolderWait) // real time: this bounds a real wait
	backoff := 20 * time.Millisecond
	for {
		ok, err := s.store.AcquireRefreshLease(ctx, accountID, s.now().Add(leaseTTL))
		if err != nil {
			return nil, err
		}
		if ok {
			return s.refreshHolding(ctx, accountID)
		}
		// Another process refreshes: wait until it has stored the new pair.
		if time.Now().After(deadline) {
			return nil, snsos.Errorf(snsos.EUNAVAILABLE, "another sns-os process is refreshing the tokens of account %d; try again later", accountID)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		backoff = min(backoff*2, time.Second)
		meta, err := s.store.FindCredentialMeta(ctx, accountID)
		if err != nil {
			return nil, err
		}
		if !meta.UpdatedAt.Equal(before.UpdatedAt) || !meta.ExpiresAt.Equal(before.ExpiresAt) {
			return s.afterOther(ctx, accountID)
		}
	}
}

// afterOther returns the credential another process just stored, unless
// that process found the account refused.
func (s *Service) afterOther(ctx context.Context, accountID int64) (*snsos.Credential, error) {
	a, err := s.store.FindAccountByID(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if a.Status != snsos.AccountConnected {
		return nil, reconnectError(a, statusReason(a))
	}
	return s.store.FindCredential(ctx, accountID)
}

// refreshHolding runs with the account's refresh lease held: it re-reads
// the credential, refreshes it at the platform if it is still due, and
// stores the new pair (ending the lease) before returning it.
func (s *Service) refreshHolding(ctx context.Context, accountID int64) (cred *snsos.Credential, err error) {
	stored := false
	defer func() {
		if stored {
			return
		}
		if rerr := s.store.ReleaseRefreshLease(context.WithoutCancel(ctx), accountID); rerr != nil {
			s.log.Warn("refresh lease not released", "account_id", accountID, "err", rerr)
		}
	}()
	a, err := s.store.FindAccountByID(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if a.Status != snsos.AccountConnected {
		return nil, reconnectError(a, statusReason(a))
	}
	c, err := s.client(a.Platform)
	if err != nil {
		return nil, err
	}
	old, err := s.store.FindCredential(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if !policyOf(a.Platform).due(old.ExpiresAt, old.IssuedAt, s.now()) {
		return old, nil // someone refreshed it meanwhile
	}
	fresh, err := c.Refresh(ctx, old)
	if err != nil {
		var pe *platform.Error
		if errors.As(err, &pe) && pe.Kind == platform.KindAuth {
			reason := pe.Reason
			if reason == "" {
				reason = "the platform refused the tokens"
			}
			if aerr := s.AuthFailed(ctx, accountID, reason); aerr != nil {
				s.log.Error("marking account needs_reauth failed", "account_id", accountID, "err", aerr)
			}
			return nil, reconnectError(a, reason)
		}
		s.log.Warn("token refresh failed", "account_id", accountID, "platform", string(a.Platform), "err", err)
		return nil, err
	}
	fresh.AccountID = accountID
	if fresh.RefreshToken.IsZero() { // the platform did not rotate it
		fresh.RefreshToken = old.RefreshToken
	}
	if len(fresh.Scopes) == 0 {
		fresh.Scopes = old.Scopes
	}
	// Persist before anyone uses the new pair. Retry once: the old refresh
	// token may already be dead at the platform.
	if err = s.store.PutCredential(ctx, fresh); err != nil {
		if err = s.store.PutCredential(ctx, fresh); err != nil {
			s.log.Error("refreshed token could not be stored; the account may need reconnecting",
				"account_id", accountID, "err", err)
			return nil, err
		}
	}
	stored = true
	s.auditEvent(ctx, "system", "credential.refresh", accountID, string(a.Platform)+" @"+a.Handle)
	s.log.Info("token refreshed", "account_id", accountID, "platform", string(a.Platform), "expires_at", fresh.ExpiresAt)
	return fresh, nil
}

// AuthFailed records that the platform refused the account's tokens: the
// account becomes needs_reauth with reason, and its targets waiting to be
// published (scheduled, retry_wait) fail with a message saying the account
// needs connecting again.
func (s *Service) AuthFailed(ctx context.Context, accountID int64, reason string) error {
	a, err := s.store.FindAccountByID(ctx, accountID)
	if err != nil {
		return err
	}
	if err := s.store.SetAccountStatus(ctx, accountID, snsos.AccountNeedsReauth, reason); err != nil {
		return err
	}
	s.log.Warn("account needs reconnecting", "account_id", accountID, "platform", string(a.Platform), "reason", reason)
	return s.failPending(ctx, a, reconnectMessage(a, reason), "account needs reauth")
}

// TargetFailer settles the targets of an account whose access ended: the
// delivery engine (publish.Engine), which applies its own rules (a thread
// with parts live ends as a partial publication, not as failed).
type TargetFailer interface {
	FailAccountTargets(ctx context.Context, ts []*snsos.Target, reason string) error
}

// SetTargetFailer hands the settling of an account's waiting targets to f.
// Without one, they are failed directly.
func (s *Service) SetTargetFailer(f TargetFailer) { s.failer = f }

// failPending moves the account's scheduled and retry_wait targets to
// failed with msg. A target that moved meanwhile (ECONFLICT) is left alone.
func (s *Service) failPending(ctx context.Context, a *snsos.Account, msg, detail string) error {
	ts, err := s.store.ListTargetsOfAccount(ctx, a.ID, snsos.StateScheduled, snsos.StateRetryWait)
	if err != nil {
		return err
	}
	if s.failer != nil { // the delivery engine, which owns the rules
		return s.failer.FailAccountTargets(ctx, ts, msg)
	}
	var errs []error
	for _, t := range ts {
		_, err := s.store.TransitionTarget(ctx, store.Transition{
			TargetID: t.ID, From: t.State, To: snsos.StateFailed,
			Mutate: func(t *snsos.Target) { t.Error = msg },
			Actor:  "system", Detail: detail,
		})
		if err != nil && !snsos.IsCode(err, snsos.ECONFLICT) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Revoke disconnects the account: it revokes the grant at the platform when
// the client can (best effort: a failure is logged), marks the account
// revoked, which deletes its tokens, and fails its targets waiting to be
// published.
func (s *Service) Revoke(ctx context.Context, accountID int64) error {
	a, err := s.store.FindAccountByID(ctx, accountID)
	if err != nil {
		return err
	}
	if c, err := s.client(a.Platform); err == nil {
		if rv, ok := c.(platform.Revoker); ok {
			if cred, err := s.store.FindCredential(ctx, accountID); err == nil {
				if err := rv.Revoke(ctx, cred); err != nil {
					s.log.Warn("revoke at the platform failed; deleting the tokens anyway",
						"account_id", accountID, "platform", string(a.Platform), "err", err)
				}
			}
		}
	}
	if err := s.store.SetAccountStatus(ctx, accountID, snsos.AccountRevoked, "disconnected by the operator"); err != nil {
		return err
	}
	s.log.Info("account revoked", "account_id", accountID, "platform", string(a.Platform))
	msg := "the " + a.Platform.DisplayName() + " account @" + a.Handle + " was disconnected; connect it again to publish"
	return s.failPending(ctx, a, msg, "account revoked")
}

// flights shares one refresh per account among the goroutines of a process.
type flights struct {
	mu sync.Mutex
	m  map[int64]*flight
}

type flight struct {
	done    chan struct{}
	cred    *snsos.Credential
	err     error
	waiters int // callers sharing the run (guarded by flights.mu)
}

// do runs fn unless a call for accountID is running, in which case it waits
// for that call's result. fn runs to completion even if every caller's
// context ends; each caller returns when its own context ends.
func (f *flights) do(ctx context.Context, accountID int64, fn func() (*snsos.Credential, error)) (*snsos.Credential, error) {
	f.mu.Lock()
	fl, ok := f.m[accountID]
	if !ok {
		fl = &flight{done: make(chan struct{})}
		f.m[accountID] = fl
		go func() {
			fl.cred, fl.err = fn()
			f.mu.Lock()
			delete(f.m, accountID)
			f.mu.Unlock()
			close(fl.done)
		}()
	}
	fl.waiters++
	f.mu.Unlock()
	select {
	case <-fl.done:
		if fl.err != nil {
			return nil, fl.err
		}
		c := *fl.cred // each caller gets its own copy
		return &c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
