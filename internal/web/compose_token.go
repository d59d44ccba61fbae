package web

import (
	"context"
	"sync"
	"time"

	"github.com/sns-os/snsos/internal/auth"
)

// composeTokens remembers the one-time tokens of compose forms, so that a
// form submitted twice (a double click, a resend after a lost answer) saves
// once and the second submit lands where the first did. They live in
// memory for a day, kept by their hash (auth.HashToken) as every token is.
var composeTokens = &tokenBook{m: map[string]*tokenEntry{}}

// tokenBook maps the hash of a compose token to its first submit.
type tokenBook struct {
	mu sync.Mutex
	m  map[string]*tokenEntry
}

type tokenEntry struct {
	done chan struct{}
	url  string
	at   time.Time
}

const tokenTTL = 24 * time.Hour

// composeTokenBytes is the randomness of a compose token: 18 bytes, 24
// base64url characters.
const composeTokenBytes = 18

// newComposeToken returns a new compose form token. It has no prefix: the
// token only ever comes back in its own form's hidden field.
func newComposeToken() string { return auth.NewToken("", composeTokenBytes) }

// claim returns "" and true when the caller owns the token now; or the URL
// the first submit of the token went to.
func (b *tokenBook) claim(ctx context.Context, tok string) (string, bool) {
	key := auth.HashToken(tok)
	for {
		b.mu.Lock()
		e := b.m[key]
		if e == nil {
			now := time.Now()
			if len(b.m) > 10000 {
				for k, v := range b.m {
					if now.Sub(v.at) > tokenTTL {
						delete(b.m, k)
					}
				}
			}
			b.m[key] = &tokenEntry{done: make(chan struct{}), at: now}
			b.mu.Unlock()
			return "", true
		}
		b.mu.Unlock()
		select {
		case <-e.done:
		case <-ctx.Done():
			return "", false
		}
		b.mu.Lock()
		u := e.url
		b.mu.Unlock()
		if u != "" {
			return u, false
		}
	}
}

// finish records where the token's submit went (or, with "", frees the
// token for another try).
func (b *tokenBook) finish(tok, u string) {
	key := auth.HashToken(tok)
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.m[key]
	if e == nil {
		return
	}
	e.url = u
	if u == "" {
		delete(b.m, key)
	}
	close(e.done)
}
