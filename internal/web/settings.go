package web

import (
	"context"
	_ "embed"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/api"
	"github.com/sns-os/snsos/internal/auth"
)

// Settings the operator changes on the settings page (store settings).
const (
	// SettingLang is the interface language ("en" or "ja").
	SettingLang = "ui.lang"
	// SettingTimezone is the operator's IANA time zone.
	SettingTimezone = "ui.timezone"
	// SettingWeekStart is the first day of the calendar week: "monday" or
	// "sunday" (unset: Sunday in Japanese, Monday in English).
	SettingWeekStart = "ui.week_start"
	// SettingTheme is the colour theme: "system" (the default: the
	// browser's light or dark), "light" or "dark".
	SettingTheme = "ui.theme"
)

// themes are the values of SettingTheme.
var themes = []string{"system", "light", "dark"}

func validTheme(v string) bool { return slices.Contains(themes, v) }

// pageTheme returns the theme the layout sets on <html> for a signed-in
// page: "light" or "dark" when the operator chose one, "" to follow the
// browser (a failed read is logged and follows the browser too).
func (h *Handler) pageTheme(r *http.Request) string {
	v, err := h.store.Setting(r.Context(), SettingTheme)
	if err != nil && !snsos.IsCode(err, snsos.ENOTFOUND) {
		h.log.Warn("web: read the theme setting", "err", err)
	}
	if v == "light" || v == "dark" {
		return v
	}
	return ""
}

// maxTokenName bounds an API token's name.
const maxTokenName = 100

//go:embed zones.txt
var zonesTxt string

// zoneNames are the IANA names the time zone field suggests, read at
// first use.
var zoneNames = sync.OnceValue(func() []string {
	var out []string
	for _, l := range strings.Split(zonesTxt, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
})

// pageLang picks the language of a page. The rule:
//
//  1. the lang cookie, set by the EN / 日本語 switcher (this browser's
//     choice) and by saving the language on the settings page;
//  2. else, on signed-in pages, the language saved in Settings (ui.lang),
//     so a new browser of the operator's opens in it;
//  3. else the browser's Accept-Language, else English.
//
// Anonymous pages (sign-in) skip step 2: they never read the database for
// the language.
func (h *Handler) pageLang(r *http.Request, signedIn bool) int {
	if i := langIndex(langCookieValue(r)); i >= 0 {
		return i
	}
	if signedIn {
		if v, err := h.store.Setting(r.Context(), SettingLang); err == nil && langIndex(v) >= 0 {
			return langIndex(v)
		}
	}
	return pickLang(r)
}

// LoadSettings applies the settings saved on the settings page that the
// handler keeps in memory: the time zone. A saved zone overrides the
// configured one (the operator chose it later); one that no longer loads is
// logged and ignored. Call it once after New.
func (h *Handler) LoadSettings(ctx context.Context) error {
	v, err := h.store.Setting(ctx, SettingTimezone)
	if snsos.IsCode(err, snsos.ENOTFOUND) || (err == nil && v == "") {
		return nil
	}
	if err != nil {
		return err
	}
	loc, err := loadZone(v)
	if err != nil {
		h.log.Warn("web: the saved time zone does not load; keeping the configured one", "zone", v, "err", err)
		return nil
	}
	h.SetLocation(loc)
	return nil
}

// loadZone loads an IANA zone name; "" and "Local" (the server's zone,
// which says nothing to the operator) are refused.
func loadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, snsos.Errorf(snsos.EINVALID, "unknown time zone %q", name)
	}
	return time.LoadLocation(name)
}

// settingsFlashes are the messages an action may leave for the settings
// page, by the flash query value (true: an error).
var settingsFlashes = map[string]bool{
	"saved": false, "alerts.sent": false, "alerts.failed": true, "alerts.none": true,
	"token.revoked": false, "token.notfound": true, "password.changed": false, "sessions.ended": false,
}

