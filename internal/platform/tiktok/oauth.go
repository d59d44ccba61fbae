package tiktok

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
)

// CodeChallenge returns TikTok's PKCE challenge of verifier: the SHA-256
// of the verifier, hex-encoded (TikTok's rule, not RFC 7636's base64url).
func CodeChallenge(verifier string) string {
	h := sha256.Sum256([]byte(verifier))
	return hex.EncodeToString(h[:])
}

// AuthCodeURL returns TikTok's consent page for state, asking for Scopes,
// with the S256 challenge of verifier.
func (c *Client) AuthCodeURL(state, verifier string) string {
	q := url.Values{
		"client_key":            {c.cfg.ClientKey},
		"response_type":         {"code"},
		"scope":                 {strings.Join(Scopes, ",")},
		"redirect_uri":          {c.cfg.RedirectURL},
		"state":                 {state},
		"code_challenge":        {CodeChallenge(verifier)},
		"code_challenge_method": {"S256"},
	}
	return c.auth + "?" + q.Encode()
}

// tokenAnswer is the token endpoint's answer: flat on success (the
// documented shape), an OAuth error on failure. An answer wrapped in
// {"data":…} is read too.
type tokenAnswer struct {
	envelope
	tokenFields
}

type tokenFields struct {
	AccessToken      string `json:"access_token"`
	ExpiresIn        int64  `json:"expires_in"`
	OpenID           string `json:"open_id"`
	RefreshExpiresIn int64  `json:"refresh_expires_in"`
	RefreshToken     string `json:"refresh_token"`
	Scope            string `json:"scope"`
	TokenType        string `json:"token_type"`
}

// Exchange trades an authorization code and its PKCE verifier for a
// credential. The call is mutating: the code is spent even when the answer
// is lost, which is then outcome-unknown (connect again). A grant without
// user.info.basic, video.upload or video.publish is refused with the
// permission to tick.
func (c *Client) Exchange(ctx context.Context, code, verifier string) (*snsos.Credential, error) {
	const op = "exchange authorization code"
	form := url.Values{
		"client_key":    {c.cfg.ClientKey},
		"client_secret": {c.cfg.ClientSecret},
		"code":          {code},
		"grant_type":    {"authorization_code"},
		"redirect_uri":  {c.cfg.RedirectURL},
		"code_verifier": {verifier},
	}
	tok, err := c.token(ctx, op, form, code, verifier)
	if err != nil {
		return nil, err
	}
	cred := c.credential(tok, nil)
	if len(cred.Scopes) == 0 {
		cred.Scopes = slices.Clone(Scopes) // not reported: what was asked
	}
	for _, s := range requiredScopes {
		if !slices.Contains(cred.Scopes, s) {
			return nil, fail(platform.KindAuth, op, "the TikTok account did not grant "+s+", which sns-os needs to post; "+
				"connect it again and leave every permission ticked")
		}
	}
	return cred, nil
}

// Refresh spends cred's refresh token for a new access token and a new
// refresh token. TikTok rotates refresh tokens: the old one stops working
// once the new one is issued, so the caller must store the returned
// credential before using it. A lost answer is outcome-unknown: the old
// refresh token may be dead.
func (c *Client) Refresh(ctx context.Context, cred *snsos.Credential) (*snsos.Credential, error) {
	const op = "refresh token"
	if cred == nil || cred.RefreshToken.IsZero() {
		return nil, fail(platform.KindAuth, op, "no refresh token; connect the account again")
	}
	form := url.Values{
		"client_key":    {c.cfg.ClientKey},
		"client_secret": {c.cfg.ClientSecret},
		"grant_type":    {"refresh_token"},
		"refresh_token": {cred.RefreshToken.Reveal()},
	}
	tok, err := c.token(ctx, op, form, cred.RefreshToken.Reveal(), cred.AccessToken.Reveal())
	if err != nil {
		return nil, err
	}
	return c.credential(tok, cred), nil
}

