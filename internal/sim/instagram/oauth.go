package instagram

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/sns-os/snsos/internal/sim/graph"
)

// Messages of the token endpoints.
const (
	msgCodeNotFound = "Matching code was not found or was already used"
	msgBadApp       = "Invalid platform app"
	msgBadSecret    = "Error validating client secret."
)

// defaultUsername is the account the consent page proposes: the first
// account, else the demo user.
func (s *Sim) defaultUsername() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.users) > 0 {
		return s.users[0].Username
	}
	return s.opts.DemoUsername
}

// formAction is the consent form's target: absolute from the base URL
// when one is set, else relative to the page.
func (s *Sim) formAction(*http.Request) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.baseURL != "" {
		return s.baseURL + "/oauth/authorize"
	}
	return "authorize"
}

// issueCode stores an authorization code for username (created if new).
func (s *Sim) issueCode(ar graph.AuthRequest, username string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := ""
	if username == s.opts.DemoUsername {
		name = "Demo User"
	}
	u := s.addUserLocked(username, name)
	now := s.now()
	return s.tokens.NewCode(graph.Code{ClientID: ar.ClientID, RedirectURI: ar.RedirectURI, UserID: u.UserID,
		Scopes: ar.Scopes, Expires: now.Add(s.opts.AuthCodeTTL)}, now)
}

func (s *Sim) secretOK(secret string) bool {
	return s.opts.ClientSecret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.ClientSecret)) == 1
}

// handleCodeExchange serves POST /oauth/access_token (api.instagram.com):
// an authorization code for a short-lived token, in a urlencoded or
// multipart body. Errors use the flat {"error_type","code","error_message"}
// envelope.
func (s *Sim) handleCodeExchange(w http.ResponseWriter, r *http.Request) {
	p := graph.CallFrom(r).Params
	switch {
	case p.Get("client_id") != s.opts.ClientID:
		graph.WriteOAuthError(w, msgBadApp)
		return
	case !s.secretOK(p.Get("client_secret")):
		graph.WriteOAuthError(w, msgBadSecret)
		return
	case p.Get("grant_type") != "authorization_code":
		graph.WriteOAuthError(w, "Invalid grant_type: it must be authorization_code")
		return
	}
	s.mu.Lock()
	now := s.now()
	c, ok := s.tokens.Redeem(p.Get("code"), now)
	if !ok || c.ClientID != s.opts.ClientID || c.RedirectURI != p.Get("redirect_uri") {
		s.mu.Unlock()
		graph.WriteOAuthError(w, msgCodeNotFound)
		return
	}
	t := s.tokens.Issue(c.UserID, c.Scopes, false, now, s.opts.ShortLivedTTL)
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	if s.opts.WrappedTokenAnswer {
		graph.WriteJSON(w, http.StatusOK, map[string]any{"data": []map[string]any{{
			"access_token": t.Value, "user_id": t.UserID, "permissions": strings.Join(t.Scopes, ","),
		}}})
		return
	}
	graph.WriteJSON(w, http.StatusOK, map[string]any{
		"access_token": t.Value, "user_id": json.Number(t.UserID), "permissions": t.Scopes,
	})
}

