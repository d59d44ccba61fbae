package x

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

// AuthCodeURL returns the X consent page URL for state, with the S256 PKCE
// challenge of verifier and the scopes sns-os needs.
func (c *Client) AuthCodeURL(state, verifier string) string {
	return c.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))
}

// Exchange trades an authorization code (valid for 30 seconds) and its PKCE
// verifier for a credential. The call is mutating: the code is spent even
// when the answer is lost, in which case the error is outcome-unknown and
// the operator has to connect again.
func (c *Client) Exchange(ctx context.Context, code, verifier string) (*snsos.Credential, error) {
	const op = "exchange authorization code"
	hc := c.http.StdClient(snsos.PlatformX, op, true, code, verifier, c.cfg.ClientSecret)
	tok, err := c.oauth.Exchange(context.WithValue(ctx, oauth2.HTTPClient, hc), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, c.tokenError(op, err, code, verifier)
	}
	return c.credential(tok, nil), nil
}

// Refresh spends cred's refresh token for a new access token and a new
// refresh token. X rotates refresh tokens: the old one stops working at
// once, so the caller must store the returned credential before using it
// (and must never run two refreshes of one account at the same time). A
// lost answer is outcome-unknown: the old refresh token may be dead.
func (c *Client) Refresh(ctx context.Context, cred *snsos.Credential) (*snsos.Credential, error) {
	const op = "refresh token"
	if cred == nil || cred.RefreshToken.IsZero() {
		return nil, &platform.Error{Kind: platform.KindAuth, Platform: snsos.PlatformX, Op: op,
			Reason: "no refresh token (offline.access not granted); reconnect the account"}
	}
	rt := cred.RefreshToken.Reveal()
	hc := c.http.StdClient(snsos.PlatformX, op, true, rt, cred.AccessToken.Reveal(), c.cfg.ClientSecret)
	ctx = context.WithValue(ctx, oauth2.HTTPClient, hc)
	tok, err := c.oauth.TokenSource(ctx, &oauth2.Token{RefreshToken: rt}).Token()
	if err != nil {
		return nil, c.tokenError(op, err, rt, cred.AccessToken.Reveal())
	}
	return c.credential(tok, cred), nil
}

// credential converts an oauth2 token, keeping the account id of prev.
func (c *Client) credential(tok *oauth2.Token, prev *snsos.Credential) *snsos.Credential {
	now := c.now()
	cred := &snsos.Credential{
		AccessToken:  snsos.Secret(tok.AccessToken),
		RefreshToken: snsos.Secret(tok.RefreshToken),
		TokenType:    tok.TokenType,
		IssuedAt:     now,
		UpdatedAt:    now,
	}
	if prev != nil {
		cred.AccountID = prev.AccountID
	}
	if tok.ExpiresIn > 0 {
		cred.ExpiresAt = now.Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	if s, ok := tok.Extra("scope").(string); ok {
		cred.Scopes = strings.Fields(s)
	}
	return cred
}

// tokenError classifies a failure of the token endpoint. A refusal (4xx)
// means the code or refresh token is no good: auth. A lost or unreadable
// answer is outcome-unknown because the call spends the code or token.
func (c *Client) tokenError(op string, err error, secrets ...string) error {
	secrets = append(secrets, c.cfg.ClientSecret)
	var pe *platform.Error
	if errors.As(err, &pe) {
		return pe
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		status := re.Response.StatusCode
		resp := platform.NewResponse(status, re.Response.Header, re.Body, &platform.Request{
			Platform: snsos.PlatformX, Op: op, Mutating: true, Redact: secrets,
		})
		e := ClassifyResponse(resp)
		e.RetryAt = time.Time{}
		if e.Kind == platform.KindRateLimited {
			e.RetryAt = platform.ParseRetryAt(re.Response.Header, c.now())
		}
		if status >= 400 && status < 500 && status != http.StatusTooManyRequests && !e.Quota {
			e.Kind = platform.KindAuth
			e.Reason = platform.Redact(fmt.Sprintf("X refused the grant (%s); connect the account again",
				firstNonEmpty(re.ErrorDescription, re.ErrorCode, http.StatusText(status))), secrets...)
		}
		return e
	}
	return &platform.Error{
		Kind:     platform.KindOutcomeUnknown,
		Platform: snsos.PlatformX,
		Op:       op,
		Reason:   platform.Redact("unreadable token answer: "+err.Error(), secrets...),
		Err:      platform.ErrBadResponse,
	}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// Revoke revokes cred's refresh token and access token on X.
func (c *Client) Revoke(ctx context.Context, cred *snsos.Credential) error {
	if cred == nil {
		return nil
	}
	for _, t := range []struct {
		tok  snsos.Secret
		hint string
	}{{cred.RefreshToken, "refresh_token"}, {cred.AccessToken, "access_token"}} {
		if t.tok.IsZero() {
			continue
		}
		form := url.Values{"token": {t.tok.Reveal()}, "token_type_hint": {t.hint}}
		req := &platform.Request{
			Platform:    snsos.PlatformX,
			Op:          "revoke " + strings.ReplaceAll(t.hint, "_", " "),
			Method:      http.MethodPost,
			URL:         c.api + "/2/oauth2/revoke",
			ContentType: "application/x-www-form-urlencoded",
			Mutating:    true,
			Redact:      []string{t.tok.Reveal(), cred.AccessToken.Reveal(), cred.RefreshToken.Reveal(), c.cfg.ClientSecret},
		}
		if c.cfg.ClientSecret != "" {
			req.BasicUser, req.BasicPassword = c.cfg.ClientID, c.secret
		} else {
			form.Set("client_id", c.cfg.ClientID)
		}
		req.Body = strings.NewReader(form.Encode())
		resp, err := c.http.Do(ctx, req)
		if err != nil {
			return err
		}
		if !resp.OK() {
			return ClassifyResponse(resp)
		}
	}
	return nil
}

// Profile returns the account of token (GET /2/users/me).
func (c *Client) Profile(ctx context.Context, token snsos.Secret) (*platform.Profile, error) {
	resp, err := c.do(ctx, request{
		op:     "read profile",
		method: http.MethodGet,
		path:   "/2/users/me",
		query:  url.Values{"user.fields": {"id,name,username,profile_image_url"}},
		token:  token,
	})
	if err != nil {
		return nil, err
	}
	return decodeProfile(resp)
}
