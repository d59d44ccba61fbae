package graph

import (
	"net/http"
	"strings"
)

// AddUser creates an account, or returns the existing one with that
// username (compared without case). An empty name defaults to the
// username.
func (c *Core) AddUser(username, name string) Account {
	c.mu.Lock()
	defer c.mu.Unlock()
	return *c.AddUserLocked(username, name)
}

// AddUserLocked is AddUser for callers that hold the lock. The account
// must not be modified.
func (c *Core) AddUserLocked(username, name string) *Account {
	if a, ok := c.byName[strings.ToLower(username)]; ok {
		return a
	}
	if name == "" {
		name = username
	}
	a := &Account{UserID: c.userIDs.Next(), Username: username, Name: name}
	a.ID = a.UserID
	if c.appIDs != nil {
		a.ID = c.appIDs.Next()
	}
	c.accounts = append(c.accounts, a)
	c.byID[a.ID], c.byID[a.UserID] = a, a
	c.byName[strings.ToLower(username)] = a
	return a
}

// Accounts returns every account in creation order.
func (c *Core) Accounts() []Account { return Users(c, func(a Account) Account { return a }) }

// Users returns every account of c in creation order, as a simulator's
// User type.
func Users[U any](c *Core, user func(Account) U) []U {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]U, len(c.accounts))
	for i, a := range c.accounts {
		out[i] = user(*a)
	}
	return out
}

// AccountLocked returns the account whose ID or UserID is id, or nil.
// The account must not be modified.
func (c *Core) AccountLocked(id string) *Account { return c.byID[id] }

// handleAvatar serves GET /__sim/avatars/{id}.jpg: a small JPEG in a
// colour derived from the account's ID (its UserID works too).
func (c *Core) handleAvatar(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutSuffix(r.PathValue("file"), ".jpg")
	c.mu.Lock()
	a := c.byID[id]
	c.mu.Unlock()
	if !ok || a == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(AvatarJPEG(a.ID))
}

// IssueTokens grants Config.GrantedScopes to the account userID (its ID
// or UserID) without the browser flow and returns a long-lived access
// token issued now. It panics if the account does not exist.
func (c *Core) IssueTokens(userID string) (access string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.byID[userID]
	if a == nil {
		panic(c.cfg.Name + ": IssueTokens: unknown user " + userID)
	}
	return c.tokens.Issue(a.UserID, c.cfg.GrantedScopes, true, c.NowLocked(), c.cfg.LongLivedTTL).Value
}

// RevokeUser revokes every token and pending code of the account userID
// (its ID or UserID), as when the user removes the app. Revoked tokens get
// the 190/463 "Session has expired" error.
func (c *Core) RevokeUser(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a := c.byID[userID]; a != nil {
		c.tokens.RevokeUser(a.UserID, c.NowLocked())
	}
}

// defaultUsername is the account the consent page proposes: the first
// account, else the demo user.
func (c *Core) defaultUsername() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.accounts) > 0 {
		return c.accounts[0].Username
	}
	return c.cfg.DemoUsername
}

// formAction is the consent form's target: absolute from the base URL
// when one is set, else relative to the page.
func (c *Core) formAction(*http.Request) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.baseURL != "" {
		return c.baseURL + "/oauth/authorize"
	}
	return "authorize"
}

// issueCode stores an authorization code for username (created if new).
func (c *Core) issueCode(ar AuthRequest, username string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	name := ""
	if username == c.cfg.DemoUsername {
		name = "Demo User"
	}
	a := c.AddUserLocked(username, name)
	now := c.NowLocked()
	return c.tokens.NewCode(Code{ClientID: ar.ClientID, RedirectURI: ar.RedirectURI, UserID: a.UserID,
		Scopes: ar.Scopes, Expires: now.Add(c.cfg.AuthCodeTTL)}, now)
}
