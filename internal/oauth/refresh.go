package oauth

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
	// A refreshed pair the database has not taken yet is the only usable
	// one: the stored refresh token is already spent at the platform.
	if p := s.unsavedPair(ctx, accountID); p != nil {
		return p, nil
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
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.leaseTTL)
		defer cancel()
		if p := s.unsavedPair(rctx, accountID); p != nil {
			return p, nil
		}
		return s.refreshShared(rctx, accountID, time.Time{})
	})
}

// refreshShared is the cross-process part: it takes the account's refresh
// lease, or waits for the process that holds it. With force set, the
// token is refreshed even before it is due, unless the credential was
// stored again after force (see forceRefresh).
func (s *Service) refreshShared(ctx context.Context, accountID int64, force time.Time) (*snsos.Credential, error) {
	before, err := s.store.FindCredentialMeta(ctx, accountID)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(maxHolderWait) // real time: this bounds a real wait
	backoff := 20 * time.Millisecond
	for {
		// Taken and judged on the database's clock, which every process
		// shares; the local deadline of the writes is measured from here.
		leaseDeadline := time.Now().Add(s.leaseTTL - min(leaseSlack, s.leaseTTL/4))
		lease, ok, err := s.store.AcquireRefreshLease(ctx, accountID, s.leaseTTL)
		if err != nil {
			return nil, err
		}
		if ok {
			return s.refreshHolding(ctx, lease, leaseDeadline, force)
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
// stores the new pair (ending the lease) before returning it. When the
// database refuses the new pair until the lease's deadline, the pair is
// kept in memory and returned (the old refresh token is spent: the new pair
// is the only one left) and the lease stays held (see saveRefreshed).
func (s *Service) refreshHolding(ctx context.Context, lease store.RefreshLease, deadline, force time.Time) (cred *snsos.Credential, err error) {
	accountID := lease.AccountID
	keep := false // the lease ended with the stored pair, or guards an unsaved one
	defer func() {
		if keep {
			return
		}
		if rerr := s.store.ReleaseRefreshLease(context.WithoutCancel(ctx), lease); rerr != nil {
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
	forced := !force.IsZero() && old.UpdatedAt.Equal(force)
	if !forced && !policyOf(a.Platform).due(old.ExpiresAt, old.IssuedAt, s.now()) {
		return old, nil // someone refreshed it meanwhile
	}
	fresh, err := c.Refresh(ctx, old)
	if s.onRefresh != nil {
		s.onRefresh(a.Platform, err)
	}
	if err != nil {
		var pe *platform.Error
		if errors.As(err, &pe) && pe.Kind == platform.KindAuth {
			return nil, s.refreshRefused(ctx, a, old, pe)
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
	// Persist before anyone uses the new pair: the old refresh token may
	// already be dead at the platform.
	keep = true
	if err := s.saveRefreshed(ctx, fresh, lease, deadline); err != nil {
		if !snsos.IsCode(err, snsos.ECONFLICT) {
			// Kept in memory (saveRefreshed) and handed to the callers; the
			// lease is not released while the pair is unsaved.
			return fresh, nil
		}
		// A connect stored a new grant, or the lease ran out and another
		// holder took it: what is stored now is theirs. This pair still
		// works for the callers that asked for it.
		s.log.Error("refreshed token not stored: the refresh lease was lost", "account_id", accountID, "err", err)
		return fresh, nil
	}
	s.auditEvent(ctx, "system", "credential.refresh", accountID, string(a.Platform)+" @"+a.Handle)
	s.log.Info("token refreshed", "account_id", accountID, "platform", string(a.Platform), "expires_at", fresh.ExpiresAt)
	return fresh, nil
}

// leaseSlack is how long before the lease's end the holder stops retrying
// the store of a refreshed pair and keeps it in memory instead (a quarter
// of the lease when that is less).
const leaseSlack = 10 * time.Second

// saveRetryStart and saveRetryMax bound the backoff between writes of a
// refreshed pair the database refused.
const (
	saveRetryStart = 100 * time.Millisecond
	saveRetryMax   = 5 * time.Second
)

// saveRefreshed stores the refreshed pair under lease, retrying with
// backoff until deadline (the lease's end less a margin). A write refused
// because the lease is no longer held (ECONFLICT) is not retried. When the
// deadline passes first, the pair is kept in memory (unsavedPair hands it
// to later callers and tries the write again) and the last error returned.
func (s *Service) saveRefreshed(ctx context.Context, fresh *snsos.Credential, lease store.RefreshLease, deadline time.Time) error {
	backoff := s.saveRetry
	for {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		c := *fresh
		err := s.store.PutRefreshedCredential(wctx, &c, lease)
		cancel()
		if err == nil || snsos.IsCode(err, snsos.ECONFLICT) {
			return err
		}
		if time.Now().Add(backoff).After(deadline) {
			s.keepUnsaved(fresh, lease)
			s.log.Error("refreshed token could not be stored yet; it is kept in memory and the write retried",
				"account_id", lease.AccountID, "err", err)
			return err
		}
		s.log.Warn("refreshed token not stored; retrying", "account_id", lease.AccountID, "in", backoff, "err", err)
		time.Sleep(backoff) // the write must outlive the caller: no ctx here
		backoff = min(backoff*2, saveRetryMax)
	}
}

// unsaved is a refreshed pair the database has not taken yet, with the
// lease it was refreshed under.
type unsaved struct {
	cred  *snsos.Credential
	lease store.RefreshLease
}

func (s *Service) keepUnsaved(c *snsos.Credential, l store.RefreshLease) {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	cp := *c
	s.unsaved[l.AccountID] = &unsaved{cred: &cp, lease: l}
}

// unsavedPair returns the account's refreshed pair that is not stored yet,
// after trying once more to store it (nil when there is none, or once it is
// stored, or when the lease was lost meanwhile).
func (s *Service) unsavedPair(ctx context.Context, accountID int64) *snsos.Credential {
	s.pmu.Lock()
	u := s.unsaved[accountID]
	s.pmu.Unlock()
	if u == nil {
		return nil
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	c := *u.cred
	err := s.store.PutRefreshedCredential(wctx, &c, u.lease)
	if err != nil && !snsos.IsCode(err, snsos.ECONFLICT) {
		s.log.Warn("refreshed token still not stored", "account_id", accountID, "err", err)
		c := *u.cred
		return &c
	}
	s.pmu.Lock()
	if s.unsaved[accountID] == u {
		delete(s.unsaved, accountID)
	}
	s.pmu.Unlock()
	if err != nil {
		s.log.Error("refreshed token dropped: the refresh lease was lost", "account_id", accountID, "err", err)
		return nil
	}
	s.log.Info("refreshed token stored", "account_id", accountID)
	return &c
}

// saveUnsaved tries to store every pair kept in memory (the periodic scan).
func (s *Service) saveUnsaved(ctx context.Context) {
	s.pmu.Lock()
	ids := make([]int64, 0, len(s.unsaved))
	for id := range s.unsaved {
		ids = append(ids, id)
	}
	s.pmu.Unlock()
	for _, id := range ids {
		s.unsavedPair(ctx, id)
	}
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
