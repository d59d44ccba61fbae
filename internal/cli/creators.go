package cli

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform"
	"github.com/sns-os/snsos/internal/platform/tiktok"
	"github.com/sns-os/snsos/internal/web"
)

// creatorTTL is how long an answer of TikTok's creator_info is kept for
// compose, which checks the form as the operator types: TikTok allows 20
// such calls a minute per token, and Publish asks again before every post.
// A failure is kept less long, so that a passing one clears quickly.
const (
	creatorTTL        = time.Minute
	creatorFailureTTL = 15 * time.Second
	// creatorTimeout bounds one question: compose's live check waits for it.
	creatorTimeout = 10 * time.Second
)

// The parts of the running application the creators need.
type (
	creatorAccounts interface {
		FindAccountByID(ctx context.Context, id int64) (*snsos.Account, error)
	}
	creatorTokens interface {
		Credential(ctx context.Context, accountID int64) (*snsos.Credential, error)
	}
	creatorClient interface {
		CreatorInfo(ctx context.Context, acct platform.Auth) (*tiktok.CreatorInfo, error)
	}
)

// tiktokCreators answers compose's question "what may this TikTok account
// post now?" (web.Creators) with the account's valid token and TikTok's
// creator_info, each answer kept for creatorTTL per account.
type tiktokCreators struct {
	accounts creatorAccounts
	tokens   creatorTokens
	client   creatorClient
	now      func() time.Time

	mu    sync.Mutex
	cache map[int64]creatorAnswer
}

type creatorAnswer struct {
	until time.Time
	info  *web.TikTokCreator
	err   error
}

// newTikTokCreators returns the creators over the accounts, the token
// service and TikTok's client (now nil: time.Now).
func newTikTokCreators(accounts creatorAccounts, tokens creatorTokens, client creatorClient, now func() time.Time) *tiktokCreators {
	if now == nil {
		now = time.Now
	}
	return &tiktokCreators{accounts: accounts, tokens: tokens, client: client, now: now, cache: map[int64]creatorAnswer{}}
}

// TikTokCreator returns what TikTok says account id may post now. TikTok's
// refusals come back as web.ErrTikTokCantPost (the account may not post
// now) and web.ErrTikTokReconnect (its access was refused).
func (c *tiktokCreators) TikTokCreator(ctx context.Context, id int64) (*web.TikTokCreator, error) {
	now := c.now()
	c.mu.Lock()
	ans, ok := c.cache[id]
	c.mu.Unlock()
	if ok && now.Before(ans.until) {
		return ans.info, ans.err
	}
	info, err := c.ask(ctx, id)
	if ctx.Err() != nil {
		return nil, err // the page went away: nothing learnt
	}
	ttl := creatorTTL
	if err != nil {
		ttl = creatorFailureTTL
	}
	c.mu.Lock()
	for k, a := range c.cache { // accounts come and go: drop what has expired
		if !now.Before(a.until) {
			delete(c.cache, k)
		}
	}
	c.cache[id] = creatorAnswer{until: now.Add(ttl), info: info, err: err}
	c.mu.Unlock()
	return info, err
}

// ask asks TikTok once.
func (c *tiktokCreators) ask(ctx context.Context, id int64) (*web.TikTokCreator, error) {
	a, err := c.accounts.FindAccountByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.Platform != snsos.PlatformTikTok {
		return nil, snsos.Errorf(snsos.EINVALID, "account %d is a %s account, not a TikTok one", id, a.Platform.DisplayName())
	}
	cred, err := c.tokens.Credential(ctx, id)
	if err != nil {
		return nil, creatorError(err)
	}
	ctx, cancel := context.WithTimeout(ctx, creatorTimeout)
	defer cancel()
	ci, err := c.client.CreatorInfo(ctx, platform.Auth{UserID: a.RemoteID, Handle: a.Handle, AccessToken: cred.AccessToken})
	if err != nil {
		return nil, creatorError(err)
	}
	return &web.TikTokCreator{Nickname: ci.Nickname, Username: ci.Username, PrivacyLevels: ci.PrivacyLevelOptions,
		CommentDisabled: ci.CommentDisabled, DuetDisabled: ci.DuetDisabled, StitchDisabled: ci.StitchDisabled,
		MaxVideoSeconds: int(ci.MaxVideoDuration / time.Second)}, nil
}

// creatorError says in compose's terms why TikTok gave no answer: the
// account may not post now (TikTok's refusal), its access is gone (no
// valid token, or TikTok refused it), or anything else (try again).
func creatorError(err error) error {
	switch {
	case platform.KindOf(err) == platform.KindRejected:
		return fmt.Errorf("%w: %w", web.ErrTikTokCantPost, err)
	case errors.Is(err, platform.ErrAuth) || snsos.IsCode(err, snsos.ENOTFOUND):
		return fmt.Errorf("%w: %w", web.ErrTikTokReconnect, err)
	}
	return err
}
