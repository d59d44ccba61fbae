package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sns-os/snsos"
)

// One message of the inbox: its text, handled or not, and, for a data
// deletion request, its deadlines and the operator's confirmation, the
// only way anything is deleted because of a form post.

type messageData struct {
	ID                      int64
	Name, Email, Mailto     string
	Subject, Body, Lang     string
	LangCode                string // the language the sender wrote from
	Received, ReceivedISO   string
	Handled                 bool
	HandledAt               string
	Deletion                *deletionBox
	Flash                   string
	FlashErr                bool
	HandledPath, DeletePath string
}

// deletionBox is a deletion request as the message page shows it.
type deletionBox struct {
	Code, Status            string
	ReplyBy, CompleteBy     string
	ReplyISO, CompleteISO   string
	ReplyOver, CompleteOver bool
	Awaiting                bool // unconfirmed: the confirmation form shows
	Accounts                []accountOption
	ConfirmPath, StatusHref string
	Err                     string
}

type accountOption struct {
	Value, Label string
}

// senderOnly is the confirmation choice for data that is only the
// sender's messages.
const senderOnly = "sender"

func (h *Handler) handleMessage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	d := &messageData{ID: id}
	p := h.newPage(r, "inbox.message.title", true, d)
	d.Flash, d.FlashErr = inboxFlash(p, r)
	status, err := h.buildMessage(r.Context(), p, d, "")
	if status == http.StatusNotFound {
		h.notFound(w, r)
		return
	}
	if err != nil {
		h.pageError(w, r, err)
		return
	}
	if err := h.store.MarkContactRead(r.Context(), id); err != nil {
		h.log.Warn("web: mark message read", "id", id, "err", err)
	}
	h.render(w, http.StatusOK, "inbox_message", p)
}

// buildMessage fills the message page; confirmErr is the confirmation
// form's error, if any.
func (h *Handler) buildMessage(ctx context.Context, p *page, d *messageData, confirmErr string) (int, error) {
	m, err := h.store.FindContactMessage(ctx, d.ID)
	if snsos.IsCode(err, snsos.ENOTFOUND) {
		return http.StatusNotFound, err
	}
	if err != nil {
		return 0, failed("find message", err)
	}
	now, loc := h.now(), h.location()
	base := "/inbox/" + strconv.FormatInt(m.ID, 10)
	d.Name, d.Email, d.Subject, d.Body = m.Name, m.Email, m.Subject, m.Body
	d.Mailto = mailtoHref(m.Email, "Re: "+m.Subject)
	d.Lang, d.LangCode = langNames[max(0, langIndex(m.Lang))], langCodes[max(0, langIndex(m.Lang))]
	d.Received, d.ReceivedISO = fullTime(p.lang, m.CreatedAt.In(loc)), m.CreatedAt.UTC().Format(time.RFC3339)
	d.Handled, d.HandledPath, d.DeletePath = !m.HandledAt.IsZero(), base+"/handled", base+"/delete"
	if d.Handled {
		d.HandledAt = fullTime(p.lang, m.HandledAt.In(loc))
	}
	if m.DeletionCode == "" {
		return http.StatusOK, nil
	}
	req, err := h.store.FindDeletionRequestByCode(ctx, m.DeletionCode)
	if err != nil && !snsos.IsCode(err, snsos.ENOTFOUND) {
		return 0, failed("find deletion request", err)
	}
	reply, complete := m.CreatedAt.Add(snsos.DeletionReplyWithin), m.CreatedAt.Add(snsos.DeletionCompleteWithin)
	box := &deletionBox{Code: m.DeletionCode, ReplyBy: fullTime(p.lang, reply.In(loc)), CompleteBy: fullTime(p.lang, complete.In(loc)),
		ReplyISO: reply.UTC().Format(time.RFC3339), CompleteISO: complete.UTC().Format(time.RFC3339),
		ReplyOver: now.After(reply) && !d.Handled, ConfirmPath: base + "/deletion", StatusHref: "/deletion/" + m.DeletionCode, Err: confirmErr}
	switch {
	case req == nil:
		box.Status = p.T("inbox.deletion.status.missing")
	default:
		box.Status = p.T("inbox.deletion.status." + string(req.Status))
		box.Awaiting = req.Status == snsos.DeletionUnconfirmed
		box.CompleteOver = now.After(complete) && req.Status != snsos.DeletionCompleted
	}
	if box.Awaiting {
		if box.Accounts, err = h.deletionChoices(ctx, p); err != nil {
			return 0, err
		}
	}
	d.Deletion = box
	return http.StatusOK, nil
}

// deletionChoices are what a form request may be about: the sender's
// messages alone, or one of the operator's accounts.
func (h *Handler) deletionChoices(ctx context.Context, p *page) ([]accountOption, error) {
	out := []accountOption{{Value: senderOnly, Label: p.T("inbox.deletion.sender")}}
	accts, err := h.store.ListAccounts(ctx)
	if err != nil {
		return nil, failed("list accounts", err)
	}
	for _, a := range accts {
		out = append(out, accountOption{Value: strconv.FormatInt(a.ID, 10),
			Label: p.T("inbox.deletion.account", "Platform", a.Platform.DisplayName(), "Handle", a.Handle)})
	}
	return out, nil
}

