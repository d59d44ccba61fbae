package threads

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/meta"
)

// AuthCodeURL returns the Threads consent page for state with the
// permissions of Scopes. Threads takes no PKCE challenge: verifier is not
// used (the client secret authenticates the exchange).
func (c *Client) AuthCodeURL(state, _ string) string {
	q := url.Values{
		"client_id":     {c.cfg.ClientID},
		"redirect_uri":  {c.cfg.RedirectURL},
		"scope":         {strings.Join(Scopes(), ",")},
		"response_type": {"code"},
		"state":         {state},
	}
	return c.auth + "?" + q.Encode()
}

// Exchange trades an authorization code (valid one hour, single use) for a
// long-lived token: first the code for a short-lived token (POST
// /oauth/access_token), then at once that token for a long-lived one (GET
// /access_token, grant th_exchange_token). The credential holds the
// long-lived token, its expiry and the permissions granted (the requested
// ones: Threads does not report them, and refuses the consent as a whole).
//
// The code exchange spends the code: a lost answer is outcome-unknown and
// any refusal asks for connecting again.
func (c *Client) Exchange(ctx context.Context, code, _ string) (*snsos.Credential, error) {
	const op = "exchange authorization code"
	code = strings.TrimSuffix(strings.TrimSpace(code), "#_")
	if code == "" {
		return nil, failure(platform.KindAuth, op, "no authorization code came back from Threads; connect the account again")
	}
	form := url.Values{
		"client_id": {c.cfg.ClientID}, "client_secret": {c.cfg.ClientSecret}, "code": {code},
		"grant_type": {"authorization_code"}, "redirect_uri": {c.cfg.RedirectURL},
	}
	short, err := c.token(ctx, meta.Call{Op: op, Method: "POST", Path: "/oauth/access_token", Params: form,
		Unversioned: true, Mutating: true, Redact: []string{code}})
	if err != nil {
		return nil, err
	}
	if missing := meta.Missing(requiredScopes, short.Permissions); len(missing) > 0 {
		return nil, failure(platform.KindAuth, op, fmt.Sprintf(
			"the permission %s was not granted; connect the account again and allow it", strings.Join(missing, ", ")))
	}
	long, err := c.token(ctx, meta.Call{Op: "exchange for a long-lived token", Method: "GET", Path: "/access_token",
		Params: url.Values{"grant_type": {"th_exchange_token"}, "client_secret": {c.cfg.ClientSecret},
			"access_token": {short.AccessToken}},
		Unversioned: true, Redact: []string{code, short.AccessToken}})
	if err != nil {
		return nil, err
	}
	scopes := short.Permissions
	if scopes == nil {
		scopes = Scopes()
	}
	return c.credential(long, scopes, nil), nil
}

// Refresh returns a new credential for cred's long-lived access token (GET
// /refresh_access_token, grant th_refresh_token): Threads refreshes a
// long-lived token with itself once it is 24 hours old, for another 60
// days. The old token keeps working until it expires.
func (c *Client) Refresh(ctx context.Context, cred *snsos.Credential) (*snsos.Credential, error) {
	const op = "refresh token"
	if cred == nil || cred.AccessToken.IsZero() {
		return nil, failure(platform.KindAuth, op, "no access token to refresh; connect the account again")
	}
	tok := cred.AccessToken.Reveal()
	t, err := c.token(ctx, meta.Call{Op: op, Method: "GET", Path: "/refresh_access_token",
		Params:      url.Values{"grant_type": {"th_refresh_token"}, "access_token": {tok}},
		Unversioned: true, Redact: []string{tok}})
	if err != nil {
		return nil, err
	}
	return c.credential(t, cred.Scopes, cred), nil
}

// token sends a token endpoint call and reads its answer. A genuine
// refusal (an invalid or expired token, 190; a spent or unknown code, 400
// "Matching code was not found…"; any other final refusal) means the grant
// is no good: auth, and only connecting again helps. Throttling, Meta's
// transient answers (code 1 or 2, is_transient) and server errors keep
// their kind: a refresh blip must not cost the account its connection.
func (c *Client) token(ctx context.Context, call meta.Call) (*meta.Token, error) {
	resp, err := c.send(ctx, call)
	if err != nil {
		return nil, err
	}
	secrets := append(call.Redact, c.cfg.ClientSecret)
	if err := c.graph.Decode(resp, nil); err != nil {
		var pe *platform.Error
		if errors.As(err, &pe) && (pe.Kind == platform.KindRejected || pe.Kind == platform.KindAuth) {
			pe.Kind = platform.KindAuth
			pe.Reason = platform.Redact("Threads refused the grant ("+pe.Reason+"); connect the account again", secrets...)
		}
		return nil, err
	}
	t, err := meta.DecodeToken(resp.Body)
	if err != nil {
		return nil, resp.BadResponse(platform.Redact(err.Error(), secrets...))
	}
	return t, nil
}

// credential builds the credential of token t, keeping prev's account.
func (c *Client) credential(t *meta.Token, scopes []string, prev *snsos.Credential) *snsos.Credential {
	now := c.now()
	life := time.Duration(t.ExpiresIn) * time.Second
	if t.ExpiresIn <= 0 {
		life = DefaultTokenLifetime
	}
	cred := &snsos.Credential{
		AccessToken: snsos.Secret(t.AccessToken),
		TokenType:   firstNonEmpty(t.TokenType, "bearer"),
		Scopes:      append([]string(nil), scopes...),
		ExpiresAt:   now.Add(life),
		// Threads refreshes a token with itself: what refreshes it
		// expires with it, and sns-os warns before that.
		RefreshExpiresAt: now.Add(life),
		IssuedAt:         now,
		UpdatedAt:        now,
	}
	if prev != nil {
		cred.AccountID = prev.AccountID
	}
	return cred
}

// Profile returns the account of token (GET /me).
func (c *Client) Profile(ctx context.Context, token snsos.Secret) (*platform.Profile, error) {
	resp, err := c.send(ctx, get("read profile", "/me", token,
		url.Values{"fields": {"id,username,name,threads_profile_picture_url"}}))
	if err != nil {
		return nil, err
	}
	if err := c.graph.Decode(resp, nil); err != nil {
		return nil, err
	}
	return decodeProfile(resp)
}
