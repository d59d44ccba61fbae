package web

import (
	"context"

	"github.com/sns-os/snsos"
	"github.com/sns-os/snsos/internal/archive"
)

// archiveLine is the git archive's status on the Settings page, as the
// writer (in whichever process holds the database's writer lock) last
// saved it.
type archiveLine struct {
	Summary string // last commit and push
	Problem string // the last failure, "" when none
}

// archiveStatus reads the archive's status; nil when no archive has run.
func (h *Handler) archiveStatus(ctx context.Context, p *page) (*archiveLine, error) {
	v, err := h.store.Setting(ctx, archive.StatusKey)
	if snsos.IsCode(err, snsos.ENOTFOUND) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	st, err := archive.ParseStatus(v)
	if err != nil {
		return nil, nil // written by another version: nothing to show
	}
	loc := h.location()
	now := h.now().In(loc)
	commit, at, push := p.T("settings.archive.none_yet"), "", p.T("settings.archive.none_yet")
	if len(st.LastCommit) >= 12 {
		commit = st.LastCommit[:12]
	}
	if !st.LastCommitAt.IsZero() {
		at = shortTime(p.lang, st.LastCommitAt.In(loc), now)
	}
	if !st.LastPushAt.IsZero() {
		push = shortTime(p.lang, st.LastPushAt.In(loc), now)
	}
	line := &archiveLine{Summary: p.T("settings.archive.status", "Commit", commit, "At", at, "Push", push, "Files", st.Files)}
	if st.Remote == "" {
		line.Summary = p.T("settings.archive.status_local", "Commit", commit, "At", at, "Files", st.Files)
	}
	if st.LastError != "" {
		line.Problem = p.T("settings.archive.problem", "Error", st.LastError)
	}
	return line, nil
}
