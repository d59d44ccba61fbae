package graph

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
)

// Messages of the token endpoints, as Meta words them.
const (
	MsgCodeNotFound = "Matching code was not found or was already used"
	MsgBadApp       = "Invalid platform app"
	MsgBadSecret    = "Error validating client secret."
)

func (c *Core) secretOK(secret string) bool {
	return c.cfg.ClientSecret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(c.cfg.ClientSecret)) == 1
}

// handleCodeExchange serves POST /oauth/access_token: an authorization
// code for a short-lived token (Config.TokenAnswer renders it). Errors use
// the flat {"error_type","code","error_message"} envelope.
func (c *Core) handleCodeExchange(w http.ResponseWriter, r *http.Request) {
	p := CallFrom(r).Params
	switch {
	case p.Get("client_id") != c.cfg.ClientID:
		WriteOAuthError(w, MsgBadApp)
		return
	case !c.secretOK(p.Get("client_secret")):
		WriteOAuthError(w, MsgBadSecret)
		return
	case p.Get("grant_type") != "authorization_code":
		WriteOAuthError(w, "Invalid grant_type: it must be authorization_code")
		return
	}
	c.mu.Lock()
	now := c.NowLocked()
	code, ok := c.tokens.Redeem(p.Get("code"), now)
	if !ok || code.ClientID != c.cfg.ClientID || code.RedirectURI != p.Get("redirect_uri") {
		c.mu.Unlock()
		WriteOAuthError(w, MsgCodeNotFound)
		return
	}
	t := c.tokens.Issue(code.UserID, code.Scopes, false, now, c.cfg.ShortLivedTTL)
	c.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	if c.cfg.TokenAnswer != nil {
		WriteJSON(w, http.StatusOK, c.cfg.TokenAnswer(t))
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"access_token": t.Value, "user_id": json.Number(t.UserID)})
}

// handleExchange serves GET /access_token?grant_type=Config.ExchangeGrant:
// a valid token (normally the short-lived one) for a long-lived token. The
// exchanged token keeps working until its own expiry.
func (c *Core) handleExchange(w http.ResponseWriter, r *http.Request) {
	call := CallFrom(r)
	if call.Params.Get("grant_type") != c.cfg.ExchangeGrant {
		WriteError(w, InvalidParam(TypeOAuth, "grant_type must be "+c.cfg.ExchangeGrant))
		return
	}
	if !c.secretOK(call.Params.Get("client_secret")) {
		WriteError(w, Error{Code: 101, Message: MsgBadSecret})
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old, gerr := c.validToken(call.Token)
	if gerr != nil {
		WriteError(w, *gerr)
		return
	}
	c.writeLongLived(w, old)
}

// handleRefresh serves GET /refresh_access_token?grant_type=Config.RefreshGrant:
// a long-lived token at least RefreshMinAge old for a new one valid
// LongLivedTTL from now. The old token keeps working until its own
// expiry (Meta may even return the same value; clients must store
// whatever comes back).
func (c *Core) handleRefresh(w http.ResponseWriter, r *http.Request) {
	call := CallFrom(r)
	if call.Params.Get("grant_type") != c.cfg.RefreshGrant {
		WriteError(w, InvalidParam(TypeOAuth, "grant_type must be "+c.cfg.RefreshGrant))
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old, gerr := c.validToken(call.Token)
	switch {
	case gerr != nil:
		WriteError(w, *gerr)
	case !old.Long:
		WriteError(w, InvalidParam(TypeOAuth,
			"short-lived tokens cannot be refreshed; exchange them with grant_type="+c.cfg.ExchangeGrant+" first"))
	case c.NowLocked().Sub(old.Issued) < c.cfg.RefreshMinAge:
		WriteError(w, Error{Code: 190, Message: "Error validating access token: the token was issued less than " +
			c.cfg.RefreshMinAge.String() + " ago and cannot be refreshed yet; refresh it later"})
	default:
		c.writeLongLived(w, old)
	}
}

// writeLongLived issues a long-lived token like old. Callers hold c.mu.
func (c *Core) writeLongLived(w http.ResponseWriter, old *Token) {
	t := c.tokens.Issue(old.UserID, old.Scopes, true, c.NowLocked(), c.cfg.LongLivedTTL)
	w.Header().Set("Cache-Control", "no-store")
	WriteJSON(w, http.StatusOK, map[string]any{
		"access_token": t.Value, "token_type": "bearer", "expires_in": int64(c.cfg.LongLivedTTL.Seconds()),
	})
}

// validToken returns the live token with this value, or the error Graph
// answers. Callers hold c.mu.
func (c *Core) validToken(value string) (*Token, *Error) {
	if value == "" {
		e := NoToken()
		return nil, &e
	}
	t := c.tokens.Lookup(value)
	if t == nil || c.byID[t.UserID] == nil {
		e := BadToken()
		return nil, &e
	}
	if e := t.Check(c.NowLocked()); e != nil {
		return nil, e
	}
	return t, nil
}

// Auth resolves the caller of a Graph request, writing the error itself
// when the token is missing, unknown, expired or revoked. The account
// must not be modified.
func (c *Core) Auth(w http.ResponseWriter, r *http.Request) (*Account, *Token, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, gerr := c.validToken(CallFrom(r).Token)
	if gerr != nil {
		WriteError(w, *gerr)
		return nil, nil, false
	}
	return c.byID[t.UserID], t, true
}

// Need writes Config.ScopeError unless t has scope.
func (c *Core) Need(w http.ResponseWriter, t *Token, scope string) bool {
	if t.HasScope(scope) {
		return true
	}
	WriteError(w, c.cfg.ScopeError(scope))
	return false
}

// AuthEdge authenticates the caller of a user edge (/{id}/…): the token,
// then the path's {id} with Config.UserPath and, unless scope is "", the
// token's scope. It writes the error itself.
func (c *Core) AuthEdge(w http.ResponseWriter, r *http.Request, scope string) (*Account, bool) {
	a, t, ok := c.Auth(w, r)
	if !ok || !c.cfg.UserPath(w, r, a) || (scope != "" && !c.Need(w, t, scope)) {
		return nil, false
	}
	return a, true
}
