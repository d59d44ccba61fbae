package web

import (
	"html/template"
	"net/http"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/attention"
	"github.com/sns-os/snsos/internal/compliance"
)

// The deletion status page (/deletion/{code}, /ja/deletion/{code}): where a
// data deletion request stands, found by its public confirmation code — the
// address Meta's data-deletion callback answers and the contact form gives.
// It is a public page (no session, no cookie) and says when the request was
// received, when the tokens were deleted and when the data was purged (or
// by when it will be), and nothing else: not the platform, not the account,
// not the operator's data.

// deletionRoutes mounts the status page in both languages.
func (h *Handler) deletionRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /deletion/{code}", h.handleDeletionStatus)
	mux.HandleFunc("GET /ja/deletion/{code}", h.handleDeletionStatus)
}

// deletionData is the status page's content.
type deletionData struct {
	Found bool
	Code  string
	// Done says whether everything is deleted.
	Done  bool
	Steps []template.HTML // one sentence per step, dates as <time>
}

func (h *Handler) handleDeletionStatus(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	d := &deletionData{Code: code}
	p := h.newPublicPage(r, "deletion.title", d)
	if !compliance.ValidCode(code) { // not a code: no lookup
		h.renderPublic(w, http.StatusNotFound, "deletion", p)
		return
	}
	req, err := h.store.FindDeletionRequestByCode(r.Context(), code)
	if snsos.IsCode(err, snsos.ENOTFOUND) {
		h.renderPublic(w, http.StatusNotFound, "deletion", p)
		return
	}
	if err != nil {
		h.publicError(w, r, "find deletion request", err)
		return
	}
	d.Found, d.Done, d.Steps = true, req.Status == snsos.DeletionCompleted, h.deletionSteps(p, req)
	w.Header().Set("Cache-Control", "no-store")
	h.renderPublic(w, http.StatusOK, "deletion", p)
}

// deletionSteps are the sentences of the three steps of req.
func (h *Handler) deletionSteps(p *publicPage, req *snsos.DeletionRequest) []template.HTML {
	date := func(t time.Time) template.HTML {
		local := t.In(h.location())
		return template.HTML(`<time datetime="` + local.Format("2006-01-02") + `">` +
			template.HTMLEscapeString(longDate(p.lang, local)) + `</time>`)
	}
	steps := []template.HTML{p.TH("deletion.received", "Date", date(req.RequestedAt))}
	switch {
	case !req.TokensDeletedAt.IsZero() && len(req.AccountIDs) > 0:
		steps = append(steps, p.TH("deletion.tokens.done", "Date", date(req.TokensDeletedAt)))
	case !req.ConfirmedAt.IsZero() || req.Status == snsos.DeletionCompleted:
		steps = append(steps, p.TH("deletion.tokens.none"))
	default:
		steps = append(steps, p.TH("deletion.tokens.waiting"))
	}
	if req.Status == snsos.DeletionCompleted {
		steps = append(steps, p.TH("deletion.purged.done", "Date", date(req.CompletedAt)))
	} else {
		steps = append(steps, p.TH("deletion.purged.due", "Date", date(req.DueAt)))
	}
	return steps
}

// removalAttentionRow puts an account whose access the platform ended, or
// a confirmed data deletion, in the dashboard's words.
func (h *Handler) removalAttentionRow(p *page, it attention.Item, now time.Time, row *attentionRow) {
	loc := h.location()
	r := it.Removal
	if r == nil {
		r = &attention.Removal{}
	}
	pl := it.Platform.DisplayName()
	switch it.Kind {
	case attention.AccessRemoved:
		row.Class, row.Icon = "a-revoked", "⊘"
		id := "home.attn.access_removed"
		if r.Source == attention.SourceRefresh {
			id += ".refresh"
		}
		row.Text = p.T(id, "Platform", pl, "Handle", it.Handle, "Date", shortTime(p.lang, it.Since.In(loc), now.In(loc)))
		if it.Pending > 0 {
			row.Text += p.Sp() + p.T("home.attn.access_removed.waiting", "Count", it.Pending)
		}
	case attention.Purge:
		row.Class, row.Icon = "s-canceled", "⌫"
		row.Subject = pl
		if it.Handle != "" {
			row.Subject += " @" + it.Handle
		}
		if r.Done.IsZero() {
			row.Text = p.T("home.attn.purge", "Date", shortTime(p.lang, it.Since.In(loc), now.In(loc)),
				"Due", longDate(p.lang, r.Due.In(loc)))
			break
		}
		c := r.Purged
		if c == nil {
			c = &snsos.PurgeCounts{}
		}
		row.Text = p.T("home.attn.purge.done", "Date", shortTime(p.lang, r.Done.In(loc), now.In(loc)),
			"Posts", c.Posts, "Targets", c.Targets, "Snapshots", c.Snapshots, "Media", c.Media)
	}
}
