package web

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/rules"
)

type accountsData struct {
	Accounts  []accountCard
	Platforms []connectLink
	Flash     string
	FlashErr  bool
}

type accountCard struct {
	ID                                                 int64
	Platform, Handle, DisplayName, Status, Class, Icon string
	// Initial is the monogram shown when sns-os has no copy of the
	// platform's avatar (pages load nothing from another origin: the
	// picture is fetched when the account is connected and served by
	// GET /accounts/{id}/avatar).
	Initial string
	// HasAvatar selects the stored picture over the monogram.
	HasAvatar bool
	// Health is the token health, in words; never a token. HealthClass
	// colours it when it needs the operator ("warn": under 7 days left;
	// "error": expired), and HealthIcon marks it for those who do not see
	// the colour.
	Health                  []string
	HealthClass, HealthIcon string
	// Reconnect is the link to connect the account again ("" when it is
	// connected or its platform is not configured).
	Reconnect string
	// NotConfigured names the settings to set before reconnecting.
	NotConfigured template.HTML
	// Cost is X's estimated price per post, in words ("" elsewhere).
	Cost string
	// Disconnect is the confirmation page's link ("" once revoked).
	Disconnect string
	// TikTok holds a TikTok account's mode, audit and photo words
	// (accounts_tiktok.go); nil elsewhere.
	TikTok *tiktokCard
}

type connectLink struct {
	Name, Href string
	// NotConfigured is set (and Href empty) for a platform without a
	// client id.
	NotConfigured template.HTML
}

// accountFlashes are the messages a disconnect or a finished OAuth connect
// may leave for the accounts page, by the flash query value (true: an
// error).
var accountFlashes = map[string]bool{
	"connected": false, "disconnected": false, "disconnect.unavailable": true, "disconnect.error": true, "disconnect.notfound": true,
}

// accountsRoutes mounts the disconnect confirmation and action (GET
// /accounts itself is mounted in Routes).
func (h *Handler) accountsRoutes(mux *http.ServeMux) {
	mux.Handle("GET /accounts/{id}/disconnect", h.page(h.handleDisconnectConfirm))
	mux.Handle("POST /accounts/{id}/disconnect", h.page(h.handleDisconnect))
	mux.Handle("GET /accounts/{id}/avatar", h.page(h.handleAvatar))
	mux.Handle("POST /accounts/{id}/mode", h.page(h.handleTikTokMode))
}

// avatarIDs returns the ids of the accounts whose picture sns-os has
// stored (one query for a whole page). A failure is logged and shows
// monograms.
func (h *Handler) avatarIDs(ctx context.Context) map[int64]bool {
	ids, err := h.store.ListAccountAvatarIDs(ctx)
	if err != nil {
		h.log.Warn("web: list account avatars", "err", err)
		return nil
	}
	return ids
}

// avatarPath is where an account's stored picture is served.
func avatarPath(id int64) string { return "/accounts/" + strconv.FormatInt(id, 10) + "/avatar" }

// handleAvatar serves an account's stored profile picture, which
// tokens.Service fetched when the account was connected. It is cached
// privately for a day and revalidated by its ETag (the SHA-256 of the
// bytes).
func (h *Handler) handleAvatar(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		http.NotFound(w, r)
		return
	}
	av, err := h.store.FindAccountAvatar(r.Context(), id)
	if snsos.IsCode(err, snsos.ENOTFOUND) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		h.serverError(w, r, "find avatar", err)
		return
	}
	etag := `"` + av.ETag + `"`
	hd := w.Header()
	hd.Set("Cache-Control", "private, max-age=86400")
	hd.Set("ETag", etag)
	hd.Set("X-Content-Type-Options", "nosniff")
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hd.Set("Content-Type", av.ContentType)
	hd.Set("Content-Length", strconv.Itoa(len(av.Data)))
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(av.Data)
	}
}

// etagMatches reports whether an If-None-Match header names etag (or is
// "*"), comparing weakly as RFC 9110 says for If-None-Match.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// configured reports whether the platform has a client id (it can be
// connected).
func (h *Handler) configured(pl snsos.Platform) bool {
	return slices.Contains(h.cfg.Platforms, pl)
}

