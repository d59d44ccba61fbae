package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/attention"
	"github.com/sns-os/snsos/internal/store"
)

// The inbox (/inbox): contact messages, handled or not, a deletion
// request's deadlines and its confirmation, and the privacy policy's
// changes until the operator has seen them. Messages are a stranger's
// text: shown escaped, never as HTML.

// SiteStore is what the public site and the inbox read and write.
// *store.Store implements it.
type SiteStore interface {
	CreateContact(ctx context.Context, m *snsos.ContactMessage, d *snsos.DeletionRequest) error
	ListInbox(ctx context.Context, f store.ContactFilter) ([]*snsos.ContactMessage, error)
	CountUnhandledContactMessages(ctx context.Context) (int, error)
	FindContactMessage(ctx context.Context, id int64) (*snsos.ContactMessage, error)
	MarkContactRead(ctx context.Context, id int64) error
	SetContactHandled(ctx context.Context, id int64, handled bool) error
	DeleteContactMessage(ctx context.Context, id int64) error
	CompleteContactDeletion(ctx context.Context, code, email string) (int64, error)
	FindDeletionRequestByCode(ctx context.Context, code string) (*snsos.DeletionRequest, error)
	RecordPolicyChange(ctx context.Context, prev string, c *snsos.PolicyChange) error
	LatestPolicyChange(ctx context.Context) (*snsos.PolicyChange, error)
	MarkPolicyChangeSeen(ctx context.Context, id int64) error
	// ListPolicyChanges comes with attention.Store.
}

// Purger carries out a deletion request the operator confirmed as being
// about some of their accounts: it deletes those accounts' tokens at once
// and purges their data within the configured window, recording each step
// on the request (internal/compliance implements it). Config.Purger nil
// refuses such a confirmation as "purge not available", deleting nothing.
type Purger interface {
	ConfirmDeletion(ctx context.Context, code string, accountIDs []int64) error
}

// inboxFlashes are the messages an action may leave for the inbox and
// message pages, by the flash parameter, and whether each is an error.
var inboxFlashes = map[string]bool{
	"handled": false, "unhandled": false, "deleted": false, "seen": false, "confirmed": false, "purged": false,
	"nopurge": true, "notconfirmed": true, "conflict": true, "notfound": true, "error": true, "deletionopen": true,
}

func (h *Handler) inboxRoutes(mux *http.ServeMux) {
	mux.Handle("GET /inbox", h.page(h.handleInbox))
	mux.Handle("GET /inbox/{id}", h.page(h.handleMessage))
	mux.Handle("POST /inbox/{id}/handled", h.page(h.handleMessageHandled))
	mux.Handle("POST /inbox/{id}/delete", h.page(h.handleMessageDelete))
	mux.Handle("POST /inbox/{id}/deletion", h.page(h.handleDeletionConfirm))
	mux.Handle("POST /inbox/policy/{id}/seen", h.page(h.handlePolicySeen))
}

type inboxData struct {
	All            bool
	Rows           []inboxRow
	Policy         []policyRow
	Flash          string
	FlashErr       bool
	UnhandledCount int
	// PrivacyHref and ChangelogHref are the public pages in the page's
	// language.
	PrivacyHref, ChangelogHref string
}

type inboxRow struct {
	Href, From, Email, Subject string
	Received, ReceivedISO      string
	Deletion, Handled, Unread  bool
	Due                        string // a deletion request's reply deadline
	Overdue                    bool
}

type policyRow struct {
	Date, DateISO string
	Items         []string
	SeenPath      string
}

func (h *Handler) handleInbox(w http.ResponseWriter, r *http.Request) {
	d := &inboxData{All: r.URL.Query().Get("show") == "all"}
	p := h.newPage(r, "inbox.title", true, d)
	d.Flash, d.FlashErr = inboxFlash(p, r)
	d.PrivacyHref, d.ChangelogHref = localPath(p.lang, "/privacy"), localPath(p.lang, "/changelog")
	if err := h.buildInbox(r.Context(), p, d); err != nil {
		h.pageError(w, r, err)
		return
	}
	h.render(w, http.StatusOK, "inbox", p)
}