// handleExchange serves GET /access_token?grant_type=ig_exchange_token:
// a valid token (normally the short-lived one) for a long-lived token. The
// exchanged token keeps working until its own expiry.
func (s *Sim) handleExchange(w http.ResponseWriter, r *http.Request) {
	c := graph.CallFrom(r)
	if c.Params.Get("grant_type") != "ig_exchange_token" {
		graph.WriteError(w, graph.InvalidParam(graph.TypeOAuth, "grant_type must be ig_exchange_token"))
		return
	}
	if !s.secretOK(c.Params.Get("client_secret")) {
		graph.WriteError(w, graph.Error{Code: 101, Message: msgBadSecret})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, gerr := s.validToken(c.Token)
	if gerr != nil {
		graph.WriteError(w, *gerr)
		return
	}
	s.writeLongLived(w, old)
}

// handleRefresh serves GET /refresh_access_token?grant_type=ig_refresh_token:
// a long-lived token at least RefreshMinAge old for a new one valid
// LongLivedTTL from now. The old token keeps working until its own
// expiry (Meta may even return the same value; clients must store
// whatever comes back).
func (s *Sim) handleRefresh(w http.ResponseWriter, r *http.Request) {
	c := graph.CallFrom(r)
	if c.Params.Get("grant_type") != "ig_refresh_token" {
		graph.WriteError(w, graph.InvalidParam(graph.TypeOAuth, "grant_type must be ig_refresh_token"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, gerr := s.validToken(c.Token)
	switch {
	case gerr != nil:
		graph.WriteError(w, *gerr)
	case !old.Long:
		graph.WriteError(w, graph.InvalidParam(graph.TypeOAuth,
			"short-lived tokens cannot be refreshed; exchange them with grant_type=ig_exchange_token first"))
	case s.now().Sub(old.Issued) < s.opts.RefreshMinAge:
		graph.WriteError(w, graph.Error{Code: 190, Message: "Error validating access token: the token was issued less than " +
			s.opts.RefreshMinAge.String() + " ago and cannot be refreshed yet; refresh it later"})
	default:
		s.writeLongLived(w, old)
	}
}

// writeLongLived issues a long-lived token like old. Callers hold s.mu.
func (s *Sim) writeLongLived(w http.ResponseWriter, old *graph.Token) {
	t := s.tokens.Issue(old.UserID, old.Scopes, true, s.now(), s.opts.LongLivedTTL)
	w.Header().Set("Cache-Control", "no-store")
	graph.WriteJSON(w, http.StatusOK, map[string]any{
		"access_token": t.Value, "token_type": "bearer", "expires_in": int64(s.opts.LongLivedTTL.Seconds()),
	})
}

// validToken returns the live token with this value, or the error Graph
// answers. Callers hold s.mu.
func (s *Sim) validToken(value string) (*graph.Token, *graph.Error) {
	if value == "" {
		e := graph.NoToken()
		return nil, &e
	}
	t := s.tokens.Lookup(value)
	if t == nil || s.byID[t.UserID] == nil {
		e := graph.BadToken()
		return nil, &e
	}
	if e := t.Check(s.now()); e != nil {
		return nil, e
	}
	return t, nil
}

// auth resolves the caller of a Graph request, writing the error itself
// when the token is missing, unknown, expired or revoked.
func (s *Sim) auth(w http.ResponseWriter, r *http.Request) (*User, *graph.Token, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, gerr := s.validToken(graph.CallFrom(r).Token)
	if gerr != nil {
		graph.WriteError(w, *gerr)
		return nil, nil, false
	}
	return s.byID[t.UserID], t, true
}

// need writes the permission error unless t has scope.
func need(w http.ResponseWriter, t *graph.Token, scope string) bool {
	if t.HasScope(scope) {
		return true
	}
	graph.WriteError(w, graph.Error{Code: 10, Message: "(#10) Application does not have permission for this action",
		UserMsg: "The access token lacks the " + scope + " permission; authorize the app again with it."})
	return false
}

// IssueTokens grants every scope to the account userID (its ID or
// UserID) without the browser flow and returns a long-lived access token
// issued now. It panics if the account does not exist.
func (s *Sim) IssueTokens(userID string) (access string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.byID[userID]
	if u == nil {
		panic("igsim: IssueTokens: unknown user " + userID)
	}
	return s.tokens.Issue(u.UserID, DefaultScopes, true, s.now(), s.opts.LongLivedTTL).Value
}

// RevokeUser revokes every token and pending code of the account userID
// (its ID or UserID), as when the user removes the app. Revoked tokens get
// the 190/463 "Session has expired" error.
func (s *Sim) RevokeUser(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.byID[userID]; u != nil {
		s.tokens.RevokeUser(u.UserID, s.now())
	}
}
