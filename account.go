package snsos

import "time"

// AccountStatus says whether sns-os can act for an account.
type AccountStatus string

// Account statuses; the values are part of the API contract.
const (
	AccountConnected   AccountStatus = "connected"    // tokens present and last known good
	AccountNeedsReauth AccountStatus = "needs_reauth" // the platform refused the tokens; connect again
	AccountRevoked     AccountStatus = "revoked"      // the operator or platform revoked access; tokens deleted
)

// Valid reports whether s is a known account status.
func (s AccountStatus) Valid() bool {
	switch s {
	case AccountConnected, AccountNeedsReauth, AccountRevoked:
		return true
	}
	return false
}

// Account is one of the operator's own accounts on a platform. Its tokens are
// not here: they live sealed in the credentials table (see Credential).
type Account struct {
	ID           int64         `json:"id"`
	Platform     Platform      `json:"platform"`
	RemoteID     string        `json:"remote_id"` // the platform's user id, always a string
	Handle       string        `json:"handle"`
	DisplayName  string        `json:"display_name"`
	AvatarURL    string        `json:"avatar_url,omitempty"`
	Status       AccountStatus `json:"status"`
	StatusReason string        `json:"status_reason,omitempty"`
	// Options holds per-account settings, such as TikTok's publish mode
	// ("direct" or "inbox"); values use the platform's own names.
	Options   map[string]string `json:"options,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// Validate reports the first problem with a new or updated account.
func (a *Account) Validate() error {
	switch {
	case !a.Platform.Valid():
		return Errorf(EINVALID, "account platform %q is not supported", a.Platform)
	case a.RemoteID == "":
		return Errorf(EINVALID, "account remote_id is required")
	case a.Status != "" && !a.Status.Valid():
		return Errorf(EINVALID, "account status %q is not valid", a.Status)
	}
	return nil
}

// Credential is an account's OAuth grant. The tokens are Secrets: they print
// as a mask and are stored only sealed. A Credential is never sent over the
// API or written to the archive; CredentialMeta is what may be shown.
type Credential struct {
	AccountID    int64
	AccessToken  Secret
	RefreshToken Secret
	TokenType    string
	Scopes       []string
	// ExpiresAt is when the access token expires; zero if the platform did
	// not say. RefreshExpiresAt likewise for the refresh token.
	ExpiresAt        time.Time
	RefreshExpiresAt time.Time
	// IssuedAt is when this access token was obtained (Meta tokens can only
	// be refreshed once they are 24 hours old).
	IssuedAt  time.Time
	UpdatedAt time.Time
}

// Meta returns the parts of the credential that are safe to display.
func (c *Credential) Meta() CredentialMeta {
	return CredentialMeta{
		AccountID:        c.AccountID,
		HasAccessToken:   !c.AccessToken.IsZero(),
		HasRefreshToken:  !c.RefreshToken.IsZero(),
		TokenType:        c.TokenType,
		Scopes:           c.Scopes,
		ExpiresAt:        c.ExpiresAt,
		RefreshExpiresAt: c.RefreshExpiresAt,
		IssuedAt:         c.IssuedAt,
		UpdatedAt:        c.UpdatedAt,
	}
}

// CredentialMeta describes a credential without its tokens.
type CredentialMeta struct {
	AccountID        int64     `json:"account_id"`
	HasAccessToken   bool      `json:"has_access_token"`
	HasRefreshToken  bool      `json:"has_refresh_token"`
	TokenType        string    `json:"token_type,omitempty"`
	Scopes           []string  `json:"scopes,omitempty"`
	ExpiresAt        time.Time `json:"expires_at,omitzero"`
	RefreshExpiresAt time.Time `json:"refresh_expires_at,omitzero"`
	IssuedAt         time.Time `json:"issued_at,omitzero"`
	UpdatedAt        time.Time `json:"updated_at,omitzero"`
	// KeyID names the master key the tokens are sealed under.
	KeyID string `json:"key_id,omitempty"`
}

// Expired reports whether the access token has expired at now (false when
// the expiry is unknown).
func (c *Credential) Expired(now time.Time) bool {
	return !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt)
}

// APIToken is a named token for the JSON API. Only a hash of the token is
// stored; Prefix (its first characters) lets the operator recognise it.
type APIToken struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Prefix     string    `json:"prefix"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
	// Hash is the stored SHA-256 of the token (hex); never shown.
	Hash string `json:"-"`
}
