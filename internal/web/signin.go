package web

import (
	"context"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/auth"
)

type signinData struct {
	Next       string
	Error      string
	NoPassword bool
	SignedOut  bool
}

// clientKey is the peer's IP address. Sign-in throttling counts by
// h.clientAddr, which believes X-Forwarded-For from trusted proxies only.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// passwordHash returns the operator password hash, or "" when none is set.
func (h *Handler) passwordHash(r *http.Request) (string, error) {
	v, err := h.store.Setting(r.Context(), auth.PasswordSetting)
	if snsos.IsCode(err, snsos.ENOTFOUND) {
		return "", nil
	}
	return v, err
}

func (h *Handler) handleSignin(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"), h.home)
	// Already signed in: go on.
	if sess, err := h.session(r); err == nil && sess != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	hash, err := h.passwordHash(r)
	if err != nil {
		h.serverError(w, r, "read password hash", err)
		return
	}
	d := &signinData{Next: next, NoPassword: hash == "", SignedOut: r.URL.Query().Get("signedout") == "1"}
	h.render(w, http.StatusOK, "signin", h.newPage(r, "signin.title", false, d))
}

func (h *Handler) handleSigninPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	d := &signinData{Next: safeNext(r.PostForm.Get("next"), h.home)}
	p := h.newPage(r, "signin.title", false, d)
	key := h.clientAddr(r)
	if blocked, left := h.throttle.Blocked(key); blocked {
		h.tooMany(w, p, d, left)
		return
	}
	hash, err := h.passwordHash(r)
	if err != nil {
		h.serverError(w, r, "read password hash", err)
		return
	}
	if hash == "" {
		d.NoPassword = true
		h.render(w, http.StatusServiceUnavailable, "signin", p)
		return
	}
	// The attempt counts before the password is checked: guesses sent in
	// parallel cannot all be checked before the first failure is counted,
	// and a right password is refused too once the client is blocked.
	if ok, left := h.throttle.Reserve(key); !ok {
		h.tooMany(w, p, d, left)
		return
	}
	pw := r.PostForm.Get("password")
	ok := false
	if pw != "" && len(pw) <= 1024 {
		release, got := h.hashSlot(r.Context())
		if !got {
			// Not checked: the attempt is not the client's to pay for.
			h.throttle.Refund(key)
			if r.Context().Err() == nil {
				h.tooMany(w, p, d, hashSlotRetry)
			}
			return
		}
		ok, err = auth.VerifyPassword(pw, hash)
		if ok && err == nil && auth.NeedsRehash(hash) {
			// The password changed while it was checked: the old one opens
			// nothing.
			ok = h.rehash(r.Context(), pw, hash)
		}
		release()
		if err != nil {
			h.serverError(w, r, "verify password", err)
			return
		}
	}
	if !ok {
		h.log.Warn("web: sign-in refused", "remote", key)
		h.throttle.GlobalFail()
		if blocked, left := h.throttle.Blocked(key); blocked {
			h.tooMany(w, p, d, left)
			return
		}
		d.Error = p.T("signin.wrong")
		h.render(w, http.StatusUnauthorized, "signin", p)
		return
	}
	h.throttle.Reset(key)
	if err := h.startSession(w, r); err != nil {
		h.serverError(w, r, "start session", err)
		return
	}
	h.log.Info("web: operator signed in", "remote", key)
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}

// rehash stores the password hashed with today's parameters in place of
// hash, made with older ones, unless the password changed meanwhile, and
// reports whether the password checked is still the operator's. It runs
// in the caller's hashing slot; a failure to store only leaves the old hash.
func (h *Handler) rehash(ctx context.Context, pw, hash string) bool {
	nh, err := auth.HashPassword(pw)
	if err == nil {
		var swapped bool
		if swapped, err = h.store.SwapSetting(ctx, auth.PasswordSetting, hash, nh); err == nil && !swapped {
			return false
		}
	}
	if err != nil {
		h.log.Warn("web: the password hash was not updated to the current parameters", "err", err)
	}
	return true
}

// hashSlotWait is how long a password check waits for one of the hashing
// slots before the sign-in is answered 429 (Retry-After hashSlotRetry)
// instead: a queue of guesses must not delay the operator's own sign-in.
const (
	hashSlotWait  = 2 * time.Second
	hashSlotRetry = 5 * time.Second
)

// hashSlot takes one of the slots that bound concurrent password checks
// (argon2id is memory-hard), waiting at most hashSlotWait, and returns the
// function that gives it back. While the failures of all clients are over
// the global budget, checks also take the one slow slot: sign-in gets
// slower for everyone, but stays possible.
func (h *Handler) hashSlot(ctx context.Context) (release func(), ok bool) {
	wait := time.NewTimer(h.slotWait) // real time: it bounds a real wait
	defer wait.Stop()
	slow := false
	if h.throttle.OverBudget() {
		select {
		case h.slow <- struct{}{}:
			slow = true
		case <-wait.C:
			return nil, false
		case <-ctx.Done():
			return nil, false
		}
	}
	giveBack := func() {
		if slow {
			<-h.slow
		}
	}
	select {
	case h.verify <- struct{}{}:
	case <-wait.C:
		giveBack()
		return nil, false
	case <-ctx.Done():
		giveBack()
		return nil, false
	}
	return func() { <-h.verify; giveBack() }, true
}

func (h *Handler) tooMany(w http.ResponseWriter, p *page, d *signinData, left time.Duration) {
	mins := int(math.Ceil(left.Minutes()))
	if mins < 1 {
		mins = 1
	}
	d.Error = p.T("signin.throttled", "Count", mins)
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(left.Seconds()))))
	h.render(w, http.StatusTooManyRequests, "signin", p)
}

// handleSignout ends the session. Cross-origin protection (in
// internal/server) refuses it from another site.
func (h *Handler) handleSignout(w http.ResponseWriter, r *http.Request) {
	if hash := h.cookieHash(r); hash != "" {
		if err := h.store.DeleteSession(r.Context(), hash); err != nil {
			h.serverError(w, r, "delete session", err)
			return
		}
	}
	h.clearSessionCookie(w)
	http.Redirect(w, r, "/signin?signedout=1", http.StatusSeeOther)
}