// token sends a form to the token endpoint and returns its fields.
func (c *Client) token(ctx context.Context, op string, form url.Values, redact ...string) (*tokenFields, error) {
	secrets := c.secrets(redact...)
	resp, err := c.http.Do(ctx, &platform.Request{
		Platform:    snsos.PlatformTikTok,
		Op:          op,
		Method:      http.MethodPost,
		URL:         c.api + "/v2/oauth/token/",
		ContentType: "application/x-www-form-urlencoded",
		Body:        strings.NewReader(form.Encode()),
		Mutating:    true,
		Redact:      secrets,
	})
	if err != nil {
		return nil, err
	}
	return decodeToken(resp, c.now())
}

// decodeToken reads a token answer. Any answer that carries an error,
// whatever its status, is a failure: a refusal of the code or refresh
// token asks for a new connection (auth), a throttle waits, a server error
// is outcome-unknown (the code or token may be spent).
func decodeToken(resp *platform.Response, now time.Time) (*tokenFields, error) {
	var t tokenAnswer
	derr := platform.DecodeJSON(resp, &t)
	v, hasErr := t.verdict()
	if hasErr && v.Code == "ok" {
		hasErr = false
	}
	if derr != nil && resp.OK() {
		return nil, derr
	}
	if derr == nil && !hasErr && resp.OK() {
		f := t.tokenFields
		if f.AccessToken == "" && t.hasData() {
			_ = platform.Unmarshal(t.Data, &f)
		}
		if f.AccessToken == "" {
			return nil, resp.BadResponse("the token answer has no access_token")
		}
		return &f, nil
	}
	e := ClassifyResponse(resp, now)
	switch {
	case e.Kind == platform.KindRateLimited:
	case resp.StatusCode >= 500 || v.Code == "server_error" || v.Code == "temporarily_unavailable" || v.Code == "internal_error":
		e.Kind, e.RetryAt = platform.KindOutcomeUnknown, time.Time{}
	case v.Code == "invalid_client" || v.Code == "unauthorized_client":
		e.Kind, e.RetryAt = platform.KindAuth, time.Time{}
		e.Reason = resp.Redact("TikTok refused the app's credentials (" + v.Code + "); check the TikTok client key, " +
			"client secret and redirect URL in sns-os's configuration and in the TikTok developer portal")
	default:
		e.Kind, e.RetryAt = platform.KindAuth, time.Time{}
		what := v.Code
		if v.Message != "" {
			what += ": " + v.Message
		}
		if what == "" {
			what = http.StatusText(resp.StatusCode)
		}
		e.Reason = resp.Redact("TikTok refused the grant (" + truncate(what, 300) + "); connect the account again")
	}
	return nil, e
}

// credential converts token fields, keeping what prev had and the answer
// leaves out (the account id, a refresh token TikTok did not rotate).
func (c *Client) credential(t *tokenFields, prev *snsos.Credential) *snsos.Credential {
	now := c.now()
	cred := &snsos.Credential{
		AccessToken:  snsos.Secret(t.AccessToken),
		RefreshToken: snsos.Secret(t.RefreshToken),
		TokenType:    t.TokenType,
		IssuedAt:     now,
		UpdatedAt:    now,
	}
	for _, s := range strings.Split(t.Scope, ",") {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(cred.Scopes, s) {
			cred.Scopes = append(cred.Scopes, s)
		}
	}
	if t.ExpiresIn > 0 {
		cred.ExpiresAt = now.Add(time.Duration(t.ExpiresIn) * time.Second)
	}
	if t.RefreshExpiresIn > 0 && t.RefreshToken != "" {
		cred.RefreshExpiresAt = now.Add(time.Duration(t.RefreshExpiresIn) * time.Second)
	}
	if prev != nil {
		cred.AccountID = prev.AccountID
		if cred.RefreshToken.IsZero() {
			cred.RefreshToken, cred.RefreshExpiresAt = prev.RefreshToken, prev.RefreshExpiresAt
		}
		if len(cred.Scopes) == 0 {
			cred.Scopes = slices.Clone(prev.Scopes)
		}
	}
	return cred
}

