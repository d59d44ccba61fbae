package web

import (
	"context"

	"github.com/sns-os/snsos/internal/archive"
)

// archiveLine is the git archive's status on the Settings page, as the
// writer (in whichever process holds the database's writer lock) last
// saved it.
type archiveLine struct {
	Summary string // last commit and push
	Problem string // the last failure, "" when none
}

// archiveStatus reads the archive's status; nil when no archive is on. A
// status left by an archive since switched off is not shown
// (archive.ReadStatus); one configured here whose first pass has not
// saved a status yet says so.
func (h *Handler) archiveStatus(ctx context.Context, p *page) (*archiveLine, error) {
	loc := h.location()
	now := h.now().In(loc)
	st, ok, err := archive.ReadStatus(ctx, h.store, h.cfg.Archive, now)
	if err != nil {
		return nil, err
	}
	if !ok {
		if h.cfg.Archive {
			return &archiveLine{Summary: p.T("settings.archive.starting")}, nil
		}
		return nil, nil
	}
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
