package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/sns-os/snsos"
)

type accountsData struct {
	Accounts  []accountCard
	Platforms []connectLink
}

type accountCard struct {
	Platform, Handle, DisplayName, Status, Class, Icon string
	// Health is the token health, in words; never a token.
	Health []string
	// Reconnect is the link to connect the account again ("" when it is
	// connected).
	Reconnect string
}

type connectLink struct {
	Name, Href string
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
	now := h.now()
	for _, a := range accts {
		c := accountCard{Platform: a.Platform.DisplayName(), Handle: a.Handle, DisplayName: a.DisplayName,
			Status: p.T("account." + string(a.Status)), Class: "a-" + string(a.Status), Icon: accountIcons[a.Status]}
		if a.Status != snsos.AccountConnected {
			c.Reconnect = "/connect/" + string(a.Platform)
		}
		meta, err := h.store.FindCredentialMeta(ctx, a.ID)
		switch {
		case snsos.IsCode(err, snsos.ENOTFOUND):
			c.Health = []string{p.T("token.none")}
		case err != nil:
			h.serverError(w, r, "find credential", err)
			return
		default:
			c.Health = h.tokenHealth(p, meta, now)
		}
		d.Accounts = append(d.Accounts, c)
	}
	for _, pl := range snsos.Platforms {
		d.Platforms = append(d.Platforms, connectLink{Name: pl.DisplayName(), Href: "/connect/" + string(pl)})
	}
	h.render(w, http.StatusOK, "accounts", p)
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