func (h *Handler) handleMessageHandled(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	handled := r.PostFormValue("handled") != "0"
	flash := "handled"
	if !handled {
		flash = "unhandled"
	}
	if err := h.store.SetContactHandled(r.Context(), id, handled); snsos.IsCode(err, snsos.ENOTFOUND) {
		h.notFound(w, r)
		return
	} else if err != nil {
		h.serverError(w, r, "mark message handled", err)
		return
	}
	target := "/inbox/" + strconv.FormatInt(id, 10)
	if handled {
		target = "/inbox" // the next one is what comes now
	}
	http.Redirect(w, r, target+"?flash="+flash, http.StatusSeeOther)
}

func (h *Handler) handleMessageDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	switch err := h.store.DeleteContactMessage(r.Context(), id); {
	case snsos.IsCode(err, snsos.ENOTFOUND):
		h.notFound(w, r)
		return
	case snsos.IsCode(err, snsos.ECONFLICT):
		// Its deletion request is still open: the message is how the
		// operator settles it, so it stays until then.
		h.redirectFlash(w, r, "/inbox/"+strconv.FormatInt(id, 10), "deletionopen")
		return
	case err != nil:
		h.serverError(w, r, "delete message", err)
		return
	}
	http.Redirect(w, r, "/inbox?flash=deleted", http.StatusSeeOther)
}

// handleDeletionConfirm carries out a deletion request the operator
// confirmed: the sender's messages alone (here, in one transaction), or
// an account's data through the Purger. Without the confirming checkbox
// nothing happens.
func (h *Handler) handleDeletionConfirm(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	ctx := r.Context()
	m, err := h.store.FindContactMessage(ctx, id)
	if snsos.IsCode(err, snsos.ENOTFOUND) || (err == nil && m.DeletionCode == "") {
		h.notFound(w, r)
		return
	} else if err != nil {
		h.serverError(w, r, "find message", err)
		return
	}
	back := "/inbox/" + strconv.FormatInt(id, 10)
	choice := r.PostFormValue("about")
	if r.PostFormValue("confirm") != "1" || choice == "" {
		h.redirectFlash(w, r, back, "notconfirmed")
		return
	}
	if choice == senderOnly {
		switch _, err := h.store.CompleteContactDeletion(ctx, m.DeletionCode, m.Email); {
		case snsos.IsCode(err, snsos.ECONFLICT):
			h.redirectFlash(w, r, back, "conflict")
		case err != nil:
			h.serverError(w, r, "complete contact deletion", err)
		default:
			h.log.Info("web: contact deletion request completed", "code", m.DeletionCode)
			h.redirectFlash(w, r, "/inbox", "purged")
		}
		return
	}
	acct, err := strconv.ParseInt(choice, 10, 64)
	if err != nil || acct <= 0 {
		h.redirectFlash(w, r, back, "notconfirmed")
		return
	}
	if h.cfg.Purger == nil {
		h.redirectFlash(w, r, back, "nopurge")
		return
	}
	if err := h.cfg.Purger.ConfirmDeletion(ctx, m.DeletionCode, []int64{acct}); err != nil {
		switch {
		case snsos.IsCode(err, snsos.ECONFLICT) || snsos.IsCode(err, snsos.ENOTFOUND):
			h.redirectFlash(w, r, back, "conflict")
			return
		case snsos.IsCode(err, snsos.EINVALID): // an account that is not the operator's any more
			h.redirectFlash(w, r, back, "notconfirmed")
			return
		}
		h.serverError(w, r, "confirm deletion", err)
		return
	}
	if err := h.store.SetContactHandled(ctx, id, true); err != nil {
		h.log.Warn("web: mark message handled after confirming", "id", id, "err", err)
	}
	h.redirectFlash(w, r, back, "confirmed")
}

// mailtoHref is the Reply link to addr with subject: both percent-encoded
// (RFC 6068), so that nothing in a stranger's address or subject ("?",
// "&", "%", "#", ",") can add a recipient or a header field to the mail.
func mailtoHref(addr, subject string) string {
	return "mailto:" + mailtoEscape(addr, "@") + "?subject=" + mailtoEscape(subject, ":@!$'()*,;")
}

// mailtoEscape percent-encodes every byte of s but the unreserved
// characters and those in keep. A space becomes %20 (a "+" is not read as
// a space in a mailto: link).
func mailtoEscape(s, keep string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~"+keep, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func (h *Handler) redirectFlash(w http.ResponseWriter, r *http.Request, path, flash string) {
	http.Redirect(w, r, path+"?flash="+flash, http.StatusSeeOther)
}
