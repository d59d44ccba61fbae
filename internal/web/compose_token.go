package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"
)

// composeTokens remembers the one-time tokens of compose forms, so that a
// form submitted twice (a double click, a resend after a lost answer) saves
// once and the second submit lands where the first did. They live in
// memory for a day.
var composeTokens = &tokenBook{m: map[string]*tokenEntry{}}

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

func newComposeToken() string {
	b := make([]byte, 18)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// claim returns "" and true when the caller owns the token now; or the URL
// the first submit of the token went to.
func (b *tokenBook) claim(ctx context.Context, tok string) (string, bool) {
	for {
		b.mu.Lock()
		e := b.m[tok]
		if e == nil {
			now := time.Now()
			if len(b.m) > 10000 {
				for k, v := range b.m {
					if now.Sub(v.at) > tokenTTL {
						delete(b.m, k)
					}
				}
			}
			b.m[tok] = &tokenEntry{done: make(chan struct{}), at: now}
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
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.m[tok]
	if e == nil {
		return
	}
	e.url = u
	if u == "" {
		delete(b.m, tok)
	}
	close(e.done)
}
