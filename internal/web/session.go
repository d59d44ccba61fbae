package web

import (
	"context"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/auth"
	"github.com/sns-os/snsos/internal/store"
)

// Session policy.
const (
	sessionCookie = "snsos_session"
	// IdleTimeout ends a session not used for this long.
	IdleTimeout = 12 * time.Hour
	// AbsoluteTimeout ends every session this long after sign-in.
	AbsoluteTimeout = 7 * 24 * time.Hour
	// touchEvery bounds how often a request writes the session's last use.
	touchEvery = time.Minute
)

// newSessionID returns a fresh session id (32 random bytes, base64url) and
// the hash the store keeps (auth.HashToken: the database never sees the id).
func newSessionID() (id, hash string) {
	id = auth.NewToken("", 32)
	return id, auth.HashToken(id)
}

// validSessionID reports whether s looks like an id newSessionID made, so
// junk cookies cost no query.
func validSessionID(s string) bool {
	if len(s) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// cookieName is the name the cookie name is set and read under: with the
// __Host- prefix when the interface is served over HTTPS (the browser then
// takes it only if Secure, for Path=/ and from this host, so neither a
// sibling subdomain nor plain http can plant or shadow it), the plain
// name over http (the demo and the tests).
func (h *Handler) cookieName(name string) string {
	if h.secure {
		return "__Host-" + name
	}
	return name
}

func (h *Handler) setSessionCookie(w http.ResponseWriter, id string) {
	http.SetCookie(w, &http.Cookie{Name: h.cookieName(sessionCookie), Value: id, Path: "/", MaxAge: int(AbsoluteTimeout / time.Second),
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
}

func (h *Handler) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: h.cookieName(sessionCookie), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
}

// startSession creates a session and sets its cookie, ending the session
// the browser had (the id is rotated at every sign-in).
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request) error {
	if old := h.cookieHash(r); old != "" {
		if err := h.store.DeleteSession(r.Context(), old); err != nil {
			return err
		}
	}
	id, hash := newSessionID()
	now := h.now()
	if err := h.store.CreateSession(r.Context(), &store.Session{IDHash: hash, IdleExpiresAt: now.Add(IdleTimeout), ExpiresAt: now.Add(AbsoluteTimeout)}, now); err != nil {
		return err
	}
	h.setSessionCookie(w, id)
	// Sign-in is rare: a good moment to drop ended sessions.
	if n, err := h.store.DeleteExpiredSessions(r.Context(), now); err != nil {
		h.log.Warn("web: delete expired sessions", "err", err)
	} else if n > 0 {
		h.log.Info("web: expired sessions deleted", "count", n)
	}
	return nil
}

// cookieHash returns the hash of the request's session cookie, or "".
func (h *Handler) cookieHash(r *http.Request) string {
	c, err := r.Cookie(h.cookieName(sessionCookie))
	if err != nil || !validSessionID(c.Value) {
		return ""
	}
	return auth.HashToken(c.Value)
}

// session returns the request's live session, or nil.
func (h *Handler) session(r *http.Request) (*store.Session, error) {
	hash := h.cookieHash(r)
	if hash == "" {
		return nil, nil
	}
	sess, err := h.store.FindSession(r.Context(), hash, h.now())
	if snsos.IsCode(err, snsos.ENOTFOUND) {
		return nil, nil
	}
	return sess, err
}

type sessionKey struct{}

// SessionFrom returns the session RequireSession found.
func SessionFrom(ctx context.Context) *store.Session {
	s, _ := ctx.Value(sessionKey{}).(*store.Session)
	return s
}

// RequireSession lets a request through only with a live session, and
// keeps that session alive. Without one it redirects to /signin, with next
// set to the page asked for (GET) or the home page.
func (h *Handler) RequireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, err := h.session(r)
		if err != nil {
			h.serverError(w, r, "find session", err)
			return
		}
		if sess == nil {
			if h.cookieHash(r) != "" {
				h.clearSessionCookie(w)
			}
			target := h.home
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				target = safeNext(r.URL.RequestURI(), h.home)
			} else if h.isPage(r.URL.Path) {
				// A form posted to its own page (compose, edit, settings):
				// come back to the page, where the browser's copy of what
				// was typed is restored.
				target = safeNext(r.URL.Path, h.home)
			}
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, "/signin?next="+urlQueryEscape(target), http.StatusSeeOther)
			return
		}
		if now := h.now(); now.Sub(sess.LastSeenAt) >= touchEvery {
			if err := h.store.TouchSession(r.Context(), sess.IDHash, now, now.Add(IdleTimeout)); err != nil && !snsos.IsCode(err, snsos.ENOTFOUND) {
				h.log.Warn("web: touch session", "err", err)
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess)))
	})
}

// isPage reports whether path is also a page the operator can open (a GET
// route other than the catch-all).
func (h *Handler) isPage(path string) bool {
	if h.mux == nil {
		return false
	}
	probe, err := http.NewRequest(http.MethodGet, path, nil)
	if err != nil {
		return false
	}
	_, pattern := h.mux.Handler(probe)
	return pattern != "" && pattern != "/"
}