func (h *Handler) buildInbox(ctx context.Context, p *page, d *inboxData) error {
	msgs, err := h.store.ListInbox(ctx, store.ContactFilter{Unhandled: !d.All})
	if err != nil {
		return failed("list inbox", err)
	}
	now, loc := h.now(), h.location()
	for _, m := range msgs {
		row := inboxRow{Href: "/inbox/" + strconv.FormatInt(m.ID, 10), From: m.Name, Email: m.Email, Subject: m.Subject,
			Received: shortTime(p.lang, m.CreatedAt.In(loc), now.In(loc)), ReceivedISO: m.CreatedAt.UTC().Format(time.RFC3339),
			Deletion: m.DeletionCode != "", Handled: !m.HandledAt.IsZero(), Unread: m.ReadAt.IsZero()}
		if row.Subject == "" {
			row.Subject = p.T("inbox.nosubject")
		}
		if row.Deletion && !row.Handled {
			due := m.CreatedAt.Add(snsos.DeletionReplyWithin)
			row.Due, row.Overdue = shortTime(p.lang, due.In(loc), now.In(loc)), now.After(due)
		}
		d.Rows = append(d.Rows, row)
	}
	if d.UnhandledCount, err = h.store.CountUnhandledContactMessages(ctx); err != nil {
		return failed("count inbox", err)
	}
	changes, err := h.store.ListPolicyChanges(ctx, true, 0)
	if err != nil {
		return failed("list policy changes", err)
	}
	for _, c := range changes {
		local := c.ChangedAt.In(loc)
		row := policyRow{Date: longDate(p.lang, local), DateISO: local.Format("2006-01-02"), SeenPath: "/inbox/policy/" + strconv.FormatInt(c.ID, 10) + "/seen"}
		for _, it := range c.Items {
			row.Items = append(row.Items, changeWords(p.translator, it))
		}
		d.Policy = append(d.Policy, row)
	}
	return nil
}

// inboxFlash is the page's flash message, from the allowed ones only.
func inboxFlash(p *page, r *http.Request) (string, bool) {
	key := r.URL.Query().Get("flash")
	isErr, ok := inboxFlashes[key]
	if !ok {
		return "", false
	}
	return p.T("inbox.flash." + key), isErr
}

// inboxCount is the number of unhandled messages for the navigation's
// badge (0 when it cannot be read: a badge is not worth a failed page).
func (h *Handler) inboxCount(r *http.Request) int {
	n, err := h.store.CountUnhandledContactMessages(r.Context())
	if err != nil {
		h.log.Warn("web: count unhandled messages", "err", err)
		return 0
	}
	return n
}

func (h *Handler) handlePolicySeen(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	flash := "seen"
	if err := h.store.MarkPolicyChangeSeen(r.Context(), id); snsos.IsCode(err, snsos.ENOTFOUND) {
		flash = "notfound"
	} else if err != nil {
		h.serverError(w, r, "mark policy change seen", err)
		return
	}
	http.Redirect(w, r, "/inbox?flash="+flash, http.StatusSeeOther)
}

// siteAttentionRow puts the public site's attention items (contact
// messages, deletion requests, policy changes) in the dashboard's words.
func (h *Handler) siteAttentionRow(p *page, it attention.Item, now time.Time, row *attentionRow) {
	loc := h.location()
	row.Subject, row.Excerpt, row.PostHref = it.From, it.Excerpt, it.Action.Path
	if row.Excerpt == "" {
		row.Excerpt = p.T("inbox.nosubject")
	}
	switch it.Kind {
	case attention.Deletion:
		row.Class, row.Icon = "s-needs_operator", "!"
		row.Text = p.T("home.attn.deletion", "From", it.From, "Reply", shortTime(p.lang, it.At.In(loc), now.In(loc)),
			"Complete", shortTime(p.lang, it.Since.Add(snsos.DeletionCompleteWithin).In(loc), now.In(loc)))
	case attention.Contact:
		row.Class, row.Icon = "s-scheduled", "✉"
		row.Text = p.T("home.attn.contact", "From", it.From)
	case attention.PolicyChanged:
		row.Class, row.Icon = "s-approved", "§"
		row.Subject, row.PostHref = p.T("policy.title"), "/privacy"
		row.Excerpt = row.Subject
		words := ""
		if it.Change != nil {
			for i, ci := range it.Change.Items {
				if i > 0 {
					words += p.Sp()
				}
				words += changeWords(p.translator, ci)
			}
		}
		row.Text = p.T("home.attn.policy_changed", "Date", longDate(p.lang, it.Since.In(loc)), "Changes", words)
	}
}