type settingsData struct {
	Flash    string
	FlashErr bool
	Errors   []fieldError // the summary at the top, linking to each field

	Lang, Zone, WeekStart string
	Theme                 string // "system", "light" or "dark"
	ZoneErr, ThemeErr     string
	Zones                 []string
	CurrentZone           string

	Channels []string
	Alerts   bool // a channel is configured

	FeedURL string
	Archive *archiveLine // nil: no git archive

	Tokens               []tokenRow
	NewToken             string // shown once, on the response that made it
	NewTokenName         string
	TokenName, TokenErr  string
	CurrentErr, NewPwErr string
	ConfirmErr           string
	MinChars             int
}

type fieldError struct{ ID, Msg string }

type tokenRow struct {
	ID                              int64
	Name, Prefix, Created, LastUsed string
	Revoked                         string
}

// settingsRoutes mounts the settings page and its forms, each behind the
// session.
func (h *Handler) settingsRoutes(mux *http.ServeMux) {
	mux.Handle("GET /settings", h.page(h.handleSettings))
	mux.Handle("POST /settings", h.page(h.handleSettingsSave))
	mux.Handle("POST /settings/alerts/test", h.page(h.handleAlertsTest))
	mux.Handle("POST /settings/tokens", h.page(h.handleTokenCreate))
	mux.Handle("POST /settings/tokens/{id}/revoke", h.page(h.handleTokenRevoke))
	mux.Handle("POST /settings/password", h.page(h.handlePassword))
	mux.Handle("POST /settings/sessions/others", h.page(h.handleOtherSessions))
}

// settingsPage builds the page with the saved values; the caller then
// overrides what the operator typed.
func (h *Handler) settingsPage(r *http.Request) (*page, *settingsData, error) {
	ctx := r.Context()
	d := &settingsData{Zones: zoneNames(), MinChars: MinPasswordLength}
	p := h.newPage(r, "settings.title", true, d)
	d.CurrentZone = h.location().String()
	d.Zone = d.CurrentZone
	saved := func(key string) (string, error) {
		v, err := h.store.Setting(ctx, key)
		if snsos.IsCode(err, snsos.ENOTFOUND) {
			return "", nil
		}
		return v, err
	}
	var err error
	if d.Lang, err = saved(SettingLang); err != nil {
		return nil, nil, err
	}
	if d.Lang == "" {
		d.Lang = p.lang
	}
	if d.WeekStart, err = saved(SettingWeekStart); err != nil {
		return nil, nil, err
	}
	if d.WeekStart != "monday" && d.WeekStart != "sunday" {
		d.WeekStart = "monday"
		if p.lang == "ja" {
			d.WeekStart = "sunday"
		}
	}
	d.Theme = p.Theme
	if d.Theme == "" {
		d.Theme = "system"
	}
	if h.cfg.Alerts != nil {
		d.Channels = h.cfg.Alerts.Channels()
		d.Alerts = len(d.Channels) > 0
	}
	if d.FeedURL, err = h.feedURL(ctx); err != nil {
		return nil, nil, err
	}
	if d.Archive, err = h.archiveStatus(ctx, p); err != nil {
		return nil, nil, err
	}
	toks, err := h.store.ListAPITokens(ctx)
	if err != nil {
		return nil, nil, err
	}
	loc := h.location()
	now := h.now().In(loc)
	for _, t := range toks {
		row := tokenRow{ID: t.ID, Name: t.Name, Prefix: t.Prefix, Created: shortTime(p.lang, t.CreatedAt.In(loc), now), LastUsed: p.T("settings.tokens.never")}
		if !t.LastUsedAt.IsZero() {
			row.LastUsed = shortTime(p.lang, t.LastUsedAt.In(loc), now)
		}
		if !t.RevokedAt.IsZero() {
			row.Revoked = shortTime(p.lang, t.RevokedAt.In(loc), now)
		}
		d.Tokens = append(d.Tokens, row)
	}
	if f := r.URL.Query().Get("flash"); f != "" && r.Method == http.MethodGet {
		if isErr, ok := settingsFlashes[f]; ok {
			d.Flash, d.FlashErr = p.T("settings.flash."+f), isErr
		}
	}
	return p, d, nil
}

func (h *Handler) handleSettings(w http.ResponseWriter, r *http.Request) {
	p, _, err := h.settingsPage(r)
	if err != nil {
		h.serverError(w, r, "settings page", err)
		return
	}
	h.render(w, http.StatusOK, "settings", p)
}

func parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return false
	}
	return true
}

// handleSettingsSave saves the language, time zone, week start and theme.
// The zone and the theme apply to every page at once. A form without a
// theme (a client older than the setting) leaves the saved one as it is.
func (h *Handler) handleSettingsSave(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	ctx := r.Context()
	lang := r.PostForm.Get("lang")
	zone := strings.TrimSpace(r.PostForm.Get("timezone"))
	week := r.PostForm.Get("week_start")
	_, hasTheme := r.PostForm["theme"]
	theme := r.PostForm.Get("theme")
	themeOK := !hasTheme || validTheme(theme)
	loc, zerr := loadZone(zone)
	if zerr != nil || langIndex(lang) < 0 || (week != "monday" && week != "sunday") || !themeOK {
		p, d, err := h.settingsPage(r)
		if err != nil {
			h.serverError(w, r, "settings page", err)
			return
		}
		if utf8.RuneCountInString(zone) > 64 {
			zone = string([]rune(zone)[:64])
		}
		d.Zone = zone
		if langIndex(lang) >= 0 {
			d.Lang = lang
		}
		if week == "monday" || week == "sunday" {
			d.WeekStart = week
		}
		if zerr != nil {
			if zone == "" {
				d.ZoneErr = p.T("settings.zone.empty")
			} else {
				d.ZoneErr = p.T("settings.zone.unknown", "Zone", zone)
			}
			d.Errors = append(d.Errors, fieldError{ID: "timezone", Msg: d.ZoneErr})
		}
		if hasTheme && validTheme(theme) {
			d.Theme = theme
		}
		if !themeOK {
			d.ThemeErr = p.T("settings.theme.invalid")
			d.Errors = append(d.Errors, fieldError{ID: "theme-" + d.Theme, Msg: d.ThemeErr})
		}
		h.render(w, http.StatusUnprocessableEntity, "settings", p)
		return
	}
	kvs := [][2]string{{SettingLang, lang}, {SettingTimezone, loc.String()}, {SettingWeekStart, week}}
	if hasTheme {
		kvs = append(kvs, [2]string{SettingTheme, theme})
	}
	for _, kv := range kvs {
		if err := h.store.PutSetting(ctx, kv[0], kv[1]); err != nil {
			h.serverError(w, r, "save setting", err)
			return
		}
	}
	h.SetLocation(loc)
	// The saved language is also this browser's choice (rule 1 of pageLang).
	http.SetCookie(w, &http.Cookie{Name: h.cookieName(langCookie), Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
	h.log.Info("web: settings saved", "lang", lang, "zone", loc.String(), "week_start", week, "theme", theme)
	http.Redirect(w, r, "/settings?flash=saved", http.StatusSeeOther)
}

func (h *Handler) handleAlertsTest(w http.ResponseWriter, r *http.Request) {
	flash := "alerts.sent"
	if h.cfg.Alerts == nil || len(h.cfg.Alerts.Channels()) == 0 {
		flash = "alerts.none"
	} else if err := h.cfg.Alerts.SendTest(r.Context()); err != nil {
		h.log.Warn("web: test alert failed", "err", err)
		flash = "alerts.failed"
	}
	http.Redirect(w, r, "/settings?flash="+flash+"#alerts-h", http.StatusSeeOther)
}

// handleTokenCreate makes an API token and shows it on this response only:
// the store keeps its hash (auth.HashToken) and its clear prefix.
func (h *Handler) handleTokenCreate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	p, d, err := h.settingsPage(r)
	if err != nil {
		h.serverError(w, r, "settings page", err)
		return
	}
	switch {
	case name == "":
		d.TokenErr = p.T("settings.tokens.name.empty")
	case utf8.RuneCountInString(name) > maxTokenName:
		d.TokenErr = p.T("settings.tokens.name.long", "Count", maxTokenName)
		name = string([]rune(name)[:maxTokenName])
	}
	if d.TokenErr != "" {
		d.TokenName = name
		d.Errors = append(d.Errors, fieldError{ID: "token-name", Msg: d.TokenErr})
		h.render(w, http.StatusUnprocessableEntity, "settings", p)
		return
	}
	tok := auth.NewToken(api.TokenTag, api.TokenBytes)
	prefix := api.TokenPrefix(tok)
	t, err := h.store.CreateAPIToken(r.Context(), name, auth.HashToken(tok), prefix)
	if err != nil {
		h.serverError(w, r, "create API token", err)
		return
	}
	h.log.Info("web: API token created", "token_id", t.ID, "name", name)
	// Rebuild the list so it holds the new token.
	p, d, err = h.settingsPage(r)
	if err != nil {
		h.serverError(w, r, "settings page", err)
		return
	}
	d.NewToken, d.NewTokenName = tok, name
	// render sends Cache-Control: no-store, so the token is not kept in
	// the browser's cache; Back does not show it again.
	h.render(w, http.StatusOK, "settings", p)
}

func (h *Handler) handleTokenRevoke(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	flash := "token.revoked"
	if !ok {
		flash = "token.notfound"
	} else if err := h.store.RevokeAPIToken(r.Context(), id); snsos.IsCode(err, snsos.ENOTFOUND) {
		flash = "token.notfound"
	} else if err != nil {
		h.serverError(w, r, "revoke API token", err)
		return
	} else {
		h.log.Info("web: API token revoked", "token_id", id)
	}
	http.Redirect(w, r, "/settings?flash="+flash+"#tokens-h", http.StatusSeeOther)
}

// handlePassword changes the operator password. The current one is
// required (and wrong guesses count against the sign-in throttle); every
// other session ends, this one stays.
func (h *Handler) handlePassword(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	f := parsePasswordForm(r.PostForm)
	p, d, err := h.settingsPage(r)
	if err != nil {
		h.serverError(w, r, "settings page", err)
		return
	}
	key := h.clientAddr(r)
	if status, err := h.checkPasswordForm(r, p, d, key, f); err != nil || status != http.StatusOK {
		h.refusePassword(w, r, p, d, status, err)
		return
	}
	h.applyPassword(w, r, key, f.next)
}

// passwordForm is the password change form as sent.
type passwordForm struct {
	current, next, confirm string
}

// parsePasswordForm reads the form's three fields as sent (a password is
// never trimmed).
func parsePasswordForm(v url.Values) passwordForm {
	return passwordForm{current: v.Get("current"), next: v.Get("new"), confirm: v.Get("confirm")}
}

// errClientGone stops a password change whose client went away while it
// waited for a check: nobody is left to answer.
var errClientGone = errors.New("web: the client went away")

// checkPasswordForm checks the current password and the new one, writing
// what is wrong into d. It returns http.StatusOK when the change may be
// made, or the status to refuse it with; a failed step or errClientGone as
// the error.
func (h *Handler) checkPasswordForm(r *http.Request, p *page, d *settingsData, key string, f passwordForm) (int, error) {
	if status, err := h.checkCurrentPassword(r, p, d, key, f.current); err != nil || status != http.StatusOK {
		return status, err
	}
	switch {
	case utf8.RuneCountInString(f.next) < MinPasswordLength:
		d.NewPwErr = p.T("settings.password.short", "Count", MinPasswordLength)
	case len(f.next) > 1024:
		d.NewPwErr = p.T("settings.password.long")
	case f.next != f.confirm:
		d.ConfirmErr = p.T("settings.password.mismatch")
	}
	if d.CurrentErr != "" || d.NewPwErr != "" || d.ConfirmErr != "" {
		return http.StatusUnprocessableEntity, nil
	}
	return http.StatusOK, nil
}

// checkCurrentPassword verifies the current password as sign-in does: a
// blocked client is refused (429), a check is counted before it is made,
// and an empty password counts as a failure. A wrong password is not
// refused here: it is an error in d, shown with the new password's.
func (h *Handler) checkCurrentPassword(r *http.Request, p *page, d *settingsData, key, cur string) (int, error) {
	if blocked, left := h.throttle.Blocked(key); blocked {
		d.CurrentErr = p.T("signin.throttled", "Count", int(left/time.Minute)+1)
		return http.StatusTooManyRequests, nil
	}
	hash, err := h.passwordHash(r)
	if err != nil {
		return 0, failed("read password hash", err)
	}
	ok := false
	if cur != "" && len(cur) <= 1024 && hash != "" {
		release, status, err := h.passwordCheckSlot(r.Context(), p, d, key)
		if release == nil {
			return status, err
		}
		ok, err = auth.VerifyPassword(cur, hash)
		release()
		if err != nil {
			return 0, failed("verify password", err)
		}
		if !ok {
			h.throttle.GlobalFail()
		}
	}
	if !ok {
		h.log.Warn("web: password change refused: wrong current password", "remote", key)
		if cur == "" {
			h.throttle.Fail(key)
			d.CurrentErr = p.T("settings.password.current.empty")
		} else {
			d.CurrentErr = p.T("settings.password.current.wrong")
		}
	}
	return http.StatusOK, nil
}

// passwordCheckSlot counts a check of the current password before it is
// made, as at sign-in, and takes a hashing slot for it, returning the
// function that gives the slot back. Without a slot it returns the status
// to refuse with (d says why), or errClientGone.
func (h *Handler) passwordCheckSlot(ctx context.Context, p *page, d *settingsData, key string) (func(), int, error) {
	if reserved, left := h.throttle.Reserve(key); !reserved {
		d.CurrentErr = p.T("signin.throttled", "Count", int(left/time.Minute)+1)
		return nil, http.StatusTooManyRequests, nil
	}
	release, got := h.hashSlot(ctx)
	if !got {
		h.throttle.Refund(key) // not checked: not the client's to pay for
		if ctx.Err() != nil {
			return nil, 0, errClientGone
		}
		d.CurrentErr = p.T("signin.throttled", "Count", 1)
		return nil, http.StatusTooManyRequests, nil
	}
	return release, http.StatusOK, nil
}

// refusePassword answers a password change that was refused: the settings
// page again with the form's errors at status, a logged 500 for a failed
// step, nothing to a client that went away.
func (h *Handler) refusePassword(w http.ResponseWriter, r *http.Request, p *page, d *settingsData, status int, err error) {
	switch {
	case errors.Is(err, errClientGone):
	case err != nil:
		h.pageError(w, r, err)
	default:
		for _, e := range []fieldError{{"pw-current", d.CurrentErr}, {"pw-new", d.NewPwErr}, {"pw-confirm", d.ConfirmErr}} {
			if e.Msg != "" {
				d.Errors = append(d.Errors, e)
			}
		}
		h.render(w, status, "settings", p)
	}
}

// applyPassword sets the new password, ending every session but this one,
// and sends the operator back to the settings. It takes a hashing slot:
// setting a password hashes it.
func (h *Handler) applyPassword(w http.ResponseWriter, r *http.Request, key, pw string) {
	ctx := r.Context()
	h.throttle.Reset(key)
	select {
	case h.verify <- struct{}{}:
	case <-ctx.Done():
		return
	}
	keep := ""
	if s := SessionFrom(ctx); s != nil {
		keep = s.IDHash
	}
	n, err := auth.SetOperatorPassword(ctx, h.store, pw, keep)
	<-h.verify
	if err != nil {
		h.serverError(w, r, "set password", err)
		return
	}
	h.log.Info("web: operator password changed", "remote", key, "sessions_ended", n)
	http.Redirect(w, r, "/settings?flash=password.changed", http.StatusSeeOther)
}

// endOtherSessions ends every session but the request's.
func (h *Handler) endOtherSessions(r *http.Request) (int64, error) {
	keep := ""
	if s := SessionFrom(r.Context()); s != nil {
		keep = s.IDHash
	}
	return h.store.DeleteOtherSessions(r.Context(), keep)
}

func (h *Handler) handleOtherSessions(w http.ResponseWriter, r *http.Request) {
	n, err := h.endOtherSessions(r)
	if err != nil {
		h.serverError(w, r, "end other sessions", err)
		return
	}
	h.log.Info("web: other sessions signed out", "count", n)
	http.Redirect(w, r, "/settings?flash=sessions.ended#sessions-h", http.StatusSeeOther)
}
