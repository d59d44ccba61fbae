package web

import (
	"time"

	"github.com/sns-os/snsos/internal/attention"
)

// archiveAttentionRow puts a git archive that stopped committing, or
// whose pushes keep failing, in the dashboard's words. The archive's own
// error (English, never a secret: the guard names the path and the kind,
// pushes name the remote without its credentials) is the detail.
func archiveAttentionRow(p *page, it attention.Item, now time.Time, row *attentionRow) {
	a := it.Archive
	if a == nil {
		a = &attention.Archive{}
	}
	row.Class, row.Icon, row.Subject, row.Detail = "s-failed", "✕", p.T("home.attn.badge.archive"), it.Error
	if a.Blocked {
		row.Text = p.T("home.attn.archive.blocked")
		return
	}
	if a.Purge {
		row.Text = p.T("home.attn.archive.purge", "Dur", duration(p.lang, now.Sub(it.Since)))
		return
	}
	row.Class, row.Icon = "s-retry_wait", "↻"
	remote := a.Remote
	if remote == "" {
		remote = "?"
	}
	row.Text = p.T("home.attn.archive.push", "Remote", remote, "Dur", duration(p.lang, now.Sub(it.Since)), "Count", a.Failures)
}
