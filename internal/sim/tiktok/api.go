package tiktok

import (
	"net/http"
	"slices"
	"time"

	"github.com/sns-os/snsos/internal/sim/graph"
)

// rateWindow is the sliding window of TikTok's per-token limits.
const rateWindow = time.Minute

// A caller is the authenticated user of an API request.
type caller struct {
	user   *User
	scopes []string
	token  string
}

// has reports whether the caller's grant holds scope.
func (c caller) has(scope string) bool { return slices.Contains(c.scopes, scope) }

// api registers an API route: pattern (with its trailing slash) matched
// exactly, a Bearer token holding one of scopes, and at most limit
// requests per token per sliding minute.
func (s *Sim) api(pattern string, scopes []string, limit int, h func(http.ResponseWriter, *http.Request, caller)) {
	s.mux.HandleFunc(pattern+"{$}", func(w http.ResponseWriter, r *http.Request) {
		c, e := s.authenticate(r, pattern, scopes, limit)
		if e != nil {
			s.writeErr(w, *e)
			return
		}
		h(w, r, c)
	})
}

// authenticate checks r's token, scope and rate limit.
func (s *Sim) authenticate(r *http.Request, route string, scopes []string, limit int) (caller, *apiError) {
	tok := tokenOf(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	at := s.access[tok]
	if tok == "" || at == nil || !s.now().Before(at.expires) {
		return caller{}, &errTokenInvalid
	}
	u := s.byID[at.grant.openID]
	if u == nil {
		return caller{}, &errTokenInvalid
	}
	c := caller{user: u, scopes: at.grant.scopes, token: tok}
	if !slices.ContainsFunc(scopes, c.has) {
		return caller{}, &errScope
	}
	if !s.allowLocked(route, tok, limit) {
		return caller{}, &errRateLimit
	}
	return c, nil
}

// allowLocked counts one request of token on route and reports whether
// it is within limit per rateWindow. Callers hold s.mu.
func (s *Sim) allowLocked(route, token string, limit int) bool {
	if s.opts.Unlimited {
		return true
	}
	q := s.limits[route]
	if q == nil {
		q = graph.NewRolling(rateWindow)
		s.limits[route] = q
	}
	now := s.now()
	if q.Used(token, now) >= limit {
		return false
	}
	q.Add(token, now)
	return true
}

// capLocked reports the cap a new post of u in mode would break, or nil.
// A direct post counts against DailyPostCap, an inbox upload against
// PendingShareCap; an Unaudited client may post for ActiveUserCap
// accounts. Callers hold s.mu.
func (s *Sim) capLocked(u *User, inbox bool) *apiError {
	if s.opts.Unlimited {
		return nil
	}
	now := s.now()
	if s.opts.Unaudited && s.posters.Used(u.OpenID, now) == 0 {
		active := 0
		for _, o := range s.users {
			if s.posters.Used(o.OpenID, now) > 0 {
				active++
			}
		}
		if active >= s.opts.ActiveUserCap {
			e := errForbidden(codeActiveUserCap, msgActiveUserCap)
			return &e
		}
	}
	if inbox && s.shared.Used(u.OpenID, now) >= s.opts.PendingShareCap {
		e := errForbidden(codePendingShares, msgPendingShares)
		return &e
	}
	if !inbox && s.posted.Used(u.OpenID, now) >= s.opts.DailyPostCap {
		e := errForbidden(codeTooManyPosts, msgTooManyPosts)
		return &e
	}
	return nil
}

// countLocked records a new post of u against the caps. Callers hold s.mu.
func (s *Sim) countLocked(u *User, inbox bool) {
	now := s.now()
	s.posters.Add(u.OpenID, now)
	if inbox {
		s.shared.Add(u.OpenID, now)
	} else {
		s.posted.Add(u.OpenID, now)
	}
}