// notConfigured says which settings a platform needs, as HTML with the
// variable names as code.
func notConfigured(p *page, pl snsos.Platform) template.HTML {
	up := "SNSOS_" + strings.ToUpper(string(pl))
	return p.TH("accounts.notconfigured", "Platform", pl.DisplayName(), "ID", p.Code(up+"_CLIENT_ID"), "Secret", p.Code(up+"_CLIENT_SECRET"))
}

// monogram is the first letter of name, upper-cased.
func monogram(name string) string {
	name = strings.TrimLeft(strings.TrimSpace(name), "@")
	for _, r := range name {
		return strings.ToUpper(string(r))
	}
	return "?"
}

// xCostLine is X's estimated price per post from the configured prices.
func (h *Handler) xCostLine(p *page) string {
	plain := rules.EstimateXCost([]string{"a"}, h.cfg.XPrices).USD
	link := rules.EstimateXCost([]string{"https://example.com"}, h.cfg.XPrices).USD
	return p.T("accounts.xcost", "Post", usd(plain), "Link", usd(link))
}

// usd writes a dollar amount with two to six decimals: $0.20, $0.015,
// $0.215 (both languages keep the dollar). It rounds to a millionth, as
// compose's prices are, so a sum or a product of prices prints no float
// noise ($0.30, not $0.30000000000000004).
func usd(v float64) string {
	s := strings.TrimRight(strconv.FormatFloat(v, 'f', 6, 64), "0")
	if i := strings.IndexByte(s, '.'); len(s)-i-1 < 2 {
		s += strings.Repeat("0", 2-(len(s)-i-1))
	}
	return "$" + s
}

func (h *Handler) handleAccounts(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	accts, err := h.store.ListAccounts(ctx)
	if err != nil {
		h.serverError(w, r, "list accounts", err)
		return
	}
	d := &accountsData{}
	p := h.newPage(r, "accounts.title", true, d)
	if f := r.URL.Query().Get("flash"); f != "" {
		if isErr, ok := accountFlashes[f]; ok {
			d.Flash, d.FlashErr = p.T("accounts.flash."+f), isErr
		} else if isErr, ok := tiktokModeFlashes[f]; ok {
			d.Flash, d.FlashErr = p.T("accounts.flash."+f), isErr
		}
	}
	now := h.now()
	avatars := h.avatarIDs(ctx)
	xCost := h.xCostLine(p) // the same for every X account
	for _, a := range accts {
		c := accountCard{ID: a.ID, Platform: a.Platform.DisplayName(), Handle: a.Handle, DisplayName: a.DisplayName,
			Status: p.T("account." + string(a.Status)), Class: "a-" + string(a.Status), Icon: accountIcons[a.Status],
			HasAvatar: avatars[a.ID]}
		c.Initial = monogram(a.DisplayName)
		if a.DisplayName == "" {
			c.Initial = monogram(a.Handle)
		}
		if a.Status != snsos.AccountConnected {
			if h.configured(a.Platform) {
				c.Reconnect = "/connect/" + string(a.Platform)
			} else {
				c.NotConfigured = notConfigured(p, a.Platform)
			}
		}
		if a.Status != snsos.AccountRevoked {
			c.Disconnect = "/accounts/" + strconv.FormatInt(a.ID, 10) + "/disconnect"
		}
		if a.Platform == snsos.PlatformX {
			c.Cost = xCost
		}
		if a.Platform == snsos.PlatformTikTok {
			c.TikTok = h.tiktokCardOf(p, a)
		}
		meta, err := h.store.FindCredentialMeta(ctx, a.ID)
		switch {
		case snsos.IsCode(err, snsos.ENOTFOUND):
			c.Health = []string{p.T("token.none")}
		case err != nil:
			h.serverError(w, r, "find credential", err)
			return
		case isMeta(a.Platform):
			c.Health, c.HealthClass = h.metaTokenHealth(p, meta, now)
		default:
			c.Health = h.tokenHealth(p, meta, now)
		}
		c.HealthIcon = healthIcons[c.HealthClass]
		d.Accounts = append(d.Accounts, c)
	}
	for _, pl := range snsos.Platforms {
		l := connectLink{Name: pl.DisplayName()}
		if h.configured(pl) {
			l.Href = "/connect/" + string(pl)
		} else {
			l.NotConfigured = notConfigured(p, pl)
		}
		d.Platforms = append(d.Platforms, l)
	}
	h.render(w, http.StatusOK, "accounts", p)
}

