package web

import (
	"html/template"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sns-os/snsos"
)

// The changelog page: the dated changes of this server's privacy policy
// (from the store), then the project's CHANGELOG.md as built into the
// binary.

// changelogData is the changelog page.
type changelogData struct {
	Policy   []policyEntry
	Releases []release
}

type policyEntry struct {
	Date, DateISO string
	Items         []string
}

// release is one "## " section of CHANGELOG.md.
type release struct {
	Heading string
	Items   []template.HTML
	Paras   []template.HTML
}

// releases is CHANGELOG.md, parsed at first use.
var releases = sync.OnceValue(func() []release { return parseChangelog(snsos.Changelog) })

// parseChangelog reads the small markdown CHANGELOG.md is written in: "## "
// headings open a release, "- " lines open an item, indented lines continue
// it, other lines are paragraphs; `code` is the only inline markup.
// Whatever comes before the first heading (the file's title and its note
// on the format) is for readers of the file, not the page.
func parseChangelog(md string) []release {
	var out []release
	var cur *release
	var item, para []string
	flush := func() {
		if cur == nil {
			item, para = nil, nil
			return
		}
		if len(item) > 0 {
			cur.Items = append(cur.Items, inlineCode(strings.Join(item, " ")))
		}
		if len(para) > 0 {
			cur.Paras = append(cur.Paras, inlineCode(strings.Join(para, " ")))
		}
		item, para = nil, nil
	}
	for _, line := range strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "## "):
			flush()
			out = append(out, release{Heading: strings.TrimSpace(line[3:])})
			cur = &out[len(out)-1]
		case strings.HasPrefix(line, "- "):
			flush()
			item = []string{strings.TrimSpace(line[2:])}
		case trimmed == "":
			flush()
		case item != nil && strings.HasPrefix(line, "  "):
			item = append(item, trimmed)
		default:
			if item != nil {
				flush()
			}
			para = append(para, trimmed)
		}
	}
	flush()
	return out
}

// inlineCode escapes s and turns `text` into <code>text</code>.
func inlineCode(s string) template.HTML {
	var b strings.Builder
	parts := strings.Split(s, "`")
	if len(parts)%2 == 0 { // an unpaired backtick: no markup at all
		return template.HTML(template.HTMLEscapeString(s))
	}
	for i, part := range parts {
		if i%2 == 1 {
			b.WriteString("<code>" + template.HTMLEscapeString(part) + "</code>")
		} else {
			b.WriteString(template.HTMLEscapeString(part))
		}
	}
	return template.HTML(b.String()) // #nosec: every piece escaped above
}

// newestRelease is the date of the newest dated release heading.
func newestRelease() time.Time {
	for _, r := range releases() {
		if t, err := time.Parse("2006-01-02", r.Heading); err == nil {
			return t
		}
	}
	return time.Time{}
}

func (h *Handler) handleChangelog(w http.ResponseWriter, r *http.Request) {
	d := &changelogData{Releases: releases()}
	p := h.newPublicPage(r, "changelog.title", d)
	updated, err := h.policyUpdated(r.Context())
	if err != nil {
		h.publicError(w, r, "privacy policy date", err)
		return
	}
	changes, err := h.store.ListPolicyChanges(r.Context(), false, 0)
	if err != nil {
		h.publicError(w, r, "list policy changes", err)
		return
	}
	loc := h.location()
	for _, c := range changes {
		local := c.ChangedAt.In(loc)
		e := policyEntry{Date: longDate(p.lang, local), DateISO: local.Format("2006-01-02")}
		if len(c.Items) == 0 {
			e.Items = []string{p.T("changelog.policy.first")}
		}
		for _, it := range c.Items {
			e.Items = append(e.Items, changeWords(p.translator, it))
		}
		d.Policy = append(d.Policy, e)
	}
	if t := newestRelease(); t.After(updated) {
		updated = t
	}
	h.setUpdated(p, updated)
	h.renderPublic(w, http.StatusOK, "changelog", p)
}

// changeWords says a policy change item in the page's language.
func changeWords(tr *translator, it snsos.PolicyChangeItem) string {
	args := []any{"Platform", it.Platform.DisplayName(), "Name", it.Name, "From", it.From, "To", it.To}
	switch it.What {
	case changePlatformAdded, changePlatformRemoved, changeScopeAdded, changeScopeRemoved:
	case changeMetricAdded, changeMetricRemoved:
		args[3] = metricName(tr, it.Name)
	case changeCheckpoints:
		args[5], args[7] = checkpointWords(tr, it.From), checkpointWords(tr, it.To)
	case changeDatabase, changeMedia:
		args[5], args[7] = tr.T("policy.store."+it.From), tr.T("policy.store."+it.To)
	case changeArchive:
		if it.To == "true" {
			return tr.T("policy.change.archive.on")
		}
		return tr.T("policy.change.archive.off")
	case changeRetention:
		args = append(args, "Rule", tr.T("policy.rule."+it.Name))
		args[5], args[7] = codeWords(tr, it.From), codeWords(tr, it.To)
	case changeJurisdiction:
		args[5], args[7] = orWord(tr, it.From), orWord(tr, it.To)
	default:
		return tr.T("policy.change.wording")
	}
	return tr.T("policy.change."+it.What, args...)
}

// checkpointWords says a list of offset codes (`"1h","24h"`) in words.
func checkpointWords(tr *translator, codes string) string {
	var spans []string
	for c := range strings.SplitSeq(codes, ",") {
		if c = strings.Trim(c, `" `); c != "" {
			spans = append(spans, codeWords(tr, c))
		}
	}
	if len(spans) == 0 {
		return tr.T("policy.change.none")
	}
	return joinList(tr, spans)
}

// codeWords says an offset code ("7d") in words.
func codeWords(tr *translator, code string) string {
	d, err := snsos.ParseCheckpointOffset(code)
	if err != nil {
		return orWord(tr, code)
	}
	return spanWords(tr, d)
}

func orWord(tr *translator, s string) string {
	if s == "" {
		return tr.T("policy.change.none")
	}
	return s
}
