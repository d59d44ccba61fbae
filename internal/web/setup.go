package web

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/auth"
)

// The first run has no operator password. Rather than printing one, the
// server prints a one-time setup link: its token's hash and expiry are
// stored (setupSetting, "hash expiry-unix"), the token itself only ever
// appears in that link. Choosing a password consumes it.
const (
	setupSetting = "operator_setup_token"
	// SetupLinkLifetime is how long a setup link works.
	SetupLinkLifetime = 24 * time.Hour
	// MinPasswordLength is the shortest operator password accepted (the
	// same rule as "sns-os operator password").
	MinPasswordLength = 12
)

type setupData struct {
	Token    string
	Error    string
	Invalid  bool
	MinChars int
}

func (h *Handler) setupRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /setup", h.handleSetup)
	mux.HandleFunc("POST /setup", h.handleSetupPost)
}

// SetupLink returns a one-time link at which the operator chooses the
// password, or "" when a password is already set. Each call replaces the
// previous link.
func (h *Handler) SetupLink(ctx context.Context, publicURL string) (string, error) {
	hash, err := h.store.Setting(ctx, auth.PasswordSetting)
	if err != nil && !snsos.IsCode(err, snsos.ENOTFOUND) {
		return "", err
	}
	if hash != "" {
		return "", nil
	}
	token := auth.NewToken("", 32)
	exp := h.now().Add(SetupLinkLifetime).Unix()
	if err := h.store.PutSetting(ctx, setupSetting, setupHash(token)+" "+strconv.FormatInt(exp, 10)); err != nil {
		return "", err
	}
	return strings.TrimSuffix(publicURL, "/") + "/setup?token=" + token, nil
}

func setupHash(token string) string {
	return auth.HashToken("sns-os setup token\x00" + token)
}

// setupValid reports whether token is the current, unexpired setup token
// and no password is set yet.
func (h *Handler) setupValid(ctx context.Context, token string) (bool, error) {
	if token == "" || len(token) > 128 {
		return false, nil
	}
	pw, err := h.store.Setting(ctx, auth.PasswordSetting)
	if err != nil && !snsos.IsCode(err, snsos.ENOTFOUND) {
		return false, err
	}
	if pw != "" {
		return false, nil
	}
	v, err := h.store.Setting(ctx, setupSetting)
	if snsos.IsCode(err, snsos.ENOTFOUND) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	want, expText, ok := strings.Cut(v, " ")
	exp, perr := strconv.ParseInt(expText, 10, 64)
	if !ok || perr != nil || h.now().Unix() >= exp {
		return false, nil
	}
	return subtle.ConstantTimeCompare([]byte(setupHash(token)), []byte(want)) == 1, nil
}

func (h *Handler) handleSetup(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	ok, err := h.setupValid(r.Context(), token)
	if err != nil {
		h.serverError(w, r, "check setup token", err)
		return
	}
	d := &setupData{Token: token, MinChars: MinPasswordLength, Invalid: !ok}
	status := http.StatusOK
	if !ok {
		d.Token, status = "", http.StatusNotFound
	}
	h.render(w, status, "setup", h.newPage(r, "setup.title", false, d))
}

func (h *Handler) handleSetupPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	token := r.PostForm.Get("token")
	d := &setupData{Token: token, MinChars: MinPasswordLength}
	p := h.newPage(r, "setup.title", false, d)
	key := h.clientAddr(r)
	if blocked, _ := h.throttle.Blocked(key); blocked {
		d.Error = p.T("setup.throttled")
		h.render(w, http.StatusTooManyRequests, "setup", p)
		return
	}
	ok, err := h.setupValid(r.Context(), token)
	if err != nil {
		h.serverError(w, r, "check setup token", err)
		return
	}
	if !ok {
		h.throttle.Fail(key)
		d.Invalid, d.Token = true, ""
		h.render(w, http.StatusNotFound, "setup", p)
		return
	}
	pw, again := r.PostForm.Get("password"), r.PostForm.Get("password2")
	switch {
	case utf8.RuneCountInString(pw) < MinPasswordLength:
		d.Error = p.T("setup.short", "Count", MinPasswordLength)
	case len(pw) > 1024:
		d.Error = p.T("setup.long")
	case pw != again:
		d.Error = p.T("setup.mismatch")
	}
	if d.Error != "" {
		h.render(w, http.StatusUnprocessableEntity, "setup", p)
		return
	}
	select {
	case h.verify <- struct{}{}:
	case <-r.Context().Done():
		return
	}
	_, err = auth.SetOperatorPassword(r.Context(), h.store, pw, "")
	<-h.verify
	if err != nil {
		h.serverError(w, r, "set password", err)
		return
	}
	if err := h.store.PutSetting(r.Context(), setupSetting, ""); err != nil {
		h.log.Warn("web: clear setup token", "err", err)
	}
	if err := h.startSession(w, r); err != nil {
		h.serverError(w, r, "start session", err)
		return
	}
	h.log.Info("web: operator password chosen through the setup link", "remote", key)
	http.Redirect(w, r, h.home, http.StatusSeeOther)
}