type disconnectData struct {
	Account                     accountCard
	Action                      string
	Scheduled, Approved, Failed int
	CanDisconnect               bool
	// RemoveAt says where, on a platform without a revoke call (Instagram,
	// Threads), the operator removes sns-os's app to end its access
	// entirely ("" elsewhere: sns-os asks the platform itself).
	RemoveAt string
}

// handleDisconnectConfirm names what disconnecting will do before the
// operator confirms it. What it says follows oauth.Service.Revoke: the
// grant is revoked at the platform (best effort; Instagram and Threads
// have no revoke call, so the page says where the operator removes the
// app themselves), the stored tokens are deleted, the account is marked
// revoked, and its targets waiting to be published (scheduled or waiting
// to retry) are marked failed. Nothing the operator wrote is deleted.
func (h *Handler) handleDisconnectConfirm(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	ctx := r.Context()
	a, err := h.store.FindAccountByID(ctx, id)
	if snsos.IsCode(err, snsos.ENOTFOUND) {
		h.notFound(w, r)
		return
	}
	if err != nil {
		h.serverError(w, r, "find account", err)
		return
	}
	counts, err := h.store.CountAccountTargets(ctx, id, snsos.StateScheduled, snsos.StateRetryWait, snsos.StateApproved)
	if err != nil {
		h.serverError(w, r, "count targets", err)
		return
	}
	d := &disconnectData{Action: "/accounts/" + strconv.FormatInt(id, 10) + "/disconnect",
		Scheduled: counts[snsos.StateScheduled] + counts[snsos.StateRetryWait], Approved: counts[snsos.StateApproved],
		CanDisconnect: a.Status != snsos.AccountRevoked && h.cfg.Accounts != nil}
	p := h.newPage(r, "accounts.disconnect.title", true, d)
	d.Account = accountCard{Platform: a.Platform.DisplayName(), Handle: a.Handle, DisplayName: a.DisplayName,
		Status: p.T("account." + string(a.Status)), Class: "a-" + string(a.Status), Icon: accountIcons[a.Status]}
	if isMeta(a.Platform) {
		d.RemoveAt = p.T("accounts.disconnect.remove." + string(a.Platform))
	}
	h.render(w, http.StatusOK, "disconnect", p)
}

// handleDisconnect disconnects the account through Config.Accounts.
func (h *Handler) handleDisconnect(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	flash := "disconnected"
	if h.cfg.Accounts == nil {
		flash = "disconnect.unavailable"
	} else if err := h.cfg.Accounts.Revoke(r.Context(), id); err != nil {
		switch {
		case snsos.IsCode(err, snsos.ENOTFOUND):
			flash = "disconnect.notfound"
		case snsos.IsCode(err, snsos.EUNAVAILABLE):
			flash = "disconnect.unavailable"
		default:
			flash = "disconnect.error"
		}
		h.log.Error("web: disconnect account", "account_id", id, "err", err)
	} else {
		h.log.Info("web: account disconnected by the operator", "account_id", id)
	}
	http.Redirect(w, r, "/accounts?flash="+flash, http.StatusSeeOther)
}

// tokenHealth describes a credential in words: when it was refreshed, when
// the access token expires, and when a reconnect will be needed.
func (h *Handler) tokenHealth(p *page, m *snsos.CredentialMeta, now time.Time) []string {
	var out []string
	if !m.UpdatedAt.IsZero() {
		out = append(out, p.T("token.refreshed", "Time", shortTime(p.lang, m.UpdatedAt.In(h.location()), now.In(h.location()))))
	}
	if !m.ExpiresAt.IsZero() {
		if d := m.ExpiresAt.Sub(now); d > 0 {
			out = append(out, p.T("token.expires_in", "Dur", duration(p.lang, d)))
		} else if m.HasRefreshToken {
			out = append(out, p.T("token.expired_refresh", "Dur", duration(p.lang, -d)))
		} else {
			out = append(out, p.T("token.expired", "Dur", duration(p.lang, -d)))
		}
	}
	if !m.RefreshExpiresAt.IsZero() {
		out = append(out, p.T("token.reconnect_by", "Date", longDate(p.lang, m.RefreshExpiresAt.In(h.location()))))
	}
	if len(out) == 0 {
		out = append(out, p.T("token.noexpiry"))
	}
	return out
}