// Revoke revokes cred's grant on TikTok (POST /v2/oauth/revoke/ with the
// access token), which ends its access and refresh tokens.
func (c *Client) Revoke(ctx context.Context, cred *snsos.Credential) error {
	const op = "revoke access"
	if cred == nil || cred.AccessToken.IsZero() {
		return nil
	}
	form := url.Values{
		"client_key":    {c.cfg.ClientKey},
		"client_secret": {c.cfg.ClientSecret},
		"token":         {cred.AccessToken.Reveal()},
	}
	resp, err := c.http.Do(ctx, &platform.Request{
		Platform:    snsos.PlatformTikTok,
		Op:          op,
		Method:      http.MethodPost,
		URL:         c.api + "/v2/oauth/revoke/",
		ContentType: "application/x-www-form-urlencoded",
		Body:        strings.NewReader(form.Encode()),
		Mutating:    true,
		Redact:      c.secrets(cred.AccessToken.Reveal(), cred.RefreshToken.Reveal()),
	})
	if err != nil {
		return err
	}
	var env envelope
	derr := platform.DecodeJSON(resp, &env)
	if v, has := env.verdict(); resp.OK() && (derr == nil || len(resp.Body) == 0) && (!has || v.Code == "ok") {
		return nil // success is {}
	}
	return ClassifyResponse(resp, c.now())
}

// userFields are the user fields user.info.basic covers. The username
// needs user.info.profile, which sns-os does not ask for: it comes from
// creator_info (video.publish) instead.
const userFields = "open_id,union_id,avatar_url,display_name"

// Profile returns the account of token: its open_id (RemoteID), name and
// avatar from /v2/user/info/, and its username (the handle of its links)
// from creator_info. The union_id is kept in Options.
func (c *Client) Profile(ctx context.Context, token snsos.Secret) (*platform.Profile, error) {
	data, resp, err := c.do(ctx, call{op: "read profile", method: http.MethodGet, path: "/v2/user/info/",
		query: url.Values{"fields": {userFields}}, token: token})
	if err != nil {
		return nil, err
	}
	p, err := decodeUser(resp, data)
	if err != nil {
		return nil, err
	}
	info, err := c.CreatorInfo(ctx, platform.Auth{AccessToken: token})
	switch {
	case err == nil:
		p.Handle = info.Username
		if p.DisplayName == "" {
			p.DisplayName = info.Nickname
		}
		if p.Options == nil {
			p.Options = map[string]string{}
		}
		maps.Copy(p.Options, info.AccountOptions()) // the Accounts page says whether the app is unaudited
	case platform.KindOf(err) != platform.KindRejected:
		return nil, err
	}
	// A refusal (the account may not post today) leaves the handle empty:
	// it is read again before each post.
	return p, nil
}

// decodeUser reads the data of /v2/user/info/.
func decodeUser(resp *platform.Response, data []byte) (*platform.Profile, error) {
	var u struct {
		User *struct {
			OpenID      string `json:"open_id"`
			UnionID     string `json:"union_id"`
			AvatarURL   string `json:"avatar_url"`
			DisplayName string `json:"display_name"`
			Username    string `json:"username"`
		} `json:"user"`
	}
	if err := decodeData(resp, data, &u); err != nil {
		return nil, err
	}
	if u.User == nil || strings.TrimSpace(u.User.OpenID) == "" || len(u.User.OpenID) > 128 {
		return nil, resp.BadResponse("the user answer has no open_id")
	}
	p := &platform.Profile{RemoteID: u.User.OpenID, Handle: u.User.Username, DisplayName: u.User.DisplayName, AvatarURL: u.User.AvatarURL}
	if u.User.UnionID != "" {
		p.Options = map[string]string{"union_id": u.User.UnionID}
	}
	return p, nil
}
