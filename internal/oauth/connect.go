package oauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/auth"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/store"
)

// StartConnect begins connecting an account of platform p and returns the
// platform's consent page. The state and the PKCE verifier stay on the
// server; binding is the hash of the browser cookie that must come back
// with the callback, or "" for flows started through the API (any browser
// may then finish them).
func (s *Service) StartConnect(ctx context.Context, p snsos.Platform, binding string) (authorizeURL string, err error) {
	c, err := s.client(p)
	if err != nil {
		return "", err
	}
	state, verifier := auth.NewToken("", 32), platform.NewVerifier()
	st := &store.OAuthState{
		StateHash: auth.HashToken(state),
		Platform:  p,
		Verifier:  verifier,
		Binding:   binding,
		ExpiresAt: s.now().Add(s.stateTTL),
	}
	if err := s.store.PutOAuthState(ctx, st); err != nil {
		return "", err
	}
	return c.AuthCodeURL(state, verifier), nil
}

// Errors of CompleteConnect that are not the store's state errors.
var (
	errNoState = snsos.Errorf(snsos.EINVALID, "this sign-in answer has no state; start connecting the account again")
	errNoCode  = snsos.Errorf(snsos.EINVALID, "this sign-in answer has no authorization code; start connecting the account again")
	// errDeniedUnverified answers an error from the consent page whose
	// state is missing or not this browser's: its words are not shown.
	errDeniedUnverified = snsos.Errorf(snsos.EINVALID, "the account was not connected; start connecting it again from sns-os")
	errOtherBrowser     = snsos.Errorf(snsos.EINVALID, "this sign-in was started in another browser (or its cookie expired); start connecting the account again from this browser")
)

// CompleteConnect finishes connecting an account with the query of the
// platform's redirect to /oauth/{p}/callback. The state must exist, be
// unused, unexpired, for p, and — when the flow was started by a browser —
// arrive with the same binding. It exchanges the code, reads the profile,
// creates or updates the account (a reconnect keeps its id and makes it
// connected again), stores the sealed credential and then, best effort,
// the account's profile picture.
//
// Errors are operator-safe: EINVALID for a bad or denied request, and a
// wrapped *platform.Error when the platform failed.
func (s *Service) CompleteConnect(ctx context.Context, p snsos.Platform, query url.Values, binding string) (*snsos.Account, error) {
	c, err := s.client(p)
	if err != nil {
		return nil, err
	}
	state := query.Get("state")
	perr := query.Get("error")
	if state == "" {
		if perr != "" {
			return nil, errDeniedUnverified
		}
		return nil, errNoState
	}
	st, err := s.store.TakeOAuthState(ctx, auth.HashToken(state)) // single use, answer or error
	if err == nil {
		err = s.checkState(st, p, binding)
	}
	if perr != "" {
		// The platform's words are shown only on an answer to a flow this
		// browser started: anyone can send a link with an error_description
		// of their choosing.
		if err != nil {
			return nil, errDeniedUnverified
		}
		return nil, platformDenied(p, perr, query.Get("error_description"))
	}
	if err != nil {
		return nil, err
	}
	code := query.Get("code")
	if code == "" {
		return nil, errNoCode
	}
	cred, err := c.Exchange(ctx, code, st.Verifier)
	if err != nil {
		return nil, platformFailed(p, "could not finish the sign-in", err)
	}
	prof, err := c.Profile(ctx, cred.AccessToken)
	if err != nil {
		return nil, platformFailed(p, "could not read the account's profile", err)
	}
	a := &snsos.Account{
		Platform: p, RemoteID: prof.RemoteID, Handle: prof.Handle, DisplayName: prof.DisplayName,
		AvatarURL: prof.AvatarURL, Status: snsos.AccountConnected, Options: prof.Options,
	}
	if err := s.store.UpsertAccount(ctx, a); err != nil {
		return nil, err
	}
	cred.AccountID = a.ID
	if err := s.store.PutCredential(ctx, cred); err != nil {
		return nil, err
	}
	s.auditEvent(ctx, "operator", "account.connect", a.ID, string(p)+" @"+a.Handle)
	s.log.Info("account connected", "platform", string(p), "account_id", a.ID, "handle", a.Handle)
	// The profile picture, best effort and bounded (10 s): sns-os serves it
	// itself, so pages load nothing from the platform.
	s.storeAvatar(ctx, a)
	return a, nil
}

// checkState checks a taken state against the callback's platform and
// the browser's binding, and its expiry.
func (s *Service) checkState(st *store.OAuthState, p snsos.Platform, binding string) error {
	switch {
	case st.Platform != p:
		return snsos.Errorf(snsos.EINVALID, "this sign-in link was for %s, not %s; start connecting the account again",
			st.Platform.DisplayName(), p.DisplayName())
	case st.Binding != "" && subtle.ConstantTimeCompare([]byte(st.Binding), []byte(binding)) != 1:
		return errOtherBrowser
	case !s.now().Before(st.ExpiresAt):
		return store.ErrOAuthStateExpired
	}
	return nil
}

// platformDenied is the error for an error answer from the platform's
// consent page, in plain words.
func platformDenied(p snsos.Platform, code, desc string) error {
	code, desc = clip(code, 100), clip(desc, 300)
	msg := p.DisplayName() + " says: " + code
	if code == "access_denied" {
		msg += " — you declined to give sns-os access"
	}
	if desc != "" && desc != code {
		msg += " (" + desc + ")"
	}
	return snsos.Errorf(snsos.EINVALID, "%s. Start connecting the account again if you want to.", msg)
}

// platformFailed wraps a platform failure with a message for the operator.
// The platform client has already removed every token and code from it.
func platformFailed(p snsos.Platform, what string, err error) error {
	reason := "the request failed"
	var pe *platform.Error
	if errors.As(err, &pe) {
		switch {
		case pe.Reason != "":
			reason = pe.Reason
		default:
			reason = pe.Kind.String()
		}
	}
	return snsos.WrapError(snsos.EUNAVAILABLE, err, p.DisplayName()+" "+what+": "+clip(reason, 300))
}

// clip shortens s to at most n bytes on a rune boundary and removes
// control characters.
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// auditEvent records an event; a failure is logged, not returned (the
// action itself succeeded).
func (s *Service) auditEvent(ctx context.Context, actor, action string, accountID int64, detail string) {
	e := &snsos.AuditEvent{Actor: actor, Action: action, SubjectType: "account", SubjectID: accountID, Detail: detail}
	if err := s.store.AddAuditEvent(ctx, e); err != nil {
		s.log.Warn("audit event not recorded", "action", action, "account_id", accountID, "err", err)
	}
}