// isMeta reports whether pl is one of Meta's platforms: long-lived tokens
// renewed with themselves, and no revoke call.
func isMeta(pl snsos.Platform) bool {
	return pl == snsos.PlatformInstagram || pl == snsos.PlatformThreads
}

// metaTokenWarning is how close to its expiry a Meta token is shown in
// amber: sns-os renews it once it is 24 hours old and has under 7 days
// left (oauth's refresh policy), so one this close has not been renewed.
const metaTokenWarning = 7 * 24 * time.Hour

// healthIcons mark a token's health beside its colour.
var healthIcons = map[string]string{"warn": "!", "error": "✕"}

// metaTokenHealth describes an Instagram or Threads sign-in: a long-lived
// token valid 60 days that sns-os renews itself (with the token, no
// refresh token), so its expiry is what matters. The class is "warn"
// under 7 days before it, "error" once it has passed.
func (h *Handler) metaTokenHealth(p *page, m *snsos.CredentialMeta, now time.Time) ([]string, string) {
	if m.ExpiresAt.IsZero() {
		return []string{p.T("token.noexpiry")}, ""
	}
	loc := h.location()
	date := longDate(p.lang, m.ExpiresAt.In(loc))
	var out []string
	if !m.UpdatedAt.IsZero() {
		out = append(out, p.T("token.refreshed", "Time", shortTime(p.lang, m.UpdatedAt.In(loc), now.In(loc))))
	}
	switch left := m.ExpiresAt.Sub(now); {
	case left <= 0:
		return append(out, p.T("token.meta.expired", "Date", date)), "error"
	case left < metaTokenWarning:
		return append(out, p.T("token.meta.soon", "Date", date, "Dur", duration(p.lang, left))), "warn"
	}
	return append(out, p.T("token.meta.valid", "Date", date)), ""
}

// duration formats d coarsely: "3 d 4 h", "1 h 40 min", "5 min" /
// "3日4時間", "1時間40分", "5分".
func duration(lang string, d time.Duration) string {
	mins := int(d.Round(time.Minute) / time.Minute)
	days, hours, m := mins/(24*60), mins/60%24, mins%60
	ja := lang == "ja"
	switch {
	case days > 0 && hours > 0:
		if ja {
			return fmt.Sprintf("%d日%d時間", days, hours)
		}
		return fmt.Sprintf("%d d %d h", days, hours)
	case days > 0:
		if ja {
			return fmt.Sprintf("%d日", days)
		}
		return fmt.Sprintf("%d d", days)
	case hours > 0 && m > 0:
		if ja {
			return fmt.Sprintf("%d時間%d分", hours, m)
		}
		return fmt.Sprintf("%d h %d min", hours, m)
	case hours > 0:
		if ja {
			return fmt.Sprintf("%d時間", hours)
		}
		return fmt.Sprintf("%d h", hours)
	}
	if m < 1 {
		m = 1
	}
	if ja {
		return fmt.Sprintf("%d分", m)
	}
	return fmt.Sprintf("%d min", m)
}

// longDate formats a day: "2027-05-27" in both languages, "2027年5月27日" in
// Japanese.
func longDate(lang string, t time.Time) string {
	if lang == "ja" {
		return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
	}
	return t.Format("2006-01-02")
}

// fullTime formats t in full: "Sat, 28 Nov 2026, 21:00" /
// "2026年11月28日(土) 21:00".
func fullTime(lang string, t time.Time) string {
	if lang == "ja" {
		return fmt.Sprintf("%d年%d月%d日(%s) %02d:%02d", t.Year(), int(t.Month()), t.Day(), weekdaysJA[t.Weekday()], t.Hour(), t.Minute())
	}
	return t.Format("Mon, 2 Jan 2006, 15:04")
}

// utcLine is the UTC time next to a local one: "= 12:00 UTC" /
// "(UTC 12:00)", with the date when it differs.
func utcLine(lang string, local time.Time) string {
	u := local.UTC()
	hm := u.Format("15:04")
	if u.Year() != local.Year() || u.YearDay() != local.YearDay() {
		if lang == "ja" {
			hm = fmt.Sprintf("%d月%d日 %s", int(u.Month()), u.Day(), hm)
		} else {
			hm = u.Format("2 Jan 15:04")
		}
	}
	if lang == "ja" {
		return "(UTC " + hm + ")"
	}
	return "= " + hm + " UTC"
}
