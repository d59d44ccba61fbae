package web

import (
	"context"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/oauth"
)

// The privacy policy and the terms, put in words from PolicyFacts.

// privacyData is the privacy policy in the page's language.
type privacyData struct {
	Who          []template.HTML
	Platforms    []privacyPlatform
	Metrics      string   // when metrics are read ("" : never)
	MetricLines  []string // what each platform's metrics are
	Where        []template.HTML
	Keep         []string
	Cookies      []template.HTML
	Callbacks    []callbackRow
	DeleteWindow string
	ContactHref  string
	// Form links the contact form; Changelog the changelog.
	Form, Changelog template.HTML
}

type privacyPlatform struct {
	Name   string
	Scopes []scopeRow
}

type scopeRow struct{ Scope, Purpose string }

type callbackRow struct{ Platform, Deauthorize, Deletion string }

func (h *Handler) handlePrivacy(w http.ResponseWriter, r *http.Request) {
	d := &privacyData{}
	p := h.newPublicPage(r, "policy.title", d)
	updated, err := h.policyUpdated(r.Context())
	if err != nil {
		h.publicError(w, r, "privacy policy date", err)
		return
	}
	h.setUpdated(p, updated)
	h.buildPrivacy(p, d)
	h.renderPublic(w, http.StatusOK, "privacy", p)
}

// buildPrivacy puts the facts in the page's words.
func (h *Handler) buildPrivacy(p *publicPage, d *privacyData) {
	f, tr := h.site.facts, p.translator
	d.ContactHref = localPath(tr.lang, "/contact")
	d.Who = h.policyWho(tr, d.ContactHref)
	for _, pp := range f.Platforms {
		row := privacyPlatform{Name: pp.Platform.DisplayName()}
		for _, s := range pp.Scopes {
			row.Scopes = append(row.Scopes, scopeRow{Scope: s, Purpose: scopePurpose(tr, s)})
		}
		d.Platforms = append(d.Platforms, row)
		if len(pp.Metrics) > 0 {
			names := make([]string, len(pp.Metrics))
			for i, m := range pp.Metrics {
				names[i] = metricName(tr, m)
			}
			d.MetricLines = append(d.MetricLines, tr.T("policy.collect.metrics.platform", "Platform", row.Name, "Metrics", joinList(tr, names)))
		}
	}
	if len(f.Checkpoints) > 0 && len(d.MetricLines) > 0 {
		spans := make([]string, len(f.Checkpoints))
		for i, c := range f.Checkpoints {
			spans[i] = spanWords(tr, c)
		}
		d.Metrics = joinList(tr, spans)
	}
	d.Where = h.policyWhere(tr)
	d.DeleteWindow = spanWords(tr, f.PurgeWindow)
	d.Keep = []string{tr.T("policy.keep.tokens"), tr.T("policy.keep.posts", "Window", d.DeleteWindow), tr.T("policy.keep.contact"),
		tr.T("policy.keep.sessions", "Idle", spanWords(tr, IdleTimeout), "Max", spanWords(tr, AbsoluteTimeout))}
	d.Cookies = []template.HTML{
		tr.TH("policy.cookies.session", "Name", p.Code(sessionCookie), "Max", spanWords(tr, AbsoluteTimeout)),
		tr.TH("policy.cookies.lang", "Name", p.Code(langCookie)),
		tr.TH("policy.cookies.connect", "Name", p.Code(oauth.CookieName), "TTL", spanWords(tr, f.ConnectCookieTTL)),
	}
	base := strings.TrimRight(h.cfg.PublicURL, "/")
	for _, pp := range f.Platforms {
		if pp.Platform == snsos.PlatformInstagram || pp.Platform == snsos.PlatformThreads {
			hook := base + "/webhooks/" + string(pp.Platform) + "/"
			d.Callbacks = append(d.Callbacks, callbackRow{Platform: pp.Platform.DisplayName(), Deauthorize: hook + "deauthorize", Deletion: hook + "data-deletion"})
		}
	}
	d.Changelog = link(localPath(tr.lang, "/changelog"), tr.T("policy.changes.link"))
	d.Form = link(d.ContactHref, tr.T("policy.who.form"))
}

// policyWho is the "who is responsible" list.
func (h *Handler) policyWho(tr *translator, contact string) []template.HTML {
	f := h.site.facts
	form := link(contact, tr.T("policy.who.form"))
	var out []template.HTML
	if f.Operator != "" {
		out = append(out, template.HTML(template.HTMLEscapeString(tr.T("policy.who.operator", "Name", f.Operator))))
	} else {
		out = append(out, template.HTML(template.HTMLEscapeString(tr.T("policy.who.operator.unset"))))
	}
	if f.Email != "" {
		out = append(out, tr.TH("policy.who.email", "Email", link("mailto:"+f.Email, f.Email), "Form", form))
	} else {
		out = append(out, tr.TH("policy.who.email.unset", "Form", form))
	}
	if f.Jurisdiction != "" {
		out = append(out, template.HTML(template.HTMLEscapeString(tr.T("policy.who.law", "Law", f.Jurisdiction))))
	} else {
		out = append(out, template.HTML(template.HTMLEscapeString(tr.T("policy.who.law.unset"))))
	}
	return out
}

