package instagram

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/meta"
)

// LongLivedLifetime is how long a long-lived token lives when Instagram's
// answer does not say (60 days).
const LongLivedLifetime = 60 * 24 * time.Hour

// AuthCodeURL returns the Instagram consent page for state, asking for
// Scopes(Config.FirstComment). Meta documents no PKCE, so verifier is not
// used.
func (c *Client) AuthCodeURL(state, verifier string) string {
	q := url.Values{
		"client_id":     {c.cfg.ClientID},
		"redirect_uri":  {c.cfg.RedirectURL},
		"response_type": {"code"},
		"scope":         {strings.Join(Scopes(c.cfg.FirstComment), ",")},
	}
	if state != "" {
		q.Set("state", state)
	}
	return c.auth + "?" + q.Encode()
}

// Exchange trades an authorization code (single use, valid one hour) for a
// short-lived token (POST api.instagram.com/oauth/access_token), then at
// once for a long-lived one (GET graph.instagram.com/access_token). The
// credential holds the long-lived token, the permissions granted (the ones
// asked for when Instagram does not list them) and its expiry. A code
// exchange whose answer is lost is outcome-unknown: the code may be spent,
// and the operator connects again. A grant lacking the profile or the
// publishing permission is refused as an auth error naming it.
func (c *Client) Exchange(ctx context.Context, code, verifier string) (*snsos.Credential, error) {
	const op = "exchange authorization code"
	code = strings.TrimSuffix(strings.TrimSpace(code), "#_")
	if code == "" {
		return nil, fail(platform.KindAuth, op, "no authorization code; connect the account again")
	}
	form := url.Values{
		"client_id":     {c.cfg.ClientID},
		"client_secret": {c.cfg.ClientSecret},
		"grant_type":    {"authorization_code"},
		"redirect_uri":  {c.cfg.RedirectURL},
		"code":          {code},
	}
	resp, err := c.send(ctx, c.token, meta.Call{Op: op, Method: http.MethodPost, Path: "/oauth/access_token",
		Params: form, Mutating: true, Unversioned: true, Redact: []string{code}})
	if err != nil {
		return nil, grantRefused(err, "the authorization code")
	}
	short, err := decodeToken(resp)
	if err != nil {
		return nil, err
	}
	if missing := meta.Missing(requiredScopes, short.Permissions); len(missing) > 0 {
		return nil, fail(platform.KindAuth, op, "Instagram did not grant "+strings.Join(missing, " and ")+
			"; connect the account again and allow sns-os to "+permissionWords(missing))
	}
	long, err := c.longLived(ctx, short.AccessToken)
	if err != nil {
		return nil, err
	}
	scopes := short.Permissions
	if scopes == nil {
		scopes = Scopes(c.cfg.FirstComment)
	}
	return c.credential(long, scopes, 0), nil
}

// permissionWords says in plain words what the missing permissions allow.
func permissionWords(missing []string) string {
	var w []string
	for _, m := range missing {
		switch m {
		case ScopeBasic:
			w = append(w, "read the profile")
		case ScopePublish:
			w = append(w, "publish content")
		default:
			w = append(w, m)
		}
	}
	return strings.Join(w, " and ")
}

// longLived exchanges a short-lived token for a long-lived one (60 days).
// The endpoint takes the token and the app secret in the query string;
// both are redacted from every error and log line.
func (c *Client) longLived(ctx context.Context, short string) (*meta.Token, error) {
	const op = "exchange for a long-lived token"
	q := url.Values{"grant_type": {"ig_exchange_token"}, "client_secret": {c.cfg.ClientSecret}, "access_token": {short}}
	resp, err := c.send(ctx, c.graph, meta.Call{Op: op, Method: http.MethodGet, Path: "/access_token", Params: q,
		Unversioned: true, Redact: []string{short}})
	if err != nil {
		return nil, grantRefused(err, "the new token")
	}
	return decodeToken(resp)
}

// Refresh returns a new credential for cred's long-lived token (GET
// graph.instagram.com/refresh_access_token), valid 60 days from now.
// Instagram refreshes with the access token itself, which must be at least
// 24 hours old and unexpired; the token policy in internal/oauth waits for
// that. The old token keeps working until it expires, so a lost answer is
// transient.
func (c *Client) Refresh(ctx context.Context, cred *snsos.Credential) (*snsos.Credential, error) {
	const op = "refresh token"
	if cred == nil || cred.AccessToken.IsZero() {
		return nil, fail(platform.KindAuth, op, "no access token to refresh; connect the account again")
	}
	tok := cred.AccessToken.Reveal()
	q := url.Values{"grant_type": {"ig_refresh_token"}, "access_token": {tok}}
	resp, err := c.send(ctx, c.graph, meta.Call{Op: op, Method: http.MethodGet, Path: "/refresh_access_token", Params: q,
		Unversioned: true, Redact: []string{tok}})
	if err != nil {
		return nil, grantRefused(err, "the token")
	}
	t, err := decodeToken(resp)
	if err != nil {
		return nil, err
	}
	return c.credential(t, cred.Scopes, cred.AccountID), nil
}

// decodeToken reads a token answer (flat or wrapped in data[]).
func decodeToken(resp *platform.Response) (*meta.Token, error) {
	t, err := meta.DecodeToken(resp.Body)
	if err != nil {
		return nil, resp.BadResponse(err.Error())
	}
	return t, nil
}

// credential builds the stored credential from a long-lived token answer.
// Instagram refreshes a token with itself, so what refreshes it expires
// with it: RefreshExpiresAt is ExpiresAt, and sns-os warns before it.
func (c *Client) credential(t *meta.Token, scopes []string, accountID int64) *snsos.Credential {
	now := c.now()
	life := LongLivedLifetime
	if t.ExpiresIn > 0 {
		life = time.Duration(t.ExpiresIn) * time.Second
	}
	typ := t.TokenType
	if typ == "" {
		typ = "bearer"
	}
	return &snsos.Credential{
		AccountID:        accountID,
		AccessToken:      snsos.Secret(t.AccessToken),
		TokenType:        typ,
		Scopes:           append([]string(nil), scopes...),
		ExpiresAt:        now.Add(life),
		RefreshExpiresAt: now.Add(life),
		IssuedAt:         now,
		UpdatedAt:        now,
	}
}

// grantRefused turns a final refusal of a token endpoint into an auth
// error: the code or token is no good, and only connecting again helps.
// Throttling and transient failures keep their kind.
func grantRefused(err error, what string) error {
	var pe *platform.Error
	if !errors.As(err, &pe) || pe.Kind != platform.KindRejected {
		return err
	}
	pe.Kind = platform.KindAuth
	pe.Reason = "Instagram refused " + what + " (" + pe.Reason + "); connect the account again"
	return pe
}

// Profile returns the professional account the token belongs to (GET
// /me). RemoteID is the Instagram professional account id (user_id, or the
// app-scoped id when user_id is absent); Options keep the app-scoped id
// under "app_scoped_id", since Meta's callbacks may name either.
func (c *Client) Profile(ctx context.Context, token snsos.Secret) (*platform.Profile, error) {
	resp, err := c.send(ctx, c.graph, meta.Call{Op: "read profile", Method: http.MethodGet, Path: "/me",
		Params: url.Values{"fields": {"user_id,username,name,profile_picture_url"}}, Token: token})
	if err != nil {
		return nil, err
	}
	return decodeProfile(resp)
}
