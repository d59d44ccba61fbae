package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/platform/tiktok"
	"github.com/sns-os/snsos/internal/publish"
)

// tiktokCard is what the Accounts page says of a TikTok account beyond
// the others: how it publishes (a form to change it), whether TikTok
// lets this app post only "Only me" videos, and what photo posts need.
type tiktokCard struct {
	ID int64 // the account's
	// Action is the mode form's target; Inbox says the account sends
	// videos to its TikTok inbox (else it posts directly).
	Action string
	Inbox  bool
	// Mode names the current mode; Audit says whether the app is audited
	// ("" until TikTok was asked), AuditClass colours it, and AuditHint
	// says what to do about it.
	Mode, Audit, AuditClass, AuditHint string
	// Photos says where TikTok must find the photos of a photo post.
	Photos string
}

// tiktokModeFlashes are the accounts page's messages after the mode form.
var tiktokModeFlashes = map[string]bool{"mode.direct": false, "mode.inbox": false, "mode.invalid": true, "mode.error": true}

// tiktokCardOf describes TikTok account a on page p.
func (h *Handler) tiktokCardOf(p *page, a *snsos.Account) *tiktokCard {
	c := &tiktokCard{ID: a.ID, Action: "/accounts/" + strconv.FormatInt(a.ID, 10) + "/mode",
		Inbox: a.Options[publish.AccountPublishMode] == publish.PublishModeInbox}
	c.Mode = p.T("accounts.tiktok.mode.direct")
	if c.Inbox {
		c.Mode = p.T("accounts.tiktok.mode.inbox")
	}
	switch a.Options[tiktok.AccountUnaudited] {
	case "true":
		c.Audit, c.AuditClass = p.T("accounts.tiktok.unaudited"), "warn"
		if !c.Inbox {
			c.AuditHint = p.T("accounts.tiktok.unaudited.hint")
		}
	case "false":
		c.Audit = p.T("accounts.tiktok.audited")
	default:
		c.Audit = p.T("accounts.tiktok.audit.unknown")
	}
	c.Photos = p.T("accounts.tiktok.photos.any")
	if u, err := url.Parse(h.cfg.PublicURL); err == nil && u.Host != "" {
		c.Photos = p.T("accounts.tiktok.photos", "Origin", u.Scheme+"://"+u.Host, "Host", u.Hostname())
	}
	return c
}

// handleTikTokMode saves how a TikTok account publishes (form field mode:
// direct or inbox), then goes back to the Accounts page with a flash. A
// post already being published keeps the mode it started in.
func (h *Handler) handleTikTokMode(w http.ResponseWriter, r *http.Request) {
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
	mode := r.PostFormValue("mode")
	flash := "mode." + mode
	set, err := publish.PublishModeOptions(a, mode)
	if err == nil {
		_, err = h.store.MergeAccountOptions(ctx, id, set, "operator")
		if err != nil {
			h.log.Error("web: save the publish mode", "account_id", id, "err", err)
			flash = "mode.error"
		}
	} else {
		h.log.Info("web: publish mode refused", "account_id", id, "err", err)
		flash = "mode.invalid"
	}
	http.Redirect(w, r, "/accounts?flash="+flash+"#account-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}