// policyWhere says where each kind of data is kept.
func (h *Handler) policyWhere(tr *translator) []template.HTML {
	f := h.site.facts
	esc := func(s string) template.HTML { return template.HTML(template.HTMLEscapeString(s)) }
	out := []template.HTML{esc(tr.T("policy.where.db." + f.Database))}
	switch provider := mediaProvider(f.MediaHost); {
	case f.Media != "s3":
		out = append(out, esc(tr.T("policy.where.media.disk")))
	case provider != "":
		out = append(out, esc(tr.T("policy.where.media.s3", "Provider", provider)))
	default:
		out = append(out, esc(tr.T("policy.where.media.s3.unnamed")))
	}
	if f.Archive {
		out = append(out, esc(tr.T("policy.where.archive", "Host", f.ArchiveHost)))
	}
	return append(out, esc(tr.T("policy.where.tokens")), esc(tr.T("policy.where.logs")))
}

// mediaProvider names the company behind a bucket endpoint host, or
// returns the host itself when it is not one of the well-known ones.
func mediaProvider(host string) string {
	host = strings.ToLower(host)
	if h, _, ok := strings.Cut(host, ":"); ok {
		host = h
	}
	for _, k := range []struct{ suffix, name string }{
		{"r2.cloudflarestorage.com", "Cloudflare R2"}, {"amazonaws.com", "Amazon S3"},
		{"backblazeb2.com", "Backblaze B2"}, {"wasabisys.com", "Wasabi"}, {"digitaloceanspaces.com", "DigitalOcean Spaces"},
	} {
		if host == k.suffix || strings.HasSuffix(host, "."+k.suffix) {
			return k.name
		}
	}
	return host
}

// link is an escaped <a>.
func link(href, text string) template.HTML {
	return template.HTML(`<a href="` + template.HTMLEscapeString(href) + `">` + template.HTMLEscapeString(text) + `</a>`)
}

// spanWords says a duration in the page's language: "30 days" / "30日",
// "12 hours" / "12時間", "10 minutes" / "10分".
func spanWords(tr *translator, d time.Duration) string {
	switch {
	case d > 24*time.Hour && d%(24*time.Hour) == 0: // "24 hours" reads better than "1 day" for a checkpoint
		return tr.T("policy.span.days", "Count", int(d/(24*time.Hour)))
	case d >= time.Hour && d%time.Hour == 0:
		return tr.T("policy.span.hours", "Count", int(d/time.Hour))
	}
	return tr.T("policy.span.minutes", "Count", max(1, int(d.Round(time.Minute)/time.Minute)))
}

// joinList joins items as the language lists them: "a, b and c" /
// "a、b、c".
func joinList(tr *translator, items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	head := strings.Join(items[:len(items)-1], tr.T("policy.list.sep"))
	return tr.T("policy.list.and", "Head", head, "Last", items[len(items)-1])
}

// termsData is the terms in the page's language.
type termsData struct {
	Operator, Law string
	Changelog     template.HTML
}

// termsRevised is the day the terms' text last changed; raise it with
// the text. The page shows it, or the day the governing law last changed
// when that is later.
var termsRevised = time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)

func (h *Handler) handleTerms(w http.ResponseWriter, r *http.Request) {
	d := &termsData{}
	p := h.newPublicPage(r, "terms.title", d)
	updated, err := h.termsUpdated(r.Context())
	if err != nil {
		h.publicError(w, r, "terms date", err)
		return
	}
	h.setUpdated(p, updated)
	f := h.site.facts
	d.Operator = f.Operator
	if d.Operator == "" {
		d.Operator = p.T("terms.service.operator.unset")
	}
	d.Law = f.Jurisdiction
	d.Changelog = link(localPath(p.lang, "/changelog"), p.T("policy.changes.link"))
	h.renderPublic(w, http.StatusOK, "terms", p)
}

// termsUpdated is the later of termsRevised and the last change of the
// governing law.
func (h *Handler) termsUpdated(ctx context.Context) (time.Time, error) {
	if _, err := h.policyUpdated(ctx); err != nil { // records a change of law first
		return time.Time{}, err
	}
	changes, err := h.store.ListPolicyChanges(ctx, false, 0)
	if err != nil {
		return time.Time{}, err
	}
	at := termsRevised
	for _, c := range changes {
		for _, it := range c.Items {
			if it.What == changeJurisdiction && c.ChangedAt.After(at) {
				at = c.ChangedAt
			}
		}
	}
	return at, nil
}
