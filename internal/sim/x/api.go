package x

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Problem type URIs. X answers with both hosts; each is copied from the
// sample in the research doc that uses it.
const (
	problemInvalidRequest = "https://api.twitter.com/2/problems/invalid-request"
	problemNotFound       = "https://api.x.com/2/problems/resource-not-found"
	problemFieldUnauth    = "https://api.twitter.com/2/problems/not-authorized-for-field"
	problemUsageCapped    = "https://api.twitter.com/2/problems/usage-capped"
	problemCredits        = "https://api.x.com/2/problems/credits"
)

// errorEntry is one element of an errors[] array, either in a 400 problem
// or as a partial error next to data.
type errorEntry struct {
	Parameters   map[string][]string `json:"parameters,omitempty"`
	Parameter    string              `json:"parameter,omitempty"`
	Value        string              `json:"value,omitempty"`
	Message      string              `json:"message,omitempty"`
	ResourceID   string              `json:"resource_id,omitempty"`
	ResourceType string              `json:"resource_type,omitempty"`
	Field        string              `json:"field,omitempty"`
	Section      string              `json:"section,omitempty"`
	Title        string              `json:"title,omitempty"`
	Detail       string              `json:"detail,omitempty"`
	Type         string              `json:"type,omitempty"`
}

// writeProblem writes an application/problem+json body.
func writeProblem(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/problem+json")
	writeJSON(w, status, body)
}

func unauthorized(w http.ResponseWriter) {
	writeProblem(w, http.StatusUnauthorized, map[string]any{
		"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized",
	})
}

func tooManyRequests(w http.ResponseWriter) {
	writeProblem(w, http.StatusTooManyRequests, map[string]any{
		"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429,
	})
}

func forbidden(w http.ResponseWriter, detail string) {
	writeProblem(w, http.StatusForbidden, map[string]any{
		"title": "Forbidden", "type": "about:blank", "status": 403, "detail": detail,
	})
}

// invalidRequest writes X's 400 invalid-request problem with one errors[]
// entry per message.
func invalidRequest(w http.ResponseWriter, errs ...errorEntry) {
	writeProblem(w, http.StatusBadRequest, map[string]any{
		"errors": errs,
		"title":  "Invalid Request",
		"detail": "One or more parameters to your request was invalid.",
		"type":   problemInvalidRequest,
	})
}

func invalidParam(w http.ResponseWriter, param, message string) {
	invalidRequest(w, errorEntry{Parameters: map[string][]string{param: {}}, Message: message})
}

func invalidMessage(w http.ResponseWriter, message string) {
	invalidRequest(w, errorEntry{Message: message})
}

// A caller is the authenticated user of an API request.
type caller struct {
	user   *userRec
	scopes []string
}

type callerKey struct{}

func callerFrom(ctx context.Context) caller {
	c, _ := ctx.Value(callerKey{}).(caller)
	return c
}

// api registers an authenticated API route: bearer token (401), then the
// per-user rate limit (429; its headers go on every authenticated response),
// then scopes (403), then h.
func (s *Sim) api(pattern string, scopes []string, limit int, h http.HandlerFunc) {
	rl := RateLimit{Limit: limit, Window: 15 * time.Minute}
	if o, ok := s.opts.RateLimits[pattern]; ok {
		if o.Window <= 0 {
			o.Window = rl.Window
		}
		rl = o
	}
	s.limits[pattern] = rl
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		c, ok := s.authenticate(r)
		if !ok {
			s.log.Info("xsim: unauthorized request", "method", r.Method, "path", r.URL.Path)
			unauthorized(w)
			return
		}
		if !s.rateLimit(w, c.user.ID, pattern) {
			tooManyRequests(w)
			return
		}
		for _, sc := range scopes {
			if !slices.Contains(c.scopes, sc) {
				forbidden(w, "Missing required OAuth 2.0 scope: "+sc+". Required scopes: "+strings.Join(scopes, " ")+".")
				return
			}
		}
		h(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
	})
}

// authenticate resolves the bearer token of r.
func (s *Sim) authenticate(r *http.Request) (caller, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return caller{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.access[tok]
	if !ok || !s.now().Before(at.expires) {
		return caller{}, false
	}
	u := s.usersByID[at.grant.userID]
	if u == nil {
		return caller{}, false
	}
	return caller{user: u, scopes: at.grant.scopes}, true
}

type bucketKey struct{ user, route string }

type bucket struct {
	start time.Time
	count int
}

// Daily limits for POST /2/tweets. The doc gives 100/15min (the
// x-rate-limit-* window) and "300 per 3 hours"; the 24-hour user header
// carries 300*8 [UNVERIFIED], the app header 10,000/24h [DOC].
const (
	tweetsUserDaily = 2400
	tweetsAppDaily  = 10000
	appKey          = "\x00app"
)

// rateLimit counts one request of user on route, sets the rate-limit
// headers and reports whether the request may proceed.
func (s *Sim) rateLimit(w http.ResponseWriter, userID, route string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	rl := s.limits[route]
	allowed := s.count(w.Header(), "x-rate-limit", bucketKey{userID, route}, rl, now)
	if route == "POST /2/tweets" {
		day := RateLimit{Limit: tweetsUserDaily, Window: 24 * time.Hour}
		allowed = s.count(w.Header(), "x-user-limit-24hour", bucketKey{userID, route + " 24h"}, day, now) && allowed
		app := RateLimit{Limit: tweetsAppDaily, Window: 24 * time.Hour}
		allowed = s.count(w.Header(), "x-app-limit-24hour", bucketKey{appKey, route + " 24h"}, app, now) && allowed
	}
	return allowed || s.opts.Unlimited || rl.Limit < 0
}

// count adds one request to a fixed window and writes the three headers
// under prefix. Callers hold s.mu.
func (s *Sim) count(h http.Header, prefix string, k bucketKey, rl RateLimit, now time.Time) bool {
	if rl.Limit < 0 {
		rl.Limit = 1 << 30
	}
	b := s.buckets[k]
	if b == nil || !now.Before(b.start.Add(rl.Window)) {
		b = &bucket{start: now}
		s.buckets[k] = b
	}
	allowed := b.count < rl.Limit
	if allowed {
		b.count++
	}
	h.Set(prefix+"-limit", strconv.Itoa(rl.Limit))
	h.Set(prefix+"-remaining", strconv.Itoa(rl.Limit-b.count))
	h.Set(prefix+"-reset", strconv.FormatInt(b.start.Add(rl.Window).Unix(), 10))
	return allowed
}

// exhaust sets the rate-limit headers of route as if the caller's window
// were used up, for injected 429s. Callers hold s.mu.
func (s *Sim) exhaustHeaders(h http.Header, route string, reset time.Duration) {
	rl, ok := s.limits[route]
	if !ok {
		rl = RateLimit{Limit: 100, Window: 15 * time.Minute}
	}
	if reset <= 0 {
		reset = rl.Window
	}
	h.Set("x-rate-limit-limit", strconv.Itoa(rl.Limit))
	h.Set("x-rate-limit-remaining", "0")
	h.Set("x-rate-limit-reset", strconv.FormatInt(s.now().Add(reset).Unix(), 10))
}
